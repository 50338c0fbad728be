import { Conflict } from '../shared/errors';
import { EpochCalendar, type Day } from '../domain/points/calendar';
import type { PointsConfig } from '../domain/points/config';
import { dayPoints, type AccountPositions, type Prices } from '../domain/points/rules';
import type { PointsStore, WriteStats } from './store';

/**
 * Where a day's snapshot reads from. The chain reader (positions of every address at the day's
 * pinned block: index tokens held, sTokens, cooldowns, locked LP, staked $SOSO) and the NAV
 * source plug in here once the staking and index contracts exist.
 */
export interface SnapshotSources {
  /** Every address with a position at the day's pinned block. */
  positions(day: Day): Promise<Iterable<AccountPositions>>;
  /** The day's prices: index NAVs, locked tokens, $SOSO. */
  prices(day: Day): Promise<Prices>;
}

export interface SnapshotResult {
  readonly day: Day;
  /** Undefined when the day is in no epoch (nothing recorded). */
  readonly epoch?: number;
  readonly users: number;
  readonly totalPoints: bigint;
  readonly writes?: WriteStats;
}

/**
 * Records one day's points: computes every address's points with referral bonuses and writes
 * them (idempotently: a re-run of the day writes the same items). Refuses days of an epoch that
 * is already closed, whose claims are final.
 */
export async function runSnapshot(day: Day, deps: { store: PointsStore; sources: SnapshotSources; config: PointsConfig }): Promise<SnapshotResult> {
  const calendar = new EpochCalendar(deps.config.epochs);
  const epoch = calendar.epochOf(day);
  if (epoch === undefined) return { day, users: 0, totalPoints: 0n };
  const record = await deps.store.getEpoch(epoch);
  if (record && record.status !== 'open') throw new Conflict(`epoch ${epoch} is ${record.status}; its days cannot change`, 'epoch_closed');
  const [positions, prices, links] = await Promise.all([deps.sources.positions(day), deps.sources.prices(day), deps.store.allReferrals()]);
  const rows = dayPoints(day, positions, prices, links, deps.config);
  const writes = await deps.store.applyDay(rows);
  if (!record) await deps.store.putEpoch({ ...calendar.range(epoch), status: 'open' });
  const totalPoints = rows.reduce((sum, row) => sum + row.total, 0n);
  // Last: the epoch close counts on a day being marked only once all of its points are written.
  await deps.store.markDaySnapshotted(day, rows.length, totalPoints);
  return { day, epoch, users: rows.length, totalPoints, writes };
}
