import hre from 'hardhat';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import { eventArgs } from '../../helpers/staking';
import {
  E18,
  INITIAL_NAV,
  TEST_SETTINGS,
  USDC,
  apply,
  as,
  deployUssiFixture,
  hedgeOrder,
  increaseTime,
  mintUssi,
  now,
  signOrder,
  useSnapshots,
  type UssiFixture,
} from '../../helpers/ussi';
import { AssetKind, HedgeSide, RequestStatus } from '../../../lambdas/domain/ussi-orders';
import { planNavUpdate } from '../../../lambdas/domain/ussi-nav';

describe('USSI: NAV, settings, assets, rescue, upgrades', () => {
  let fx: UssiFixture;
  let ussiAddress: string;
  let adminAddress: string;

  beforeAll(async () => {
    fx = await deployUssiFixture(hre);
    ussiAddress = await fx.ussi.getAddress();
    adminAddress = await fx.admin.getAddress();
  });
  useSnapshots(hre);

  const settingsOf = async (): Promise<Record<string, bigint>> => {
    const s = await fx.ussi.settings();
    return { toleranceBps: s.toleranceBps, requestTimeout: s.requestTimeout, maxNavMoveBps: s.maxNavMoveBps, minNavInterval: s.minNavInterval, maxNavAge: s.maxNavAge };
  };

  describe('initialization', () => {
    it('starts with its name, signer, vault, settings and the initial NAV published at deployment', async () => {
      expect(await fx.ussi.name()).toBe('USSI');
      expect(await fx.ussi.symbol()).toBe('USSI');
      expect(await fx.ussi.decimals()).toBe(18n);
      expect(await fx.ussi.orderSigner()).toBe(await fx.signer.getAddress());
      expect(await fx.ussi.hedgeVault()).toBe(await fx.hedgeVault.getAddress());
      expect(await settingsOf()).toEqual(Object.fromEntries(Object.entries(TEST_SETTINGS).map(([k, v]) => [k, BigInt(v)])));
      const [nav, updatedAt] = await fx.ussi.nav();
      expect(nav).toBe(INITIAL_NAV);
      expect(updatedAt).toBeGreaterThan(0n);
      expect(await fx.ussi.defaultAdmin()).toBe(adminAddress);
      for (const role of ['PAUSER_ROLE', 'UPGRADER_ROLE']) expect(await fx.ussi.hasRole(await fx.ussi.getFunction(role)(), adminAddress)).toBe(true);
      expect(await fx.ussi.requestCount()).toBe(0n);
    });

    it('cannot be initialized twice, nor its implementation at all', async () => {
      const args = ['X', 'X', adminAddress, adminAddress, adminAddress, E18, TEST_SETTINGS];
      await expectRevert(fx.ussi.initialize(...args), fx.ussi, 'InvalidInitialization', []);
      const implementation = await hre.ethers.getContractAt('USSI', await hre.upgrades.erc1967.getImplementationAddress(ussiAddress));
      await expectRevert(implementation.initialize(...args), fx.ussi, 'InvalidInitialization', []);
    });

    it('refuses a zero signer or vault, a zero NAV and invalid settings', async () => {
      const factory = await hre.ethers.getContractFactory('USSI');
      const deploy = (signer: string, vault: string, nav: bigint, settings = TEST_SETTINGS): Promise<unknown> =>
        hre.upgrades.deployProxy(factory, ['USSI', 'USSI', adminAddress, signer, vault, nav, settings], { kind: 'uups' });
      const zero = hre.ethers.ZeroAddress;
      await expectRevert(deploy(zero, adminAddress, E18), fx.ussi, 'ZeroAddress', []);
      await expectRevert(deploy(adminAddress, zero, E18), fx.ussi, 'ZeroAddress', []);
      await expectRevert(deploy(adminAddress, adminAddress, 0n), fx.ussi, 'InvalidNav', [0n]);
      await expectRevert(deploy(adminAddress, adminAddress, E18, { ...TEST_SETTINGS, requestTimeout: 0 }), fx.ussi, 'InvalidRequestTimeout');
    });
  });

  describe('NAV publication', () => {
    it('publishes a NAV within the move bound once the minimum interval has passed', async () => {
      const [previous, updatedAt] = await fx.ussi.nav();
      await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(updatedAt) + TEST_SETTINGS.minNavInterval]);
      const up = previous + (previous * BigInt(TEST_SETTINGS.maxNavMoveBps)) / 10_000n;

      const event = await eventArgs(as(fx.ussi, fx.operator).publishNav(up), fx.ussi, 'NavPublished');

      expect(event).toEqual({ previousNav: previous, nav: up, updatedAt: updatedAt + BigInt(TEST_SETTINGS.minNavInterval) });
      expect([...(await fx.ussi.nav())]).toEqual([up, updatedAt + BigInt(TEST_SETTINGS.minNavInterval)]);
    });

    it('accepts the largest move down and refuses one unit more in either direction', async () => {
      const [previous] = await fx.ussi.nav();
      const bound = (previous * BigInt(TEST_SETTINGS.maxNavMoveBps)) / 10_000n;
      await increaseTime(hre, TEST_SETTINGS.minNavInterval);
      for (const nav of [previous + bound + 1n, previous - bound - 1n]) {
        await expectRevert(as(fx.ussi, fx.operator).publishNav(nav), fx.ussi, 'NavMoveTooLarge', [previous, nav, TEST_SETTINGS.maxNavMoveBps]);
      }
      await (await as(fx.ussi, fx.operator).publishNav(previous - bound)).wait();
      expect((await fx.ussi.nav())[0]).toBe(previous - bound);
    });

    it('refuses an update before the minimum interval since the last one', async () => {
      const [previous, updatedAt] = await fx.ussi.nav();
      const allowedAt = updatedAt + BigInt(TEST_SETTINGS.minNavInterval);
      await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(allowedAt - 1n)]);
      await expectRevert(as(fx.ussi, fx.operator).publishNav(previous + 1n), fx.ussi, 'NavUpdateTooEarly', [allowedAt, allowedAt - 1n]);
    });

    it('bounds how far repeated updates can move the NAV per interval', async () => {
      const [start] = await fx.ussi.nav();
      let nav = start;
      for (let i = 0; i < 3; i++) {
        await increaseTime(hre, TEST_SETTINGS.minNavInterval);
        nav += (nav * BigInt(TEST_SETTINGS.maxNavMoveBps)) / 10_000n;
        await (await as(fx.ussi, fx.operator).publishNav(nav)).wait();
        await expectRevert(as(fx.ussi, fx.operator).publishNav(nav + 1n), fx.ussi, 'NavUpdateTooEarly');
      }
      expect(nav).toBeLessThan((start * 10_304n) / 10_000n);
    });

    it('refuses a zero NAV or one beyond 128 bits, callers without the operator role and publication while paused', async () => {
      await increaseTime(hre, TEST_SETTINGS.minNavInterval);
      await expectRevert(as(fx.ussi, fx.operator).publishNav(0), fx.ussi, 'InvalidNav', [0n]);
      await expectRevert(as(fx.ussi, fx.operator).publishNav(1n << 128n), fx.ussi, 'InvalidNav', [1n << 128n]);
      await expectRevert(async () => as(fx.ussi, fx.wlp).publishNav(INITIAL_NAV), fx.ussi, 'AccessControlUnauthorizedAccount', [
        await fx.wlp.getAddress(),
        await fx.ussi.OPERATOR_ROLE(),
      ]);
      await (await fx.ussi.pause()).wait();
      await expectRevert(as(fx.ussi, fx.operator).publishNav(INITIAL_NAV), fx.ussi, 'EnforcedPause', []);
    });

    it('the off-chain plan clamps a far reading to a step the contract accepts, one unit short of a refusal', async () => {
      await increaseTime(hre, TEST_SETTINGS.minNavInterval);
      const [nav, updatedAt] = (await fx.ussi.nav()) as [bigint, bigint];
      const at = (await now(hre)) + 1n;
      const onChain = { nav, updatedAt, ...TEST_SETTINGS };
      const plan = planNavUpdate(onChain, { nav: nav * 3n, asOf: at, source: 'test' }, at, { clamp: true });
      if (plan.action !== 'publish') throw new Error('expected a publication');
      expect(plan.clamped).toBe(true);

      await expectRevert(as(fx.ussi, fx.operator).publishNav(plan.nav + 1n), fx.ussi, 'NavMoveTooLarge');
      await (await as(fx.ussi, fx.operator).publishNav(plan.nav)).wait();

      expect((await fx.ussi.nav())[0]).toBe(plan.nav);
    });

    it('a new NAV changes how much USSI the same stablecoin amount is worth', async () => {
      await increaseTime(hre, TEST_SETTINGS.minNavInterval);
      const [nav] = await fx.ussi.nav();
      const stale = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(10_000n));
      await (await as(fx.ussi, fx.operator).publishNav((nav * 10_100n) / 10_000n)).wait();
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(stale, await signOrder(fx, stale)), fx.ussi, 'OutOfTolerance');
      const fresh = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(10_000n));
      expect(fresh.ussiAmount).toBeLessThan(stale.ussiAmount);
      await apply(fx, fresh);
    });
  });

  describe('settings, signer, vault and assets', () => {
    it('the admin replaces the settings, announced with all of them', async () => {
      // The widest NAV move at the slowest rate the hard cap allows: 50% once every 5 hours (10% an hour).
      const next = { toleranceBps: 1_000, requestTimeout: 7 * 86_400, maxNavMoveBps: 5_000, minNavInterval: 5 * 3600, maxNavAge: 5 * 3600 + 1 };
      const event = await eventArgs(fx.ussi.setSettings(next), fx.ussi, 'SettingsUpdated');
      expect((event.settings as { toObject(): unknown }).toObject()).toEqual(Object.fromEntries(Object.entries(next).map(([k, v]) => [k, BigInt(v)])));
      expect(await settingsOf()).toEqual(Object.fromEntries(Object.entries(next).map(([k, v]) => [k, BigInt(v)])));
    });

    it('refuses settings beyond the hard caps or with a NAV age not above the update interval', async () => {
      const cases: Array<[Partial<typeof TEST_SETTINGS>, string, unknown[]]> = [
        [{ toleranceBps: 1_001 }, 'ToleranceTooHigh', [1_001, 1_000]],
        [{ requestTimeout: 0 }, 'InvalidRequestTimeout', [0, 7 * 86_400]],
        [{ requestTimeout: 7 * 86_400 + 1 }, 'InvalidRequestTimeout', [7 * 86_400 + 1, 7 * 86_400]],
        [{ maxNavMoveBps: 0 }, 'InvalidNavMoveBound', [0, 5_000]],
        [{ maxNavMoveBps: 5_001 }, 'InvalidNavMoveBound', [5_001, 5_000]],
        [{ minNavInterval: 600, maxNavAge: 600 }, 'InvalidNavTiming', [600, 600]],
      ];
      for (const [change, error, args] of cases) {
        await expectRevert(fx.ussi.setSettings({ ...TEST_SETTINGS, ...change }), fx.ussi, error, args);
      }
    });

    it('NAV rate limit set to zero: refuses a NAV interval below 5 minutes and a NAV move faster than 10% an hour', async () => {
      const cases: Array<[Partial<typeof TEST_SETTINGS>, string, unknown[]]> = [
        // The review's setting: no interval at all let the NAV go from 1.02e18 to 59e18 in 10 blocks.
        [{ minNavInterval: 0 }, 'NavIntervalTooShort', [0, 300]],
        [{ minNavInterval: 299 }, 'NavIntervalTooShort', [299, 300]],
        // 100 bps every 5 minutes is 12% an hour; 5,000 bps needs at least 5 hours between updates.
        [{ minNavInterval: 300 }, 'NavRateTooHigh', [100, 300, 1_000]],
        [{ maxNavMoveBps: 5_000, minNavInterval: 5 * 3600 - 1 }, 'NavRateTooHigh', [5_000, 5 * 3600 - 1, 1_000]],
      ];
      for (const [change, error, args] of cases) {
        await expectRevert(fx.ussi.setSettings({ ...TEST_SETTINGS, ...change }), fx.ussi, error, args);
      }
    });

    it('pending requests keep the expiry they were applied with when the timeout changes', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      const { expiresAt } = await fx.ussi.getRequest(id);
      await (await fx.ussi.setSettings({ ...TEST_SETTINGS, requestTimeout: 60 })).wait();
      expect((await fx.ussi.getRequest(id)).expiresAt).toBe(expiresAt);
      await increaseTime(hre, 120);
      await expectRevert(as(fx.ussi, fx.wlp).cancel(id), fx.ussi, 'RequestNotExpired', [hre.ethers.toBeHex(id, 32), expiresAt]);
    });

    it('the admin rotates the signer and moves the hedge vault; pending mints confirm to the new vault', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      const newVault = await fx.outsider.getAddress();
      const signerEvent = await eventArgs(fx.ussi.setOrderSigner(newVault), fx.ussi, 'OrderSignerUpdated');
      expect(signerEvent).toEqual({ previousSigner: await fx.signer.getAddress(), newSigner: newVault });
      const vaultEvent = await eventArgs(fx.ussi.setHedgeVault(newVault), fx.ussi, 'HedgeVaultUpdated');
      expect(vaultEvent).toEqual({ previousVault: await fx.hedgeVault.getAddress(), newVault });

      await (await as(fx.ussi, fx.operator).confirmMint(id)).wait();

      expect(await fx.usdc.balanceOf(newVault)).toBe(USDC(100n));
    });

    it('only the admin changes signer, vault, assets and settings, and never to zero', async () => {
      const someone = await fx.wlp.getAddress();
      const role = await fx.ussi.DEFAULT_ADMIN_ROLE();
      const operator = as(fx.ussi, fx.operator);
      const calls: Array<() => Promise<unknown>> = [
        () => operator.setOrderSigner(someone),
        () => operator.setHedgeVault(someone),
        () => operator.setAsset(someone, AssetKind.Stablecoin),
        () => operator.setSettings(TEST_SETTINGS),
        () => operator.rescue(fx.assets.usdc.address, someone, 0),
      ];
      for (const call of calls) {
        await expectRevert(async () => call(), fx.ussi, 'AccessControlUnauthorizedAccount', [await fx.operator.getAddress(), role]);
      }
      const zero = hre.ethers.ZeroAddress;
      await expectRevert(fx.ussi.setOrderSigner(zero), fx.ussi, 'ZeroAddress', []);
      await expectRevert(fx.ussi.setHedgeVault(zero), fx.ussi, 'ZeroAddress', []);
      await expectRevert(fx.ussi.setAsset(zero, AssetKind.Stablecoin), fx.ussi, 'ZeroAddress', []);
      await expectRevert(fx.ussi.rescue(fx.assets.usdc.address, zero, 0), fx.ussi, 'ZeroAddress', []);
    });

    it('lists supported assets with their kind and decimals, and forgets removed ones', async () => {
      expect([...(await fx.ussi.supportedAssets())].sort()).toEqual([fx.assets.usdc.address, fx.assets.dai.address, fx.assets.index.address].sort());
      expect([...(await fx.ussi.assetConfig(fx.assets.usdc.address))]).toEqual([BigInt(AssetKind.Stablecoin), 6n]);
      expect([...(await fx.ussi.assetConfig(fx.assets.index.address))]).toEqual([BigInt(AssetKind.IndexToken), 18n]);

      const event = await eventArgs(fx.ussi.setAsset(fx.assets.dai.address, AssetKind.Unsupported), fx.ussi, 'AssetUpdated');

      expect(event).toEqual({ asset: fx.assets.dai.address, kind: BigInt(AssetKind.Unsupported), decimals: 0n });
      expect([...(await fx.ussi.assetConfig(fx.assets.dai.address))]).toEqual([0n, 0n]);
      expect([...(await fx.ussi.supportedAssets())].sort()).toEqual([fx.assets.usdc.address, fx.assets.index.address].sort());
    });

    it('refuses USSI itself and tokens with absurd decimals as assets', async () => {
      await expectRevert(fx.ussi.setAsset(ussiAddress, AssetKind.IndexToken), fx.ussi, 'InvalidAsset', [ussiAddress]);
      const odd = await (await hre.ethers.getContractFactory('TestToken')).deploy('Odd', 'ODD', 37);
      await expectRevert(async () => fx.ussi.setAsset(await odd.getAddress(), AssetKind.Stablecoin), fx.ussi, 'InvalidAsset', [await odd.getAddress()]);
    });
  });

  describe('rescue', () => {
    it('moves tokens sent by mistake but never the escrow of pending mints and redeems', async () => {
      await mintUssi(hre, fx, USDC(10_000n));
      const mintOrder = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(3_000n));
      await apply(fx, mintOrder);
      await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Redeem, 500n * E18));
      await (await fx.usdc.mint(ussiAddress, USDC(7n))).wait();
      await (await as(fx.ussi, fx.wlp).transfer(ussiAddress, 2n * E18)).wait();
      const to = await fx.outsider.getAddress();

      await expectRevert(fx.ussi.rescue(fx.assets.usdc.address, to, USDC(7n) + 1n), fx.ussi, 'RescueExceedsFree', [
        fx.assets.usdc.address,
        USDC(7n) + 1n,
        USDC(7n),
      ]);
      await expectRevert(fx.ussi.rescue(ussiAddress, to, 2n * E18 + 1n), fx.ussi, 'RescueExceedsFree', [ussiAddress, 2n * E18 + 1n, 2n * E18]);
      const event = await eventArgs(fx.ussi.rescue(fx.assets.usdc.address, to, USDC(7n)), fx.ussi, 'Rescued');
      await (await fx.ussi.rescue(ussiAddress, to, 2n * E18)).wait();

      expect(event).toEqual({ token: fx.assets.usdc.address, to, amount: USDC(7n) });
      expect(await fx.usdc.balanceOf(to)).toBe(USDC(7n));
      expect(await fx.ussi.balanceOf(to)).toBe(2n * E18);
      expect(await fx.usdc.balanceOf(ussiAddress)).toBe(await fx.ussi.pending(fx.assets.usdc.address));
      expect(await fx.ussi.balanceOf(ussiAddress)).toBe(await fx.ussi.pending(ussiAddress));
      expect(await fx.ussi.floatOf(fx.assets.usdc.address)).toBe(0n);
      // The escrow still settles.
      await (await as(fx.ussi, fx.operator).confirmMint(2n)).wait();
      await (await as(fx.ussi, fx.operator).rejectRedeem(3n)).wait();
    });
  });

  describe('upgrades', () => {
    it('upgrades through the plugin to a V2 that keeps balances, requests, escrow, NAV, nonces and settings', async () => {
      const minted = await mintUssi(hre, fx, USDC(1_000n));
      const pendingOrder = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(250n));
      const id = await apply(fx, pendingOrder);
      await increaseTime(hre, TEST_SETTINGS.minNavInterval);
      await (await as(fx.ussi, fx.operator).publishNav(INITIAL_NAV + 12_345n)).wait();
      const nav = [...(await fx.ussi.nav())];
      const settings = await settingsOf();

      const before = await hre.upgrades.erc1967.getImplementationAddress(ussiAddress);
      const upgraded = (await hre.upgrades.upgradeProxy(ussiAddress, await hre.ethers.getContractFactory('USSIV2', fx.admin), {
        kind: 'uups',
      })) as unknown as Contract;

      const after = await hre.upgrades.erc1967.getImplementationAddress(ussiAddress);
      expect(after).not.toBe(before);
      expect(after).toBe(await hre.upgrades.deployImplementation(await hre.ethers.getContractFactory('USSIV2', fx.admin), { kind: 'uups' }));
      expect(await upgraded.balanceOf(await fx.wlp.getAddress())).toBe(minted);
      expect([...(await upgraded.nav())]).toEqual(nav);
      expect(await settingsOf()).toEqual(settings);
      expect(await upgraded.isNonceUsed(await upgraded.getAddress(), pendingOrder.nonce)).toBe(true);
      expect(await upgraded.pending(pendingOrder.asset)).toBe(pendingOrder.assetAmount);
      expect((await upgraded.getRequest(id)).status).toBe(BigInt(RequestStatus.Pending));
      expect(await upgraded.orderSigner()).toBe(await fx.signer.getAddress());
      expect(await upgraded.hashOrder(pendingOrder)).toBe(await fx.ussi.hashOrder(pendingOrder));
      await (await as(upgraded, fx.operator).confirmMint(id)).wait();
      expect(await upgraded.balanceOf(await fx.wlp.getAddress())).toBe(minted + pendingOrder.ussiAmount);
    });

    it('lets only the upgrader upgrade', async () => {
      const v2 = await (await hre.ethers.getContractFactory('USSIV2', fx.admin)).deploy();
      await expectRevert(async () => as(fx.ussi, fx.outsider).upgradeToAndCall(await v2.getAddress(), '0x'), fx.ussi, 'AccessControlUnauthorizedAccount', [
        await fx.outsider.getAddress(),
        await fx.ussi.UPGRADER_ROLE(),
      ]);
    });
  });

  it('a token calling back into USSI while it pays out meets the reentrancy guard', async () => {
    const evil = (await hre.ethers.deployContract('ReentrantToken')) as unknown as Contract;
    const evilAddress = await evil.getAddress();
    await (await fx.ussi.setAsset(evilAddress, AssetKind.Stablecoin)).wait();
    await (await evil.mint(await fx.wlp.getAddress(), 1_000n * E18)).wait();
    await (await as(evil, fx.wlp).approve(ussiAddress, 1_000n * E18)).wait();
    const asset = { address: evilAddress, kind: AssetKind.Stablecoin, decimals: 18 };
    const withEvil: UssiFixture = { ...fx, assets: { ...fx.assets, dai: asset } };
    const first = await apply(withEvil, await hedgeOrder(hre, withEvil, HedgeSide.Mint, 100n * E18, { assetKey: 'dai' }));
    const second = await apply(withEvil, await hedgeOrder(hre, withEvil, HedgeSide.Mint, 100n * E18, { assetKey: 'dai' }));
    await increaseTime(hre, TEST_SETTINGS.requestTimeout);
    const reenter = fx.ussi.interface.encodeFunctionData('cancel', [second]);

    await (await evil.arm(ussiAddress, reenter)).wait();
    await expectRevert(as(fx.ussi, fx.wlp).cancel(first), fx.ussi, 'ReentrancyGuardReentrantCall', []);
    await (await evil.arm(ussiAddress, reenter)).wait();
    await expectRevert(as(fx.ussi, fx.operator).rejectMint(first), fx.ussi, 'ReentrancyGuardReentrantCall', []);

    await (await evil.arm(hre.ethers.ZeroAddress, '0x')).wait();
    await (await as(fx.ussi, fx.wlp).cancel(first)).wait();
    expect(await fx.ussi.pending(evilAddress)).toBe(100n * E18);
  });

  it('a guardian with only the pauser role can pause but not unpause', async () => {
    const guardian = fx.outsider;
    await (await fx.ussi.grantRole(await fx.ussi.PAUSER_ROLE(), await guardian.getAddress())).wait();
    await (await as(fx.ussi, guardian).pause()).wait();
    await expectRevert(as(fx.ussi, guardian).unpause(), fx.ussi, 'AccessControlUnauthorizedAccount');
    await (await fx.ussi.unpause()).wait();
    expect(await fx.ussi.paused()).toBe(false);
  });
});
