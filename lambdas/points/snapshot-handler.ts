import { z } from 'zod';
import { loadConfig, settings, tableName } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { chainProvider } from '../shared/chain';
import { dynamoClient } from '../shared/aws';
import { logger } from '../shared/observability';
import { addDays, dayOf } from '../domain/points/calendar';
import { PointsStore } from './store';
import { runSnapshot } from './snapshot';
import { ChainSnapshotSources } from './chain-sources';
import { configuredPrices, pointsRules, pointsSettings } from './settings';

const config = loadConfig({ SSI_RPC_URL: settings.rpcUrl, SSI_CHAIN_ID: settings.chainId, SSI_DEPLOYMENT: settings.deployment, ...pointsSettings });
const rules = pointsRules(config.SSI_POINTS_CONFIG);
const prices = configuredPrices(config.SSI_REFERENCE_PRICES);
const store = new PointsStore(dynamoClient(), tableName('points'));
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);

const detail = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() });

/**
 * Daily points snapshot. Records the day before the event's time (the run after midnight UTC
 * closes the day that just ended) unless `detail.day` names one, read at the latest block when it
 * runs (the pinned block, also returned). Idempotent: a re-run rewrites the same items.
 */
export const handler = scheduledHandler(async (event) => {
  const day = detail.parse(event.detail).day ?? addDays(dayOf(new Date(event.time)), -1);
  const sources = new ChainSnapshotSources({ provider, deployment: config.SSI_DEPLOYMENT, prices, sosoSymbol: rules.sosoToken });
  const result = await runSnapshot(day, { store, sources, config: rules });
  const block = await sources.blockOf(day);
  logger.info('points snapshot', { day, epoch: result.epoch, users: result.users, block });
  return { day, epoch: result.epoch ?? null, users: result.users, totalPoints: result.totalPoints.toString(), block };
});
