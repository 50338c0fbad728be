import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { DAY, by, deployFundedDistributor, deployStakeFactory, deployTestToken, eventArgs, increaseTime, snapshotFixture, stakeTokenAt } from '../../helpers/staking';
import { buildRewardsTree, rewardsClaim } from '../../../lambdas/domain/rewards-leaf';

const fixture = snapshotFixture(async () => {
  const [admin, alice, bob] = await hre.ethers.getSigners();
  return { admin, alice, bob };
});

/** Upgrades `proxy` to `v2Name` through the OZ plugin (storage layout checked) and returns it as V2. */
async function upgrade(proxy: Contract, v2Name: string): Promise<Contract> {
  const upgraded = await hre.upgrades.upgradeProxy(proxy, await hre.ethers.getContractFactory(v2Name), { kind: 'uups' });
  await upgraded.waitForDeployment();
  return upgraded as unknown as Contract;
}

/** Asserts that only an upgrader can point `proxy` at a new implementation. */
async function expectOnlyUpgrader(proxy: Contract, v2Name: string, outsider: HardhatEthersSigner): Promise<void> {
  const implementation = await hre.upgrades.prepareUpgrade(proxy, await hre.ethers.getContractFactory(v2Name), { kind: 'uups' });
  const upgraderRole = await proxy.UPGRADER_ROLE();
  await expectRevert(
    by(proxy, outsider).upgradeToAndCall(implementation as string, '0x'),
    proxy,
    'AccessControlUnauthorizedAccount',
    [outsider.address, upgraderRole],
  );
}

/**
 * A MAG7.ssi sToken made by the factory (imported into the plugin's records, as a deployed one
 * would be), with 100 MAG7.ssi minted to alice and approved to it.
 */
async function factorySToken() {
  const { admin, alice } = await fixture();
  const token = await deployTestToken('MAG7 Index', 'MAG7.ssi');
  const factory = await deployStakeFactory(admin.address, admin.address);
  await (await factory.createStakeToken(await token.getAddress())).wait();
  const sToken = await stakeTokenAt(await factory.sTokenOf(await token.getAddress()));
  await (await token.mint(alice.address, 100n)).wait();
  await (await by(token, alice).approve(await sToken.getAddress(), 100n)).wait();
  await hre.upgrades.forceImport(await sToken.getAddress(), await hre.ethers.getContractFactory('StakeToken'), { kind: 'uups' });
  return { alice, token, sToken };
}

describe('staking contract upgrades', () => {
  it('upgrades an sToken created by the factory and keeps balances, cooldown requests and settings', async () => {
    const { alice, token, sToken } = await factorySToken();
    await (await by(sToken, alice).stake(100n)).wait();
    const request = await eventArgs(by(sToken, alice).unstake(40n), sToken, 'UnstakeRequested');
    await (await sToken.setCooldownDuration(7n * DAY)).wait();
    await expectOnlyUpgrader(sToken, 'StakeTokenV2Mock', alice);

    const v2 = await upgrade(sToken, 'StakeTokenV2Mock');

    expect(await v2.version()).toBe(2n);
    expect([await v2.name(), await v2.symbol(), await v2.decimals()]).toEqual(['Staked MAG7 Index', 'sMAG7.ssi', 18n]);
    expect(await v2.balanceOf(alice.address)).toBe(60n);
    expect(await v2.cooldownDuration()).toBe(7n * DAY);
    expect(await v2.totalCooling()).toBe(40n);
    expect((await v2.cooldownsOf(alice.address)).map((c: unknown[]) => [...c])).toEqual([[0n, 40n, request.endsAt]]);
    await increaseTime(14n * DAY);
    await (await by(v2, alice).withdraw()).wait();
    expect(await token.balanceOf(alice.address)).toBe(40n);
  });

  it('keeps a paused sToken paused across an upgrade (the flag lives in the sToken\'s own slot)', async () => {
    const { alice, token, sToken } = await factorySToken();
    await (await sToken.pause()).wait();

    const v2 = await upgrade(sToken, 'StakeTokenV2Mock');

    expect([await v2.version(), await v2.paused(), await v2.stakedToken()]).toEqual([2n, true, await token.getAddress()]);
    await expectRevert(by(v2, alice).stake(100n), v2, 'EnforcedPause');
    await (await v2.unpause()).wait();
    await (await by(v2, alice).stake(100n)).wait();
    expect(await v2.balanceOf(alice.address)).toBe(100n);
  });

  it('upgrades the StakeFactory and keeps its registry and implementation', async () => {
    const { admin, alice } = await fixture();
    const token = await deployTestToken('DEFI Index', 'DEFI.ssi');
    const factory = await deployStakeFactory(admin.address, admin.address);
    await (await factory.createStakeToken(await token.getAddress())).wait();
    const sToken = await factory.sTokenOf(await token.getAddress());
    const implementation = await factory.stakeTokenImplementation();
    await expectOnlyUpgrader(factory, 'StakeFactoryV2Mock', alice);

    const v2 = await upgrade(factory, 'StakeFactoryV2Mock');

    expect(await v2.version()).toBe(2n);
    expect(await v2.sTokenOf(await token.getAddress())).toBe(sToken);
    expect(await v2.stakedTokens()).toEqual([await token.getAddress()]);
    expect(await v2.stakeTokenImplementation()).toBe(implementation);
    expect(await v2.hasRole(await v2.OPERATOR_ROLE(), admin.address)).toBe(true);
  });

  it('upgrades AssetLocking and keeps configuration, locks and cooldowns', async () => {
    const { admin, alice } = await fixture();
    const lp = await deployTestToken('LP', 'LP');
    const locking = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('AssetLocking'), [admin.address, 1_000n, 7n * DAY], {
      kind: 'uups',
    })) as unknown as Contract;
    await (await locking.configureToken(await lp.getAddress(), 1_000n, DAY)).wait();
    await (await lp.mint(alice.address, 100n)).wait();
    await (await by(lp, alice).approve(await locking.getAddress(), 100n)).wait();
    await (await by(locking, alice).lock(await lp.getAddress(), 100n)).wait();
    await (await by(locking, alice).unlock(await lp.getAddress(), 30n)).wait();
    await expectOnlyUpgrader(locking, 'AssetLockingV2Mock', alice);

    const v2 = await upgrade(locking, 'AssetLockingV2Mock');

    expect(await v2.version()).toBe(2n);
    expect([...(await v2.epochSchedule())]).toEqual([1_000n, 7n * DAY]);
    const state = await v2.lockableToken(await lp.getAddress());
    expect([state.listed, state.cooldown, state.cap, state.totalLocked, state.totalCooling]).toEqual([true, DAY, 1_000n, 70n, 30n]);
    expect(await v2.lockedOf(alice.address, await lp.getAddress())).toBe(70n);
    expect(await v2.coolingOf(alice.address, await lp.getAddress())).toBe(30n);
  });

  it('upgrades the RewardsDistributor and keeps roots, claims and approvals', async () => {
    const { admin, alice, bob } = await fixture();
    const { soso, distributor } = await deployFundedDistributor(admin.address, { operator: admin.address, activationDelay: DAY, funding: 1_000n });
    const tree = buildRewardsTree([
      { account: alice.address, cumulativeAmount: 100n },
      { account: bob.address, cumulativeAmount: 200n },
    ]);
    await (await distributor.publishRoot(1, tree.root, 300n)).wait();
    await increaseTime(DAY);
    const aliceClaim = rewardsClaim(tree, alice.address);
    await (await by(distributor, alice).claim(alice.address, aliceClaim.cumulativeAmount, aliceClaim.proof)).wait();
    await (await by(distributor, bob).setClaimer(alice.address, true)).wait();
    await expectOnlyUpgrader(distributor, 'RewardsDistributorV2Mock', alice);

    const v2 = await upgrade(distributor, 'RewardsDistributorV2Mock');

    expect(await v2.version()).toBe(2n);
    expect([...(await v2.claimableRoot())]).toEqual([1n, tree.root]);
    expect(await v2.claimedOf(alice.address)).toBe(100n);
    expect(await v2.totalFunded()).toBe(1_000n);
    expect(await v2.rewardToken()).toBe(await soso.getAddress());
    expect(await v2.activationDelay()).toBe(DAY);
    expect(await v2.isClaimer(bob.address, alice.address)).toBe(true);
    const bobClaim = rewardsClaim(tree, bob.address);
    await (await by(v2, alice).claim(bob.address, bobClaim.cumulativeAmount, bobClaim.proof)).wait();
    expect(await soso.balanceOf(bob.address)).toBe(200n);
  });

  it('keeps a paused RewardsDistributor paused across an upgrade (the flag lives in its head slot)', async () => {
    const { admin, alice } = await fixture();
    const { soso, distributor } = await deployFundedDistributor(admin.address, { operator: admin.address, activationDelay: DAY, funding: 100n });
    const tree = buildRewardsTree([{ account: alice.address, cumulativeAmount: 100n }]);
    await (await distributor.publishRoot(1, tree.root, 100n)).wait();
    await increaseTime(DAY);
    await (await distributor.pause()).wait();

    const v2 = await upgrade(distributor, 'RewardsDistributorV2Mock');

    expect([await v2.version(), await v2.paused(), await v2.rewardToken(), ...(await v2.claimableRoot())]).toEqual([
      2n,
      true,
      await soso.getAddress(),
      1n,
      tree.root,
    ]);
    const claim = rewardsClaim(tree, alice.address);
    await expectRevert(by(v2, alice).claim(alice.address, claim.cumulativeAmount, claim.proof), v2, 'EnforcedPause');
    await (await v2.unpause()).wait();
    await (await by(v2, alice).claim(alice.address, claim.cumulativeAmount, claim.proof)).wait();
    expect(await soso.balanceOf(alice.address)).toBe(100n);
  });

  it('upgrades the ReserveRegistry and keeps its history', async () => {
    const { admin, alice } = await fixture();
    const registry = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('ReserveRegistry'), [admin.address], {
      kind: 'uups',
    })) as unknown as Contract;
    await (await registry.grantRole(await registry.OPERATOR_ROLE(), admin.address)).wait();
    const index = hre.ethers.getAddress('0x9e6a46f294bb67c20f1d1e7afb0bbef614403b55');
    const asset = hre.ethers.getAddress('0x00000000000000000000000000000000000000b1');
    const blockNumber = BigInt(await hre.ethers.provider.getBlockNumber());
    await (
      await registry.publish({
        index,
        day: 20250131,
        reportHash: hre.ethers.id('report'),
        liabilitiesRoot: hre.ethers.id('root'),
        blockNumber,
        assets: [asset],
        reserves: [10n],
        liabilities: [9n],
      })
    ).wait();
    await expectOnlyUpgrader(registry, 'ReserveRegistryV2Mock', alice);

    const v2 = await upgrade(registry, 'ReserveRegistryV2Mock');

    expect(await v2.version()).toBe(2n);
    const latest = await v2.latest(index);
    expect([latest.day, latest.reportHash, latest.blockNumber, [...latest.assets], [...latest.reserves], [...latest.liabilities]]).toEqual([
      20250131n,
      hre.ethers.id('report'),
      blockNumber,
      [asset],
      [10n],
      [9n],
    ]);
    expect(await v2.reportedIndexes()).toEqual([index]);
  });
});
