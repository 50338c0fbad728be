import hre from 'hardhat';
import fc from 'fast-check';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import {
  DAY,
  HOUR,
  by,
  deployStakeFactory,
  deployTestToken,
  eventArgs,
  increaseTime,
  now,
  setNextTimestamp,
  snapshotFixture,
  stakeTokenAt,
} from '../../helpers/staking';

const E18 = 10n ** 18n;
const COOLDOWN = 14n * DAY;

interface Fixture {
  admin: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  token: Contract;
  factory: Contract;
  sToken: Contract;
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, operator, alice, bob] = await hre.ethers.getSigners();
  const token = await deployTestToken('MAG7 Index', 'MAG7.ssi', 18);
  const factory = await deployStakeFactory(admin.address, operator.address);
  await (await by(factory, operator).createStakeToken(await token.getAddress())).wait();
  const sToken = await stakeTokenAt(await factory.sTokenOf(await token.getAddress()));
  for (const user of [alice, bob]) {
    await (await token.mint(user.address, 1_000n * E18)).wait();
    await (await by(token, user).approve(await sToken.getAddress(), hre.ethers.MaxUint256)).wait();
  }
  return { admin, operator, alice, bob, token, factory, sToken };
});

describe('StakeFactory', () => {
  it('creates one sToken per token named after it, with its decimals, the factory admin and a 14-day cooldown', async () => {
    const { admin, operator, factory } = await fixture();
    const wbtc = await deployTestToken('Wrapped BTC', 'WBTC', 8);

    const created = await eventArgs(by(factory, operator).createStakeToken(await wbtc.getAddress()), factory, 'StakeTokenCreated');

    const sToken = await stakeTokenAt(await factory.sTokenOf(await wbtc.getAddress()));
    expect(created.sToken).toBe(await sToken.getAddress());
    expect(created.implementation).toBe(await factory.stakeTokenImplementation());
    expect(created.admin).toBe(admin.address);
    expect([created.name, created.symbol, created.decimals]).toEqual(['Staked Wrapped BTC', 'sWBTC', 8n]);
    expect([await sToken.name(), await sToken.symbol(), await sToken.decimals()]).toEqual(['Staked Wrapped BTC', 'sWBTC', 8n]);
    expect(await sToken.stakedToken()).toBe(await wbtc.getAddress());
    expect(await sToken.defaultAdmin()).toBe(admin.address);
    expect(await sToken.cooldownDuration()).toBe(COOLDOWN);
    expect(await factory.stakedTokens()).toHaveLength(2);
  });

  it('names the sToken of an index token s<symbol>', async () => {
    const { token, sToken } = await fixture();

    expect(await sToken.symbol()).toBe(`s${await token.symbol()}`);
    expect(await sToken.symbol()).toBe('sMAG7.ssi');
  });

  it('refuses a second sToken for the same token', async () => {
    const { operator, token, factory, sToken } = await fixture();
    const [tokenAddress, sTokenAddress] = [await token.getAddress(), await sToken.getAddress()];

    await expectRevert(by(factory, operator).createStakeToken(tokenAddress), factory, 'StakeTokenExists', [tokenAddress, sTokenAddress]);
  });

  it('refuses the zero address as a token', async () => {
    const { operator, factory } = await fixture();

    await expectRevert(by(factory, operator).createStakeToken(hre.ethers.ZeroAddress), factory, 'ZeroAddress');
  });

  it('lets only the operator create sTokens, and not while paused', async () => {
    const { admin, operator, alice, factory } = await fixture();
    const other = await (await deployTestToken('Other', 'OTH')).getAddress();
    const operatorRole = await factory.OPERATOR_ROLE();

    await expectRevert(by(factory, alice).createStakeToken(other), factory, 'AccessControlUnauthorizedAccount', [alice.address, operatorRole]);
    await (await by(factory, admin).pause()).wait();
    await expectRevert(by(factory, operator).createStakeToken(other), factory, 'EnforcedPause');
  });

  it('lets the admin switch the implementation for new sTokens, rejecting addresses without code', async () => {
    const { admin, operator, alice, factory } = await fixture();
    const previous = await factory.stakeTokenImplementation();
    const v2 = await hre.upgrades.deployImplementation(await hre.ethers.getContractFactory('StakeTokenV2Mock'), { kind: 'uups' });

    await expectRevert(by(factory, alice).setStakeTokenImplementation(v2), factory, 'AccessControlUnauthorizedAccount', [
      alice.address,
      hre.ethers.ZeroHash,
    ]);
    await expectRevert(by(factory, admin).setStakeTokenImplementation(alice.address), factory, 'InvalidImplementation', [alice.address]);
    const updated = await eventArgs(by(factory, admin).setStakeTokenImplementation(v2), factory, 'StakeTokenImplementationUpdated');
    const other = await deployTestToken('Other', 'OTH');
    await (await by(factory, operator).createStakeToken(await other.getAddress())).wait();

    expect([updated.previousImplementation, updated.newImplementation]).toEqual([previous, v2]);
    const created = await hre.ethers.getContractAt('StakeTokenV2Mock', await factory.sTokenOf(await other.getAddress()));
    expect(await created.version()).toBe(2n);
  });

  it('refuses to start with an implementation without code', async () => {
    const [admin] = await hre.ethers.getSigners();
    const factory = await hre.ethers.getContractFactory('StakeFactory');

    await expectRevert(
      hre.upgrades.deployProxy(factory, [admin.address, admin.address], { kind: 'uups' }),
      factory.interface,
      'InvalidImplementation',
      [admin.address],
    );
  });
});

describe('StakeToken initialisation', () => {
  it('refuses a zero staked token', async () => {
    const [admin] = await hre.ethers.getSigners();
    const stakeToken = await hre.ethers.getContractFactory('StakeToken');

    await expectRevert(
      hre.upgrades.deployProxy(stakeToken, [admin.address, hre.ethers.ZeroAddress, 'Staked X', 'sX', 18], { kind: 'uups' }),
      stakeToken.interface,
      'ZeroAddress',
    );
  });

  it('cannot be initialised twice', async () => {
    const { alice, token, sToken } = await fixture();

    await expectRevert(sToken.initialize(alice.address, await token.getAddress(), 'X', 'X', 18), sToken, 'InvalidInitialization');
  });
});

describe('StakeToken staking', () => {
  it('mints sTokens 1:1 for the staked amount, recorded by a Transfer from the zero address', async () => {
    const { alice, token, sToken } = await fixture();

    const minted = await eventArgs(by(sToken, alice).stake(100n * E18), sToken, 'Transfer');

    expect(await sToken.balanceOf(alice.address)).toBe(100n * E18);
    expect(await sToken.totalSupply()).toBe(100n * E18);
    expect(await token.balanceOf(await sToken.getAddress())).toBe(100n * E18);
    expect(await token.balanceOf(alice.address)).toBe(900n * E18);
    expect([minted.from, minted.to, minted.value]).toEqual([hre.ethers.ZeroAddress, alice.address, 100n * E18]);
  });

  it('refuses to stake zero', async () => {
    const { alice, sToken } = await fixture();

    await expectRevert(by(sToken, alice).stake(0n), sToken, 'ZeroAmount');
  });

  it('reverts when the staked token cannot be pulled', async () => {
    const { admin, token, sToken } = await fixture();
    const spender = await sToken.getAddress();

    await expectRevert(by(sToken, admin).stake(1n), token, 'ERC20InsufficientAllowance', [spender, 0n, 1n]);
  });

  it('lets staked sTokens move like any ERC-20', async () => {
    const { alice, bob, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n * E18)).wait();

    await (await by(sToken, alice).transfer(bob.address, 4n * E18)).wait();

    expect(await sToken.balanceOf(alice.address)).toBe(6n * E18);
    expect(await sToken.balanceOf(bob.address)).toBe(4n * E18);
  });
});

describe('StakeToken unstaking and cooldown', () => {
  it('burns the sTokens and opens a 14-day request with the staker totals', async () => {
    const { alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(100n * E18)).wait();
    const at = (await now()) + 10n;
    await setNextTimestamp(at);

    const requested = await eventArgs(by(sToken, alice).unstake(30n * E18), sToken, 'UnstakeRequested');

    expect([requested.user, requested.requestId, requested.amount, requested.endsAt]).toEqual([alice.address, 0n, 30n * E18, at + COOLDOWN]);
    expect([requested.userStaked, requested.userCooling]).toEqual([70n * E18, 30n * E18]);
    expect(await sToken.balanceOf(alice.address)).toBe(70n * E18);
    expect(await sToken.totalSupply()).toBe(70n * E18);
    expect(await sToken.coolingBalanceOf(alice.address)).toBe(30n * E18);
    expect(await sToken.totalCooling()).toBe(30n * E18);
    expect((await sToken.cooldownsOf(alice.address)).map((c: unknown[]) => [...c])).toEqual([[0n, 30n * E18, at + COOLDOWN]]);
  });

  it('refuses to unstake zero or more than the staked balance', async () => {
    const { alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(5n)).wait();

    await expectRevert(by(sToken, alice).unstake(0n), sToken, 'ZeroAmount');
    await expectRevert(by(sToken, alice).unstake(6n), sToken, 'ERC20InsufficientBalance', [alice.address, 5n, 6n]);
  });

  it('makes cooling tokens untransferable: only what is still staked can move', async () => {
    const { alice, bob, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n * E18)).wait();
    await (await by(sToken, alice).unstake(8n * E18)).wait();

    await expectRevert(by(sToken, alice).transfer(bob.address, 3n * E18), sToken, 'ERC20InsufficientBalance', [
      alice.address,
      2n * E18,
      3n * E18,
    ]);
    await (await by(sToken, alice).transfer(bob.address, 2n * E18)).wait();
    expect(await sToken.balanceOf(bob.address)).toBe(2n * E18);
  });

  it('reverts a withdraw before the cooldown ends, naming when it ends', async () => {
    const { alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n)).wait();
    const requested = await eventArgs(by(sToken, alice).unstake(10n), sToken, 'UnstakeRequested');
    await setNextTimestamp((requested.endsAt as bigint) - 1n);

    await expectRevert(by(sToken, alice).withdraw(), sToken, 'NothingToWithdraw', [alice.address, await sToken.stakedToken(), requested.endsAt]);
  });

  it('reverts a withdraw when nothing was unstaked', async () => {
    const { alice, sToken } = await fixture();

    await expectRevert(by(sToken, alice).withdraw(), sToken, 'NothingToWithdraw', [alice.address, await sToken.stakedToken(), 0n]);
  });

  it('keeps a separate clock for each of two overlapping unstakes', async () => {
    const { alice, token, sToken } = await fixture();
    await (await by(sToken, alice).stake(100n * E18)).wait();
    const first = await eventArgs(by(sToken, alice).unstake(30n * E18), sToken, 'UnstakeRequested');
    await increaseTime(5n * DAY);
    const second = await eventArgs(by(sToken, alice).unstake(20n * E18), sToken, 'UnstakeRequested');
    const before = await token.balanceOf(alice.address);

    await setNextTimestamp(first.endsAt as bigint);
    const firstPaid = await eventArgs(by(sToken, alice).withdraw(), sToken, 'Withdrawn');

    expect(second.endsAt).toBe((first.endsAt as bigint) + 5n * DAY + 1n);
    expect([firstPaid.amount, firstPaid.firstRequestId, firstPaid.lastRequestId]).toEqual([30n * E18, 0n, 0n]);
    expect([firstPaid.userStaked, firstPaid.userCooling]).toEqual([50n * E18, 20n * E18]);
    expect(await token.balanceOf(alice.address)).toBe(before + 30n * E18);
    expect((await sToken.cooldownsOf(alice.address)).map((c: unknown[]) => [...c])).toEqual([[1n, 20n * E18, second.endsAt]]);
    await expectRevert(by(sToken, alice).withdraw(), sToken, 'NothingToWithdraw', [alice.address, await sToken.stakedToken(), second.endsAt]);

    await setNextTimestamp(second.endsAt as bigint);
    const secondPaid = await eventArgs(by(sToken, alice).withdraw(), sToken, 'Withdrawn');
    expect([secondPaid.amount, secondPaid.firstRequestId, secondPaid.lastRequestId]).toEqual([20n * E18, 1n, 1n]);
    expect(await token.balanceOf(alice.address)).toBe(before + 50n * E18);
    expect(await sToken.coolingBalanceOf(alice.address)).toBe(0n);
    expect(await sToken.totalCooling()).toBe(0n);
  });

  it('pays every matured request in one withdraw and reports what is withdrawable', async () => {
    const { alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(60n)).wait();
    for (const amount of [10n, 20n, 30n]) {
      await (await by(sToken, alice).unstake(amount)).wait();
      await increaseTime(HOUR);
    }
    expect(await sToken.withdrawableOf(alice.address)).toBe(0n);
    await increaseTime(COOLDOWN - 2n * HOUR);
    expect(await sToken.withdrawableOf(alice.address)).toBe(30n);

    await increaseTime(2n * HOUR);
    expect(await sToken.withdrawableOf(alice.address)).toBe(60n);
    const paid = await eventArgs(by(sToken, alice).withdraw(), sToken, 'Withdrawn');

    expect([paid.amount, paid.firstRequestId, paid.lastRequestId, paid.userCooling]).toEqual([60n, 0n, 2n, 0n]);
    expect(await sToken.cooldownsOf(alice.address)).toHaveLength(0);
  });

  it('pays at most the asked number of requests with withdrawMatured', async () => {
    const { alice, token, sToken } = await fixture();
    await (await by(sToken, alice).stake(6n)).wait();
    for (const amount of [1n, 2n, 3n]) await (await by(sToken, alice).unstake(amount)).wait();
    await increaseTime(COOLDOWN);
    const before = await token.balanceOf(alice.address);

    const paid = await eventArgs(by(sToken, alice).withdrawMatured(2n), sToken, 'Withdrawn');

    expect([paid.amount, paid.firstRequestId, paid.lastRequestId]).toEqual([3n, 0n, 1n]);
    expect(await token.balanceOf(alice.address)).toBe(before + 3n);
    expect(await sToken.coolingBalanceOf(alice.address)).toBe(3n);
    await expectRevert(by(sToken, alice).withdrawMatured(0n), sToken, 'NothingToWithdraw');
  });

  it('keeps each user queue separate', async () => {
    const { alice, bob, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n)).wait();
    await (await by(sToken, bob).stake(10n)).wait();
    await (await by(sToken, alice).unstake(10n)).wait();
    await increaseTime(COOLDOWN);

    await expectRevert(by(sToken, bob).withdraw(), sToken, 'NothingToWithdraw', [bob.address, await sToken.stakedToken(), 0n]);
    const requested = await eventArgs(by(sToken, bob).unstake(4n), sToken, 'UnstakeRequested');
    expect(requested.requestId).toBe(0n);
    expect((await eventArgs(by(sToken, alice).withdraw(), sToken, 'Withdrawn')).amount).toBe(10n);
  });
});

describe('StakeToken cooldown configuration', () => {
  it('lets the admin set the cooldown within bounds, for new requests only', async () => {
    const { admin, alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n)).wait();
    const old = await eventArgs(by(sToken, alice).unstake(5n), sToken, 'UnstakeRequested');

    const updated = await eventArgs(by(sToken, admin).setCooldownDuration(30n * DAY), sToken, 'CooldownDurationUpdated');
    const at = (await now()) + 1n;
    await setNextTimestamp(at);
    const fresh = await eventArgs(by(sToken, alice).unstake(5n), sToken, 'UnstakeRequested');

    expect([updated.previousDuration, updated.newDuration]).toEqual([COOLDOWN, 30n * DAY]);
    expect(fresh.endsAt).toBe(at + 30n * DAY);
    expect((await sToken.cooldownsOf(alice.address))[0].endsAt).toBe(old.endsAt);
  });

  it('rejects a cooldown outside 1 hour..90 days and callers other than the admin', async () => {
    const { admin, alice, sToken } = await fixture();

    for (const duration of [HOUR - 1n, 90n * DAY + 1n]) {
      await expectRevert(by(sToken, admin).setCooldownDuration(duration), sToken, 'CooldownOutOfBounds', [duration, HOUR, 90n * DAY]);
    }
    await expectRevert(by(sToken, alice).setCooldownDuration(DAY), sToken, 'AccessControlUnauthorizedAccount', [
      alice.address,
      hre.ethers.ZeroHash,
    ]);
    await (await by(sToken, admin).setCooldownDuration(HOUR)).wait();
    await (await by(sToken, admin).setCooldownDuration(90n * DAY)).wait();
    expect(await sToken.cooldownDuration()).toBe(90n * DAY);
  });

  it('after a shorter cooldown, a new request never matures before an older one of the same user', async () => {
    const { admin, alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n)).wait();
    const old = await eventArgs(by(sToken, alice).unstake(5n), sToken, 'UnstakeRequested');
    await (await by(sToken, admin).setCooldownDuration(DAY)).wait();

    const fresh = await eventArgs(by(sToken, alice).unstake(5n), sToken, 'UnstakeRequested');

    expect(fresh.endsAt).toBe(old.endsAt);
  });
});

describe('StakeToken pause', () => {
  it('stops stake, unstake and withdraw while paused; only the admin resumes', async () => {
    const { admin, alice, sToken } = await fixture();
    await (await by(sToken, alice).stake(10n)).wait();
    await (await by(sToken, alice).unstake(5n)).wait();
    await increaseTime(COOLDOWN);
    await (await by(sToken, admin).grantRole(await sToken.PAUSER_ROLE(), alice.address)).wait();

    await (await by(sToken, alice).pause()).wait();

    await expectRevert(by(sToken, alice).stake(1n), sToken, 'EnforcedPause');
    await expectRevert(by(sToken, alice).unstake(1n), sToken, 'EnforcedPause');
    await expectRevert(by(sToken, alice).withdraw(), sToken, 'EnforcedPause');
    await expectRevert(by(sToken, alice).unpause(), sToken, 'AccessControlUnauthorizedAccount');
    await (await by(sToken, admin).unpause()).wait();
    expect((await eventArgs(by(sToken, alice).withdraw(), sToken, 'Withdrawn')).amount).toBe(5n);
  });

  it('reports the flag and emits Paused and Unpaused with the caller, refusing to pause twice or unpause twice', async () => {
    const { admin, sToken } = await fixture();

    const paused = await eventArgs(by(sToken, admin).pause(), sToken, 'Paused');
    const pausedFlag = await sToken.paused();
    await expectRevert(by(sToken, admin).pause(), sToken, 'EnforcedPause');
    const unpaused = await eventArgs(by(sToken, admin).unpause(), sToken, 'Unpaused');

    expect([paused.account, pausedFlag, unpaused.account, await sToken.paused()]).toEqual([admin.address, true, admin.address, false]);
    await expectRevert(by(sToken, admin).unpause(), sToken, 'ExpectedPause');
  });

  it('keeps the flag apart from the staked token, cooldown and decimals that share its storage slot', async () => {
    const { admin, operator, factory, token, sToken } = await fixture();
    const other = await deployTestToken('DEFI Index', 'DEFI.ssi', 8);
    await (await by(factory, operator).createStakeToken(await other.getAddress())).wait();
    const sOther = await stakeTokenAt(await factory.sTokenOf(await other.getAddress()));

    await (await by(sToken, admin).pause()).wait();
    await (await by(sToken, admin).setCooldownDuration(3n * DAY)).wait();

    expect([await sToken.paused(), await sToken.stakedToken(), await sToken.cooldownDuration(), await sToken.decimals()]).toEqual([
      true,
      await token.getAddress(),
      3n * DAY,
      18n,
    ]);
    expect(await sOther.paused()).toBe(false);
    await (await by(sToken, admin).unpause()).wait();
    expect([await sToken.stakedToken(), await sToken.cooldownDuration(), await sToken.decimals()]).toEqual([await token.getAddress(), 3n * DAY, 18n]);
  });
});

describe('StakeToken accounting property', () => {
  it('keeps staked + cooling backed by the contract balance and pays back exactly what was put in', async () => {
    const { alice, bob, token, sToken } = await fixture();
    const users = [alice, bob];
    const action = fc.oneof(
      fc.record({ kind: fc.constant('stake' as const), user: fc.nat(1), amount: fc.bigInt(1n, 50n) }),
      fc.record({ kind: fc.constant('unstake' as const), user: fc.nat(1), amount: fc.bigInt(1n, 50n) }),
      fc.record({ kind: fc.constant('withdraw' as const), user: fc.nat(1) }),
      fc.record({ kind: fc.constant('wait' as const), days: fc.bigInt(1n, 10n) }),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
        const start = await Promise.all(users.map((u) => token.balanceOf(u.address)));
        for (const a of actions) {
          if (a.kind === 'wait') {
            await increaseTime(a.days * DAY);
            continue;
          }
          const user = users[a.user]!;
          if (a.kind === 'stake') await (await by(sToken, user).stake(a.amount)).wait();
          if (a.kind === 'unstake' && (await sToken.balanceOf(user.address)) >= a.amount) {
            await (await by(sToken, user).unstake(a.amount)).wait();
          }
          if (a.kind === 'withdraw' && (await sToken.withdrawableOf(user.address)) > 0n) {
            await (await by(sToken, user).withdraw()).wait();
          }
          const held = await token.balanceOf(await sToken.getAddress());
          expect(held).toBe((await sToken.totalSupply()) + (await sToken.totalCooling()));
        }
        // Everyone unstakes everything and waits out the longest cooldown: all tokens come back.
        for (const user of users) {
          const staked = await sToken.balanceOf(user.address);
          if (staked > 0n) await (await by(sToken, user).unstake(staked)).wait();
        }
        await increaseTime(COOLDOWN);
        for (const [i, user] of users.entries()) {
          if ((await sToken.coolingBalanceOf(user.address)) > 0n) await (await by(sToken, user).withdraw()).wait();
          expect(await token.balanceOf(user.address)).toBe(start[i]);
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('StakeToken reentrancy', () => {
  it('rejects a staked token that calls back into withdraw while being paid out', async () => {
    const { operator, alice, factory } = await fixture();
    const evil = (await hre.ethers.deployContract('ReentrantToken')) as unknown as Contract;
    await (await by(factory, operator).createStakeToken(await evil.getAddress())).wait();
    const sEvil = await stakeTokenAt(await factory.sTokenOf(await evil.getAddress()));
    await (await evil.mint(alice.address, 10n)).wait();
    await (await by(evil, alice).approve(await sEvil.getAddress(), 10n)).wait();
    await (await by(sEvil, alice).stake(10n)).wait();
    await (await by(sEvil, alice).unstake(10n)).wait();
    await increaseTime(COOLDOWN);
    await (await evil.arm(await sEvil.getAddress(), sEvil.interface.encodeFunctionData('withdraw'))).wait();

    await expectRevert(by(sEvil, alice).withdraw(), sEvil, 'ReentrancyGuardReentrantCall');
    expect(await sEvil.coolingBalanceOf(alice.address)).toBe(10n);
  });
});
