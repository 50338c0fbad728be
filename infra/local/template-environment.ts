import { App, Stack } from 'aws-cdk-lib';
import { BUCKETS, FUNCTIONS, KEYS, TABLES, type FunctionSpec, type ResolvedResources } from '../../topology';
import { FUNCTION_SETTINGS, SETTINGS, type SettingName } from '../../topology/settings';
import { bucketPhysicalName, functionPhysicalName, keyAliasName, tablePhysicalName } from '../constructs/naming';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './credentials';

/*
 * A deploy-shaped local run: each function gets the environment the synthesized CloudFormation
 * template gives it (`cdk synth` of one environment), its references (Ref, Fn::GetAtt, Fn::Join,
 * cross-stack outputs) resolved to the local stack's resources, plus only the endpoint overrides
 * below. A value the template lacks is not made up here: the function then runs without it, as in
 * AWS, and the run shows it.
 */

/** One stack's template as `cdk synth` writes it (the parts read here). */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Readonly<Record<string, unknown>> }>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>>;
}

/** The synthesized templates of one environment, by stack name. */
export interface SynthesizedEnvironment {
  /** The environment's name (cdk.json `ssi:environment:<name>`), part of every physical name. */
  readonly environment: string;
  /** The environment's account and region when cdk.json fixes them (the template then spells them out); else the local ones stand in. */
  readonly account?: string;
  readonly region?: string;
  readonly stacks: Readonly<Record<string, CfnTemplate>>;
}

/**
 * The only variables a local run sets beyond the template's: where AWS's services are (endpoints,
 * region, the local credentials, path-style S3 for s3rver), where the chain is, and where the
 * external venues the functions call are (the simulators). A setting among them is given only to
 * functions that declare it (topology/settings.ts).
 */
export const LOCAL_OVERRIDES = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_ENDPOINT_URL_S3',
  'SSI_S3_FORCE_PATH_STYLE',
  'SSI_RPC_URL',
  'USSI_HEDGE_BOOK_URL',
  'SSI_CUSTODIAN_URL',
] as const;
export type LocalOverride = (typeof LOCAL_OVERRIDES)[number];

/** The account and region a template's pseudo parameters and physical names stand for. */
const identity = (synthesized: Pick<SynthesizedEnvironment, 'account' | 'region'>) => ({ account: synthesized.account ?? LOCAL_ACCOUNT, region: synthesized.region ?? LOCAL_REGION });

/**
 * The one mapping of the deployment's physical names (infra/constructs/naming.ts, in the
 * environment's account and region) to the local stack's resources: table and bucket names, and
 * key aliases to local key ids.
 */
export function physicalNameMap(
  synthesized: Pick<SynthesizedEnvironment, 'environment' | 'account' | 'region'>,
  local: ResolvedResources,
): { tables: Map<string, string>; buckets: Map<string, string>; keyAliases: Map<string, string> } {
  const { environment } = synthesized;
  // bucketPhysicalName reads the account and region from a stack: one with the environment's identity.
  const scope = new Stack(new App(), 'PhysicalNames', { env: identity(synthesized) });
  return {
    tables: new Map(TABLES.map((t) => [tablePhysicalName(environment, t.name), local.tables[t.name]])),
    buckets: new Map(BUCKETS.map((b) => [bucketPhysicalName(scope, environment, b.name), local.buckets[b.name]])),
    keyAliases: new Map(KEYS.map((k) => [keyAliasName(k.alias, environment), local.keys[k.role]])),
  };
}

const keyArn = (keyId: string): string => `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/${keyId}`;

/** Resolves template values against the local resources; a reference the local stack has nothing for fails, naming it. */
class TemplateResolver {
  private readonly names: ReturnType<typeof physicalNameMap>;
  private readonly pseudo: Readonly<Record<string, string>>;

  constructor(
    private readonly synthesized: SynthesizedEnvironment,
    local: ResolvedResources,
  ) {
    this.names = physicalNameMap(synthesized, local);
    const { account, region } = identity(synthesized);
    this.pseudo = { 'AWS::AccountId': account, 'AWS::Region': region, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
  }

  /**
   * A variable's value for the local run: resolved as CloudFormation would, then, when it is the
   * physical name of a declared table or bucket (a name the template spells out, or a Ref to one),
   * the local resource's name.
   */
  variable(value: unknown, stackName: string, where: string): string {
    const resolved = this.resolve(value, stackName, where);
    return this.names.tables.get(resolved) ?? this.names.buckets.get(resolved) ?? resolved;
  }

  private resolve(value: unknown, stackName: string, where: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const object = (value ?? {}) as Record<string, unknown>;
    const [kind] = Object.keys(object);
    const argument = object[kind];
    switch (kind) {
      case 'Ref': {
        const name = String(argument);
        if (name in this.pseudo) return this.pseudo[name]!;
        return this.resource(stackName, name, 'Ref', where);
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = argument as [string, string];
        return this.resource(stackName, logicalId, attribute, where);
      }
      case 'Fn::Join': {
        const [delimiter, items] = argument as [string, unknown[]];
        return items.map((item) => this.resolve(item, stackName, where)).join(delimiter);
      }
      case 'Fn::GetStackOutput': {
        const { StackName, OutputName } = argument as { StackName: string; OutputName: string };
        const output = this.synthesized.stacks[StackName]?.Outputs?.[OutputName];
        if (!output) throw new Error(`${where}: no output ${OutputName} in stack ${StackName}`);
        return this.resolve(output.Value, StackName, where);
      }
      case 'Fn::ImportValue': {
        const exported = this.resolve(argument, stackName, where);
        for (const [name, template] of Object.entries(this.synthesized.stacks)) {
          for (const output of Object.values(template.Outputs ?? {})) {
            if (output.Export && this.resolve(output.Export.Name, name, where) === exported) return this.resolve(output.Value, name, where);
          }
        }
        throw new Error(`${where}: no stack exports ${exported}`);
      }
      default:
        throw new Error(`${where}: ${JSON.stringify(value)} is not a value the local stack can resolve`);
    }
  }

  /** A resource's Ref or attribute, as the local stand-in of that resource answers it. */
  private resource(stackName: string, logicalId: string, attribute: string, where: string): string {
    const resource = this.synthesized.stacks[stackName]?.Resources[logicalId];
    if (!resource) throw new Error(`${where}: no resource ${logicalId} in stack ${stackName}`);
    const property = (name: string) => this.resolve(resource.Properties?.[name], stackName, where);
    const mapped = (map: Map<string, string>, physical: string, kind: string) => {
      const local = map.get(physical);
      if (!local) throw new Error(`${where}: ${kind} ${physical} is not a declared ${kind} of environment ${this.synthesized.environment}`);
      return local;
    };
    switch (`${resource.Type} ${attribute}`) {
      case 'AWS::DynamoDB::Table Ref':
        return property('TableName');
      case 'AWS::DynamoDB::Table Arn':
        return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${mapped(this.names.tables, property('TableName'), 'table')}`;
      case 'AWS::S3::Bucket Ref':
        return property('BucketName');
      case 'AWS::S3::Bucket Arn':
        return `arn:aws:s3:::${mapped(this.names.buckets, property('BucketName'), 'bucket')}`;
      case 'AWS::KMS::Key Ref':
        return this.keyId(stackName, logicalId, where);
      case 'AWS::KMS::Key Arn':
        return keyArn(this.keyId(stackName, logicalId, where));
    }
    throw new Error(`${where}: ${attribute === 'Ref' ? 'Ref' : `Fn::GetAtt ${attribute}`} of ${resource.Type} ${logicalId} has no local stand-in`);
  }

  /** The local key behind a template key: found through the alias the template gives it. */
  private keyId(stackName: string, logicalId: string, where: string): string {
    const template = this.synthesized.stacks[stackName]!;
    for (const alias of Object.values(template.Resources)) {
      if (alias.Type !== 'AWS::KMS::Alias') continue;
      const target = alias.Properties?.TargetKeyId as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
      if (target?.Ref !== logicalId && target?.['Fn::GetAtt']?.[0] !== logicalId) continue;
      const name = this.resolve(alias.Properties?.AliasName, stackName, where);
      const local = this.names.keyAliases.get(name);
      if (!local) throw new Error(`${where}: key alias ${name} is not a declared key of environment ${this.synthesized.environment}`);
      return local;
    }
    throw new Error(`${where}: key ${logicalId} in stack ${stackName} has no alias to tell its role`);
  }
}

/**
 * Every declared function's environment as the synthesized template gives it, references resolved
 * to the local resources. Fails when a declared function is missing from the templates.
 */
export function templateEnvironments(synthesized: SynthesizedEnvironment, local: ResolvedResources): Record<string, Record<string, string>> {
  const resolver = new TemplateResolver(synthesized, local);
  const byPhysicalName = new Map<string, { stackName: string; variables: Record<string, unknown> }>();
  for (const [stackName, template] of Object.entries(synthesized.stacks)) {
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function' || typeof resource.Properties?.FunctionName !== 'string') continue;
      const variables = ((resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
      byPhysicalName.set(resource.Properties.FunctionName, { stackName, variables });
    }
  }
  const out: Record<string, Record<string, string>> = {};
  for (const spec of FUNCTIONS as readonly FunctionSpec[]) {
    const physical = functionPhysicalName(synthesized.environment, spec.name);
    const found = byPhysicalName.get(physical);
    if (!found) throw new Error(`function ${physical} is in none of the synthesized templates (${Object.keys(synthesized.stacks).join(', ')})`);
    out[spec.name] = Object.fromEntries(Object.entries(found.variables).map(([name, value]) => [name, resolver.variable(value, found.stackName, `${physical} ${name}`)]));
  }
  return out;
}

/**
 * A function's local environment: the template's, then the overrides. An override outside
 * LOCAL_OVERRIDES is refused; a setting override reaches only functions that declare the setting.
 */
export function withLocalOverrides(fn: string, template: Readonly<Record<string, string>>, overrides: Readonly<Partial<Record<LocalOverride, string>>>): Record<string, string> {
  const declared: readonly string[] = (FUNCTION_SETTINGS as Record<string, readonly SettingName[]>)[fn] ?? [];
  const out = { ...template };
  for (const [name, value] of Object.entries(overrides)) {
    if (!(LOCAL_OVERRIDES as readonly string[]).includes(name)) throw new Error(`${name} is not a documented local override (${LOCAL_OVERRIDES.join(', ')})`);
    if (value === undefined) continue;
    if (!(name in SETTINGS) || declared.includes(name)) out[name] = value;
  }
  return out;
}
