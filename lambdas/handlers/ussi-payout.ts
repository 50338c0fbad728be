import { loadSettings } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { readRequest } from '../ussi/contract';
import { ussiChain } from '../ussi/chain';
import { hedgeBookAt } from '../ussi/hedge-book-http';
import { opsCursor } from '../ussi/ops-cursor';
import { trackPayouts } from '../ussi/payouts';

const { ussi, address, chainTime, deployment, config: chain } = ussiChain();
const config = loadSettings(['USSI_HEDGE_BOOK_URL']);

const symbols = new Map(Object.entries(deployment.tokens).map(([symbol, token]) => [token.address.toLowerCase(), symbol]));

/** Every minute: has the hedge book pay payout-pending redeems and records each payout's transaction on chain. */
export const handler = scheduledHandler(async () => {
  const result = await trackPayouts(
    {
      ussi: address,
      chainId: chain.SSI_CHAIN_ID,
      requestCount: () => ussi.getFunction('requestCount')() as Promise<bigint>,
      getRequest: (id) => readRequest(ussi, id),
      chainTime,
      assetSymbol: (token) => symbols.get(token),
      book: hedgeBookAt(config.USSI_HEDGE_BOOK_URL),
      encodeRecordPayout: (id, txHash) => ussi.interface.encodeFunctionData('recordPayout', [id, txHash]),
      relayer: relayerFor('operator'),
      cursor: opsCursor('payout-cursor'),
      log: (message, details) => logger.error(message, details ?? {}),
    },
    { waitTimeoutMs: 60_000 },
  );
  logger.info('ussi payouts', { ...result });
  return result;
});
