import hre from 'hardhat';
import { randomBytes } from 'node:crypto';
import { DEFAULT_POINTS_CONFIG } from '../../../lambdas/domain/points';
import { settleEpoch } from '../../../lambdas/domain/points/settle';

describe('claim tree proofs verify on-chain as the RewardsDistributor checks them', () => {
  test('every account of a settled epoch proves its cumulative amount with OpenZeppelin MerkleProof, and a wrong amount does not', async () => {
    const checker = await (await hre.ethers.getContractFactory('ClaimProofChecker')).deploy();
    const points = new Map(Array.from({ length: 33 }, (_, i) => [`0x${randomBytes(20).toString('hex')}`, BigInt(1 + i * 1000)]));
    const previous = new Map([[[...points.keys()][0], 5n * 10n ** 18n]]);
    const settlement = settleEpoch(DEFAULT_POINTS_CONFIG.epochs.first, 12_345n * 10n ** 18n + 3n, points, previous);
    const tree = settlement.tree!;

    for (let i = 0; i < tree.length; i++) {
      const { account, amount } = tree.at(i);
      expect(await checker.verify(tree.root, account, amount, tree.getProof(i))).toBe(true);
      expect(await checker.verify(tree.root, account, amount + 1n, tree.getProof(i))).toBe(false);
    }
  });
});
