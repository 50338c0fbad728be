import hre from 'hardhat';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { DAY, HOUR, by, deployFundedDistributor, eventArgs, increaseTime, now, setNextTimestamp, snapshotFixture } from '../../helpers/staking';
import {
  REWARDS_LEAF_ENCODING,
  buildRewardsTree,
  rewardsClaim,
  rewardsLeaf,
  totalCumulative,
  type RewardAllocation,
  type RewardsTree,
} from '../../../lambdas/domain/rewards-leaf';

const E18 = 10n ** 18n;
const DELAY = DAY;

interface Fixture {
  admin: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  revoker: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  carol: HardhatEthersSigner;
  soso: Contract;
  distributor: Contract;
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, operator, revoker, alice, bob, carol] = await hre.ethers.getSigners();
  const { soso, distributor } = await deployFundedDistributor(admin.address, { operator: operator.address, activationDelay: DELAY, funding: 1_000_000n * E18 });
  await (await distributor.grantRole(await distributor.ROOT_REVOKER_ROLE(), revoker.address)).wait();
  return { admin, operator, revoker, alice, bob, carol, soso, distributor };
});

/** Epoch allocations: cumulative amounts only grow from one epoch to the next. */
function epochOne(f: Fixture): RewardAllocation[] {
  return [
    { account: f.alice.address, cumulativeAmount: 100n * E18 },
    { account: f.bob.address, cumulativeAmount: 50n * E18 },
  ];
}

function epochTwo(f: Fixture): RewardAllocation[] {
  return [
    { account: f.alice.address, cumulativeAmount: 160n * E18 },
    { account: f.bob.address, cumulativeAmount: 50n * E18 },
    { account: f.carol.address, cumulativeAmount: 30n * E18 },
  ];
}

async function publish(f: Fixture, epoch: number, allocations: RewardAllocation[]): Promise<RewardsTree> {
  const tree = buildRewardsTree(allocations);
  await (await by(f.distributor, f.operator).publishRoot(epoch, tree.root, totalCumulative(allocations))).wait();
  return tree;
}

async function claimAs(f: Fixture, signer: HardhatEthersSigner, tree: RewardsTree, account: string) {
  const { cumulativeAmount, proof } = rewardsClaim(tree, account);
  return by(f.distributor, signer).claim(account, cumulativeAmount, proof);
}

describe('RewardsDistributor leaves', () => {
  it('hashes leaves exactly as @openzeppelin/merkle-tree and the off-chain helper do', async () => {
    const f = await fixture();
    const tree = buildRewardsTree(epochOne(f));

    for (const [index, [account, amount]] of tree.entries()) {
      const onChain = await f.distributor.leafOf(account, amount);
      expect(onChain).toBe(tree.leafHash([account, amount]));
      expect(onChain).toBe(rewardsLeaf(account, BigInt(amount)));
      expect(tree.verify(index, tree.getProof(index))).toBe(true);
    }
  });

  it('accepts proofs of a 300-leaf @openzeppelin/merkle-tree StandardMerkleTree built independently', async () => {
    const f = await fixture();
    const values: [string, bigint][] = Array.from({ length: 300 }, (_, i) => [hre.ethers.getAddress(hre.ethers.hexlify(hre.ethers.randomBytes(20))), BigInt(i + 1) * E18]);
    values[123] = [f.alice.address, 7n * E18];
    const tree = StandardMerkleTree.of(values, [...REWARDS_LEAF_ENCODING]);
    const total = values.reduce((sum, [, amount]) => sum + amount, 0n);
    await (await by(f.distributor, f.operator).publishRoot(1, tree.root, total)).wait();
    await increaseTime(DELAY);
    const proof = tree.getProof([f.alice.address, 7n * E18]);

    await (await by(f.distributor, f.alice).claim(f.alice.address, 7n * E18, proof)).wait();

    expect(StandardMerkleTree.verify(tree.root, [...REWARDS_LEAF_ENCODING], [f.alice.address, 7n * E18], proof)).toBe(true);
    expect(await f.soso.balanceOf(f.alice.address)).toBe(7n * E18);
  });
});

describe('RewardsDistributor publication', () => {
  it('publishes a pending root that activates after the delay', async () => {
    const f = await fixture();
    const tree = buildRewardsTree(epochOne(f));
    const at = (await now()) + 5n;
    await setNextTimestamp(at);

    const published = await eventArgs(by(f.distributor, f.operator).publishRoot(1, tree.root, 150n * E18), f.distributor, 'RootPublished');

    expect([published.epoch, published.root, published.totalCumulative, published.activatesAt]).toEqual([1n, tree.root, 150n * E18, at + DELAY]);
    expect([...(await f.distributor.pendingRoot())]).toEqual([1n, tree.root, at + DELAY]);
    expect([...(await f.distributor.claimableRoot())]).toEqual([0n, hre.ethers.ZeroHash]);
    const stored = await f.distributor.rootOf(1);
    expect([stored.root, stored.totalCumulative, stored.activatesAt, stored.revoked]).toEqual([tree.root, 150n * E18, at + DELAY, false]);

    await increaseTime(DELAY);
    expect([...(await f.distributor.claimableRoot())]).toEqual([1n, tree.root]);
    expect([...(await f.distributor.pendingRoot())]).toEqual([0n, hre.ethers.ZeroHash, 0n]);
  });

  it('lets only the operator publish, and not while paused', async () => {
    const f = await fixture();
    const operatorRole = await f.distributor.OPERATOR_ROLE();

    await expectRevert(by(f.distributor, f.alice).publishRoot(1, hre.ethers.id('root'), 0n), f.distributor, 'AccessControlUnauthorizedAccount', [
      f.alice.address,
      operatorRole,
    ]);
    await (await by(f.distributor, f.admin).pause()).wait();
    await expectRevert(by(f.distributor, f.operator).publishRoot(1, hre.ethers.id('root'), 0n), f.distributor, 'EnforcedPause');
  });

  it('rejects a zero root, an epoch other than the next, a decreasing total and an underfunded total', async () => {
    const f = await fixture();
    const op = by(f.distributor, f.operator);
    const root = hre.ethers.id('root');

    await expectRevert(op.publishRoot(1, hre.ethers.ZeroHash, 0n), f.distributor, 'ZeroRoot');
    await expectRevert(op.publishRoot(0, root, 0n), f.distributor, 'EpochNotNext', [0n, 1n]);
    await expectRevert(op.publishRoot(1, root, 1_000_000n * E18 + 1n), f.distributor, 'RewardsUnderfunded', [1_000_000n * E18 + 1n, 1_000_000n * E18]);
    await (await op.publishRoot(3, root, 100n)).wait();
    await increaseTime(DELAY);
    await expectRevert(op.publishRoot(3, root, 100n), f.distributor, 'EpochNotNext', [3n, 4n]);
    await expectRevert(op.publishRoot(2, root, 100n), f.distributor, 'EpochNotNext', [2n, 4n]);
    await expectRevert(op.publishRoot(4, root, 99n), f.distributor, 'TotalCumulativeDecreased', [100n, 99n]);
    await (await op.publishRoot(4, root, 100n)).wait();
  });

  it('accepts epochs up to MAX_EPOCH (2^24 - 1) and rejects higher ones', async () => {
    const f = await fixture();
    const op = by(f.distributor, f.operator);
    const max = await f.distributor.MAX_EPOCH();

    await expectRevert(op.publishRoot(max + 1n, hre.ethers.id('root'), 0n), f.distributor, 'EpochOutOfRange', [max + 1n, max]);
    await (await op.publishRoot(max, hre.ethers.id('root'), 0n)).wait();
    await increaseTime(DELAY);

    expect([max, ...(await f.distributor.claimableRoot())]).toEqual([2n ** 24n - 1n, max, hre.ethers.id('root')]);
  });

  it('rewards root at epoch 2^24-1: after the first root each root must be the next epoch, so none can jump ahead and block the rest', async () => {
    const f = await fixture();
    const op = by(f.distributor, f.operator);
    const max = await f.distributor.MAX_EPOCH();
    await (await op.publishRoot(1, hre.ethers.id('one'), 0n)).wait();
    await increaseTime(DELAY);

    await expectRevert(op.publishRoot(max, hre.ethers.id('max'), 0n), f.distributor, 'EpochNotNext', [max, 2n]);
    await expectRevert(op.publishRoot(3, hre.ethers.id('three'), 0n), f.distributor, 'EpochNotNext', [3n, 2n]);
    await (await op.publishRoot(2, hre.ethers.id('two'), 0n)).wait();
    await increaseTime(DELAY);
    await (await op.publishRoot(3, hre.ethers.id('three'), 0n)).wait();
    await increaseTime(DELAY);

    expect([...(await f.distributor.claimableRoot())]).toEqual([3n, hre.ethers.id('three')]);
  });

  it('refuses a new root while another is pending', async () => {
    const f = await fixture();
    const op = by(f.distributor, f.operator);
    const published = await eventArgs(op.publishRoot(1, hre.ethers.id('one'), 0n), f.distributor, 'RootPublished');

    await expectRevert(op.publishRoot(2, hre.ethers.id('two'), 0n), f.distributor, 'RootPending', [1n, published.activatesAt]);
  });
});

describe('RewardsDistributor claims', () => {
  it('reverts a claim before the first root activates', async () => {
    const f = await fixture();
    const tree = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY - 10n);

    await expectRevert(claimAs(f, f.alice, tree, f.alice.address), f.distributor, 'NoClaimableRoot');
  });

  it('pays the allocation once the root is active and records it', async () => {
    const f = await fixture();
    const tree = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);

    const claimed = await eventArgs(claimAs(f, f.alice, tree, f.alice.address), f.distributor, 'Claimed');

    expect([claimed.account, claimed.claimer, claimed.epoch, claimed.amount, claimed.totalClaimed]).toEqual([
      f.alice.address,
      f.alice.address,
      1n,
      100n * E18,
      100n * E18,
    ]);
    expect(await f.soso.balanceOf(f.alice.address)).toBe(100n * E18);
    expect(await f.distributor.claimedOf(f.alice.address)).toBe(100n * E18);
  });

  it('reverts a second claim of the same allocation with NothingToClaim and pays nothing', async () => {
    const f = await fixture();
    const tree = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    await (await claimAs(f, f.alice, tree, f.alice.address)).wait();

    await expectRevert(claimAs(f, f.alice, tree, f.alice.address), f.distributor, 'NothingToClaim', [f.alice.address, 100n * E18, 100n * E18]);
    expect(await f.soso.balanceOf(f.alice.address)).toBe(100n * E18);
  });

  it('pays only the difference when a later epoch raises the cumulative allocation', async () => {
    const f = await fixture();
    const first = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    await (await claimAs(f, f.alice, first, f.alice.address)).wait();
    const second = await publish(f, 2, epochTwo(f));

    await expectRevert(claimAs(f, f.alice, second, f.alice.address), f.distributor, 'InvalidProof', [f.alice.address, 160n * E18, 1n]);
    await increaseTime(DELAY);
    const claimed = await eventArgs(claimAs(f, f.alice, second, f.alice.address), f.distributor, 'Claimed');

    expect([claimed.epoch, claimed.amount, claimed.totalClaimed]).toEqual([2n, 60n * E18, 160n * E18]);
    expect(await f.soso.balanceOf(f.alice.address)).toBe(160n * E18);
    await expectRevert(claimAs(f, f.alice, first, f.alice.address), f.distributor, 'InvalidProof');
  });

  it('lets an account that skipped epochs claim everything at once', async () => {
    const f = await fixture();
    await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    const second = await publish(f, 2, epochTwo(f));
    await increaseTime(DELAY);

    await (await claimAs(f, f.alice, second, f.alice.address)).wait();

    expect(await f.soso.balanceOf(f.alice.address)).toBe(160n * E18);
  });

  it('rejects a proof for another amount or another account', async () => {
    const f = await fixture();
    const tree = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    const { proof } = rewardsClaim(tree, f.alice.address);

    await expectRevert(by(f.distributor, f.alice).claim(f.alice.address, 101n * E18, proof), f.distributor, 'InvalidProof', [
      f.alice.address,
      101n * E18,
      1n,
    ]);
    await expectRevert(by(f.distributor, f.carol).claim(f.carol.address, 100n * E18, proof), f.distributor, 'InvalidProof');
  });

  it('reverts a claim by a third party that was not approved', async () => {
    const f = await fixture();
    const tree = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);

    await expectRevert(claimAs(f, f.carol, tree, f.alice.address), f.distributor, 'UnauthorizedClaimer', [f.alice.address, f.carol.address]);
  });

  it('lets an approved claimer claim for the account, paying the account, until approval is withdrawn', async () => {
    const f = await fixture();
    const tree = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    const approved = await eventArgs(by(f.distributor, f.bob).setClaimer(f.carol.address, true), f.distributor, 'ClaimerSet');

    const claimed = await eventArgs(claimAs(f, f.carol, tree, f.bob.address), f.distributor, 'Claimed');

    expect([approved.account, approved.claimer, approved.approved]).toEqual([f.bob.address, f.carol.address, true]);
    expect([claimed.account, claimed.claimer]).toEqual([f.bob.address, f.carol.address]);
    expect(await f.soso.balanceOf(f.bob.address)).toBe(50n * E18);
    expect(await f.soso.balanceOf(f.carol.address)).toBe(0n);
    await (await by(f.distributor, f.bob).setClaimer(f.carol.address, false)).wait();
    expect(await f.distributor.isClaimer(f.bob.address, f.carol.address)).toBe(false);
    await expectRevert(claimAs(f, f.carol, tree, f.alice.address), f.distributor, 'UnauthorizedClaimer');
    await expectRevert(by(f.distributor, f.bob).setClaimer(hre.ethers.ZeroAddress, true), f.distributor, 'ZeroAddress');
  });

  it('stops claims while paused', async () => {
    const f = await fixture();
    const tree = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    await (await by(f.distributor, f.admin).pause()).wait();

    await expectRevert(claimAs(f, f.alice, tree, f.alice.address), f.distributor, 'EnforcedPause');
  });

  it('reports the flag and emits Paused and Unpaused with the caller, refusing to pause twice or unpause twice', async () => {
    const f = await fixture();

    const paused = await eventArgs(by(f.distributor, f.admin).pause(), f.distributor, 'Paused');
    const pausedFlag = await f.distributor.paused();
    await expectRevert(by(f.distributor, f.admin).pause(), f.distributor, 'EnforcedPause');
    const unpaused = await eventArgs(by(f.distributor, f.admin).unpause(), f.distributor, 'Unpaused');

    expect([paused.account, pausedFlag, unpaused.account, await f.distributor.paused()]).toEqual([f.admin.address, true, f.admin.address, false]);
    await expectRevert(by(f.distributor, f.admin).unpause(), f.distributor, 'ExpectedPause');
  });

  it('keeps the flag apart from the reward token and epochs that share its storage slot, through a revocation and a resume', async () => {
    const f = await fixture();
    const first = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    const second = await publish(f, 2, epochTwo(f));
    await (await by(f.distributor, f.admin).pause()).wait();

    const pendingWhilePaused = [...(await f.distributor.pendingRoot())];
    await (await by(f.distributor, f.revoker).revokeRoot(2)).wait();

    expect(await f.distributor.paused()).toBe(true);
    expect(pendingWhilePaused.slice(0, 2)).toEqual([2n, second.root]);
    expect([await f.distributor.rewardToken(), ...(await f.distributor.claimableRoot())]).toEqual([await f.soso.getAddress(), 1n, first.root]);
    await (await by(f.distributor, f.admin).unpause()).wait();
    await (await claimAs(f, f.alice, first, f.alice.address)).wait();
    expect(await f.soso.balanceOf(f.alice.address)).toBe(100n * E18);
  });
});

describe('RewardsDistributor roots below what was claimed', () => {
  it('a later root lowering an account below its claim: pays out no more than the root total, so funding for later roots stays, until a corrected root', async () => {
    const f = await fixture();
    const first = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    await (await claimAs(f, f.alice, first, f.alice.address)).wait();
    // Alice already took 100 but this root gives her 40: its total (150) no longer covers bob and carol.
    const lowered = [
      { account: f.alice.address, cumulativeAmount: 40n * E18 },
      { account: f.bob.address, cumulativeAmount: 50n * E18 },
      { account: f.carol.address, cumulativeAmount: 60n * E18 },
    ];
    const second = await publish(f, 2, lowered);
    await increaseTime(DELAY);

    await expectRevert(claimAs(f, f.alice, second, f.alice.address), f.distributor, 'NothingToClaim', [f.alice.address, 40n * E18, 100n * E18]);
    await (await claimAs(f, f.bob, second, f.bob.address)).wait();
    await expectRevert(claimAs(f, f.carol, second, f.carol.address), f.distributor, 'RootOverdrawn', [2n, 150n * E18, 150n * E18, 60n * E18]);
    expect(await f.distributor.totalClaimed()).toBe(150n * E18);

    const corrected = await publish(f, 3, [{ account: f.alice.address, cumulativeAmount: 100n * E18 }, ...lowered.slice(1)]);
    await increaseTime(DELAY);
    await (await claimAs(f, f.carol, corrected, f.carol.address)).wait();
    expect([await f.soso.balanceOf(f.carol.address), await f.distributor.totalClaimed()]).toEqual([60n * E18, 210n * E18]);
  });
});

describe('RewardsDistributor revocation', () => {
  it('lets the revoker revoke a pending root: claims stay on the previous root and the revoked one never activates', async () => {
    const f = await fixture();
    const first = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    const bad = await publish(f, 2, [{ account: f.carol.address, cumulativeAmount: 900_000n * E18 }]);

    const revoked = await eventArgs(by(f.distributor, f.revoker).revokeRoot(2), f.distributor, 'RootRevoked');
    await increaseTime(2n * DELAY);

    expect([revoked.epoch, revoked.root, revoked.revoker]).toEqual([2n, bad.root, f.revoker.address]);
    expect((await f.distributor.rootOf(2)).revoked).toBe(true);
    expect([...(await f.distributor.claimableRoot())]).toEqual([1n, first.root]);
    await expectRevert(claimAs(f, f.carol, bad, f.carol.address), f.distributor, 'InvalidProof', [f.carol.address, 900_000n * E18, 1n]);
    await (await claimAs(f, f.alice, first, f.alice.address)).wait();
    expect(await f.soso.balanceOf(f.alice.address)).toBe(100n * E18);
  });

  it('leaves nothing claimable when the only root is revoked, and accepts a corrected root for the same epoch', async () => {
    const f = await fixture();
    const bad = await publish(f, 1, [{ account: f.carol.address, cumulativeAmount: 900_000n * E18 }]);
    await (await by(f.distributor, f.revoker).revokeRoot(1)).wait();
    await increaseTime(DELAY);

    await expectRevert(claimAs(f, f.carol, bad, f.carol.address), f.distributor, 'NoClaimableRoot');
    const fixed = await publish(f, 1, epochOne(f));
    await increaseTime(DELAY);
    await (await claimAs(f, f.bob, fixed, f.bob.address)).wait();
    expect(await f.soso.balanceOf(f.bob.address)).toBe(50n * E18);
  });

  it('cannot revoke an activated root, another epoch, or without the revoker role', async () => {
    const f = await fixture();
    await publish(f, 1, epochOne(f));
    const revokerRole = await f.distributor.ROOT_REVOKER_ROLE();

    await expectRevert(by(f.distributor, f.alice).revokeRoot(1), f.distributor, 'AccessControlUnauthorizedAccount', [f.alice.address, revokerRole]);
    await expectRevert(by(f.distributor, f.revoker).revokeRoot(2), f.distributor, 'RootNotRevocable', [2n]);
    await expectRevert(by(f.distributor, f.revoker).revokeRoot(0), f.distributor, 'RootNotRevocable', [0n]);
    await increaseTime(DELAY);
    await expectRevert(by(f.distributor, f.revoker).revokeRoot(1), f.distributor, 'RootNotRevocable', [1n]);
  });
});

describe('RewardsDistributor funding and settings', () => {
  it('takes funds from anyone and counts them', async () => {
    const f = await fixture();
    await (await f.soso.transfer(f.alice.address, 10n)).wait();
    await (await by(f.soso, f.alice).approve(await f.distributor.getAddress(), 10n)).wait();

    const funded = await eventArgs(by(f.distributor, f.alice).fund(10n), f.distributor, 'Funded');

    expect([funded.from, funded.amount, funded.totalFunded]).toEqual([f.alice.address, 10n, 1_000_000n * E18 + 10n]);
    expect(await f.distributor.totalFunded()).toBe(1_000_000n * E18 + 10n);
    expect(await f.soso.balanceOf(await f.distributor.getAddress())).toBe(1_000_000n * E18 + 10n);
    await expectRevert(by(f.distributor, f.alice).fund(0n), f.distributor, 'ZeroAmount');
  });

  it('lets the admin set the activation delay within 1 hour..30 days, for roots published afterwards', async () => {
    const f = await fixture();

    const updated = await eventArgs(by(f.distributor, f.admin).setActivationDelay(2n * HOUR), f.distributor, 'ActivationDelayUpdated');
    const published = await eventArgs(by(f.distributor, f.operator).publishRoot(1, hre.ethers.id('r'), 0n), f.distributor, 'RootPublished');

    expect([updated.previousDelay, updated.newDelay]).toEqual([DELAY, 2n * HOUR]);
    expect(published.activatesAt).toBe((await now()) + 2n * HOUR);
    expect(await f.distributor.activationDelay()).toBe(2n * HOUR);
    for (const delay of [HOUR - 1n, 30n * DAY + 1n]) {
      await expectRevert(by(f.distributor, f.admin).setActivationDelay(delay), f.distributor, 'ActivationDelayOutOfBounds', [delay, HOUR, 30n * DAY]);
    }
    await expectRevert(by(f.distributor, f.alice).setActivationDelay(HOUR), f.distributor, 'AccessControlUnauthorizedAccount');
  });

  it('exposes its reward token and refuses a zero one at initialisation', async () => {
    const f = await fixture();
    const factory = await hre.ethers.getContractFactory('RewardsDistributor');

    expect(await f.distributor.rewardToken()).toBe(await f.soso.getAddress());
    await expectRevert(
      hre.upgrades.deployProxy(factory, [f.admin.address, hre.ethers.ZeroAddress, DELAY], { kind: 'uups' }),
      factory.interface,
      'ZeroAddress',
    );
  });

  it('gives the admin the revoker role at initialisation', async () => {
    const f = await fixture();

    expect(await f.distributor.hasRole(await f.distributor.ROOT_REVOKER_ROLE(), f.admin.address)).toBe(true);
  });
});

describe('RewardsDistributor reentrancy', () => {
  it('rejects a reward token that calls back into claim while paying', async () => {
    const f = await fixture();
    const evil = (await hre.ethers.deployContract('ReentrantToken')) as unknown as Contract;
    const distributor = (await hre.upgrades.deployProxy(
      await hre.ethers.getContractFactory('RewardsDistributor'),
      [f.admin.address, await evil.getAddress(), DELAY],
      { kind: 'uups' },
    )) as unknown as Contract;
    await (await distributor.grantRole(await distributor.OPERATOR_ROLE(), f.operator.address)).wait();
    await (await evil.mint(f.admin.address, 1_000n)).wait();
    await (await evil.approve(await distributor.getAddress(), 1_000n)).wait();
    await (await distributor.fund(1_000n)).wait();
    const tree = buildRewardsTree([
      { account: f.alice.address, cumulativeAmount: 100n },
      { account: f.bob.address, cumulativeAmount: 200n },
    ]);
    await (await by(distributor, f.operator).publishRoot(1, tree.root, 300n)).wait();
    await increaseTime(DELAY);
    const { cumulativeAmount, proof } = rewardsClaim(tree, f.alice.address);
    await (await evil.arm(await distributor.getAddress(), distributor.interface.encodeFunctionData('claim', [f.alice.address, cumulativeAmount, proof]))).wait();

    await expectRevert(by(distributor, f.alice).claim(f.alice.address, cumulativeAmount, proof), distributor, 'ReentrancyGuardReentrantCall');
    expect(await distributor.claimedOf(f.alice.address)).toBe(0n);
  });
});
