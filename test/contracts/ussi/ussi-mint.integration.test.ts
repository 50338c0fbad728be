import hre from 'hardhat';
import { expectRevert } from '../../helpers/revert';
import { eventArgs } from '../../helpers/staking';
import {
  E18,
  INDEX_PRICE,
  INDEX_UNITS,
  TEST_SETTINGS,
  USDC,
  apply,
  as,
  deployUssiFixture,
  hedgeOrder,
  increaseTime,
  now,
  signOrder,
  useSnapshots,
  type UssiFixture,
} from '../../helpers/ussi';
import { AssetKind, HedgeSide, PRICE_ONE, RequestStatus, checkTolerance } from '../../../lambdas/domain/ussi-orders';

describe('USSI mint: apply, confirm, reject, cancel', () => {
  let fx: UssiFixture;
  let ussiAddress: string;
  let wlp: string;
  let vault: string;

  beforeAll(async () => {
    fx = await deployUssiFixture(hre);
    ussiAddress = await fx.ussi.getAddress();
    wlp = await fx.wlp.getAddress();
    vault = await fx.hedgeVault.getAddress();
  });
  useSnapshots(hre);

  describe('happy paths', () => {
    it('escrows the USDC on apply and records a pending request with its expiry', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(1_000n));
      const before = await fx.usdc.balanceOf(wlp);
      const [nav] = await fx.ussi.nav();

      const tx = as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order));
      const event = await eventArgs(tx, fx.ussi, 'MintApplied');

      const appliedAt = await now(hre);
      expect(event).toMatchObject({
        id: 1n,
        orderHash: await fx.ussi.hashOrder(order),
        requester: wlp,
        asset: order.asset,
        assetAmount: order.assetAmount,
        assetPrice: PRICE_ONE,
        ussiAmount: order.ussiAmount,
        nav,
        expiresAt: appliedAt + BigInt(TEST_SETTINGS.requestTimeout),
      });
      expect(await fx.usdc.balanceOf(wlp)).toBe(before - order.assetAmount);
      expect(await fx.usdc.balanceOf(ussiAddress)).toBe(order.assetAmount);
      expect(await fx.ussi.pending(order.asset)).toBe(order.assetAmount);
      expect(await fx.ussi.isNonceUsed(await fx.ussi.getAddress(), order.nonce)).toBe(true);
      const request = await fx.ussi.getRequest(1n);
      expect(request.requester).toBe(wlp);
      expect(request.status).toBe(BigInt(RequestStatus.Pending));
      expect(request.assetAmount).toBe(order.assetAmount);
      expect(request.ussiAmount).toBe(order.ussiAmount);
      expect(await fx.ussi.balanceOf(wlp)).toBe(0n);
    });

    it('confirming mints the USSI to the requester and forwards the USDC to the hedge vault', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(2_500n));
      const id = await apply(fx, order);

      const event = await eventArgs(as(fx.ussi, fx.operator).confirmMint(id), fx.ussi, 'MintConfirmed');

      expect(event).toMatchObject({ id, requester: wlp, asset: order.asset, assetAmount: order.assetAmount, ussiAmount: order.ussiAmount, hedgeVault: vault });
      expect(await fx.ussi.balanceOf(wlp)).toBe(order.ussiAmount);
      expect(await fx.ussi.totalSupply()).toBe(order.ussiAmount);
      expect(await fx.usdc.balanceOf(vault)).toBe(order.assetAmount);
      expect(await fx.usdc.balanceOf(ussiAddress)).toBe(0n);
      expect(await fx.ussi.pending(order.asset)).toBe(0n);
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Confirmed));
    });

    it('values the minted USSI at the NAV: 1,000 USDC at NAV 1.023456789 gives 977.09... USSI', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(1_000n));
      const [nav] = await fx.ussi.nav();
      // 1000 USD / NAV, floored to the unit.
      expect(order.ussiAmount).toBe((1_000n * E18 * E18) / nav);
      expect(order.ussiAmount / E18).toBe(977n);
    });

    it('mints against an index token at its signed price, burns the index tokens and releases their basket to the hedge vault', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, 3n * E18, { assetKey: 'index' });
      expect(order.assetPrice).toBe(INDEX_PRICE);
      const id = await apply(fx, order);
      expect(await fx.ussi.pending(order.asset)).toBe(3n * E18);
      const supplyBefore = (await fx.index.totalSupply()) as bigint;

      await (await as(fx.ussi, fx.operator).confirmMint(id)).wait();

      expect(await fx.index.balanceOf(vault)).toBe(0n);
      expect(await fx.index.balanceOf(await fx.ussi.getAddress())).toBe(0n);
      expect(await fx.index.totalSupply()).toBe(supplyBefore - 3n * E18);
      for (const [i, token] of fx.underlying.entries()) expect(await token.balanceOf(vault)).toBe(3n * INDEX_UNITS[i]!);
      expect(await fx.ussi.balanceOf(wlp)).toBe(order.ussiAmount);
      const [nav] = await fx.ussi.nav();
      const usd = (3n * INDEX_PRICE * E18) / nav / E18;
      expect(order.ussiAmount / E18).toBe(usd);
    });

    it('accepts an 18-decimal stablecoin valued at par', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, 500n * E18, { assetKey: 'dai' });
      const id = await apply(fx, order);
      await (await as(fx.ussi, fx.operator).confirmMint(id)).wait();
      expect(await fx.dai.balanceOf(vault)).toBe(500n * E18);
    });

    it('accepts an order at the edge of the tolerance and refuses one a unit beyond it', async () => {
      const base = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(10_000n));
      const [nav] = await fx.ussi.nav();
      // Largest USSI amount whose value stays within 50 bps above the asset value.
      const assetValue = base.assetAmount * 10n ** 12n;
      const allowed = (assetValue * 50n) / 10_000n;
      const ok = (ussiAmount: bigint): boolean => checkTolerance({ ...base, ussiAmount }, 6, nav, 50).ok;
      let edge = ((assetValue + allowed) * E18) / nav;
      while (ok(edge + 1n)) edge += 1n;
      while (!ok(edge)) edge -= 1n;
      const beyond = { ...base, ussiAmount: edge + 1n, nonce: base.nonce + 1n };
      const expected = checkTolerance(beyond, 6, nav, 50);
      expect(expected.ok).toBe(false);

      await apply(fx, { ...base, ussiAmount: edge });
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(beyond, await signOrder(fx, beyond)), fx.ussi, 'OutOfTolerance', [
        expected.ussiValue,
        expected.assetValue,
        50,
      ]);
    });

    it('the operator rejects a pending mint and the requester gets the USDC back', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(700n));
      const before = await fx.usdc.balanceOf(wlp);
      const id = await apply(fx, order);

      const event = await eventArgs(as(fx.ussi, fx.operator).rejectMint(id), fx.ussi, 'MintRejected');

      expect(event).toMatchObject({ id, requester: wlp, asset: order.asset, assetAmount: order.assetAmount });
      expect(await fx.usdc.balanceOf(wlp)).toBe(before);
      expect(await fx.ussi.pending(order.asset)).toBe(0n);
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Rejected));
      expect(await fx.ussi.totalSupply()).toBe(0n);
    });

    it('the requester cancels after the timeout and gets everything back, even while paused', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(900n));
      const before = await fx.usdc.balanceOf(wlp);
      const id = await apply(fx, order);
      await increaseTime(hre, TEST_SETTINGS.requestTimeout);
      await (await fx.ussi.pause()).wait();

      const event = await eventArgs(as(fx.ussi, fx.wlp).cancel(id), fx.ussi, 'RequestCancelled');

      expect(event).toMatchObject({ id, requester: wlp, side: BigInt(HedgeSide.Mint), token: order.asset, amount: order.assetAmount });
      expect(await fx.usdc.balanceOf(wlp)).toBe(before);
      expect(await fx.ussi.pending(order.asset)).toBe(0n);
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Cancelled));
    });

    it('the requester can still cancel after losing the participant role', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(10n));
      const id = await apply(fx, order);
      await (await fx.ussi.revokeRole(await fx.ussi.PARTICIPANT_ROLE(), wlp)).wait();
      await increaseTime(hre, TEST_SETTINGS.requestTimeout);
      await (await as(fx.ussi, fx.wlp).cancel(id)).wait();
      expect(await fx.ussi.pending(order.asset)).toBe(0n);
    });

    it('verifyOrder passes a valid order without using its nonce', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(1n));
      expect(await fx.ussi.verifyOrder(order, await signOrder(fx, order))).toBe(await fx.ussi.hashOrder(order));
      expect(await fx.ussi.isNonceUsed(await fx.ussi.getAddress(), order.nonce)).toBe(false);
    });
  });

  describe('apply reverts', () => {
    it('refuses a caller without the participant role', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n), { requester: await fx.outsider.getAddress() });
      await expectRevert(async () => as(fx.ussi, fx.outsider).applyMint(order, await signOrder(fx, order)), fx.ussi, 'AccessControlUnauthorizedAccount', [
        await fx.outsider.getAddress(),
        await fx.ussi.PARTICIPANT_ROLE(),
      ]);
    });

    it('refuses an order signed by anyone but the order signer', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      const forged = await signOrder(fx, order, fx.operator);
      await expectRevert(async () => as(fx.ussi, fx.wlp).applyMint(order, forged), fx.ussi, 'InvalidSigner', [
        await fx.operator.getAddress(),
        await fx.signer.getAddress(),
      ]);
    });

    it('refuses a malformed signature', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      await expectRevert(async () => as(fx.ussi, fx.wlp).applyMint(order, '0x1234'), fx.ussi, 'InvalidSigner', [
        hre.ethers.ZeroAddress,
        await fx.signer.getAddress(),
      ]);
    });

    it('refuses a signed order whose amounts were changed after signing', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      const signature = await signOrder(fx, order);
      const tampered = { ...order, ussiAmount: order.ussiAmount + 1n };
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(tampered, signature), fx.ussi, 'InvalidSigner');
    });

    it('refuses a reused nonce', async () => {
      const first = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      await apply(fx, first);
      const second = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(200n), { nonce: first.nonce });
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(second, await signOrder(fx, second)), fx.ussi, 'NonceAlreadyUsed', [await fx.ussi.getAddress(), first.nonce]);
    });

    it('refuses an expired order', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      const signature = await signOrder(fx, order);
      await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(order.deadline + 1n)]);
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(order, signature), fx.ussi, 'OrderExpired', [order.deadline, order.deadline + 1n]);
    });

    it('refuses an order for another requester', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      await expectRevert(async () => as(fx.ussi, fx.wlp2).applyMint(order, await signOrder(fx, order)), fx.ussi, 'WrongRequester', [
        wlp,
        await fx.wlp2.getAddress(),
      ]);
    });

    it('refuses a redeem order submitted as a mint', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n), { side: HedgeSide.Redeem });
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order)), fx.ussi, 'WrongSide', [HedgeSide.Mint, HedgeSide.Redeem]);
    });

    it('refuses an unsupported asset, including one that stopped being supported', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n), { asset: await fx.outsider.getAddress() });
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order)), fx.ussi, 'AssetNotSupported', [
        order.asset,
        AssetKind.Unsupported,
      ]);
      await (await fx.ussi.setAsset(fx.assets.dai.address, AssetKind.Unsupported)).wait();
      const dai = await hedgeOrder(hre, fx, HedgeSide.Mint, E18, { assetKey: 'dai' });
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(dai, await signOrder(fx, dai)), fx.ussi, 'AssetNotSupported', [
        dai.asset,
        AssetKind.Unsupported,
      ]);
    });

    it('refuses zero amounts and amounts beyond 128 bits', async () => {
      const base = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      for (const order of [{ ...base, assetAmount: 0n }, { ...base, ussiAmount: 0n }]) {
        await expectRevert(as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order)), fx.ussi, 'ZeroAmount', []);
      }
      const huge = { ...base, ussiAmount: 1n << 128n };
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(huge, await signOrder(fx, huge)), fx.ussi, 'AmountTooLarge', [1n << 128n]);
    });

    it('refuses a stablecoin priced off par and an index token priced at zero', async () => {
      const usdc = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n), { assetPrice: PRICE_ONE + 1n });
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(usdc, await signOrder(fx, usdc)), fx.ussi, 'InvalidAssetPrice', [
        usdc.asset,
        PRICE_ONE + 1n,
      ]);
      const index = await hedgeOrder(hre, fx, HedgeSide.Mint, E18, { assetKey: 'index', assetPrice: 0n });
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(index, await signOrder(fx, index)), fx.ussi, 'InvalidAssetPrice', [index.asset, 0n]);
    });

    it('refuses an amount out of tolerance in either direction', async () => {
      const base = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(1_000n));
      const [nav] = await fx.ussi.nav();
      for (const ussiAmount of [(base.ussiAmount * 10_060n) / 10_000n, (base.ussiAmount * 9_940n) / 10_000n]) {
        const order = { ...base, ussiAmount };
        const check = checkTolerance(order, 6, nav, TEST_SETTINGS.toleranceBps);
        expect(check.ok).toBe(false);
        await expectRevert(as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order)), fx.ussi, 'OutOfTolerance', [
          check.ussiValue,
          check.assetValue,
          TEST_SETTINGS.toleranceBps,
        ]);
      }
    });

    it('accepts a NAV exactly maxNavAge old and refuses it a second later', async () => {
      const [, updatedAt] = await fx.ussi.nav();
      const staleAt = updatedAt + BigInt(TEST_SETTINGS.maxNavAge) + 1n;
      const fields = { deadline: staleAt + 600n };
      const fresh = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n), fields);
      const stale = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n), fields);
      await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(staleAt - 1n)]);
      await (await as(fx.ussi, fx.wlp).applyMint(fresh, await signOrder(fx, fresh))).wait();
      await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(staleAt)]);
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(stale, await signOrder(fx, stale)), fx.ussi, 'NavStale', [
        updatedAt,
        TEST_SETTINGS.maxNavAge,
        staleAt,
      ]);
    });

    it('refuses applications while paused', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      await (await fx.ussi.pause()).wait();
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order)), fx.ussi, 'EnforcedPause', []);
      await expectRevert(fx.ussi.verifyOrder(order, await signOrder(fx, order)), fx.ussi, 'EnforcedPause', []);
    });

    it('refuses orders of a previous signer once the admin rotates the signer', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      const signature = await signOrder(fx, order);
      await (await fx.ussi.setOrderSigner(await fx.operator.getAddress())).wait();
      await expectRevert(async () => as(fx.ussi, fx.wlp).applyMint(order, signature), fx.ussi, 'InvalidSigner', [
        await fx.signer.getAddress(),
        await fx.operator.getAddress(),
      ]);
      await (await as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order, fx.operator))).wait();
    });

    it('refuses orders whose nonces the operator invalidated', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      const wordPos = order.nonce >> 8n;
      const bit = 1n << (order.nonce & 255n);
      const ussi = await fx.ussi.getAddress();
      const event = await eventArgs(as(fx.ussi, fx.operator).invalidateUnorderedNonces(wordPos, bit | 1n), fx.ussi, 'UnorderedNonceInvalidation');
      expect(event).toMatchObject({ owner: ussi, word: wordPos, mask: bit | 1n });
      expect(await fx.ussi.isNonceUsed(ussi, order.nonce)).toBe(true);
      await expectRevert(as(fx.ussi, fx.wlp).applyMint(order, await signOrder(fx, order)), fx.ussi, 'NonceAlreadyUsed', [ussi, order.nonce]);
      await expectRevert(as(fx.ussi, fx.wlp).invalidateUnorderedNonces(0, 1), fx.ussi, 'AccessControlUnauthorizedAccount');
    });
  });

  describe('confirm, reject and cancel reverts', () => {
    it('only the operator confirms or rejects', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      const role = await fx.ussi.OPERATOR_ROLE();
      for (const method of ['confirmMint', 'rejectMint']) {
        await expectRevert(as(fx.ussi, fx.wlp).getFunction(method)(id), fx.ussi, 'AccessControlUnauthorizedAccount', [wlp, role]);
      }
    });

    it('a request cannot be confirmed twice, nor rejected or cancelled once confirmed', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      await (await as(fx.ussi, fx.operator).confirmMint(id)).wait();
      await expectRevert(as(fx.ussi, fx.operator).confirmMint(id), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(id, 32), RequestStatus.Confirmed]);
      await expectRevert(as(fx.ussi, fx.operator).rejectMint(id), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(id, 32), RequestStatus.Confirmed]);
      await increaseTime(hre, TEST_SETTINGS.requestTimeout);
      await expectRevert(as(fx.ussi, fx.wlp).cancel(id), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(id, 32), RequestStatus.Confirmed]);
    });

    it('an unknown id is not pending', async () => {
      await expectRevert(as(fx.ussi, fx.operator).confirmMint(42), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(42, 32), RequestStatus.None]);
      await expectRevert(as(fx.ussi, fx.wlp).cancel(42), fx.ussi, 'RequestNotPending', [hre.ethers.toBeHex(42, 32), RequestStatus.None]);
    });

    it('a mint request cannot be settled as a redeem', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      await expectRevert(as(fx.ussi, fx.operator).confirmRedeem(id, hre.ethers.ZeroHash), fx.ussi, 'WrongSide', [HedgeSide.Redeem, HedgeSide.Mint]);
      await expectRevert(as(fx.ussi, fx.operator).rejectRedeem(id), fx.ussi, 'WrongSide', [HedgeSide.Redeem, HedgeSide.Mint]);
    });

    it('confirming is refused from the expiry on, while rejecting still refunds', async () => {
      const order = await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n));
      const id = await apply(fx, order);
      const { expiresAt } = await fx.ussi.getRequest(id);
      await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(expiresAt)]);
      await expectRevert(as(fx.ussi, fx.operator).confirmMint(id), fx.ussi, 'RequestExpired', [hre.ethers.toBeHex(id, 32), expiresAt]);
      await (await as(fx.ussi, fx.operator).rejectMint(id)).wait();
      expect((await fx.ussi.getRequest(id)).status).toBe(BigInt(RequestStatus.Rejected));
    });

    it('cancelling is refused before the timeout, and to anyone but the requester', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      const { expiresAt } = await fx.ussi.getRequest(id);
      await hre.network.provider.send('evm_setNextBlockTimestamp', [Number(expiresAt) - 1]);
      await expectRevert(as(fx.ussi, fx.wlp).cancel(id), fx.ussi, 'RequestNotExpired', [hre.ethers.toBeHex(id, 32), expiresAt]);
      await increaseTime(hre, 10);
      await expectRevert(async () => as(fx.ussi, fx.operator).cancel(id), fx.ussi, 'CallerNotRequester', [await fx.operator.getAddress(), wlp]);
      await (await as(fx.ussi, fx.wlp).cancel(id)).wait();
    });

    it('confirming is refused while paused but rejecting is not', async () => {
      const id = await apply(fx, await hedgeOrder(hre, fx, HedgeSide.Mint, USDC(100n)));
      await (await fx.ussi.pause()).wait();
      await expectRevert(as(fx.ussi, fx.operator).confirmMint(id), fx.ussi, 'EnforcedPause', []);
      await (await as(fx.ussi, fx.operator).rejectMint(id)).wait();
    });
  });
});
