import { writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { cdkJsonContext, environmentContextKey, loadEnvironment, loadLocalEnvironment, LOCAL_ENVIRONMENT_KEY, type EnvironmentName } from '../../infra/environment';
import { settingValues, settingsFor } from '../../infra/settings';
import { CDK_CONTEXT, temporaryDir, writeDeploymentFixture } from '../helpers/cdk';

const ROOT = resolve(__dirname, '../..');
const devParameters = CDK_CONTEXT[environmentContextKey('dev')] as Record<string, unknown>;
const prodParameters = CDK_CONTEXT[environmentContextKey('prod')] as Record<string, unknown>;

/** Context as the CLI would pass it: cdk.json's, the environment name, and parameter overrides. */
function context(env: unknown, overrides: Record<string, unknown> = {}, name: EnvironmentName = 'dev') {
  const values: Record<string, unknown> = {
    ...CDK_CONTEXT,
    env,
    [environmentContextKey(name)]: { ...(name === 'dev' ? devParameters : prodParameters), ...overrides },
  };
  return { tryGetContext: (key: string) => values[key] };
}

const failure = (load: () => unknown): string => {
  try {
    load();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the environment loaded');
};

describe('environment parameters', () => {
  test('cdk.json makes dev the default and dev synthesizes before its contracts are deployed', () => {
    const ssi = loadEnvironment(context(CDK_CONTEXT.env), temporaryDir('ssi-clean-clone-'));

    expect(ssi.name).toBe('dev');
    expect(ssi.deploymentFound).toBe(false);
    expect(ssi.deployment).toEqual({ network: `chain-${devParameters.chainId}`, chainId: devParameters.chainId, contracts: {}, tokens: {}, indexes: {}, signers: {} });
  });

  test('an environment name other than dev or prod is refused with the flag to pass', () => {
    expect(failure(() => loadEnvironment(context('staging')))).toBe('unknown environment "staging": pass -c env=<dev|prod> (cdk.json defaults to dev)');
    expect(failure(() => loadEnvironment(context(undefined)))).toMatch(/^unknown environment undefined/);
  });

  test('every invalid parameter is reported at once under its context key', () => {
    const message = failure(() =>
      loadEnvironment(context('dev', { rpcUrl: 'localhost', logRetentionDays: 13, api: { rateLimit: -1, burstLimit: 5 }, alarmEmail: 'ops', colour: 'blue' })),
    );

    expect(message).toMatch(/^invalid parameters for environment dev:/);
    expect(message).toContain('ssi:environment:dev.rpcUrl: Invalid url');
    expect(message).toContain('ssi:environment:dev.logRetentionDays: must be one of 1, 3, 5, 7, 14');
    expect(message).toContain('ssi:environment:dev.api.rateLimit:');
    expect(message).toContain('ssi:environment:dev.alarmEmail: Invalid email');
    expect(message).toContain("Unrecognized key(s) in object: 'colour'");
  });

  test('an environment without parameters says where to add them', () => {
    const values: Record<string, unknown> = { env: 'prod' };

    expect(failure(() => loadEnvironment({ tryGetContext: (key) => values[key] }))).toBe('no parameters for environment prod: add "ssi:environment:prod" to the context in cdk.json');
  });

  test('a missing deployment record stops the synth unless the environment allows it', () => {
    const missing = join(temporaryDir('ssi-'), 'absent.json');

    expect(failure(() => loadEnvironment(context('dev', { deploymentFile: missing, allowMissingDeployment: false })))).toContain(
      `ssi:environment:dev.deploymentFile: ${missing} does not exist: deploy the contracts first`,
    );
  });

  test('a deployment record for another chain, or not a record at all, is refused', () => {
    const otherChain = writeDeploymentFixture(1);
    const garbage = join(temporaryDir('ssi-'), 'garbage.json');
    writeFileSync(garbage, '{"network": 5}');

    expect(failure(() => loadEnvironment(context('dev', { deploymentFile: otherChain })))).toContain(`the record is for chain 1 but ssi:environment:dev.chainId is ${devParameters.chainId}`);
    expect(failure(() => loadEnvironment(context('dev', { deploymentFile: garbage })))).toContain(`${garbage}: not a deployment record: network: Expected string`);
  });

  test('a deployment record is read relative to the repository root and checked against the chain', () => {
    const record = writeDeploymentFixture(84532, { 'MEME.ssi': '0xdd3acDBDc7b358Df453a6CB6bCA56C92aA5743aA' });
    const ssi = loadEnvironment(context('dev', { deploymentFile: basename(record), allowMissingDeployment: false }), dirname(record));

    expect(ssi.deploymentFound).toBe(true);
    expect(ssi.deployment.indexes).toEqual({ 'MEME.ssi': '0xdd3acDBDc7b358Df453a6CB6bCA56C92aA5743aA' });
  });

  test('prod as shipped in cdk.json asks for its alarm address and its deployment record, and loads once given both', () => {
    const message = failure(() => loadEnvironment(context('prod', {}, 'prod'), ROOT));

    expect(message).toContain('ssi:environment:prod.alarmEmail: prod alarms must reach someone');
    expect(message).toContain(`ssi:environment:prod.deploymentFile: ${join(ROOT, String(prodParameters.deploymentFile))} does not exist`);
    expect(failure(() => loadEnvironment(context('prod', { allowMissingDeployment: true }, 'prod')))).toContain('prod.allowMissingDeployment: prod needs its real deployment record');
    const ssi = loadEnvironment(context('prod', { alarmEmail: 'ops@example.com', deploymentFile: writeDeploymentFixture(8453) }, 'prod'));
    expect(ssi.config.terminationProtection).toBe(true);
    expect(ssi.config.reportRetention.mode).toBe('COMPLIANCE');
  });

  test('every environment declares its settings the same way: dev and prod in cdk.json pin reports 10 blocks deep and turn USSI off (no hedge-book venue), the local stack pins the head of its chain', () => {
    for (const name of ['dev', 'prod'] as const) {
      const ssi = loadEnvironment(context(name, { alarmEmail: 'ops@example.com', deploymentFile: writeDeploymentFixture(name === 'dev' ? 84532 : 8453) }, name));
      expect(settingsFor('reserve-publisher', settingValues(ssi), name)).toMatchObject({ RESERVES_CONFIRMATIONS: '10' });
      // Either USSI runs with its venue or it is off: never on without the hedge book it reads.
      expect(ssi.config.ussi ? ssi.config.settings.USSI_HEDGE_BOOK_URL : 'off').toBe('off');
    }
    const local = loadLocalEnvironment(cdkJsonContext(ROOT));
    expect(local.settings).toMatchObject({ RESERVES_CONFIRMATIONS: '0' });
    expect(local.ussi).toBe(true);
    expect(failure(() => loadLocalEnvironment({ tryGetContext: (key) => (key === LOCAL_ENVIRONMENT_KEY ? { settings: { RESERVES_CONFIRMATIONS: '0' }, rpcUrl: 'x' } : undefined) }))).toContain(
      "invalid parameters for the local stack:\n  ssi:environment:local: Unrecognized key(s) in object: 'rpcUrl'",
    );
    expect(failure(() => loadLocalEnvironment({ tryGetContext: () => undefined }))).toBe('no parameters for the local stack: add "ssi:environment:local" to the context in cdk.json');
  });

});
