import { z } from 'zod';
import { scheduledEventSchema } from '../shared/http';
import { logger } from '../shared/observability';
import { POINTS_SHARD_SIZE, STATE_MACHINES } from '../../topology';
import { addDays, dayOf } from '../domain/points/calendar';
import { planDay, reduceDay, shardOwnPoints, shardTotals, type DayPlan, type PhaseDeps, type SnapshotSources } from './snapshot';

/*
 * The points-snapshot state machine's task payloads (topology STATE_MACHINES: each step's payload
 * plus `input` or `item`) and what each does. The two handlers only parse and call these, so the
 * state machine's tests drive exactly what the functions run.
 */

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const execution = z.string().min(1);
const shardItem = z.object({ day, run: z.string().min(1), lease: z.string().min(1), shard: z.number().int().nonnegative(), shards: z.number().int().positive() });

export const snapshotTask = z.discriminatedUnion('phase', [
  // Plan: the execution's input is the scheduled event that started it.
  z.object({ phase: z.literal('plan'), execution, input: scheduledEventSchema.extend({ detail: z.object({ day: day.optional() }).passthrough().default({}) }) }),
  z.object({
    phase: z.literal('reduce'),
    execution,
    input: z.object({ day, lease: z.string(), epoch: z.number().int().nullable(), run: z.string(), block: z.number().int(), holders: z.number().int(), shards: z.array(shardItem) }),
  }),
  // The state machine's failure step: whatever failed, this execution's lease goes back.
  z.object({ phase: z.literal('release'), execution, input: z.object({ failure: z.object({ Error: z.string(), Cause: z.string() }).partial().optional() }).passthrough() }),
]);
export const shardTask = z.object({ phase: z.enum(['own', 'total']), execution, item: shardItem });

export type SnapshotDeps = PhaseDeps & { sources: SnapshotSources; shardSize?: number };

/** The lease lasts as long as the execution may: a run that dies without giving it back blocks the next only until then. */
const LEASE_SECONDS = STATE_MACHINES.find((m) => m.name === 'points-snapshot')!.timeoutSeconds;

/**
 * points-snapshot: plan records the day before the event's time (the run after midnight UTC
 * closes the day that just ended) unless `detail.day` names one, read at the block pinned when it
 * runs; reduce marks the day done once every shard is written; release gives a failed
 * execution's lease back.
 */
export async function runSnapshotTask(task: z.infer<typeof snapshotTask>, deps: SnapshotDeps) {
  if (task.phase === 'plan') {
    const target = task.input.detail.day ?? addDays(dayOf(new Date(task.input.time)), -1);
    const plan = await planDay(target, { ...deps, shardSize: deps.shardSize ?? POINTS_SHARD_SIZE, lease: task.execution, leaseSeconds: LEASE_SECONDS });
    logger.info('points snapshot planned', { day: plan.day, epoch: plan.epoch, block: plan.block, holders: plan.holders, shards: plan.shards.length });
    return plan;
  }
  if (task.phase === 'release') {
    await deps.store.releaseSnapshotLease(task.execution);
    logger.warn('points snapshot failed; lease released', { execution: task.execution, failure: task.input.failure });
    return { released: task.execution };
  }
  const result = await reduceDay(task.input as DayPlan, deps);
  logger.info('points snapshot', { day: result.day, epoch: result.epoch, users: result.users, block: result.block });
  return { day: result.day, epoch: result.epoch ?? null, users: result.users, totalPoints: result.totalPoints.toString(), block: result.block };
}

/** points-shard: one shard's own points (phase own), then its rows written (phase total). */
export async function runShardTask({ phase, item }: z.infer<typeof shardTask>, deps: SnapshotDeps) {
  if (phase === 'own') {
    const own = await shardOwnPoints(item, deps);
    logger.info('points shard own', { ...item, ...own });
    return own;
  }
  const { writes, ...result } = await shardTotals(item, deps);
  logger.info('points shard totals', { ...item, ...result, items: writes.items, retries: writes.retries });
  return result;
}
