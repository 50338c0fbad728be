import { z } from 'zod';
import { bucketName, functionSettings, tableName } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { dynamoClient, s3 } from '../shared/aws';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ALARM_METRICS } from '../../topology';
import { Conflict, ConfigError } from '../shared/errors';
import { logger, metrics } from '../shared/observability';
import { EpochCalendar, dayOf } from '../domain/points/calendar';
import { relayerFor } from '../relayer';
import { PointsStore } from '../points/store';
import { closeEpoch, SNAPSHOTS_MISSING } from '../points/epoch-close';
import { S3TreeStorage } from '../points/tree-storage';
import { RelayerRootPublisher } from '../points/distributor';
import { pointsRules } from '../points/settings';

const config = functionSettings('epoch-close');
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
  let waiting: { epoch: number; missing: string[] } | undefined;
  for (const epoch of epochs) {
    let result;
    try {
      result = await closeEpoch(epoch, pool, { store, trees, publisher, calendar, today });
    } catch (error) {
      if (!(error instanceof Conflict && error.code === SNAPSHOTS_MISSING)) throw error;
      // Later epochs close after this one: all of them wait for the snapshots (re-run or backfill the days).
      waiting = error.details as { epoch: number; missing: string[] };
      logger.warn('epoch close waits for missing daily snapshots', waiting);
      break;
    }
    logger.info('epoch closed', { epoch, root: result.record.root, publishTx: result.record.publishTx, unallocated: result.unallocated.toString() });
    closed.push({ epoch, status: result.record.status, root: result.record.root ?? null, publishTx: result.record.publishTx ?? null, unallocated: result.unallocated.toString() });
  }
  // The alarm matches the metric's exact dimensions (ALARM_METRICS): none, so no service dimension.
  const missing = metrics.singleMetric();
  missing.clearDefaultDimensions();
  missing.addMetric(ALARM_METRICS.epochSnapshotsMissing.name, MetricUnit.Count, waiting?.missing.length ?? 0);
  return { today, closed, waiting: waiting ?? null };
});
