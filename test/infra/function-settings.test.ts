import { resolve } from 'node:path';
import { FUNCTIONS, bucketEnv, keyEnv, tableEnv, type FunctionSpec, type ResolvedResources } from '../../topology';
import { functionVariables, settingValues } from '../../infra/settings';
import { FUNCTION_SETTINGS } from '../../topology/settings';
import { synthesizeSsi, resourcesOf, type SynthesizedSsi } from './cdk-helpers';

/*
 * What AWS runs is what the declaration says: every function's environment, as the synthesized
 * template gives it, is enough for its handler to start, and a handler reading a setting its
 * declaration lacks fails to start (so dropping a setting from topology/settings.ts fails here,
 * naming it). Only endpoint overrides are added, as the local stack adds them.
 */

/** What the local stack adds to a function's environment: where the AWS services and the chain are. */
const LOCAL_ENDPOINT_OVERRIDES = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
  SSI_S3_FORCE_PATH_STYLE: 'true',
};

const CONTRACTS = ['issuer', 'rebalancer', 'ussi', 'rewardsDistributor', 'reserveRegistry', 'custodyVault', 'indexFactory', 'assetLocking', 'soso', 'sSoso'];

function templateEnvironment(synth: SynthesizedSsi, spec: FunctionSpec): Record<string, string> {
  for (const template of [synth.templates.api, synth.templates.schedules]) {
    const found = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === `ssi-dev-${spec.name}`);
    if (!found) continue;
    // Resource references (key ARNs) resolve at deploy time: stand in a name, as the local stack does.
    return Object.fromEntries(Object.entries(found.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k.toLowerCase()}`]));
  }
  throw new Error(`function ${spec.name} is in no template`);
}

describe('function settings from the synthesized template', () => {
  let synth: SynthesizedSsi;
  // Price sources the handlers start read S3 in the background; let those reads fail before teardown.
  afterAll(() => new Promise((resolve) => setTimeout(resolve, 1500)));

  beforeAll(() => {
    const contracts = Object.fromEntries(CONTRACTS.map((name, i) => [name, `0x${(0xa0 + i).toString(16).padStart(40, '0')}`]));
    synth = synthesizeSsi({ deployment: { contracts } });
  });

  test.each(FUNCTIONS.map((f) => [f.name, f as FunctionSpec] as const))('%s starts with only the template environment and endpoint overrides', (name, spec) => {
    const env = { ...templateEnvironment(synth, spec), ...LOCAL_ENDPOINT_OVERRIDES };
    const declared: readonly string[] = FUNCTION_SETTINGS[spec.name as keyof typeof FUNCTION_SETTINGS];
    const settings = Object.keys(env).filter((k) => k.startsWith('SSI_') || k.startsWith('RELAYER_') || k.startsWith('RESERVES_') || k.startsWith('USSI_'));
    expect(settings.filter((k) => !(k in LOCAL_ENDPOINT_OVERRIDES) && !declared.includes(k))).toEqual([]);

    const saved = process.env;
    process.env = env;
    try {
      jest.isolateModules(() => {
        const mod = require(resolve(__dirname, '../..', spec.entry)) as { handler?: unknown };
        expect(typeof mod.handler).toBe('function');
      });
    } finally {
      process.env = saved;
    }
  });

  test('a handler reading a setting its function does not declare does not start, and says which', () => {
    const spec = FUNCTIONS.find((f) => f.name === 'heartbeat')!;
    const env = { ...templateEnvironment(synth, spec), ...LOCAL_ENDPOINT_OVERRIDES, POWERTOOLS_SERVICE_NAME: 'ssi-heartbeat' };
    const saved = process.env;
    process.env = env;
    try {
      // The reserve publisher's code started under the heartbeat's name: it reads RELAYER_* and RESERVES_*.
      expect(() => jest.isolateModules(() => require(resolve(__dirname, '../../lambdas/handlers/reserve-publisher.ts')))).toThrow(
        /function heartbeat reads .*RESERVES_FROM_BLOCK.*, which topology\/settings.ts does not declare for it/,
      );
    } finally {
      process.env = saved;
    }
  });

  test('synth fails, naming the function and the setting, when a required setting has no value in the environment', () => {
    expect(() => synthesizeSsi({ overrides: { points: {} } })).toThrow(/function epoch-close cannot run in environment dev:\s+SSI_EPOCH_POOL has no value/);
  });

  test('synth fails naming custody-watch when the environment gives no custodian URL', () => {
    expect(() => synthesizeSsi({ overrides: { settings: {} } })).toThrow(/function custody-watch cannot run in environment dev:\s+SSI_CUSTODIAN_URL has no value/);
  });

  test('synth fails on a declared setting whose value its schema refuses, and on a setting nobody declares', () => {
    expect(() => synthesizeSsi({ overrides: { settings: { SSI_CUSTODIAN_URL: 'https://custodian.example', RESERVES_FROM_BLOCK: '-1' } } })).toThrow(/function reserve-publisher cannot run in environment dev:\s+RESERVES_FROM_BLOCK: /);
    expect(() => synthesizeSsi({ overrides: { settings: { SSI_PMM_ENDPOINTS: '[]' } as never } })).toThrow(/settings\.SSI_PMM_ENDPOINTS: not a declared setting/);
  });

  test.each(FUNCTIONS.map((f) => [f.name, f as FunctionSpec] as const))(
    "%s: the local stack's worker environment (functionVariables) is the template's, resource names aside",
    (_name, spec) => {
      const template = templateEnvironment(synth, spec);
      // Resources are named by the deployment (references in the template) and by the local services locally.
      const placeholder = new Proxy({}, { get: (_target, name) => `resource-${String(name)}` });
      const local = functionVariables(spec, settingValues(synth.ssi), 'dev', { tables: placeholder, keys: placeholder, buckets: placeholder } as unknown as ResolvedResources);
      const resourceVariables = new Set([
        ...Object.keys(spec.tables).map((t) => tableEnv(t as never)),
        ...[...spec.keys, ...(spec.publicKeys ?? [])].map((k) => keyEnv(k)),
        ...Object.keys(spec.buckets).map((b) => bucketEnv(b as never)),
      ]);
      expect(Object.keys(local).sort()).toEqual(Object.keys(template).sort());
      const withoutResources = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => !resourceVariables.has(k)));
      expect(withoutResources(local)).toEqual(withoutResources(template));
    },
  );
});
