import { z } from 'zod';
import { bucketName, loadConfig, settings, tableName } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { dynamoClient, s3 } from '../shared/aws';
import { ConfigError } from '../shared/errors';
import { logger } from '../shared/observability';
import { EpochCalendar, dayOf } from '../domain/points/calendar';
import { relayerFor } from '../relayer';
import { PointsStore } from './store';
import { closeEpoch } from './epoch-close';
import { S3TreeStorage } from './tree-storage';
import { RelayerRootPublisher } from './distributor';
import { pointsRules, pointsSettings } from './settings';

const config = loadConfig({ SSI_DEPLOYMENT: settings.deployment, ...pointsSettings });
const rules = pointsRules(config.SSI_POINTS_CONFIG);
const calendar = new EpochCalendar(rules.epochs);
const store = new PointsStore(dynamoClient(), tableName('points'));
const trees = new S3TreeStorage(s3(), bucketName('reports'));
const distributor = config.SSI_DEPLOYMENT.contracts.rewardsDistributor;
if (!distributor) throw new ConfigError('the deployment has no rewardsDistributor');
if (config.SSI_EPOCH_POOL === undefined) throw new ConfigError('SSI_EPOCH_POOL (reward base units per epoch) is not set');
const pool = BigInt(config.SSI_EPOCH_POOL);

const detail = z.object({ epoch: z.coerce.number().int().min(0).optional() });

/**
 * Closes epochs: with `detail.epoch`, that one (on demand); otherwise every epoch that is over and
 * not yet published, oldest first (the daily schedule). Each close allocates the pool, stores the
 * tree in S3, the claims in the points table, and publishes the root through the rewards relayer
 * (key `rewards-root:<epoch>`), waiting for it to be mined.
 */
export const handler = scheduledHandler(async (event) => {
  const today = dayOf(new Date(event.time));
  const wanted = detail.parse(event.detail).epoch;
  const published = new Set((await store.listEpochs()).filter((r) => r.status === 'published').map((r) => r.epoch));
  const epochs = wanted !== undefined ? [wanted] : calendar.startedBy(today).map((r) => r.epoch).filter((e) => calendar.isOver(e, today) && !published.has(e));
  const publisher = new RelayerRootPublisher(relayerFor('rewards'), distributor);
  const closed = [];
  for (const epoch of epochs) {
    const result = await closeEpoch(epoch, pool, { store, trees, publisher, calendar, today });
    logger.info('epoch closed', { epoch, root: result.record.root, publishTx: result.record.publishTx, unallocated: result.unallocated.toString() });
    closed.push({ epoch, status: result.record.status, root: result.record.root ?? null, publishTx: result.record.publishTx ?? null, unallocated: result.unallocated.toString() });
  }
  return { today, closed };
});
