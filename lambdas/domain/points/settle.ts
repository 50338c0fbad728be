import { RewardMerkleTree } from '../merkle/reward-tree';
import { accumulate, allocate } from './allocation';

/** What closing an epoch produces, before anything is stored or published. */
export interface EpochSettlement {
  readonly epoch: number;
  readonly pool: bigint;
  /** This epoch's allocation per account (sums to `pool` unless nobody earned points). */
  readonly allocation: ReadonlyMap<string, bigint>;
  /** What no one could receive (the whole pool when nobody earned points): carried over by the caller. */
  readonly unallocated: bigint;
  /** Cumulative claimable amount per account after this epoch: the claim tree's leaves. */
  readonly cumulative: ReadonlyMap<string, bigint>;
  /** Claim tree over `cumulative`, leaves in address order; undefined while nobody has anything. */
  readonly tree: RewardMerkleTree | undefined;
}

/**
 * Closes an epoch: allocates `pool` by points, adds it to the previous epochs' cumulative
 * amounts and builds the claim tree. Pure and deterministic: the same inputs give the same root.
 */
export function settleEpoch(
  epoch: number,
  pool: bigint,
  points: ReadonlyMap<string, bigint>,
  previousCumulative: ReadonlyMap<string, bigint>,
): EpochSettlement {
  const allocation = allocate(pool, points);
  let allocated = 0n;
  for (const amount of allocation.values()) allocated += amount;
  const cumulative = accumulate(previousCumulative, allocation);
  const accounts = [...cumulative.keys()].sort();
  const tree = accounts.length
    ? RewardMerkleTree.fromArrays(
        accounts,
        accounts.map((account) => cumulative.get(account) as bigint),
      )
    : undefined;
  return { epoch, pool, allocation, unallocated: pool - allocated, cumulative, tree };
}
