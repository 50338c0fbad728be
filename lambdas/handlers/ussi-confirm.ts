import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/aws';
import { tableName } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { confirmPending, type UssiRequest } from '../ussi/confirm';
import { ussiChain } from '../ussi/chain';

const { ussi, address, chainTime } = ussiChain();
const opsTable = tableName('ops');
const CURSOR_KEY = { pk: 'ussi', sk: 'confirm-cursor' };

/** Every minute: confirms pending USSI mints, and redeems the float covers, through the operator relayer. */
export const handler = scheduledHandler(async () => {
  const result = await confirmPending(
    {
      ussi: address,
      requestCount: () => ussi.getFunction('requestCount')() as Promise<bigint>,
      getRequest: async (id) => {
        const r = (await ussi.getFunction('getRequest')(id)) as { requester: string; side: bigint; status: bigint; expiresAt: bigint; asset: string; assetAmount: bigint; ussiAmount: bigint };
        return { requester: r.requester, side: Number(r.side), status: Number(r.status), expiresAt: r.expiresAt, asset: r.asset, assetAmount: r.assetAmount, ussiAmount: r.ussiAmount } as UssiRequest;
      },
      floatOf: (token) => ussi.getFunction('floatOf')(token) as Promise<bigint>,
      chainTime,
      encodeConfirmMint: (id) => ussi.interface.encodeFunctionData('confirmMint', [id]),
      encodeConfirmRedeem: (id) => ussi.interface.encodeFunctionData('confirmRedeem', [id, `0x${'00'.repeat(32)}`]),
      relayer: relayerFor('operator'),
      cursor: {
        get: async () => {
          const { Item } = await dynamo().send(new GetCommand({ TableName: opsTable, Key: CURSOR_KEY }));
          return Item?.next === undefined ? 1n : BigInt(Item.next as string);
        },
        put: async (next) => {
          await dynamo().send(new PutCommand({ TableName: opsTable, Item: { ...CURSOR_KEY, next: String(next), updatedAt: new Date().toISOString() } }));
        },
      },
      log: (message, details) => logger.warn(message, details ?? {}),
    },
    { waitTimeoutMs: 60_000 },
  );
  logger.info('ussi confirmations', { ...result });
  return result;
});
