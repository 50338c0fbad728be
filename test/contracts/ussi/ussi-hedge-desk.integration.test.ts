import hre from 'hardhat';
import { expectRevert } from '../../helpers/revert';
import { E18, INDEX_UNITS, USDC, apply, as, deployUssiFixture, hedgeOrder, increaseTime, mintUssi, useSnapshots, type UssiFixture } from '../../helpers/ussi';
import { HedgeSide, RequestStatus } from '../../../lambdas/domain/ussi-orders';

const TX = `0x${'ab'.repeat(32)}`;

describe('USSI and the hedge desk: index-token burns, vault routes, tracked payouts', () => {
  let fx: UssiFixture;
  let wlp: string;
  let wlp2: string;
  let vault: string;
  let route: string;

  beforeAll(async () => {
    fx = await deployUssiFixture(hre);
    wlp = await fx.wlp.getAddress();
    wlp2 = await fx.wlp2.getAddress();
    vault = await fx.hedgeVault.getAddress();
    route = await fx.outsider.getAddress();
  });
  useSnapshots(hre);

  describe('index-token mints burn through the IndexBurner', () => {
    it('burns the escrowed index tokens and custody releases their basket (rounded down) to the hedge vault', async () => {
      const amount = 3n * E18 + 7n;
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, amount, { assetKey: 'index' }));
      const custody = await fx.custodyVault.getAddress();
      const custodyBefore = await Promise.all(fx.underlying.map((t) => t.balanceOf(custody) as Promise<bigint>));
      const supply = (await fx.index.totalSupply()) as bigint;
      const receipt = await (await as(fx.ussi, fx.operator).confirmMint(id)).wait();
      expect(await fx.index.totalSupply()).toBe(supply - amount);
      for (const [i, token] of fx.underlying.entries()) {
        const leg = (amount * INDEX_UNITS[i]!) / E18;
        expect(await token.balanceOf(vault)).toBe(leg);
        expect(await token.balanceOf(custody)).toBe(custodyBefore[i]! - leg);
      }
      const burned = receipt.logs.map((l: { topics: string[]; data: string }) => fx.indexBurner.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'BurnedFor');
      expect([...burned!.args].map(String)).toEqual([await fx.index.getAddress(), await fx.ussi.getAddress(), vault, String(amount)].map(String));
    });

    it('refuses to confirm without an IndexBurner, and the burner refuses callers without BURNER_ROLE, a rebalancing index and zero', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, E18, { assetKey: 'index' }));
      await (await fx.ussi.setIndexBurner(hre.ethers.ZeroAddress)).wait();
      await expectRevert(as(fx.ussi, fx.operator).confirmMint(id), fx.ussi, 'IndexBurnerNotSet');
      await (await fx.ussi.setIndexBurner(await fx.indexBurner.getAddress())).wait();

      const index = await fx.index.getAddress();
      await expectRevert(() => as(fx.indexBurner, fx.wlp).burnFor(index, E18, wlp), fx.indexBurner, 'AccessControlUnauthorizedAccount');
      const burner = await fx.indexBurner.getAddress();
      await (await fx.indexBurner.grantRole(await fx.indexBurner.BURNER_ROLE(), await fx.admin.getAddress())).wait();
      await expectRevert(fx.indexBurner.burnFor(index, 0n, vault), fx.indexBurner, 'ZeroBurn');
      await expectRevert(fx.indexBurner.burnFor(await fx.usdc.getAddress(), E18, vault), fx.indexBurner, 'UnknownIndex', [await fx.usdc.getAddress()]);
      const issuer = await hre.ethers.getContractAt('Issuer', await fx.indexBurner.issuer());
      await (await issuer.grantRole(await issuer.REBALANCER_ROLE(), await fx.admin.getAddress())).wait();
      await (await issuer.setRebalancing(index, true)).wait();
      await expectRevert(fx.indexBurner.burnFor(index, E18, vault), fx.indexBurner, 'IndexRebalancing', [index]);
      // The confirmation fails the same way and the request stays pending for the next run.
      await expect(as(fx.ussi, fx.operator).confirmMint(id)).rejects.toThrow();
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Pending));
      await (await issuer.setRebalancing(index, false)).wait();
      await (await as(fx.ussi, fx.operator).confirmMint(id)).wait();
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Confirmed));
      expect(burner).toBe(await fx.indexBurner.getAddress());
    });
  });

  describe('vault routes for stablecoin mints', () => {
    it('sends a routed requester USDC to its approved vault, others to the hedge vault, and falls back when approval is withdrawn', async () => {
      await expectRevert(as(fx.ussi, fx.operator).setVaultRoute(wlp, route), fx.ussi, 'VaultNotApproved', [route]);
      await expectRevert(() => as(fx.ussi, fx.operator).setVaultApproved(route, true), fx.ussi, 'AccessControlUnauthorizedAccount');
      const approved = await (await fx.ussi.setVaultApproved(route, true)).wait();
      expect(approved.logs.map((l: never) => fx.ussi.interface.parseLog(l)?.name)).toContain('VaultApproved');
      await expectRevert(() => as(fx.ussi, fx.wlp).setVaultRoute(wlp, route), fx.ussi, 'AccessControlUnauthorizedAccount');
      const set = await (await as(fx.ussi, fx.operator).setVaultRoute(wlp, route)).wait();
      const event = set.logs.map((l: never) => fx.ussi.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'VaultRouteSet');
      expect([...event!.args].map(String)).toEqual([wlp, hre.ethers.ZeroAddress, route]);

      await mintUssi(hre, fx, USDC(1_000n));
      expect(await fx.usdc.balanceOf(route)).toBe(USDC(1_000n));
      const other = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(500n), { requester: wlp2 }), fx.wlp2);
      await (await as(fx.ussi, fx.operator).confirmMint(other)).wait();
      expect(await fx.usdc.balanceOf(vault)).toBe(USDC(500n));
      // Index-token mints ignore the route: the basket is the hedge vault's.
      const byIndex = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, E18, { assetKey: 'index' }));
      await (await as(fx.ussi, fx.operator).confirmMint(byIndex)).wait();
      expect(await fx.underlying[0]!.balanceOf(vault)).toBe(INDEX_UNITS[0]);

      await (await fx.ussi.setVaultApproved(route, false)).wait();
      await mintUssi(hre, fx, USDC(200n));
      expect(await fx.usdc.balanceOf(route)).toBe(USDC(1_000n));
      expect(await fx.usdc.balanceOf(vault)).toBe(USDC(700n));
      // Clearing the route needs no approval.
      await (await as(fx.ussi, fx.operator).setVaultRoute(wlp, hre.ethers.ZeroAddress)).wait();
    });
  });

  describe('tracked off-chain payouts', () => {
    it('marks a redeem the float cannot pay as payout-pending (USSI burned, no cancel), then records the payout once', async () => {
      const minted = await mintUssi(hre, fx, USDC(1_000n));
      const order = await hedgeOrder(hre, fx, HedgeSide.Redeem, minted);
      const id = await apply(fx, order);
      const supply = (await fx.ussi.totalSupply()) as bigint;
      await expectRevert(as(fx.ussi, fx.operator).confirmRedeem(id, hre.ethers.ZeroHash), fx.ussi, 'InsufficientFloat');
      await expectRevert(() => as(fx.ussi, fx.wlp).markPayoutPending(id), fx.ussi, 'AccessControlUnauthorizedAccount');
      await expectRevert(as(fx.ussi, fx.operator).recordPayout(id, TX), fx.ussi, 'RequestNotPayoutPending', [id, RequestStatus.Pending]);

      await (await as(fx.ussi, fx.operator).markPayoutPending(id)).wait();
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.PayoutPending));
      expect(await fx.ussi.totalSupply()).toBe(supply - order.ussiAmount);
      expect(await fx.ussi.pending(await fx.ussi.getAddress())).toBe(0n);
      await increaseTime(hre, 7_200);
      await expectRevert(as(fx.ussi, fx.wlp).cancel(id), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(id, 32), RequestStatus.PayoutPending]);
      await expectRevert(as(fx.ussi, fx.operator).rejectRedeem(id), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(id, 32), RequestStatus.PayoutPending]);

      await expectRevert(as(fx.ussi, fx.operator).recordPayout(id, hre.ethers.ZeroHash), fx.ussi, 'ZeroPayoutTxHash');
      // Recording works even while paused: it moves nothing.
      await (await fx.ussi.pause()).wait();
      const recorded = await (await as(fx.ussi, fx.operator).recordPayout(id, TX)).wait();
      const event = recorded.logs.map((l: never) => fx.ussi.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === 'PayoutRecorded');
      expect([...event!.args].map(String)).toEqual([String(id), TX]);
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Confirmed));
      await expectRevert(as(fx.ussi, fx.operator).recordPayout(id, TX), fx.ussi, 'RequestNotPayoutPending', [id, RequestStatus.Confirmed]);
    });

    it('cannot mark a mint, an expired redeem or one already settled', async () => {
      const mintId = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      await expectRevert(as(fx.ussi, fx.operator).markPayoutPending(mintId), fx.ussi, 'WrongSide', [HedgeSide.Redeem, HedgeSide.Mint]);
      await (await as(fx.ussi, fx.operator).confirmMint(mintId)).wait();
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Redeem, E18));
      await increaseTime(hre, 3_600);
      await expectRevert(as(fx.ussi, fx.operator).markPayoutPending(id), fx.ussi, 'RequestExpired');
    });
  });
});
