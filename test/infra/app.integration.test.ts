import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { CDK_CONTEXT, temporaryDir } from '../helpers/cdk';

const ROOT = resolve(__dirname, '../..');

/** The CDK app entry (infra/app.ts) run as the CLI runs it, in a child process. */
describe('the CDK app entry', () => {
  test('the app entry refuses an unknown environment with the message and a failing exit code', () => {
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'infra/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_CONTEXT, env: 'staging' }), CDK_OUTDIR: temporaryDir('ssi-cdk-') },
      encoding: 'utf8',
      timeout: 60_000,
    });

    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('unknown environment "staging": pass -c env=<dev|prod>');
  });
});
