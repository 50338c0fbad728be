import { z } from 'zod';
import { taskHandler, scheduledEventSchema } from '../shared/http';
import { logger } from '../shared/observability';
import { POINTS_SHARD_SIZE } from '../../topology';
import { addDays, dayOf } from '../domain/points/calendar';
import { planDay, reduceDay, type DayPlan } from './snapshot';
import { snapshotRuntime } from './snapshot-runtime';

const runtime = snapshotRuntime();
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const shardItem = z.object({ day, run: z.string().min(1), shard: z.number().int().nonnegative(), shards: z.number().int().positive() });
const payload = z.discriminatedUnion('phase', [
  // Plan: the execution's input is the scheduled event that started it.
  z.object({ phase: z.literal('plan'), input: scheduledEventSchema.extend({ detail: z.object({ day: day.optional() }).passthrough().default({}) }) }),
  z.object({
    phase: z.literal('reduce'),
    input: z.object({ day, epoch: z.number().int().nullable(), run: z.string(), block: z.number().int(), holders: z.number().int(), shards: z.array(shardItem) }),
  }),
]);

/**
 * The points-snapshot state machine's plan and reduce steps. Plan records the day before the
 * event's time (the run after midnight UTC closes the day that just ended) unless `detail.day`
 * names one, read at the block pinned when it runs; reduce marks the day done once every shard
 * is written.
 */
export const handler = taskHandler(payload, async (task) => {
  if (task.phase === 'plan') {
    const target = task.input.detail.day ?? addDays(dayOf(new Date(task.input.time)), -1);
    const plan = await planDay(target, { ...runtime, shardSize: POINTS_SHARD_SIZE });
    logger.info('points snapshot planned', { day: plan.day, epoch: plan.epoch, block: plan.block, holders: plan.holders, shards: plan.shards.length });
    return plan;
  }
  const result = await reduceDay(task.input as DayPlan, runtime);
  logger.info('points snapshot', { day: result.day, epoch: result.epoch, users: result.users, block: result.block });
  return { day: result.day, epoch: result.epoch ?? null, users: result.users, totalPoints: result.totalPoints.toString(), block: result.block };
});
