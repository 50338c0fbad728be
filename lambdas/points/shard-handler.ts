import { z } from 'zod';
import { taskHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { shardOwnPoints, shardTotals } from './snapshot';
import { snapshotRuntime } from './snapshot-runtime';

const runtime = snapshotRuntime();
const item = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), run: z.string().min(1), shard: z.number().int().nonnegative(), shards: z.number().int().positive() });
const payload = z.object({ phase: z.enum(['own', 'total']), item });

/** One shard of the points-snapshot state machine: its own points (phase own), then its rows written (phase total). */
export const handler = taskHandler(payload, async ({ phase, item }) => {
  if (phase === 'own') {
    const own = await shardOwnPoints(item, runtime);
    logger.info('points shard own', { ...item, ...own });
    return own;
  }
  const { writes, ...result } = await shardTotals(item, runtime);
  logger.info('points shard totals', { ...item, ...result, items: writes.items, retries: writes.retries });
  return result;
});
