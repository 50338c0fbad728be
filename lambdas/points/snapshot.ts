import { randomUUID } from 'node:crypto';
import { Conflict } from '../shared/errors';
import { EpochCalendar, type Day } from '../domain/points/calendar';
import type { PointsConfig } from '../domain/points/config';
import {
  bonusesFromSums,
  dayRows,
  normalizeAddress,
  pointsForDay,
  referralSums,
  type AccountDayPoints,
  type AccountPositions,
  type Prices,
  type ReferralLink,
} from '../domain/points/rules';
import type { PointsStore, WriteStats } from './store';

/*
 * A day's points snapshot, fanned out over shards of holders (the `points-snapshot` state
 * machine in topology/index.ts runs these phases; `runSnapshot` runs them in one process):
 *
 *   plan   takes the snapshot lease (one run writes at a time: users' epoch totals are read, then
 *          rewritten), pins the day's block, prices it (recording the index NAVs as their history),
 *          lists the holders, splits them into
 *          shards by address (`shardOf`) and writes one holders file per shard;
 *   own    per shard: the holders' positions at the pinned block, their own points, their
 *          referral links (read for these holders only, 100 a request), and their base points
 *          summed per referrer (grouped by the referrer's shard);
 *   total  per shard: own points plus the bonuses of the shard's referrers (from every shard's
 *          sums), written to the points table, then the shard is marked written;
 *   reduce checks every shard of the run is written, marks the day done (last) and gives the
 *          lease back (a failed run gives it back through the state machine's failure step, or
 *          it expires with the execution's timeout).
 *
 * Every phase is a pure function of the plan's files and the pinned block, so re-running any
 * shard, or the whole day, writes the same items: a day is never counted twice (the store keeps
 * each user's epoch total as day -> total). Files live under `days/<day>/<run>/`, the run being
 * the pinned block, so a later run never reads an earlier run's partial results.
 */

/** Where a day's snapshot reads from: the chain (ChainSnapshotSources) or a fixed list (tests, benchmarks). */
export interface SnapshotSources {
  /** The block the day is read at. */
  block(day: Day): Promise<number>;
  /** Every address that may have a position at the block (a superset is fine). */
  holders(day: Day, block: number): Promise<Iterable<string>>;
  /** Positions of these addresses at the block (one entry per address with any position). */
  positions(day: Day, block: number, addresses: readonly string[]): Promise<Iterable<AccountPositions>>;
  /** The day's prices: index NAVs, locked tokens, $SOSO. */
  prices(day: Day, block: number): Promise<Prices>;
}

/** The working files of snapshot runs (S3 `points-work` in a deployment). */
export interface SnapshotFiles {
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string>;
}

/** One shard's work item: what the Map state hands each shard worker. */
export interface ShardItem {
  readonly day: Day;
  readonly run: string;
  /** The snapshot lease's holder: the run's execution. */
  readonly lease: string;
  readonly shard: number;
  readonly shards: number;
}

export interface DayPlan {
  readonly day: Day;
  readonly lease: string;
  /** Null when the day is in no epoch: nothing is recorded and `shards` is empty. */
  readonly epoch: number | null;
  readonly run: string;
  readonly block: number;
  readonly holders: number;
  readonly shards: readonly ShardItem[];
}

export interface ShardResult {
  readonly shard: number;
  readonly users: number;
  readonly totalPoints: string;
}

export interface SnapshotResult {
  readonly day: Day;
  /** Undefined when the day is in no epoch (nothing recorded). */
  readonly epoch?: number;
  readonly users: number;
  readonly totalPoints: bigint;
  readonly block?: number;
  readonly writes?: WriteStats;
}

export interface PhaseDeps {
  readonly store: PointsStore;
  readonly files: SnapshotFiles;
  readonly config: PointsConfig;
}

/** The shard of an address among `shards`: its first four bytes, so it never depends on the holder list. */
export function shardOf(address: string, shards: number): number {
  return parseInt(normalizeAddress(address).slice(2, 10), 16) % shards;
}

const folder = (day: Day, run: string) => `days/${day}/${run}`;
const planKey = (day: Day, run: string) => `${folder(day, run)}/plan.json`;
const holdersKey = (item: ShardItem) => `${folder(item.day, item.run)}/holders/${item.shard}.json`;
const ownKey = (item: ShardItem) => `${folder(item.day, item.run)}/own/${item.shard}.json`;
const sumsKey = (day: Day, run: string, shard: number) => `${folder(day, run)}/referral-sums/${shard}.json`;

interface PlanFile {
  day: Day;
  epoch: number;
  block: number;
  shards: number;
  prices: Array<[string, string, number]>;
}
interface HoldersFile {
  addresses: string[];
}
type OwnFile = Array<[string, string, string, string]>; // address, base, boost, points
type SumsFile = Record<string, Array<[string, string]>>; // referrer shard -> [referrer, sum]

async function readJson<T>(files: SnapshotFiles, key: string): Promise<T> {
  return JSON.parse(await files.get(key)) as T;
}

function groupBy<T>(items: Iterable<T>, shards: number, key: (item: T) => string): T[][] {
  const groups = Array.from({ length: shards }, () => [] as T[]);
  for (const item of items) groups[shardOf(key(item), shards)]!.push(item);
  return groups;
}

/**
 * Plans a day: refuses days of an epoch that is already closed (its claims are final), pins the
 * block, writes the prices and one holders file per shard of at most about `shardSize` holders.
 */
export async function planDay(day: Day, deps: PhaseDeps & { sources: SnapshotSources; shardSize: number; lease: string; leaseSeconds: number }): Promise<DayPlan> {
  const calendar = new EpochCalendar(deps.config.epochs);
  const epoch = calendar.epochOf(day);
  const { lease } = deps;
  if (epoch === undefined) return { day, lease, epoch: null, run: '-', block: 0, holders: 0, shards: [] };
  const record = await deps.store.getEpoch(epoch);
  if (record && record.status !== 'open') throw new Conflict(`epoch ${epoch} is ${record.status}; its days cannot change`, 'epoch_closed');
  await deps.store.takeSnapshotLease(lease, Math.floor(Date.now() / 1000) + deps.leaseSeconds);
  const block = await deps.sources.block(day);
  const run = String(block);
  const holders = [...new Set([...(await deps.sources.holders(day, block))].map(normalizeAddress))].sort();
  const shards = Math.max(1, Math.ceil(holders.length / deps.shardSize));
  const prices = await deps.sources.prices(day, block);
  const plan: PlanFile = { day, epoch, block, shards, prices: [...prices].map(([key, p]) => [key, p.usd.toString(), p.decimals]) };
  const holdersByShard = groupBy(holders, shards, (a) => a);
  const items: ShardItem[] = Array.from({ length: shards }, (_, shard) => ({ day, run, lease, shard, shards }));
  await Promise.all(items.map((item) => deps.files.put(holdersKey(item), JSON.stringify({ addresses: holdersByShard[item.shard]! } satisfies HoldersFile))));
  // The plan last: a run whose plan exists has all of its holders files.
  await deps.files.put(planKey(day, run), JSON.stringify(plan));
  // The work files expire; the day's index NAVs at the pinned block are kept as the indexes' live history.
  await deps.store.putIndexNavs([...prices].filter(([, p]) => p.index).map(([index, p]) => ({ index, day, block, navUsd: p.usd })));
  if (!record) await deps.store.putEpoch({ ...calendar.range(epoch), status: 'open' });
  return { day, lease, epoch, run, block, holders: holders.length, shards: items };
}

function pricesOf(plan: PlanFile): Prices {
  return new Map(plan.prices.map(([key, usd, decimals]) => [key, { usd: BigInt(usd), decimals }]));
}

/** Own points of one shard's holders, and their base points summed per referrer (by the referrer's shard). */
export async function shardOwnPoints(item: ShardItem, deps: PhaseDeps & { sources: SnapshotSources }): Promise<{ holders: number; accounts: number }> {
  const [plan, holders] = await Promise.all([readJson<PlanFile>(deps.files, planKey(item.day, item.run)), readJson<HoldersFile>(deps.files, holdersKey(item))]);
  const positions = [...(await deps.sources.positions(item.day, plan.block, holders.addresses))];
  const asked = new Set(holders.addresses);
  for (const p of positions) {
    if (!asked.has(normalizeAddress(p.address))) throw new RangeError(`positions for ${p.address}, which shard ${item.shard} did not ask for`);
  }
  const own = pointsForDay(positions, pricesOf(plan), deps.config);
  // Only the links of this shard's holders: the referral set is never loaded whole.
  const links = await deps.store.referralsOf(holders.addresses);
  const sums = referralSums(item.day, { get: (address) => own.get(address)?.base }, links, deps.config);
  const byShard: SumsFile = {};
  for (const [referrer, sum] of sums) (byShard[shardOf(referrer, item.shards)] ??= []).push([referrer, sum.toString()]);
  const ownFile: OwnFile = [...own.values()].map((p) => [p.address, p.base.toString(), p.boost.toString(), p.points.toString()]);
  await Promise.all([deps.files.put(ownKey(item), JSON.stringify(ownFile)), deps.files.put(sumsKey(item.day, item.run, item.shard), JSON.stringify(byShard))]);
  return { holders: holders.addresses.length, accounts: own.size };
}

/** One shard's rows (own points plus its referrers' bonuses from every shard's sums), written, then the shard marked. */
export async function shardTotals(item: ShardItem, deps: PhaseDeps): Promise<ShardResult & { writes: WriteStats }> {
  const plan = await readJson<PlanFile>(deps.files, planKey(item.day, item.run));
  const ownFile = await readJson<OwnFile>(deps.files, ownKey(item));
  const own = new Map<string, Pick<AccountDayPoints, 'base' | 'boost' | 'points'>>(
    ownFile.map(([address, base, boost, points]) => [address, { base: BigInt(base), boost: BigInt(boost), points: BigInt(points) }]),
  );
  const sums = new Map<string, bigint>();
  const files = await Promise.all(Array.from({ length: item.shards }, (_, shard) => readJson<SumsFile>(deps.files, sumsKey(item.day, item.run, shard))));
  for (const file of files) {
    for (const [referrer, sum] of file[String(item.shard)] ?? []) sums.set(referrer, (sums.get(referrer) ?? 0n) + BigInt(sum));
  }
  const rows = dayRows(item.day, plan.epoch, own, bonusesFromSums(sums, deps.config), deps.config);
  // A shard of a run that lost the lease (the run failed and gave it back, or it expired) must not write.
  await deps.store.confirmSnapshotLease(item.lease);
  const writes = await deps.store.applyDay(rows);
  const totalPoints = rows.reduce((sum, row) => sum + row.total, 0n);
  // Last: the reduce step counts on a shard being marked only once all of its rows are written.
  await deps.store.markShardWritten(item.day, item.run, item.shard, rows.length, totalPoints);
  return { shard: item.shard, users: rows.length, totalPoints: totalPoints.toString(), writes };
}

/** Marks the day done once every shard of the run is written, then gives the lease back; refuses (naming them) while any shard is missing. */
export async function reduceDay(plan: DayPlan, deps: Pick<PhaseDeps, 'store'>): Promise<SnapshotResult> {
  if (plan.epoch === null) return { day: plan.day, users: 0, totalPoints: 0n };
  const written = await deps.store.shardsWritten(plan.day, plan.run);
  const missing = plan.shards.filter((s) => !written.has(s.shard)).map((s) => s.shard);
  if (missing.length) throw new Error(`snapshot ${plan.day} run ${plan.run}: shards ${missing.join(', ')} of ${plan.shards.length} are not written`);
  let users = 0;
  let totalPoints = 0n;
  for (const shard of written.values()) {
    users += shard.users;
    totalPoints += shard.totalPoints;
  }
  await deps.store.markDaySnapshotted(plan.day, users, totalPoints);
  await deps.store.releaseSnapshotLease(plan.lease);
  return { day: plan.day, epoch: plan.epoch, users, totalPoints, block: plan.block };
}

/** Snapshot files in memory, for a snapshot run in one process. */
export class MemorySnapshotFiles implements SnapshotFiles {
  readonly files = new Map<string, string>();
  async put(key: string, body: string): Promise<void> {
    this.files.set(key, body);
  }
  async get(key: string): Promise<string> {
    const body = this.files.get(key);
    if (body === undefined) throw new Error(`no snapshot file ${key}`);
    return body;
  }
}

/**
 * Records one day's points in this process, through the same phases the state machine runs
 * (shards one after another). Idempotent: a re-run of the day writes the same items.
 */
export async function runSnapshot(
  day: Day,
  deps: { store: PointsStore; sources: SnapshotSources; config: PointsConfig; files?: SnapshotFiles; shardSize?: number },
): Promise<SnapshotResult> {
  const phase = { ...deps, files: deps.files ?? new MemorySnapshotFiles() };
  const lease = `in-process:${randomUUID()}`;
  try {
    const plan = await planDay(day, { ...phase, shardSize: deps.shardSize ?? Number.MAX_SAFE_INTEGER, lease, leaseSeconds: 3600 });
    if (plan.epoch === null) return { day, users: 0, totalPoints: 0n };
    const writes: WriteStats = { items: 0, requests: 0, retries: 0 };
    for (const item of plan.shards) await shardOwnPoints(item, phase);
    for (const item of plan.shards) {
      const shard = await shardTotals(item, phase);
      writes.items += shard.writes.items;
      writes.requests += shard.writes.requests;
      writes.retries += shard.writes.retries;
    }
    const result = await reduceDay(plan, phase);
    return { ...result, writes };
  } finally {
    await deps.store.releaseSnapshotLease(lease);
  }
}

/** Sources over a fixed list of positions per day (tests, benchmarks): every listed address is a holder. */
export function listedSources(list: { positions(day: Day): Promise<Iterable<AccountPositions>>; prices(day: Day): Promise<Prices>; block?: number }): SnapshotSources {
  return {
    block: async () => list.block ?? 0,
    holders: async (day) => [...(await list.positions(day))].map((p) => p.address),
    positions: async (day, _block, addresses) => {
      const wanted = new Set(addresses.map(normalizeAddress));
      return [...(await list.positions(day))].filter((p) => wanted.has(normalizeAddress(p.address)));
    },
    prices: (day) => list.prices(day),
  };
}
