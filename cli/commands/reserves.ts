import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, progress, report, type OutputOptions } from '../output';
import { readStackFile } from './stack';
import { keyEnv, tableEnv } from '../../topology';
// These read the environment when first used (relayer, clients), after operatorEnvironment() ran.
import { relayerFor } from '../../lambdas/relayer';
import { dynamo } from '../../lambdas/shared/aws';
import { deploymentSchema, tableName } from '../../lambdas/shared/config';
import { deploymentSettingText } from '../../topology/deployment';
import { ReserveRecords } from '../../lambdas/reserves/store';
import { clearBreaker } from '../../lambdas/reserves/breaker';

interface ClearOptions extends OutputOptions {
  index: string;
  operator?: string;
  data?: string;
}

/**
 * The operator's environment: in AWS the caller sets TABLE_*, KMS_KEY_OPERATOR, SSI_RPC_URL,
 * SSI_CHAIN_ID and SSI_DEPLOYMENT; without them the running local stack's stack.json supplies them.
 */
function operatorEnvironment(dataDir?: string): void {
  if (process.env[tableEnv('ops')] && process.env[keyEnv('operator')] && process.env.SSI_DEPLOYMENT) return;
  const stack = readStackFile(dataDir);
  Object.assign(process.env, {
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodb,
    AWS_ENDPOINT_URL_KMS: stack.kms,
    SSI_RPC_URL: stack.rpc,
    SSI_CHAIN_ID: String(stack.chainId),
    SSI_DEPLOYMENT: readFileSync(stack.deploymentFile, 'utf8'),
    [tableEnv('ops')]: stack.tables.ops,
    [tableEnv('relayer-actions')]: stack.tables['relayer-actions'],
    [tableEnv('relayer-nonces')]: stack.tables['relayer-nonces'],
    [keyEnv('operator')]: stack.keys.operator!.keyId,
  });
}

/** `ssi reserves clear-breaker --index X`: resumes minting of an index the reserve breaker paused. */
export function registerReserves(program: Command): void {
  const reserves = program.command('reserves').description('proof-of-reserve operations');
  reserves
    .command('clear-breaker')
    .description('resume minting of an index whose reserve circuit breaker tripped (sent with the operator KMS key)')
    .requiredOption('--index <symbol>', 'index symbol, e.g. MAG7.ssi')
    .option('--operator <name>', 'who clears it, recorded with the breaker state', process.env.USER ?? 'operator')
    .option('--data <dir>', 'local stack data folder')
    .option('--json', 'machine-readable output')
    .action(async (options: ClearOptions) => {
      operatorEnvironment(options.data);
      const deployment = deploymentSchema.parse(JSON.parse(deploymentSettingText(process.env.SSI_DEPLOYMENT!)));
      const index = deployment.indexes[options.index];
      if (!index) throw new CliError(`unknown index ${options.index}; known: ${Object.keys(deployment.indexes).join(', ')}`);
      progress(`clearing the mint breaker of ${options.index}`);
      const records = new ReserveRecords(dynamo(), tableName('ops'));
      let state;
      try {
        state = await clearBreaker({ relayer: relayerFor('operator'), records, issuer: deployment.contracts.issuer! }, { symbol: options.index, index, operator: options.operator ?? 'operator' });
      } catch (error) {
        throw new CliError(`clearing the breaker failed: ${(error as Error).message}`);
      }
      report(options, { ok: true, breaker: state }, () => [`${options.index}: minting resumed (tx ${state.txHash ?? 'n/a'}), cleared by ${state.clearedBy}`]);
      process.exit(0);
    });
}
