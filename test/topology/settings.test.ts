import { encodeDeploymentSetting } from '../../topology/deployment';
import { SETTINGS } from '../../topology/settings';
import { FUNCTIONS, bucketEnv, keyEnv, tableEnv, type FunctionSpec, type ResolvedResources } from '../../topology';
import { functionVariables, settingValues } from '../../infra/settings';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironment, type EnvironmentConfig } from '../../infra/environment';
import { createSsiStacks } from '../../infra/stacks';
import { synthesizeSsi, synthesizeWithContracts, templateEnvironment, testApp, writeDeploymentFixture, type SynthesizedSsi } from '../helpers/cdk';

/*
 * What AWS runs is what the declaration says: synth refuses an environment that leaves a declared
 * setting without a valid value, and the local stack's worker environment is the template's. That
 * each handler starts on that environment is test/lambdas/handlers/environment.integration.test.ts.
 */

/** dev's parameters exactly as cdk.json ships them (plus a deployment record), with `overrides`. */
function synthesizeAsShipped(overrides: Partial<EnvironmentConfig>) {
  const app = testApp({ deploymentFile: writeDeploymentFixture(84532), allowMissingDeployment: false, ...overrides });
  const stacks = createSsiStacks(app, loadEnvironment(app.node));
  app.synth();
  return { stacks };
}

describe('function settings from the synthesized template', () => {
  let synth: SynthesizedSsi;

  beforeAll(() => {
    synth = synthesizeWithContracts();
  });

  test('synth fails, naming the function and the setting, when a required setting has no value in the environment', () => {
    expect(() => synthesizeSsi({ overrides: { points: {} } })).toThrow(/function epoch-close cannot run in environment dev:\s+SSI_EPOCH_POOL has no value/);
  });

  test('synth fails naming the function and the setting when an environment with USSI on gives no hedge-book URL, or no RESERVES_CONFIRMATIONS', () => {
    // cdk.json's dev as shipped turns USSI off; turned on without a venue, USSI's hedge-book readers cannot run.
    expect(() => synthesizeAsShipped({ ussi: true })).toThrow(/function ussi-nav cannot run in environment dev:\s+USSI_HEDGE_BOOK_URL has no value/);
    expect(() => synthesizeAsShipped({ ussi: true, settings: { RESERVES_CONFIRMATIONS: '10', SSI_CUSTODIAN_URL: 'https://custodian.example.com', USSI_HEDGE_BOOK_URL: 'https://venue.example.com' } })).not.toThrow();
    // How deep a reorg goes is the chain's: no default, each environment declares it.
    expect(() => synthesizeAsShipped({ settings: {} })).toThrow(/function reserve-publisher cannot run in environment dev:\s+RESERVES_CONFIRMATIONS has no value/);
  });

  test('synth fails naming custody-watch when the environment gives no custodian URL', () => {
    expect(() => synthesizeAsShipped({ settings: { RESERVES_CONFIRMATIONS: '10' } })).toThrow(/function custody-watch cannot run in environment dev:\s+SSI_CUSTODIAN_URL has no value/);
  });

  test('an environment that turns USSI off (dev as shipped) deploys none of its functions, its route or its schedules, and needs no hedge-book URL', () => {
    const { stacks } = synthesizeAsShipped({});
    const ussiFunctions: string[] = FUNCTIONS.filter((f) => (f as FunctionSpec).product === 'ussi').map((f) => f.name);
    expect(ussiFunctions.sort()).toEqual(['ussi-api', 'ussi-confirm', 'ussi-nav', 'ussi-payout']);
    const deployed = [...Object.keys(stacks.api.functions), ...Object.keys(stacks.schedules.functions)];
    expect(deployed.filter((name) => ussiFunctions.includes(name))).toEqual([]);
    expect(deployed).toEqual(expect.arrayContaining(['quote-api', 'reserve-publisher']));
    const routes = Object.values(Template.fromStack(stacks.api).findResources('AWS::ApiGatewayV2::Route')).map((r) => (r as { Properties: { RouteKey: string } }).Properties.RouteKey);
    expect(routes).toContain('POST /v1/quotes');
    expect(routes.filter((key) => key.includes('/ussi/'))).toEqual([]);
    const rules = Object.values(Template.fromStack(stacks.schedules).findResources('AWS::Events::Rule')).map((r) => (r as { Properties: { Name: string } }).Properties.Name);
    expect(rules).toContain('ssi-dev-reserve-publisher');
    expect(rules.filter((name) => name.includes('ussi'))).toEqual([]);
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

describe('the deployment record in a function environment', () => {
  test('travels deflated, decodes to the same record, and plain JSON (a deploy file) still reads', () => {
    const record = { network: 'base', chainId: 8453, contracts: { issuer: `0x${'1'.repeat(40)}` }, tokens: { USDC: { address: `0x${'2'.repeat(40)}`, decimals: 6 } }, indexes: { 'MAG7.ssi': `0x${'3'.repeat(40)}` }, signers: {} };
    const encoded = encodeDeploymentSetting(record);
    expect(encoded.startsWith('deflate:')).toBe(true);
    expect(SETTINGS.SSI_DEPLOYMENT.schema.parse(encoded)).toEqual(record);
    expect(SETTINGS.SSI_DEPLOYMENT.schema.parse(JSON.stringify(record))).toEqual(record);
    expect(SETTINGS.SSI_DEPLOYMENT.schema.safeParse('deflate:not-deflate').success).toBe(false);
  });
});
