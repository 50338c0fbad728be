import hre from 'hardhat';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { by, snapshotFixture } from '../../helpers/staking';

/**
 * The gas bench's yardstick (BitmapMerkleDistributorBaseline) must be a working distributor, or its
 * numbers would compare our claims with something that does less than it claims to.
 */

const E18 = 10n ** 18n;

/** keccak256(abi.encodePacked(index, account, amount)): the baseline's leaf. */
function leaf(index: number, account: string, amount: bigint): string {
  return hre.ethers.solidityPackedKeccak256(['uint256', 'address', 'uint256'], [index, account, amount]);
}

const fixture = snapshotFixture(async () => {
  const [admin, alice, bob, carol] = await hre.ethers.getSigners();
  const drops = [
    { account: alice.address, amount: 10n * E18 },
    { account: bob.address, amount: 20n * E18 },
    { account: carol.address, amount: 30n * E18 },
  ];
  const tree = SimpleMerkleTree.of(drops.map((d, i) => leaf(i, d.account, d.amount)));
  const soso = (await hre.ethers.deployContract('SosoToken', [admin.address])) as unknown as Contract;
  const baseline = (await hre.ethers.deployContract('BitmapMerkleDistributorBaseline', [await soso.getAddress(), tree.root])) as unknown as Contract;
  await (await soso.transfer(await baseline.getAddress(), 60n * E18)).wait();
  const proof = (i: number) => tree.getProof(leaf(i, drops[i]!.account, drops[i]!.amount));
  return { admin, alice, bob, carol, drops, soso, baseline, proof };
});

describe('BitmapMerkleDistributorBaseline (bench yardstick)', () => {
  it('pays each leaf once to its account, whoever submits it, and marks only that leaf claimed', async () => {
    const { admin, bob, drops, soso, baseline, proof } = await fixture();

    await (await by(baseline, admin).claim(1, bob.address, drops[1]!.amount, proof(1))).wait();

    expect(await soso.balanceOf(bob.address)).toBe(20n * E18);
    expect([await baseline.isClaimed(0), await baseline.isClaimed(1), await baseline.isClaimed(2)]).toEqual([false, true, false]);
    await expectRevert(by(baseline, bob).claim(1, bob.address, drops[1]!.amount, proof(1)), baseline, 'AlreadyClaimed', [1n]);
  });

  it('rejects a leaf that is not in the tree: another amount, another account or another index', async () => {
    const { alice, carol, drops, baseline, proof } = await fixture();

    await expectRevert(by(baseline, alice).claim(0, alice.address, drops[0]!.amount + 1n, proof(0)), baseline, 'InvalidDropProof', [
      0n,
      alice.address,
      drops[0]!.amount + 1n,
    ]);
    await expectRevert(by(baseline, alice).claim(0, carol.address, drops[0]!.amount, proof(0)), baseline, 'InvalidDropProof');
    await expectRevert(by(baseline, alice).claim(2, alice.address, drops[0]!.amount, proof(0)), baseline, 'InvalidDropProof');
  });
});
