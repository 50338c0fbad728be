import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, getAddress, keccak256 } from 'ethers';

/**
 * Leaf encoding of the epoch-rewards Merkle tree, shared by the RewardsDistributor contract, the
 * epoch publisher and the tests: OpenZeppelin StandardMerkleTree leaves over (account, cumulativeAmount),
 * i.e. `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`, pairs hashed sorted.
 */
export const REWARDS_LEAF_ENCODING: readonly ['address', 'uint256'] = ['address', 'uint256'];

/** Everything one account was allocated up to and including an epoch (never decreases between epochs). */
export interface RewardAllocation {
  readonly account: string;
  readonly cumulativeAmount: bigint;
}

export type RewardsLeafValue = [account: string, cumulativeAmount: bigint];

export type RewardsTree = StandardMerkleTree<RewardsLeafValue>;

/** The leaf hash the contract computes for (account, cumulativeAmount). */
export function rewardsLeaf(account: string, cumulativeAmount: bigint): string {
  const encoded = AbiCoder.defaultAbiCoder().encode([...REWARDS_LEAF_ENCODING], [account, cumulativeAmount]);
  return keccak256(keccak256(encoded));
}

/**
 * Builds the claim tree of one epoch. Rejects duplicate accounts (compared checksummed) and amounts
 * outside uint256, so a tree can never carry two allocations for one account.
 */
export function buildRewardsTree(allocations: readonly RewardAllocation[]): RewardsTree {
  if (allocations.length === 0) throw new Error('a rewards tree needs at least one allocation');
  const seen = new Set<string>();
  const values: RewardsLeafValue[] = allocations.map(({ account, cumulativeAmount }) => {
    const checksummed = getAddress(account);
    if (seen.has(checksummed)) throw new Error(`duplicate allocation for ${checksummed}`);
    seen.add(checksummed);
    if (cumulativeAmount < 0n || cumulativeAmount >= 2n ** 256n) {
      throw new Error(`cumulative amount of ${checksummed} is outside uint256: ${cumulativeAmount}`);
    }
    return [checksummed, cumulativeAmount];
  });
  return StandardMerkleTree.of(values, [...REWARDS_LEAF_ENCODING]);
}

/** Sum of the cumulative amounts: the `totalCumulative` published with the root. */
export function totalCumulative(allocations: readonly RewardAllocation[]): bigint {
  return allocations.reduce((sum, a) => sum + a.cumulativeAmount, 0n);
}

/** What an account passes to `claim`: its cumulative amount and its proof. */
export interface RewardsClaim {
  readonly cumulativeAmount: bigint;
  readonly proof: string[];
}

/** Every account's claim arguments in `tree`, keyed by checksummed address (one pass, for publishers and APIs). */
export function rewardsClaims(tree: RewardsTree): Map<string, RewardsClaim> {
  const claims = new Map<string, RewardsClaim>();
  for (const [index, [account, cumulativeAmount]] of tree.entries()) {
    claims.set(getAddress(account), { cumulativeAmount: BigInt(cumulativeAmount), proof: tree.getProof(index) });
  }
  return claims;
}

/** The claim arguments of `account` in `tree`; throws when it has no allocation. */
export function rewardsClaim(tree: RewardsTree, account: string): RewardsClaim {
  const wanted = getAddress(account);
  for (const [index, [leafAccount, cumulativeAmount]] of tree.entries()) {
    if (getAddress(leafAccount) === wanted) return { cumulativeAmount: BigInt(cumulativeAmount), proof: tree.getProof(index) };
  }
  throw new Error(`${wanted} has no allocation in this tree`);
}
