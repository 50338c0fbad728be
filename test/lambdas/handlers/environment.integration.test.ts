import { resolve } from 'node:path';
import { FUNCTIONS, type FunctionSpec } from '../../../topology';
import { withLocalOverrides, type LocalOverride } from '../../../infra/local/template-environment';
import { FUNCTION_SETTINGS } from '../../../topology/settings';
import { synthesizeWithContracts, templateEnvironment, type SynthesizedSsi } from '../../helpers/cdk';

/*
 * What AWS runs is what the declaration says: every function's environment, as the synthesized
 * template gives it, is enough for its handler to start, and a handler reading a setting its
 * declaration lacks fails to start (so dropping a setting from topology/settings.ts fails here,
 * naming it). Only endpoint overrides are added, as the local stack adds them. Starting a handler
 * starts its clients and background reads, hence an integration test.
 */

/** What the local stack adds to a function's environment (LOCAL_OVERRIDES): where the AWS services and the chain are. */
const LOCAL_ENDPOINT_OVERRIDES = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
  SSI_S3_FORCE_PATH_STYLE: 'true',
} satisfies Partial<Record<LocalOverride, string>>;

describe('each handler starts on the environment the synthesized template gives its function', () => {
  let synth: SynthesizedSsi;
  // Price sources the handlers start read S3 in the background; let those reads fail before teardown.
  afterAll(() => new Promise((resolve) => setTimeout(resolve, 1500)));

  beforeAll(() => {
    synth = synthesizeWithContracts();
  });

  test.each(FUNCTIONS.map((f) => [f.name, f as FunctionSpec] as const))('%s starts with only the template environment and endpoint overrides', (name, spec) => {
    const env = withLocalOverrides(spec.name, templateEnvironment(synth, spec), LOCAL_ENDPOINT_OVERRIDES);
    const declared: readonly string[] = FUNCTION_SETTINGS[spec.name as keyof typeof FUNCTION_SETTINGS];
    const settings = Object.keys(env).filter((k) => k.startsWith('SSI_') || k.startsWith('RELAYER_') || k.startsWith('RESERVES_') || k.startsWith('USSI_'));
    expect(settings.filter((k) => !(k in LOCAL_ENDPOINT_OVERRIDES) && !declared.includes(k))).toEqual([]);

    const saved = process.env;
    process.env = env;
    try {
      jest.isolateModules(() => {
        const mod = require(resolve(__dirname, '../../..', spec.entry)) as { handler?: unknown };
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
      expect(() => jest.isolateModules(() => require(resolve(__dirname, '../../../lambdas/handlers/reserve-publisher.ts')))).toThrow(
        /function heartbeat reads .*RESERVES_FROM_BLOCK.*, which topology\/settings.ts does not declare for it/,
      );
    } finally {
      process.env = saved;
    }
  });
});
