import { FUNCTIONS, bucketEnv, keyEnv, tableEnv, type FunctionSpec, type ResolvedResources } from '../../topology';
import { functionVariables, settingValues } from '../../infra/settings';
import { synthesizeSsi, synthesizeWithContracts, templateEnvironment, type SynthesizedSsi } from '../helpers/cdk';

/*
 * What AWS runs is what the declaration says: synth refuses an environment that leaves a declared
 * setting without a valid value, and the local stack's worker environment is the template's. That
 * each handler starts on that environment is test/lambdas/handlers/environment.integration.test.ts.
 */

describe('function settings from the synthesized template', () => {
  let synth: SynthesizedSsi;

  beforeAll(() => {
    synth = synthesizeWithContracts();
  });

  test('synth fails, naming the function and the setting, when a required setting has no value in the environment', () => {
    expect(() => synthesizeSsi({ overrides: { points: {} } })).toThrow(/function epoch-close cannot run in environment dev:\s+SSI_EPOCH_POOL has no value/);
  });

  test('synth fails on a declared setting whose value its schema refuses, and on a setting nobody declares', () => {
    expect(() => synthesizeSsi({ overrides: { settings: { RESERVES_FROM_BLOCK: '-1' } } })).toThrow(/function reserve-publisher cannot run in environment dev:\s+RESERVES_FROM_BLOCK: /);
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
