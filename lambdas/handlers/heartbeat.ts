import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { functionSettings, tableName } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { chainProvider } from '../shared/chain';
import { dynamo } from '../shared/aws';
import { logger } from '../shared/observability';

const config = functionSettings('heartbeat');
const opsTable = tableName('ops');
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);

/** Records the chain head under ops/heartbeat so operators can see schedules run and the chain moves. */
export const handler = scheduledHandler(async (event) => {
  const block = await provider.getBlock('latest');
  if (!block) throw new Error('the chain returned no latest block');
  const item = { pk: 'heartbeat', sk: 'latest', blockNumber: block.number, blockHash: block.hash, scheduledAt: event.time, recordedAt: new Date().toISOString() };
  await dynamo().send(new PutCommand({ TableName: opsTable, Item: item }));
  logger.info('heartbeat', { blockNumber: block.number });
  return item;
});
