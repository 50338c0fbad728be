import { BUCKETS, FUNCTIONS, KEYS, TABLES, bucketEnv, keyEnv, tableEnv, type FunctionSpec, type ResolvedResources } from '../../../topology';
import { functionVariables, settingValues } from '../../../infra/settings';
import { LOCAL_OVERRIDES, physicalNameMap, templateEnvironments, withLocalOverrides, type CfnTemplate, type SynthesizedEnvironment } from '../../../infra/local/template-environment';
import { synthesizeSsi, TEST_ACCOUNT, TEST_REGION, type SynthesizedSsi } from '../../helpers/cdk';

/** Stand-in local resources: every declared table, key and bucket under a name no template uses. */
const LOCAL: ResolvedResources = {
  tables: Object.fromEntries(TABLES.map((t) => [t.name, `local-table-${t.name}`])),
  keys: Object.fromEntries(KEYS.map((k) => [k.role, `local-key-${k.role}`])),
  buckets: Object.fromEntries(BUCKETS.map((b) => [b.name, `local-bucket-${b.name}`])),
} as never;

describe('function environments from a synthesized template', () => {
  let synth: SynthesizedSsi;
  let synthesized: SynthesizedEnvironment;
  beforeAll(() => {
    synth = synthesizeSsi();
    synthesized = { environment: 'dev', account: TEST_ACCOUNT, region: TEST_REGION, stacks: synth.byStackName as Record<string, CfnTemplate> };
  });

  test('the physical-name mapping covers every declared table, bucket and key, in the environment account and region', () => {
    const names = physicalNameMap({ environment: 'prod', account: '222222222222', region: 'eu-west-1' }, LOCAL);
    expect(names.tables.get('ssi-prod-quotes')).toBe('local-table-quotes');
    expect(names.buckets.get('ssi-prod-reports-222222222222-eu-west-1')).toBe('local-bucket-reports');
    expect(names.keyAliases.get('alias/ssi-operator-prod')).toBe('local-key-operator');
    expect([names.tables.size, names.buckets.size, names.keyAliases.size]).toEqual([TABLES.length, BUCKETS.length, KEYS.length]);
    // Without an account and region in cdk.json, the template's pseudo parameters stand for the local ones.
    expect(physicalNameMap({ environment: 'dev' }, LOCAL).buckets.get('ssi-dev-points-work-000000000000-us-east-1')).toBe('local-bucket-points-work');
  });

  test.each(FUNCTIONS.map((f) => [f.name, f as FunctionSpec] as const))('%s: the settings as synthesized, its declared resources resolved to the local ones', (name, spec) => {
    const env = templateEnvironments(synthesized, LOCAL)[name]!;
    const declared = functionVariables(spec, settingValues(synth.ssi), 'dev', LOCAL);
    const resources = new Set<string>();
    for (const table of Object.keys(spec.tables) as Array<keyof typeof LOCAL.tables>) {
      resources.add(tableEnv(table));
      expect(env[tableEnv(table)]).toBe(LOCAL.tables[table]);
    }
    for (const bucket of Object.keys(spec.buckets) as Array<keyof typeof LOCAL.buckets>) {
      resources.add(bucketEnv(bucket));
      expect(env[bucketEnv(bucket)]).toBe(LOCAL.buckets[bucket]);
    }
    for (const role of [...spec.keys, ...(spec.publicKeys ?? [])]) {
      resources.add(keyEnv(role));
      // A key ARN, as CloudFormation hands it over, of the local key of the same role.
      expect(env[keyEnv(role)]).toBe(`arn:aws:kms:us-east-1:000000000000:key/local-key-${role}`);
    }
    expect(Object.keys(env).sort()).toEqual(Object.keys(declared).sort());
    for (const [variable, value] of Object.entries(declared)) if (!resources.has(variable)) expect([variable, env[variable]]).toEqual([variable, value]);
  });

  test('a reference the local stack has no stand-in for fails, naming the function and the variable', () => {
    const stacks = structuredClone(synthesized.stacks) as Record<string, { Resources: Record<string, { Type: string; Properties: Record<string, any> }> }>;
    const schedules = stacks['Ssi-dev-Schedules']!;
    const [queueId] = Object.entries(schedules.Resources).find(([, r]) => r.Type === 'AWS::SQS::Queue')!;
    const heartbeat = Object.values(schedules.Resources).find((r) => r.Properties?.FunctionName === 'ssi-dev-heartbeat')!;
    heartbeat.Properties.Environment.Variables.TABLE_OPS = { Ref: queueId };
    expect(() => templateEnvironments({ ...synthesized, stacks: stacks as never }, LOCAL)).toThrow(
      new RegExp(`ssi-dev-heartbeat TABLE_OPS: Ref of AWS::SQS::Queue ${queueId} has no local stand-in`),
    );
    heartbeat.Properties.Environment.Variables.TABLE_OPS = 'ssi-staging-ops';
    // A spelled-out name that is no declared resource of the environment stays what it is: the run then shows the miss.
    expect(templateEnvironments({ ...synthesized, stacks: stacks as never }, LOCAL).heartbeat!.TABLE_OPS).toBe('ssi-staging-ops');
  });

  test('only the documented overrides are added, and a setting only to the functions that declare it', () => {
    const template = { SSI_CHAIN_ID: '84532', TABLE_OPS: 'local-table-ops' };
    const overrides = { AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:1', SSI_RPC_URL: 'http://127.0.0.1:2', USSI_HEDGE_BOOK_URL: 'http://127.0.0.1:3' };
    expect(withLocalOverrides('heartbeat', template, overrides)).toEqual({ ...template, AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:1', SSI_RPC_URL: 'http://127.0.0.1:2' });
    expect(withLocalOverrides('ussi-nav', template, overrides)).toEqual({ ...template, ...overrides });
    expect(withLocalOverrides('wlp-authorizer', template, overrides)).toEqual({ ...template, AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:1' });
    expect(() => withLocalOverrides('reserve-publisher', template, { RESERVES_CONFIRMATIONS: '0' } as never)).toThrow(/RESERVES_CONFIRMATIONS is not a documented local override/);
    expect(LOCAL_OVERRIDES).not.toContain('SSI_DEPLOYMENT');
  });
});
