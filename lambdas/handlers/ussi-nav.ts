import { loadSettings } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { sendAndWait } from '../relayer/port';
import { driftNavSource, runNavUpdate } from '../domain/ussi-nav';
import { readNavState } from '../ussi/contract';
import { ussiChain } from '../ussi/chain';

const { ussi, address } = ussiChain();
const config = loadSettings(['USSI_NAV_SOURCE', 'USSI_NAV_DRIFT_BPS', 'USSI_NAV_CLAMP']);
const source = driftNavSource(config.USSI_NAV_DRIFT_BPS);

/**
 * Scheduled NAV update: reads the contract's NAV and limits at chain time, asks the source, and
 * publishes through the operator relayer under `ussi:nav:<updatedAt of the NAV it replaces>`, so a
 * retried run never publishes twice on top of the same NAV.
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
  if (result.action === 'publish' && result.clamped) logger.warn('ussi NAV clamped', view);
  else logger.info('ussi NAV update', view);
  return view;
});
