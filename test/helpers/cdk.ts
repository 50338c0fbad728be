import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { environmentContextKey, loadEnvironment, type EnvironmentConfig, type SsiEnvironment } from '../../infra/environment';
import { addNagChecks, createSsiStacks, type SsiStacks } from '../../infra/stacks';
import type { Topology } from '../../infra/stacks/declared';
import { templateEnvironments, type CfnTemplate } from '../../infra/local/template-environment';
import { BUCKETS, KEYS, TABLES, type FunctionSpec, type ResolvedResources } from '../../topology';

/** The context cdk.json gives the CLI: environments and feature flags. */
export const CDK_CONTEXT = (require('../../cdk.json') as { context: Record<string, unknown> }).context;

/** Temporary folders (cloud assemblies, deployment records), removed after each test file. */
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});
export function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

export const TEST_ACCOUNT = '111111111111';
export const TEST_REGION = 'us-east-1';
/** The hedge-book venue of the test environment (synthesizeSsi turns USSI on). */
export const TEST_HEDGE_BOOK_URL = 'https://hedge-book.example.com';

/** A deployment record like scripts/deploy.ts writes, with two indexes to alarm on. */
export function writeDeploymentFixture(
  chainId: number,
  indexes: Record<string, string> = { 'MAG7.ssi': '0x9E6A46f294bB67c20F1D1E7AfB0bBEf614403B55', 'DEFI.ssi': '0x164ffdaE2fe3891714bc2968f1875ca4fA1079D0' },
  contracts: Record<string, string> = {},
): string {
  const dir = temporaryDir('ssi-deployment-');
  const path = join(dir, 'dev.json');
  writeFileSync(
    path,
    JSON.stringify({
      network: 'base-sepolia',
      chainId,
      deployedAt: '2026-01-01T00:00:00.000Z',
      contracts: { IndexFactory: '0x00000000000000000000000000000000000000f1', ...contracts },
      tokens: { USDC: { address: '0x00000000000000000000000000000000000000c1', decimals: 6 } },
      indexes,
      signers: { operator: '0x00000000000000000000000000000000000000a1' },
    }),
  );
  return path;
}

/**
 * An App with cdk.json's context, bundling skipped (NodejsFunction then does not run esbuild),
 * and the given environment parameters merged over the dev ones. CloudFormation's built-in template
 * validation, which `cdk synth` runs, runs only when `validate`: its engine takes about ten seconds
 * of CPU to start in every test file, so the unit tests leave it to the synth of the whole app, web
 * stack included, in test/infra/stacks/web-stack.integration.test.ts.
 */
export function testApp(overrides: Partial<EnvironmentConfig> = {}, environment: 'dev' | 'prod' = 'dev', { validate = false } = {}): App {
  const key = environmentContextKey(environment);
  const base = CDK_CONTEXT[key] as Record<string, unknown>;
  return new App({
    outdir: temporaryDir('ssi-cdk-'),
    builtinCloudFormationValidation: validate,
    context: { ...CDK_CONTEXT, env: environment, [key]: { ...base, ...overrides }, 'aws:cdk:bundling-stacks': [] },
  });
}

export interface SynthesizedSsi {
  readonly app: App;
  readonly ssi: SsiEnvironment;
  readonly stacks: SsiStacks;
  readonly templates: Record<keyof SsiStacks, Template>;
  /** Every stack's template JSON by stack name, for following cross-stack references. */
  readonly byStackName: Record<string, { Resources: Record<string, CfnResource>; Outputs?: Record<string, { Value: unknown }> }>;
}

export interface CfnResource {
  Type: string;
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/**
 * Builds the whole app for one environment (dev, concrete account and region) and synthesizes it, with the app's cdk-nag
 * checks when `nag` and CloudFormation's template validation when `validate`.
 */
export function synthesizeSsi(
  options: { overrides?: Partial<EnvironmentConfig>; topology?: Topology; nag?: boolean; validate?: boolean; deployment?: { contracts: Record<string, string> } } = {},
): SynthesizedSsi {
  const deploymentFile = writeDeploymentFixture(84532, undefined, options.deployment?.contracts);
  const devSettings = (CDK_CONTEXT[environmentContextKey('dev')] as { settings?: Record<string, string> }).settings ?? {};
  const app = testApp(
    {
      account: TEST_ACCOUNT,
      region: TEST_REGION,
      deploymentFile,
      allowMissingDeployment: false,
      alarmEmail: 'ops@example.com',
      // USSI on, as in an environment with a hedge-book venue, so every declared function is built.
      ussi: true,
      ...options.overrides,
      settings: { ...devSettings, USSI_HEDGE_BOOK_URL: TEST_HEDGE_BOOK_URL, ...options.overrides?.settings },
    },
    'dev',
    { validate: options.validate },
  );
  const ssi = loadEnvironment(app.node);
  const stacks = createSsiStacks(app, ssi, options.topology);
  if (options.nag) addNagChecks(app);
  app.synth();
  const templates = Object.fromEntries(Object.entries(stacks).map(([part, stack]) => [part, Template.fromStack(stack as Stack)])) as Record<keyof SsiStacks, Template>;
  const byStackName = Object.fromEntries(Object.values(stacks).map((stack: Stack) => [stack.stackName, Template.fromStack(stack).toJSON()]));
  return { app, ssi, stacks, templates, byStackName: byStackName as SynthesizedSsi['byStackName'] };
}

/** Every contract a function reads its address of, in a deployment record, so each function's environment is complete. */
const DEPLOYED_CONTRACTS = ['issuer', 'rebalancer', 'ussi', 'rewardsDistributor', 'reserveRegistry', 'custodyVault', 'indexFactory', 'assetLocking', 'soso', 'sSoso'];

/** The dev app synthesized over a deployment record holding every contract the functions read. */
export function synthesizeWithContracts(): SynthesizedSsi {
  return synthesizeSsi({ deployment: { contracts: Object.fromEntries(DEPLOYED_CONTRACTS.map((name, i) => [name, `0x${(0xa0 + i).toString(16).padStart(40, '0')}`])) } });
}

/** A function's environment as the synthesized template gives it. */
/** Stand-in local resources the template's references resolve to, as the local stack's would. */
const LOCAL_RESOURCES = {
  tables: Object.fromEntries(TABLES.map((t) => [t.name, `local-${t.name}`])),
  keys: Object.fromEntries(KEYS.map((k) => [k.role, `local-${k.role}`])),
  buckets: Object.fromEntries(BUCKETS.map((b) => [b.name, `local-${b.name}`])),
} as unknown as ResolvedResources;

/** A function's environment as the template gives it, its references resolved as the local stack resolves them. */
export function templateEnvironment(synth: SynthesizedSsi, spec: FunctionSpec): Record<string, string> {
  const synthesized = { environment: synth.ssi.name, account: synth.ssi.config.account, region: synth.ssi.config.region, stacks: synth.byStackName as Record<string, CfnTemplate> };
  return templateEnvironments(synthesized, LOCAL_RESOURCES)[spec.name]!;
}

/** Resources of one type in a template, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/**
 * A CloudFormation value as one comparable string: `Fn::Join` joined, `Ref` and `Fn::GetAtt`
 * written `<X>`/`<X.Attr>`, and references to another stack's output replaced by what that output
 * holds, prefixed with the producing stack (`<Ssi-dev-Signing:KeyX.Arn>`).
 */
export function flatten(value: unknown, synth?: SynthesizedSsi, stackName?: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  const object = value as Record<string, any>;
  if (object['Fn::Join']) {
    const [delimiter, items] = object['Fn::Join'];
    return (items as unknown[]).map((item) => flatten(item, synth, stackName)).join(delimiter);
  }
  if (object.Ref !== undefined) return `<${stackName && !String(object.Ref).startsWith('AWS::') ? `${stackName}:` : ''}${object.Ref}>`;
  if (object['Fn::GetAtt']) return `<${stackName ? `${stackName}:` : ''}${object['Fn::GetAtt'][0]}.${object['Fn::GetAtt'][1]}>`;
  if (object['Fn::GetStackOutput'] && synth) {
    const { StackName, OutputName } = object['Fn::GetStackOutput'];
    const output = synth.byStackName[StackName]?.Outputs?.[OutputName];
    if (!output) throw new Error(`no output ${OutputName} in ${StackName}`);
    return flatten(output.Value, synth, StackName);
  }
  if (object['Fn::ImportValue'] && synth) {
    for (const [name, template] of Object.entries(synth.byStackName)) {
      for (const output of Object.values(template.Outputs ?? {}) as Array<{ Value: unknown; Export?: { Name: string } }>) {
        if (output.Export?.Name === object['Fn::ImportValue']) return flatten(output.Value, synth, name);
      }
    }
  }
  return JSON.stringify(value);
}

export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
  Sid?: string;
}

/** The role of one deployed function and every statement attached to it, resources flattened. */
export function functionPermissions(
  synth: SynthesizedSsi,
  part: 'api' | 'schedules',
  physicalFunctionName: string,
): { roleName: string; statements: Array<{ actions: string[]; resources: string[]; effect: string }> } {
  const template = synth.templates[part];
  const stackName = synth.stacks[part].stackName;
  const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === physicalFunctionName);
  if (!fn) throw new Error(`no function ${physicalFunctionName} in ${stackName}`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const role = resourcesOf(template, 'AWS::IAM::Role')[roleId];
  const statements: Array<{ actions: string[]; resources: string[]; effect: string }> = [];
  const add = (document: { Statement: Statement[] }) => {
    for (const s of document.Statement) {
      statements.push({ actions: asArray(s.Action), resources: asArray(s.Resource).map((r) => flatten(r, synth, stackName)), effect: s.Effect });
    }
  };
  for (const policy of asArray(role.Properties.Policies) as Array<{ PolicyDocument: { Statement: Statement[] } }>) add(policy.PolicyDocument);
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    if ((policy.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId)) add(policy.Properties.PolicyDocument);
  }
  if (asArray(role.Properties.ManagedPolicyArns).length > 0) throw new Error(`${physicalFunctionName}'s role has managed policies`);
  return { roleName: flatten(role.Properties.RoleName), statements };
}

/** The flattened ARN of the signing key behind an alias, as other stacks' policies reference it. */
export function keyArnByAlias(synth: SynthesizedSsi, aliasName: string): string {
  const signing = synth.stacks.signing.stackName;
  const alias = Object.values(synth.byStackName[signing].Resources).find((r) => r.Type === 'AWS::KMS::Alias' && r.Properties.AliasName === aliasName);
  if (!alias) throw new Error(`no key aliased ${aliasName}`);
  return flatten(alias.Properties.TargetKeyId, synth, signing);
}
