import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, keccak256 } from 'ethers';
import {
  REWARDS_LEAF_ENCODING,
  buildRewardsTree,
  rewardsClaim,
  rewardsClaims,
  rewardsLeaf,
  totalCumulative,
} from '../../../lambdas/domain/rewards-leaf';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const CAROL = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';

describe('rewards leaf encoding', () => {
  it('is the double keccak of abi.encode(address, uint256), as StandardMerkleTree hashes leaves', () => {
    const encoded = AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [ALICE, 123n]);
    const tree = StandardMerkleTree.of([[ALICE, 123n]], [...REWARDS_LEAF_ENCODING]);

    expect(rewardsLeaf(ALICE, 123n)).toBe(keccak256(keccak256(encoded)));
    expect(rewardsLeaf(ALICE, 123n)).toBe(tree.leafHash([ALICE, 123n]));
  });

  it('builds a tree whose proofs verify for every account, with the total of all allocations', () => {
    const allocations = [
      { account: ALICE, cumulativeAmount: 10n },
      { account: BOB.toLowerCase(), cumulativeAmount: 20n },
      { account: CAROL, cumulativeAmount: 0n },
    ];

    const tree = buildRewardsTree(allocations);
    const claims = rewardsClaims(tree);

    expect(totalCumulative(allocations)).toBe(30n);
    expect([...claims.keys()].sort()).toEqual([ALICE, BOB, CAROL].sort());
    for (const { account, cumulativeAmount } of allocations) {
      const claim = rewardsClaim(tree, account);
      expect(claim.cumulativeAmount).toBe(cumulativeAmount);
      expect(StandardMerkleTree.verify(tree.root, [...REWARDS_LEAF_ENCODING], [account, cumulativeAmount], claim.proof)).toBe(true);
    }
  });

  it('refuses duplicate accounts, whatever their case', () => {
    expect(() =>
      buildRewardsTree([
        { account: ALICE, cumulativeAmount: 1n },
        { account: ALICE.toLowerCase(), cumulativeAmount: 2n },
      ]),
    ).toThrow(/duplicate allocation/);
  });

  it('refuses amounts outside uint256, empty trees and unknown accounts', () => {
    expect(() => buildRewardsTree([{ account: ALICE, cumulativeAmount: -1n }])).toThrow(/outside uint256/);
    expect(() => buildRewardsTree([{ account: ALICE, cumulativeAmount: 2n ** 256n }])).toThrow(/outside uint256/);
    expect(() => buildRewardsTree([])).toThrow(/at least one/);
    expect(() => rewardsClaim(buildRewardsTree([{ account: ALICE, cumulativeAmount: 1n }]), BOB)).toThrow(/no allocation/);
  });
});
