import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { DAY, HOUR, by, deployTestToken, eventArgs, increaseTime, now, setNextTimestamp, snapshotFixture } from '../../helpers/staking';

const E18 = 10n ** 18n;
const WEEK = 7n * DAY;
const CAP = 1_000n * E18;
const COOLDOWN = 7n * DAY;

interface Fixture {
  admin: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  lp: Contract;
  other: Contract;
  locking: Contract;
  epochStart: bigint;
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, alice, bob] = await hre.ethers.getSigners();
  const lp = await deployTestToken('MAG7.ssi/USDC LP', 'MAG7-USDC-LP');
  const other = await deployTestToken('Unlisted', 'UNL');
  const epochStart = (await now()) + DAY;
  const locking = (await hre.upgrades.deployProxy(
    await hre.ethers.getContractFactory('AssetLocking'),
    [admin.address, epochStart, WEEK],
    { kind: 'uups' },
  )) as unknown as Contract;
  await (await locking.configureToken(await lp.getAddress(), CAP, COOLDOWN)).wait();
  for (const user of [alice, bob]) {
    for (const token of [lp, other]) {
      await (await token.mint(user.address, 10_000n * E18)).wait();
      await (await by(token, user).approve(await locking.getAddress(), hre.ethers.MaxUint256)).wait();
    }
  }
  return { admin, alice, bob, lp, other, locking, epochStart };
});

describe('AssetLocking configuration', () => {
  it('lists a token with its cap and cooldown once, and updates it in place', async () => {
    const { admin, lp, other, locking } = await fixture();

    const configured = await eventArgs(by(locking, admin).configureToken(await other.getAddress(), 5n, HOUR), locking, 'LockableTokenConfigured');
    await (await by(locking, admin).configureToken(await lp.getAddress(), 2n * CAP, DAY)).wait();

    expect([configured.token, configured.cap, configured.cooldown]).toEqual([await other.getAddress(), 5n, HOUR]);
    expect(await locking.lockableTokens()).toEqual([await lp.getAddress(), await other.getAddress()]);
    const lpState = await locking.lockableToken(await lp.getAddress());
    expect([lpState.listed, lpState.cooldown, lpState.cap, lpState.totalLocked, lpState.totalCooling]).toEqual([true, DAY, 2n * CAP, 0n, 0n]);
  });

  it('rejects a zero token, a cooldown out of bounds, a cap above 128 bits and callers other than the admin', async () => {
    const { admin, alice, other, locking } = await fixture();
    const token = await other.getAddress();

    await expectRevert(by(locking, admin).configureToken(hre.ethers.ZeroAddress, 1n, DAY), locking, 'ZeroAddress');
    await expectRevert(by(locking, admin).configureToken(token, 1n, HOUR - 1n), locking, 'CooldownOutOfBounds', [HOUR - 1n, HOUR, 90n * DAY]);
    await expectRevert(by(locking, admin).configureToken(token, 1n, 90n * DAY + 1n), locking, 'CooldownOutOfBounds', [
      90n * DAY + 1n,
      HOUR,
      90n * DAY,
    ]);
    await expectRevert(by(locking, admin).configureToken(token, 2n ** 128n, DAY), locking, 'SafeCastOverflowedUintDowncast', [128n, 2n ** 128n]);
    await expectRevert(by(locking, alice).configureToken(token, 1n, DAY), locking, 'AccessControlUnauthorizedAccount', [
      alice.address,
      hre.ethers.ZeroHash,
    ]);
  });

  it('numbers epochs from the schedule start: 0 before, then 1, 2, ...', async () => {
    const { locking, epochStart } = await fixture();

    expect(await locking.currentEpoch()).toBe(0n);
    expect(await locking.epochAt(epochStart - 1n)).toBe(0n);
    expect(await locking.epochAt(epochStart)).toBe(1n);
    expect(await locking.epochAt(epochStart + WEEK - 1n)).toBe(1n);
    expect(await locking.epochAt(epochStart + WEEK)).toBe(2n);
    expect([...(await locking.epochSchedule())]).toEqual([epochStart, WEEK]);
  });

  it('lets the admin change the epoch schedule within bounds', async () => {
    const { admin, alice, locking } = await fixture();

    const updated = await eventArgs(by(locking, admin).setEpochSchedule(1_000n, DAY), locking, 'EpochScheduleUpdated');

    expect([updated.start, updated.length]).toEqual([1_000n, DAY]);
    expect(await locking.epochAt(1_000n + 3n * DAY)).toBe(4n);
    for (const [start, length] of [
      [0n, DAY],
      [1n, HOUR - 1n],
      [1n, 365n * DAY + 1n],
    ]) {
      await expectRevert(by(locking, admin).setEpochSchedule(start, length), locking, 'InvalidEpochSchedule', [start, length, HOUR, 365n * DAY]);
    }
    await expectRevert(by(locking, alice).setEpochSchedule(1n, DAY), locking, 'AccessControlUnauthorizedAccount');
  });

  it('refuses an invalid schedule at initialisation', async () => {
    const [admin] = await hre.ethers.getSigners();
    const factory = await hre.ethers.getContractFactory('AssetLocking');

    await expectRevert(hre.upgrades.deployProxy(factory, [admin.address, 0n, WEEK], { kind: 'uups' }), factory.interface, 'InvalidEpochSchedule');
  });
});

describe('AssetLocking lock', () => {
  it('locks tokens and reports the epoch, the user total and the global total', async () => {
    const { alice, bob, lp, locking, epochStart } = await fixture();
    await setNextTimestamp(epochStart + WEEK + 5n);
    await (await by(locking, bob).lock(await lp.getAddress(), 50n * E18)).wait();

    const locked = await eventArgs(by(locking, alice).lock(await lp.getAddress(), 20n * E18), locking, 'Locked');

    expect([locked.user, locked.token, locked.epoch, locked.amount]).toEqual([alice.address, await lp.getAddress(), 2n, 20n * E18]);
    expect([locked.userLocked, locked.totalLocked]).toEqual([20n * E18, 70n * E18]);
    expect(await locking.lockedOf(alice.address, await lp.getAddress())).toBe(20n * E18);
    expect(await lp.balanceOf(await locking.getAddress())).toBe(70n * E18);
    expect((await locking.lockableToken(await lp.getAddress())).totalLocked).toBe(70n * E18);
  });

  it('records epoch 0 for locks before the schedule starts', async () => {
    const { alice, lp, locking } = await fixture();

    const locked = await eventArgs(by(locking, alice).lock(await lp.getAddress(), 1n), locking, 'Locked');

    expect(locked.epoch).toBe(0n);
  });

  it('enforces the global cap across users: up to the cap is fine, one unit more reverts', async () => {
    const { alice, bob, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, CAP - 10n)).wait();

    await expectRevert(by(locking, bob).lock(token, 11n), locking, 'LockCapExceeded', [token, CAP, CAP - 10n, 11n]);
    await (await by(locking, bob).lock(token, 10n)).wait();
    expect((await locking.lockableToken(token)).totalLocked).toBe(CAP);
  });

  it('frees cap room on unlock, and a lowered cap blocks only new locks', async () => {
    const { admin, alice, bob, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, CAP)).wait();
    await (await by(locking, alice).unlock(token, 100n)).wait();
    await (await by(locking, bob).lock(token, 100n)).wait();

    await (await by(locking, admin).configureToken(token, CAP / 2n, COOLDOWN)).wait();

    await expectRevert(by(locking, bob).lock(token, 1n), locking, 'LockCapExceeded', [token, CAP / 2n, CAP, 1n]);
    await (await by(locking, alice).unlock(token, CAP - 100n)).wait();
    expect((await locking.lockableToken(token)).totalLocked).toBe(100n);
  });

  it('refuses unlisted tokens and zero amounts', async () => {
    const { alice, lp, other, locking } = await fixture();
    const unlisted = await other.getAddress();

    await expectRevert(by(locking, alice).lock(unlisted, 1n), locking, 'TokenNotLockable', [unlisted]);
    await expectRevert(by(locking, alice).lock(await lp.getAddress(), 0n), locking, 'ZeroAmount');
  });
});

describe('AssetLocking unlock and withdraw', () => {
  it('moves an unlocked amount into a cooldown request and reports the totals', async () => {
    const { alice, bob, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, 100n)).wait();
    await (await by(locking, bob).lock(token, 50n)).wait();
    const at = (await now()) + 1n;
    await setNextTimestamp(at);

    const requested = await eventArgs(by(locking, alice).unlock(token, 30n), locking, 'UnlockRequested');

    expect([requested.user, requested.token, requested.epoch, requested.requestId, requested.amount, requested.endsAt]).toEqual([
      alice.address,
      token,
      0n,
      0n,
      30n,
      at + COOLDOWN,
    ]);
    expect([requested.userLocked, requested.userCooling, requested.totalLocked]).toEqual([70n, 30n, 120n]);
    expect(await locking.lockedOf(alice.address, token)).toBe(70n);
    expect(await locking.coolingOf(alice.address, token)).toBe(30n);
    expect((await locking.lockableToken(token)).totalCooling).toBe(30n);
    expect((await locking.cooldownsOf(alice.address, token)).map((c: unknown[]) => [...c])).toEqual([[0n, 30n, at + COOLDOWN]]);
  });

  it('refuses to unlock zero or more than is locked', async () => {
    const { alice, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, 10n)).wait();

    await expectRevert(by(locking, alice).unlock(token, 0n), locking, 'ZeroAmount');
    await expectRevert(by(locking, alice).unlock(token, 11n), locking, 'InsufficientLocked', [alice.address, token, 10n, 11n]);
  });

  it('reverts a withdraw before the cooldown ends and pays after it, one clock per unlock', async () => {
    const { alice, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, 100n)).wait();
    const first = await eventArgs(by(locking, alice).unlock(token, 60n), locking, 'UnlockRequested');
    await increaseTime(2n * DAY);
    const second = await eventArgs(by(locking, alice).unlock(token, 40n), locking, 'UnlockRequested');
    const before = await lp.balanceOf(alice.address);

    await setNextTimestamp((first.endsAt as bigint) - 1n);
    await expectRevert(by(locking, alice).withdraw(token), locking, 'NothingToWithdraw', [alice.address, token, first.endsAt]);
    expect(await locking.withdrawableOf(alice.address, token)).toBe(0n);
    await increaseTime(1n);
    expect(await locking.withdrawableOf(alice.address, token)).toBe(60n);
    const paid = await eventArgs(by(locking, alice).withdraw(token), locking, 'Withdrawn');

    expect([paid.amount, paid.firstRequestId, paid.lastRequestId, paid.userCooling, paid.totalCooling]).toEqual([60n, 0n, 0n, 40n, 40n]);
    expect(paid.epoch).toBe(1n);
    expect(await lp.balanceOf(alice.address)).toBe(before + 60n);
    await expectRevert(by(locking, alice).withdraw(token), locking, 'NothingToWithdraw', [alice.address, token, second.endsAt]);
    await setNextTimestamp(second.endsAt as bigint);
    await (await by(locking, alice).withdraw(token)).wait();
    expect(await lp.balanceOf(alice.address)).toBe(before + 100n);
    expect(await locking.coolingOf(alice.address, token)).toBe(0n);
  });

  it('unbounded withdraw: withdrawMatured pays at most the asked number of matured requests, oldest first', async () => {
    const { alice, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, 6n)).wait();
    for (const amount of [1n, 2n, 3n]) await (await by(locking, alice).unlock(token, amount)).wait();
    await increaseTime(COOLDOWN);
    const before = await lp.balanceOf(alice.address);

    const paid = await eventArgs(by(locking, alice).withdrawMatured(token, 2n), locking, 'Withdrawn');

    expect([paid.amount, paid.firstRequestId, paid.lastRequestId, paid.userCooling, paid.totalCooling]).toEqual([3n, 0n, 1n, 3n, 3n]);
    expect(await lp.balanceOf(alice.address)).toBe(before + 3n);
    expect(await locking.coolingOf(alice.address, token)).toBe(3n);
    await expectRevert(by(locking, alice).withdrawMatured(token, 0n), locking, 'NothingToWithdraw');
    const rest = await eventArgs(by(locking, alice).withdrawMatured(token, 5n), locking, 'Withdrawn');
    expect([rest.amount, rest.firstRequestId, rest.lastRequestId, rest.userCooling]).toEqual([3n, 2n, 2n, 0n]);
  });

  it('reverts a withdraw when nothing was unlocked', async () => {
    const { alice, lp, locking } = await fixture();
    const token = await lp.getAddress();

    await expectRevert(by(locking, alice).withdraw(token), locking, 'NothingToWithdraw', [alice.address, token, 0n]);
  });

  it('keeps the cooldown of a request made before the token cooldown changed', async () => {
    const { admin, alice, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, 10n)).wait();
    const old = await eventArgs(by(locking, alice).unlock(token, 5n), locking, 'UnlockRequested');

    await (await by(locking, admin).configureToken(token, CAP, 30n * DAY)).wait();
    const fresh = await eventArgs(by(locking, alice).unlock(token, 5n), locking, 'UnlockRequested');

    expect((await locking.cooldownsOf(alice.address, token))[0].endsAt).toBe(old.endsAt);
    expect((fresh.endsAt as bigint) - (old.endsAt as bigint)).toBeGreaterThanOrEqual(23n * DAY);
  });
});

describe('AssetLocking pause', () => {
  it('stops lock, unlock and withdraw while paused', async () => {
    const { admin, alice, lp, locking } = await fixture();
    const token = await lp.getAddress();
    await (await by(locking, alice).lock(token, 10n)).wait();
    await (await by(locking, alice).unlock(token, 5n)).wait();
    await increaseTime(COOLDOWN);

    await (await by(locking, admin).pause()).wait();

    await expectRevert(by(locking, alice).lock(token, 1n), locking, 'EnforcedPause');
    await expectRevert(by(locking, alice).unlock(token, 1n), locking, 'EnforcedPause');
    await expectRevert(by(locking, alice).withdraw(token), locking, 'EnforcedPause');
    await (await by(locking, admin).unpause()).wait();
    expect((await eventArgs(by(locking, alice).withdraw(token), locking, 'Withdrawn')).amount).toBe(5n);
  });
});

describe('AssetLocking reentrancy', () => {
  it('rejects a locked token that calls back into withdraw while being paid out', async () => {
    const { admin, alice, locking } = await fixture();
    const evil = (await hre.ethers.deployContract('ReentrantToken')) as unknown as Contract;
    const token = await evil.getAddress();
    await (await by(locking, admin).configureToken(token, CAP, COOLDOWN)).wait();
    await (await evil.mint(alice.address, 10n)).wait();
    await (await by(evil, alice).approve(await locking.getAddress(), 10n)).wait();
    await (await by(locking, alice).lock(token, 10n)).wait();
    await (await by(locking, alice).unlock(token, 10n)).wait();
    await increaseTime(COOLDOWN);
    await (await evil.arm(await locking.getAddress(), locking.interface.encodeFunctionData('withdraw', [token]))).wait();

    await expectRevert(by(locking, alice).withdraw(token), locking, 'ReentrancyGuardReentrantCall');
    expect(await locking.coolingOf(alice.address, token)).toBe(10n);
  });
});
