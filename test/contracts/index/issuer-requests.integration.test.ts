import hre from 'hardhat';
import type { Contract } from 'ethers';
import { expectRevert } from '../../helpers/revert';
import {
  ONE,
  as,
  balances,
  deployIndexFixture,
  increaseTime,
  now,
  quote,
  send,
  sign,
  useSnapshots,
  type IndexFixture,
} from '../../helpers/index-protocol';
import { feeFor, Side, type QuoteOrder } from '../../../lambdas/domain/orders';

const PENDING = 1n;
const FILLED = 2n;
const CANCELLED = 3n;
const REJECTED = 4n;

describe('Issuer requests: request, fill, cancel', () => {
  let fx: IndexFixture;
  let issuer: Contract;
  let indexAddress: string;
  let usdcAddress: string;
  const timeout = 3600;

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, { assetCount: 3, issueFeeBps: 30, redeemFeeBps: 20 });
    issuer = fx.issuer;
    indexAddress = await fx.index.getAddress();
    usdcAddress = await fx.usdc.getAddress();
    const seed = await quote(fx, { side: Side.Mint, indexAmount: 50n * ONE });
    await (await as(issuer, fx.wlp).mint(seed, await sign(fx.pmm, seed, fx.domain), 30)).wait();
  });
  useSnapshots(hre);

  async function requestMint(fields: Partial<QuoteOrder> = {}): Promise<{ order: QuoteOrder; orderHash: string }> {
    const order = await quote(fx, { side: Side.Mint, indexAmount: 2n * ONE + 1n, ...fields });
    await (await as(issuer, fx.wlp).requestMint(order, await sign(fx.pmm, order, fx.domain), 30)).wait();
    return { order, orderHash: await issuer.hashOrder(order) };
  }

  async function requestRedeem(fields: Partial<QuoteOrder> = {}): Promise<{ order: QuoteOrder; orderHash: string }> {
    const order = await quote(fx, { side: Side.Redeem, indexAmount: 3n * ONE + 7n, cashAmount: 600n * 10n ** 6n, ...fields });
    await (await as(issuer, fx.wlp).requestRedeem(order, await sign(fx.pmm, order, fx.domain), 20)).wait();
    return { order, orderHash: await issuer.hashOrder(order) };
  }

  describe('mint requests', () => {
    it('escrows the cash and the fee, records the request and counts it in flight', async () => {
      const [wlpBefore] = await balances(fx.usdc, [fx.wlp]);
      const { order, orderHash } = await requestMint();
      const fee = feeFor(order.cashAmount, 30);
      expect(await balances(fx.usdc, [fx.wlp, issuer])).toEqual([wlpBefore - order.cashAmount - fee, order.cashAmount + fee]);
      expect(await issuer.escrowed(usdcAddress)).toBe(order.cashAmount + fee);
      const request = await issuer.getRequest(orderHash);
      expect(request.status).toBe(PENDING);
      expect(request.fee).toBe(fee);
      expect(await issuer.pendingRequests(indexAddress)).toBe(1n);
      expect(await issuer.isNonceUsed(order.maker, order.nonce)).toBe(true);
    });

    it('a fill by the maker delivers the underlying to custody, pays the PMM and the fee vault and mints to the WLP', async () => {
      const { order, orderHash } = await requestMint();
      const fee = feeFor(order.cashAmount, 30);
      const [wlpIndex] = await balances(fx.index, [fx.wlp]);
      const [pmmCash, feeCash] = await balances(fx.usdc, [fx.pmm, fx.feeVault]);
      const vault = await fx.custodyVault.getAddress();
      const vaultBefore = await fx.custodyVault.balancesOf(order.assets);

      await (await as(issuer, fx.pmm).fillMint(order)).wait();

      expect(await balances(fx.index, [fx.wlp])).toEqual([wlpIndex + order.indexAmount]);
      expect(await balances(fx.usdc, [fx.pmm, fx.feeVault, issuer])).toEqual([pmmCash + order.cashAmount, feeCash + fee, 0n]);
      const vaultAfter = await fx.custodyVault.balancesOf(order.assets);
      expect(vaultAfter.map((b: bigint, i: number) => b - vaultBefore[i])).toEqual(order.amounts);
      expect((await issuer.getRequest(orderHash)).status).toBe(FILLED);
      expect(await issuer.pendingRequests(indexAddress)).toBe(0n);
      expect(await issuer.escrowed(usdcAddress)).toBe(0n);
      expect(vault).toBe(await issuer.custody());
    });

    it('cannot be cancelled before its timeout', async () => {
      const { order, orderHash } = await requestMint();
      const { expiresAt } = await issuer.getRequest(orderHash);
      await expectRevert(as(issuer, fx.wlp).cancelMint(order), issuer, 'RequestNotExpired', [orderHash, expiresAt]);
    });

    it('after its timeout the requester cancels and gets the cash and the fee back in full', async () => {
      const [wlpBefore] = await balances(fx.usdc, [fx.wlp]);
      const { order, orderHash } = await requestMint();
      await increaseTime(hre, timeout);
      const receipt = await (await as(issuer, fx.wlp).cancelMint(order)).wait();
      expect(await balances(fx.usdc, [fx.wlp, issuer])).toEqual([wlpBefore, 0n]);
      expect((await issuer.getRequest(orderHash)).status).toBe(CANCELLED);
      expect(await issuer.pendingRequests(indexAddress)).toBe(0n);
      expect(await issuer.escrowed(usdcAddress)).toBe(0n);
      expect(issuer.interface.parseLog(receipt.logs.find((l: { address: string }) => l.address === receipt.to))?.name).toBe('MintCancelled');
    });

    it('cannot be filled once its timeout is reached', async () => {
      const { order, orderHash } = await requestMint();
      const { expiresAt } = await issuer.getRequest(orderHash);
      await increaseTime(hre, timeout);
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'RequestExpired', [orderHash, expiresAt]);
    });

    it('can be cancelled by an operator after its timeout, refunding the requester', async () => {
      const [wlpBefore] = await balances(fx.usdc, [fx.wlp]);
      const { order } = await requestMint();
      await increaseTime(hre, timeout);
      await (await as(issuer, fx.admin).cancelMint(order)).wait();
      expect(await balances(fx.usdc, [fx.wlp])).toEqual([wlpBefore]);
    });

    it('cannot be cancelled by anyone else', async () => {
      const { order } = await requestMint();
      await increaseTime(hre, timeout);
      await expectRevert(async () => as(issuer, fx.wlp2).cancelMint(order), issuer, 'CallerNotRequester', [
        await fx.wlp2.getAddress(),
        order.requester,
      ]);
    });

    it('can be cancelled while the issuer is paused, so nothing is stuck', async () => {
      const [wlpBefore] = await balances(fx.usdc, [fx.wlp]);
      const { order } = await requestMint();
      await (await issuer.pause()).wait();
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'EnforcedPause');
      await increaseTime(hre, timeout);
      await (await as(issuer, fx.wlp).cancelMint(order)).wait();
      expect(await balances(fx.usdc, [fx.wlp])).toEqual([wlpBefore]);
    });

    it('can be filled only by its maker', async () => {
      const { order } = await requestMint();
      await expectRevert(async () => as(issuer, fx.wlp).fillMint(order), issuer, 'CallerNotMaker', [await fx.wlp.getAddress(), order.maker]);
    });

    it('cannot be filled by a maker whose role was revoked', async () => {
      const { order } = await requestMint();
      await (await issuer.revokeRole(await issuer.MAKER_ROLE(), order.maker)).wait();
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'NotMaker', [order.maker]);
    });

    it('cannot be filled or cancelled twice', async () => {
      const { order, orderHash } = await requestMint();
      await (await as(issuer, fx.pmm).fillMint(order)).wait();
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'RequestNotPending', [orderHash, FILLED]);
      await increaseTime(hre, timeout);
      await expectRevert(as(issuer, fx.wlp).cancelMint(order), issuer, 'RequestNotPending', [orderHash, FILLED]);
    });

    it('a fill of an order that was never requested reverts', async () => {
      const order = await quote(fx, { side: Side.Mint, indexAmount: ONE });
      const orderHash = await issuer.hashOrder(order);
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'RequestNotPending', [orderHash, 0n]);
    });

    it('keeps the fee fixed at request time when the index fee changes before the fill', async () => {
      const { order } = await requestMint();
      await (await issuer.setIndexConfig(indexAddress, { ...fx.config, issueFeeBps: 100 })).wait();
      const [feeBefore] = await balances(fx.usdc, [fx.feeVault]);
      await (await as(issuer, fx.pmm).fillMint(order)).wait();
      expect(await balances(fx.usdc, [fx.feeVault])).toEqual([feeBefore + feeFor(order.cashAmount, 30)]);
    });

    it('the request path runs the same order checks as the atomic path', async () => {
      const order = await quote(fx, { side: Side.Mint, indexAmount: ONE });
      await expectRevert(as(issuer, fx.wlp).requestMint(order, await sign(fx.wlp, order, fx.domain), 30), issuer, 'InvalidSignature');
      await expectRevert(as(issuer, fx.wlp).requestMint(order, await sign(fx.pmm, order, fx.domain), 0), issuer, 'FeeAboveMax');
    });
  });

  describe('redeem requests', () => {
    it('escrows the index tokens until the maker fills: cash to the WLP, fee to the vault, underlying to the PMM, tokens burned', async () => {
      const [wlpIndex] = await balances(fx.index, [fx.wlp]);
      const supply = await fx.index.totalSupply();
      const { order, orderHash } = await requestRedeem();
      expect(await balances(fx.index, [fx.wlp, issuer])).toEqual([wlpIndex - order.indexAmount, order.indexAmount]);
      expect(await issuer.escrowed(indexAddress)).toBe(order.indexAmount);
      expect(await fx.index.totalSupply()).toBe(supply);

      const fee = feeFor(order.cashAmount, 20);
      const [wlpCash, pmmCash, feeCash] = await balances(fx.usdc, [fx.wlp, fx.pmm, fx.feeVault]);
      const vaultBefore = await fx.custodyVault.balancesOf(order.assets);
      await (await as(issuer, fx.pmm).fillRedeem(order)).wait();

      expect(await fx.index.totalSupply()).toBe(supply - order.indexAmount);
      expect(await balances(fx.index, [issuer])).toEqual([0n]);
      expect(await balances(fx.usdc, [fx.wlp, fx.pmm, fx.feeVault])).toEqual([
        wlpCash + order.cashAmount - fee,
        pmmCash - order.cashAmount,
        feeCash + fee,
      ]);
      const vaultAfter = await fx.custodyVault.balancesOf(order.assets);
      expect(vaultBefore.map((b: bigint, i: number) => b - vaultAfter[i])).toEqual(order.amounts);
      expect((await issuer.getRequest(orderHash)).status).toBe(FILLED);
      expect(await issuer.escrowed(indexAddress)).toBe(0n);
    });

    it('after its timeout the requester cancels and gets every escrowed index token back', async () => {
      const [wlpIndex] = await balances(fx.index, [fx.wlp]);
      const { order } = await requestRedeem();
      await increaseTime(hre, timeout);
      await (await as(issuer, fx.wlp).cancelRedeem(order)).wait();
      expect(await balances(fx.index, [fx.wlp, issuer])).toEqual([wlpIndex, 0n]);
      expect(await issuer.escrowed(indexAddress)).toBe(0n);
      expect(await issuer.pendingRequests(indexAddress)).toBe(0n);
    });

    it('cannot be cancelled before its timeout or filled after it', async () => {
      const { order, orderHash } = await requestRedeem();
      const { expiresAt } = await issuer.getRequest(orderHash);
      await expectRevert(as(issuer, fx.wlp).cancelRedeem(order), issuer, 'RequestNotExpired', [orderHash, expiresAt]);
      await increaseTime(hre, timeout);
      await expectRevert(as(issuer, fx.pmm).fillRedeem(order), issuer, 'RequestExpired', [orderHash, expiresAt]);
    });

    it('a redeem request cannot be settled through the mint functions', async () => {
      const { order } = await requestRedeem();
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'WrongSide', [Side.Mint, Side.Redeem]);
      await increaseTime(hre, timeout);
      await expectRevert(as(issuer, fx.wlp).cancelMint(order), issuer, 'WrongSide', [Side.Mint, Side.Redeem]);
    });
  });

  describe('in-flight tracking, rebalancing and escrow', () => {
    it('rebalancing cannot start while requests are in flight, and can once they settle', async () => {
      const { order: mint } = await requestMint();
      const { order: redeem } = await requestRedeem();
      await expectRevert(issuer.setRebalancing(indexAddress, true), issuer, 'RequestsInFlight', [indexAddress, 2]);
      await (await as(issuer, fx.pmm).fillMint(mint)).wait();
      await expectRevert(issuer.setRebalancing(indexAddress, true), issuer, 'RequestsInFlight', [indexAddress, 1]);
      await increaseTime(hre, timeout);
      await (await as(issuer, fx.wlp).cancelRedeem(redeem)).wait();
      await (await issuer.setRebalancing(indexAddress, true)).wait();
      expect(await issuer.isRebalancing(indexAddress)).toBe(true);
    });

    it('entering rebalancing blocks new requests; leaving resumes them', async () => {
      await (await issuer.setRebalancing(indexAddress, true)).wait();
      expect(await issuer.isRebalancing(indexAddress)).toBe(true);
      const order = await quote(fx, { side: Side.Mint, indexAmount: ONE });
      await expectRevert(as(issuer, fx.wlp).requestMint(order, await sign(fx.pmm, order, fx.domain), 30), issuer, 'IndexRebalancing');
      await (await issuer.setRebalancing(indexAddress, false)).wait();
      await (await as(issuer, fx.wlp).requestMint(order, await sign(fx.pmm, order, fx.domain), 30)).wait();
    });

    it('only the rebalancer role toggles rebalancing', async () => {
      const rebalancerRole = await issuer.REBALANCER_ROLE();
      await expectRevert(async () => as(issuer, fx.outsider).setRebalancing(indexAddress, true), issuer, 'AccessControlUnauthorizedAccount', [
        await fx.outsider.getAddress(),
        rebalancerRole,
      ]);
    });

    it('recovers tokens sent by mistake but never the escrow of pending requests', async () => {
      const { order } = await requestMint();
      const escrow = await issuer.escrowed(usdcAddress);
      await (await fx.usdc.mint(await issuer.getAddress(), 5n)).wait();
      const to = await fx.outsider.getAddress();
      await (await issuer.recoverExcess(usdcAddress, to)).wait();
      expect(await balances(fx.usdc, [to, issuer])).toEqual([5n, escrow]);
      await (await issuer.recoverExcess(usdcAddress, to)).wait();
      expect(await balances(fx.usdc, [to])).toEqual([5n]);
      await (await as(issuer, fx.pmm).fillMint(order)).wait();
      expect(await balances(fx.usdc, [issuer])).toEqual([0n]);
    });
  });

  describe("the PMM's free option after its quote's deadline", () => {
    it('PMM free option: a mint request cannot be filled after the quote deadline, and the requester cancels from then on', async () => {
      const [wlpBefore] = await balances(fx.usdc, [fx.wlp]);
      const { order, orderHash } = await requestMint();
      const { expiresAt } = await issuer.getRequest(orderHash);
      expect(expiresAt).toBe(order.deadline + 1n);

      await send(hre, 'evm_setNextBlockTimestamp', [Number(order.deadline) + 1]);
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'RequestExpired', [orderHash, order.deadline + 1n]);
      await (await as(issuer, fx.wlp).cancelMint(order)).wait();
      expect(await balances(fx.usdc, [fx.wlp, issuer])).toEqual([wlpBefore, 0n]);
    });

    it('PMM free option: a redeem request cannot be filled after the quote deadline, and the requester cancels from then on', async () => {
      const [wlpIndex] = await balances(fx.index, [fx.wlp]);
      const { order, orderHash } = await requestRedeem();
      expect((await issuer.getRequest(orderHash)).expiresAt).toBe(order.deadline + 1n);

      await send(hre, 'evm_setNextBlockTimestamp', [Number(order.deadline)]);
      await expectRevert(as(issuer, fx.wlp).cancelRedeem(order), issuer, 'RequestNotExpired', [orderHash, order.deadline + 1n]);
      await expectRevert(as(issuer, fx.pmm).fillRedeem(order), issuer, 'RequestExpired', [orderHash, order.deadline + 1n]);
      await (await as(issuer, fx.wlp).cancelRedeem(order)).wait();
      expect(await balances(fx.index, [fx.wlp, issuer])).toEqual([wlpIndex, 0n]);
    });

    it('keeps the request timeout when it ends before the quote deadline', async () => {
      const deadline = (await now(hre)) + 2n * BigInt(timeout);
      const { orderHash } = await requestMint({ deadline });
      const { expiresAt } = await issuer.getRequest(orderHash);
      expect(expiresAt).toBe((await now(hre)) + BigInt(timeout));
    });

    it('PMM reject: the maker rejects a mint request and the cash and the fee go back to the requester at once', async () => {
      const [wlpBefore] = await balances(fx.usdc, [fx.wlp]);
      const { order, orderHash } = await requestMint();

      await expectRevert(async () => as(issuer, fx.wlp).rejectMint(order), issuer, 'CallerNotMaker', [await fx.wlp.getAddress(), order.maker]);
      const receipt = await (await as(issuer, fx.pmm).rejectMint(order)).wait();

      expect(await balances(fx.usdc, [fx.wlp, issuer])).toEqual([wlpBefore, 0n]);
      expect((await issuer.getRequest(orderHash)).status).toBe(REJECTED);
      expect([await issuer.pendingRequests(indexAddress), await issuer.escrowed(usdcAddress)]).toEqual([0n, 0n]);
      const event = issuer.interface.parseLog(receipt.logs.find((l: { address: string }) => l.address === receipt.to));
      expect([event?.name, event?.args.orderHash, event?.args.maker, event?.args.refund]).toEqual(['MintRejected', orderHash, order.maker, order.cashAmount + feeFor(order.cashAmount, 30)]);
      await expectRevert(as(issuer, fx.pmm).fillMint(order), issuer, 'RequestNotPending', [orderHash, REJECTED]);
      await expectRevert(as(issuer, fx.wlp).cancelMint(order), issuer, 'RequestNotPending', [orderHash, REJECTED]);
    });

    it('PMM reject: the maker rejects a redeem request, even while paused, and the index tokens go back to the requester', async () => {
      const [wlpIndex] = await balances(fx.index, [fx.wlp]);
      const { order, orderHash } = await requestRedeem();
      await (await issuer.pause()).wait();

      await expectRevert(as(issuer, fx.pmm).rejectMint(order), issuer, 'WrongSide', [0n, 1n]);
      const receipt = await (await as(issuer, fx.pmm).rejectRedeem(order)).wait();

      expect(await balances(fx.index, [fx.wlp, issuer])).toEqual([wlpIndex, 0n]);
      expect((await issuer.getRequest(orderHash)).status).toBe(REJECTED);
      const event = issuer.interface.parseLog(receipt.logs.find((l: { address: string }) => l.address === receipt.to));
      expect([event?.name, event?.args.indexAmount]).toEqual(['RedeemRejected', order.indexAmount]);
    });
  });
});
