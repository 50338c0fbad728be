import { Conflict } from '../shared/errors';
import { EpochCalendar, type Day } from '../domain/points/calendar';
import { settleEpoch } from '../domain/points/settle';
import { keccakReady } from '../domain/crypto/keccak';
import type { StandardTreeDump } from '../domain/merkle/reward-tree';
import type { ClaimRecord, EpochRecord, PointsStore } from './store';

/** Where claim trees are kept (S3 in AWS: the versioned `reports` bucket). */
export interface TreeStorage {
  /** Stores the tree document (streamed JSON) and returns its key. */
  save(epoch: number, root: string, json: Iterable<string>): Promise<string>;
  load(key: string): Promise<StandardTreeDump>;
}

/**
 * Publishes a claim root to the RewardsDistributor (through the KMS relayer); returns the
 * transaction hash. `totalCumulative` is the sum of the tree's cumulative amounts (the distributor
 * refuses it above what it was funded with).
 */
export interface RootPublisher {
  publish(epoch: number, root: string, totalCumulative: bigint): Promise<string>;
}

export interface CloseResult {
  readonly record: EpochRecord;
  /** Units of the pool nobody could receive (no points in the epoch): the caller carries them over. */
  readonly unallocated: bigint;
}

const CLAIM_BATCH = 10_000;

/** The Conflict code of an epoch close that waits for missing daily snapshots. */
export const SNAPSHOTS_MISSING = 'snapshots_missing';

/**
 * Closes an epoch once its last day is over and each of its days has a completed snapshot (else a
 * Conflict `snapshots_missing` naming the days: an epoch closed without a day would leave that
 * day's points unpaid for good). Allocates `pool` by the epoch's points, adds it to the previous
 * epoch's cumulative claims, builds the claim tree, stores it, writes every account's claim
 * (cumulative amount and proof), then publishes the root. Epochs close in order.
 * A re-run is safe: every step is deterministic and an epoch already published is returned as is.
 */
export async function closeEpoch(
  epoch: number,
  pool: bigint,
  deps: { store: PointsStore; trees: TreeStorage; publisher: RootPublisher; calendar: EpochCalendar; today: Day },
): Promise<CloseResult> {
  const { store, calendar } = deps;
  const existing = await store.getEpoch(epoch);
  if (existing?.status === 'published') return { record: existing, unallocated: 0n };
  if (!calendar.isOver(epoch, deps.today)) throw new Conflict(`epoch ${epoch} ends on ${calendar.range(epoch).end}; it cannot close before`, 'epoch_not_over');

  let previous = new Map<string, bigint>();
  if (epoch > calendar.config.first) {
    const before = await store.getEpoch(epoch - 1);
    if (before && before.status !== 'published') throw new Conflict(`epoch ${epoch - 1} is not published yet`, 'previous_epoch_open');
    if (before?.treeKey) {
      const dump = await deps.trees.load(before.treeKey);
      previous = new Map(dump.values.map(({ value: [account, amount] }) => [account.toLowerCase(), BigInt(amount)]));
    }
  }

  const { start, end } = calendar.range(epoch);
  const snapshotted = await store.snapshottedDays(start, end);
  const missing = calendar.days(epoch).filter((day) => !snapshotted.has(day));
  if (missing.length > 0) {
    throw new Conflict(`epoch ${epoch} cannot close: no completed snapshot for ${missing.join(', ')}`, SNAPSHOTS_MISSING, { epoch, missing });
  }
  const points = await store.epochPoints(epoch);
  await keccakReady; // the reward tree's hashes
  const settlement = settleEpoch(epoch, pool, points, previous);
  let totalPoints = 0n;
  for (const value of points.values()) totalPoints += value;
  const base: EpochRecord = { ...calendar.range(epoch), status: 'closed', pool, participants: points.size, totalPoints };
  const tree = settlement.tree;
  if (!tree) {
    const record: EpochRecord = { ...base, status: 'published' };
    await store.putEpoch(record);
    return { record, unallocated: settlement.unallocated };
  }

  const root = tree.root;
  const treeKey = await deps.trees.save(epoch, root, tree.dumpJson());
  for (let start = 0; start < tree.length; start += CLAIM_BATCH) {
    const claims: ClaimRecord[] = [];
    for (let i = start; i < Math.min(tree.length, start + CLAIM_BATCH); i++) {
      const { account, amount } = tree.at(i);
      claims.push({ address: account, epoch, cumulativeAmount: amount, proof: tree.getProof(i), root });
    }
    await store.putClaims(claims);
  }
  await store.putEpoch({ ...base, root, treeKey });
  let totalCumulative = 0n;
  for (const amount of settlement.cumulative.values()) totalCumulative += amount;
  const publishTx = await deps.publisher.publish(epoch, root, totalCumulative);
  const record: EpochRecord = { ...base, status: 'published', root, treeKey, publishTx };
  await store.putEpoch(record);
  return { record, unallocated: settlement.unallocated };
}
