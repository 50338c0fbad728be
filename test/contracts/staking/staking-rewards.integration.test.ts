import hre from 'hardhat';
import fc from 'fast-check';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { DAY, by, deployStakeFactory, deployTestToken, eventArgs, increaseTime, snapshotFixture, stakeTokenAt } from '../../helpers/staking';

const E18 = 10n ** 18n;
const USDC = 10n ** 6n;
const SCALE = 10n ** 36n;

interface Fixture {
  admin: HardhatEthersSigner;
  feeSale: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  carol: HardhatEthersSigner;
  token: Contract;
  usdc: Contract;
  sToken: Contract;
}

/** An sMAG7.ssi paying rewards in a 6-decimal USDC; `feeSale` holds USDC approved to it, alice, bob and carol MAG7.ssi. */
const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, feeSale, alice, bob, carol] = await hre.ethers.getSigners();
  const token = await deployTestToken('MAG7 Index', 'MAG7.ssi', 18);
  const usdc = await deployTestToken('USD Coin', 'USDC', 6);
  const factory = await deployStakeFactory(admin.address, admin.address);
  await (await factory.createStakeToken(await token.getAddress())).wait();
  const sToken = await stakeTokenAt(await factory.sTokenOf(await token.getAddress()));
  await (await sToken.setRewardToken(await usdc.getAddress())).wait();
  await (await usdc.mint(feeSale.address, 1_000_000n * USDC)).wait();
  await (await by(usdc, feeSale).approve(await sToken.getAddress(), hre.ethers.MaxUint256)).wait();
  for (const user of [alice, bob, carol]) {
    await (await token.mint(user.address, 1_000n * E18)).wait();
    await (await by(token, user).approve(await sToken.getAddress(), hre.ethers.MaxUint256)).wait();
  }
  return { admin, feeSale, alice, bob, carol, token, usdc, sToken };
});

async function claim(sToken: Contract, user: HardhatEthersSigner): Promise<bigint> {
  const args = await eventArgs(by(sToken, user).claimRewards(), sToken, 'RewardsClaimed');
  expect(args.user).toBe(user.address);
  return args.amount as bigint;
}

describe('StakeToken fee rewards (reward-per-share index)', () => {
  it('pays two stakers who joined at different times by stake at each distribution', async () => {
    const { feeSale, alice, bob, usdc, sToken } = await fixture();
    await (await by(sToken, alice).stake(100n * E18)).wait();
    const first = await eventArgs(by(sToken, feeSale).distributeRewards(100n * USDC), sToken, 'RewardsDistributed');
    expect(first).toMatchObject({ from: feeSale.address, amount: 100n * USDC, earningSupply: 100n * E18 });
    await increaseTime(DAY);
    await (await by(sToken, bob).stake(300n * E18)).wait();
    await (await by(sToken, feeSale).distributeRewards(400n * USDC)).wait();

    // Alice: all of the first 100, a quarter of the 400; bob: three quarters of the 400 only.
    expect(await sToken.claimableRewardsOf(alice.address)).toBe(200n * USDC);
    expect(await sToken.claimableRewardsOf(bob.address)).toBe(300n * USDC);
    expect(await claim(sToken, alice)).toBe(200n * USDC);
    expect(await claim(sToken, bob)).toBe(300n * USDC);
    expect(await usdc.balanceOf(alice.address)).toBe(200n * USDC);
    expect(await usdc.balanceOf(await sToken.getAddress())).toBe(0n);
    await expectRevert(by(sToken, alice).claimRewards(), sToken, 'NoRewardsAccrued', [alice.address]);
  });

  it('keeps cooling balances earning until they are withdrawn', async () => {
    const { feeSale, alice, bob, sToken } = await fixture();
    await (await by(sToken, alice).stake(100n * E18)).wait();
    await (await by(sToken, bob).stake(100n * E18)).wait();
    await (await by(sToken, alice).unstake(100n * E18)).wait();
    expect(await sToken.balanceOf(alice.address)).toBe(0n);

    await (await by(sToken, feeSale).distributeRewards(50n * USDC)).wait();
    expect(await sToken.claimableRewardsOf(alice.address)).toBe(25n * USDC);

    await increaseTime(14n * DAY);
    await (await by(sToken, alice).withdraw()).wait();
    await (await by(sToken, feeSale).distributeRewards(50n * USDC)).wait();

    // Withdrawn tokens stop earning: the second 50 is all bob's.
    expect(await sToken.claimableRewardsOf(alice.address)).toBe(25n * USDC);
    expect(await sToken.claimableRewardsOf(bob.address)).toBe(75n * USDC);
    expect(await claim(sToken, alice)).toBe(25n * USDC);
  });

  it('settles both sides of a transfer at their old balances', async () => {
    const { feeSale, alice, bob, sToken } = await fixture();
    await (await by(sToken, alice).stake(100n * E18)).wait();
    await (await by(sToken, feeSale).distributeRewards(10n * USDC)).wait();
    await (await by(sToken, alice).transfer(bob.address, 50n * E18)).wait();
    await (await by(sToken, feeSale).distributeRewards(10n * USDC)).wait();

    expect(await sToken.claimableRewardsOf(alice.address)).toBe(15n * USDC);
    expect(await sToken.claimableRewardsOf(bob.address)).toBe(5n * USDC);
  });

  it('settles on unstake and on stake, so a late staker earns nothing from before it joined', async () => {
    const { feeSale, alice, carol, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n * E18)).wait();
    await (await by(sToken, feeSale).distributeRewards(7n * USDC)).wait();
    await (await by(sToken, alice).unstake(5n * E18)).wait();
    await (await by(sToken, alice).stake(5n * E18)).wait();
    await (await by(sToken, carol).stake(10n * E18)).wait();

    expect(await sToken.claimableRewardsOf(alice.address)).toBe(7n * USDC);
    expect(await sToken.claimableRewardsOf(carol.address)).toBe(0n);
    await expectRevert(by(sToken, carol).claimRewards(), sToken, 'NoRewardsAccrued', [carol.address]);
  });

  it('never pays out more than was distributed, whatever the order of stakes, unstakes, transfers and distributions', async () => {
    const { feeSale, alice, bob, carol, usdc, sToken } = await fixture();
    const users = [alice, bob, carol];
    const step = fc.oneof(
      fc.record({ kind: fc.constant('stake' as const), user: fc.nat(2), amount: fc.bigInt(1n, 50n * E18) }),
      fc.record({ kind: fc.constant('unstake' as const), user: fc.nat(2), amount: fc.bigInt(1n, 50n * E18) }),
      fc.record({ kind: fc.constant('transfer' as const), user: fc.nat(2), amount: fc.bigInt(1n, 50n * E18) }),
      fc.record({ kind: fc.constant('distribute' as const), user: fc.nat(2), amount: fc.bigInt(1n, 1_000n * USDC) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        await fixture();
        let distributed = 0n;
        for (const s of steps) {
          const user = users[s.user]!;
          const staked = (await sToken.balanceOf(user.address)) as bigint;
          if (s.kind === 'stake') await (await by(sToken, user).stake(s.amount)).wait();
          else if (s.kind === 'unstake' && staked > 0n) await (await by(sToken, user).unstake(s.amount % staked || staked)).wait();
          else if (s.kind === 'transfer' && staked > 0n) {
            await (await by(sToken, user).transfer(users[(s.user + 1) % 3]!.address, s.amount % staked || staked)).wait();
          } else if (s.kind === 'distribute' && (await sToken.totalSupply()) + (await sToken.totalCooling()) > 0n) {
            await (await by(sToken, feeSale).distributeRewards(s.amount)).wait();
            distributed += s.amount;
          }
        }
        let claimable = 0n;
        for (const user of users) claimable += (await sToken.claimableRewardsOf(user.address)) as bigint;
        for (const user of users) if ((await sToken.claimableRewardsOf(user.address)) > 0n) await claim(sToken, user);
        const left = (await usdc.balanceOf(await sToken.getAddress())) as bigint;
        // Rounding goes down: what stays is dust, at most a few units per holder and distribution.
        expect(claimable).toBeLessThanOrEqual(distributed);
        expect(left).toBe(distributed - claimable);
        expect(left).toBeLessThanOrEqual(BigInt(users.length * (steps.length + 1)));
      }),
      { numRuns: 15 },
    );
  });

  it('records the index as the cumulative reward per earning unit', async () => {
    const { feeSale, alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(3n * E18)).wait();
    await (await by(sToken, feeSale).distributeRewards(1n * USDC)).wait();

    expect(await sToken.rewardPerShare()).toBe((USDC * SCALE) / (3n * E18));
    // 3 * floor(1e6 * 1e36 / 3e18) / 1e36 rounds down to 999,999: one unit of dust stays.
    expect(await sToken.claimableRewardsOf(alice.address)).toBe(USDC - 1n);
  });

  it('refuses bad distributions and reward-token changes', async () => {
    const { admin, feeSale, alice, usdc, token, sToken } = await fixture();
    await expectRevert(by(sToken, feeSale).distributeRewards(1n), sToken, 'NoEarningSupply');
    await (await by(sToken, alice).stake(1n)).wait();
    await expectRevert(by(sToken, feeSale).distributeRewards(0n), sToken, 'ZeroAmount');
    await expectRevert(() => sToken.setRewardToken(token.target), sToken, 'RewardTokenAlreadySet', [usdc.target]);
    // The action as a function: it starts only after the expected arguments are read (test/helpers/revert.ts).
    await expectRevert(() => by(sToken, alice).setRewardToken(token.target), sToken, 'AccessControlUnauthorizedAccount', [
      alice.address,
      await sToken.DEFAULT_ADMIN_ROLE(),
    ]);

    const fresh = await deployTestToken('Other', 'OTH', 18);
    const factory = await deployStakeFactory(admin.address, admin.address);
    await (await factory.createStakeToken(await fresh.getAddress())).wait();
    const unset = await stakeTokenAt(await factory.sTokenOf(await fresh.getAddress()));
    await expectRevert(unset.distributeRewards(1n), unset, 'RewardTokenNotSet');
    await expectRevert(unset.setRewardToken(hre.ethers.ZeroAddress), unset, 'ZeroAddress');
  });
});
