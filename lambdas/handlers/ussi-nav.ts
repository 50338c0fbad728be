import { loadSettings } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { sendAndWait } from '../relayer/port';
import { hedgeBookSource, runNavUpdate } from '../domain/ussi-nav';
import { bookFromSnapshot } from '../domain/hedge-book';
import { readNavState } from '../ussi/contract';
import { ussiChain } from '../ussi/chain';
import { hedgeBookAt } from '../ussi/hedge-book-http';

const { ussi, address } = ussiChain();
const config = loadSettings(['USSI_HEDGE_BOOK_URL', 'USSI_NAV_CLAMP']);

const source = hedgeBookSource(async () => {
  const snapshot = await hedgeBookAt(config.USSI_HEDGE_BOOK_URL).snapshot();
  return { book: bookFromSnapshot(snapshot), asOf: snapshot.asOf };
});

/**
 * Scheduled NAV update: reads the contract's NAV and limits at chain time, values the hedge book
 * (equity over supply), and publishes within the contract's bounds through the operator relayer under
 * `ussi:nav:<updatedAt of the NAV it replaces>`, so a retried run never publishes twice on top of the
 * same NAV. Before `minNavInterval` it skips (logged); beyond `maxNavMoveBps` it publishes the bounded
 * step with a warning (USSI_NAV_CLAMP=true) or fails loudly.
 */
export const handler = scheduledHandler(async () => {
  const relayer = relayerFor('operator');
  let replaces = 0n;
  const result = await runNavUpdate(
    {
      readOnChain: async () => {
        const state = await readNavState(ussi);
        replaces = state.onChain.updatedAt;
        return state;
      },
      source,
      publish: async (nav) => {
        const key = `ussi:nav:${replaces}`;
        return (await sendAndWait(relayer, { key, to: address, data: ussi.interface.encodeFunctionData('publishNav', [nav]) }, { timeoutMs: 60_000 })).txHash;
      },
    },
    { clamp: config.USSI_NAV_CLAMP },
  );
  const view = JSON.parse(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
  if (result.action === 'publish' && result.clamped) logger.warn('ussi NAV clamped to the contract bound', view);
  else if (result.action === 'skip') logger.info('ussi NAV update skipped: before minNavInterval', view);
  else logger.info('ussi NAV published', view);
  return view;
});
