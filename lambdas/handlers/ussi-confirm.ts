import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { confirmPending } from '../ussi/confirm';
import { readRequest } from '../ussi/contract';
import { ussiChain } from '../ussi/chain';
import { opsCursor } from '../ussi/ops-cursor';

const { ussi, address, chainTime } = ussiChain();

/** Every minute: confirms pending USSI mints and redeems (from the float, or payout-pending) through the operator relayer. */
export const handler = scheduledHandler(async () => {
  const result = await confirmPending(
    {
      ussi: address,
      requestCount: () => ussi.getFunction('requestCount')() as Promise<bigint>,
      getRequest: (id) => readRequest(ussi, id),
      floatOf: (token) => ussi.getFunction('floatOf')(token) as Promise<bigint>,
      chainTime,
      encodeConfirmMint: (id) => ussi.interface.encodeFunctionData('confirmMint', [id]),
      encodeConfirmRedeem: (id) => ussi.interface.encodeFunctionData('confirmRedeem', [id, `0x${'00'.repeat(32)}`]),
      encodeMarkPayoutPending: (id) => ussi.interface.encodeFunctionData('markPayoutPending', [id]),
      relayer: relayerFor('operator'),
      cursor: opsCursor('confirm-cursor'),
      log: (message, details) => logger.warn(message, details ?? {}),
    },
    { waitTimeoutMs: 60_000 },
  );
  logger.info('ussi confirmations', { ...result });
  return result;
});
