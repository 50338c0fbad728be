import { Wallet, recoverAddress, TypedDataEncoder } from 'ethers';
import {
  AssetKind,
  HEDGE_ORDER_TYPES,
  HedgeSide,
  PRICE_ONE,
  assetValueUsd,
  checkTolerance,
  hashHedgeOrder,
  quoteHedgeOrder,
  ussiDomain,
  ussiValueUsd,
  type HedgeQuoteRequest,
  type UssiAsset,
} from '../../../lambdas/domain/ussi-orders';
import { BadRequest } from '../../../lambdas/shared/errors';
import { loadUssiHedgeOrderVector } from '../../helpers/ussi-vector';

describe('USSI hedge orders (TypeScript side)', () => {
  const vector = loadUssiHedgeOrderVector();

  describe('shared signing vector', () => {
    it("hashes the vector's order to the vector's digest", () => {
      expect(hashHedgeOrder(vector.domain, vector.order)).toBe(vector.digest);
    });

    it("reproduces the vector's signature from the signer key and recovers the signer from it", async () => {
      const signer = new Wallet(vector.keys.signer);
      expect(await signer.signTypedData(vector.domain, HEDGE_ORDER_TYPES, vector.order)).toBe(vector.signature);
      expect(recoverAddress(vector.digest, vector.signature)).toBe(signer.address);
    });

    it('builds the domain the contract uses', () => {
      expect(ussiDomain(31337, vector.domain.verifyingContract as string)).toEqual(vector.domain);
    });

    it('encodes the type string the contract hashes', () => {
      expect(TypedDataEncoder.from(HEDGE_ORDER_TYPES).encodeType('HedgeOrder')).toBe(
        'HedgeOrder(address requester,uint8 side,address asset,uint256 assetAmount,uint256 assetPrice,uint256 ussiAmount,uint256 deadline,uint256 nonce)',
      );
    });

    it("quotes the vector's order from its request, NAV and spread", () => {
      const order = quoteHedgeOrder({
        side: vector.order.side,
        requester: vector.order.requester,
        asset: vector.asset,
        amount: vector.order.assetAmount,
        nav: vector.nav,
        spreadBps: vector.spreadBps,
        toleranceBps: vector.toleranceBps,
        deadline: vector.order.deadline,
        nonce: vector.order.nonce,
      });
      expect(order).toEqual(vector.order);
    });

    it('a digest under another chain id or contract differs', () => {
      expect(hashHedgeOrder({ ...vector.domain, chainId: 8453n }, vector.order)).not.toBe(vector.digest);
      expect(hashHedgeOrder({ ...vector.domain, verifyingContract: vector.order.asset }, vector.order)).not.toBe(vector.digest);
    });
  });

  describe('valuation', () => {
    it('values asset amounts by decimals and price, rounding down', () => {
      expect(assetValueUsd(1_500_000n, PRICE_ONE, 6)).toBe(15n * 10n ** 17n);
      expect(assetValueUsd(1n, PRICE_ONE / 3n, 18)).toBe(0n);
      expect(assetValueUsd(2n * 10n ** 18n, 1_000n * PRICE_ONE, 18)).toBe(2_000n * PRICE_ONE);
    });

    it('values USSI at the NAV, rounding down', () => {
      expect(ussiValueUsd(10n ** 18n, 1_020_000_000_000_000_000n)).toBe(1_020_000_000_000_000_000n);
      expect(ussiValueUsd(1n, 999_999_999_999_999_999n)).toBe(0n);
    });

    it('accepts a gap up to floor(assetValue * tolerance) and no more', () => {
      const base = { assetAmount: 1_000_000n, assetPrice: PRICE_ONE };
      // 1 USDC, 50 bps: allowed gap 0.005 USD.
      expect(checkTolerance({ ...base, ussiAmount: 1_005_000_000_000_000_000n }, 6, PRICE_ONE, 50)).toMatchObject({ ok: true, gap: 5n * 10n ** 15n, allowed: 5n * 10n ** 15n });
      expect(checkTolerance({ ...base, ussiAmount: 1_005_000_000_000_000_001n }, 6, PRICE_ONE, 50).ok).toBe(false);
      expect(checkTolerance({ ...base, ussiAmount: 995_000_000_000_000_000n }, 6, PRICE_ONE, 50).ok).toBe(true);
      expect(checkTolerance({ ...base, ussiAmount: 994_999_999_999_999_999n }, 6, PRICE_ONE, 50).ok).toBe(false);
    });
  });

  describe('quoting', () => {
    const usdc: UssiAsset = { address: '0x0000000000000000000000000000000000000001', kind: AssetKind.Stablecoin, decimals: 6 };
    const index: UssiAsset = { address: '0x0000000000000000000000000000000000000002', kind: AssetKind.IndexToken, decimals: 18 };
    const nav = 1_050_000_000_000_000_000n;
    const request = (fields: Partial<HedgeQuoteRequest>): HedgeQuoteRequest => ({
      side: HedgeSide.Mint,
      requester: '0x0000000000000000000000000000000000000003',
      asset: usdc,
      amount: 1_050_000_000n,
      nav,
      spreadBps: 0,
      toleranceBps: 50,
      deadline: 1n,
      nonce: 2n,
      ...fields,
    });

    it('mints 1,000 USSI for 1,050 USDC at NAV 1.05, less the spread', () => {
      expect(quoteHedgeOrder(request({})).ussiAmount).toBe(1_000n * 10n ** 18n);
      expect(quoteHedgeOrder(request({ spreadBps: 20 })).ussiAmount).toBe(998n * 10n ** 18n);
      expect(quoteHedgeOrder(request({})).assetPrice).toBe(PRICE_ONE);
    });

    it('redeems 1,000 USSI for 1,050 USDC at NAV 1.05, less the spread, rounding the payout down', () => {
      const order = quoteHedgeOrder(request({ side: HedgeSide.Redeem, amount: 1_000n * 10n ** 18n }));
      expect(order.assetAmount).toBe(1_050_000_000n);
      expect(quoteHedgeOrder(request({ side: HedgeSide.Redeem, amount: 1_000n * 10n ** 18n, spreadBps: 10 })).assetAmount).toBe(1_048_950_000n);
      expect(quoteHedgeOrder(request({ side: HedgeSide.Redeem, amount: 333_333_333_333_333_333_333n })).assetAmount).toBe(349_999_999n);
    });

    it('mints against an index token at the given price and ignores any price for a stablecoin', () => {
      const order = quoteHedgeOrder(request({ asset: index, amount: 2n * 10n ** 18n, assetPrice: 1_050n * PRICE_ONE }));
      expect(order.ussiAmount).toBe(2_000n * 10n ** 18n);
      expect(order.assetPrice).toBe(1_050n * PRICE_ONE);
      expect(quoteHedgeOrder(request({ assetPrice: 2n * PRICE_ONE })).assetPrice).toBe(PRICE_ONE);
    });

    const refusals: Array<[string, Partial<HedgeQuoteRequest>, string]> = [
      ['an unsupported asset', { asset: { ...usdc, kind: AssetKind.Unsupported } }, 'ussi_asset_not_supported'],
      ['a redeem into an index token', { side: HedgeSide.Redeem, asset: index, assetPrice: PRICE_ONE, amount: 10n ** 18n }, 'ussi_asset_not_supported'],
      ['an index token without a price', { asset: index }, 'ussi_invalid_price'],
      ['a zero NAV', { nav: 0n }, 'ussi_invalid_nav'],
      ['a fractional spread', { spreadBps: 1.5 }, 'ussi_invalid_spread'],
      ['a zero amount', { amount: 0n }, 'ussi_invalid_amount'],
      ['an amount beyond 128 bits', { amount: 1n << 128n }, 'ussi_invalid_amount'],
      ['a quote that rounds to zero', { side: HedgeSide.Redeem, amount: 10n ** 11n }, 'ussi_amount_too_small'],
      ['a spread beyond the tolerance', { spreadBps: 51 }, 'ussi_out_of_tolerance'],
    ];
    it.each(refusals)('refuses %s with a stable code', (_name, fields, code) => {
      let error: unknown;
      try {
        quoteHedgeOrder(request(fields));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BadRequest);
      expect((error as BadRequest).code).toBe(code);
    });

    it('a spread at the tolerance itself still passes the contract rule', () => {
      const order = quoteHedgeOrder(request({ spreadBps: 50 }));
      expect(checkTolerance(order, 6, nav, 50).ok).toBe(true);
    });
  });
});
