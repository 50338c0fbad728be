import { Wallet, recoverAddress, TypedDataEncoder } from 'ethers';
import {
  FEE_SALE_ORDER_TYPES,
  hashFeeSaleOrder,
  hashPriceAttestation,
  hashRebalanceOrder,
  legsValue,
  planRebalance,
  PRICE_ATTESTATION_TYPES,
  REBALANCE_ORDER_TYPES,
  rebalancedTokenset,
  rebalancerDomain,
  sortedLegs,
  WEIGHT_UNIT,
  withinTolerance,
} from '../../../lambdas/domain/rebalance-orders';
import { loadRebalanceOrdersVector } from '../../helpers/rebalance-orders-vector';

describe('rebalance orders (TypeScript side)', () => {
  const vector = loadRebalanceOrdersVector();

  it("hashes the vector's three messages to the vector's digests", () => {
    expect(hashRebalanceOrder(vector.domain, vector.rebalanceOrder)).toBe(vector.digests.rebalanceOrder);
    expect(hashPriceAttestation(vector.domain, vector.priceAttestation)).toBe(vector.digests.priceAttestation);
    expect(hashFeeSaleOrder(vector.domain, vector.feeSaleOrder)).toBe(vector.digests.feeSaleOrder);
  });

  it("reproduces the vector's signatures from its keys and recovers the signers", async () => {
    const maker = new Wallet(vector.keys.maker);
    const operator = new Wallet(vector.keys.deployer);
    expect(await maker.signTypedData(vector.domain, REBALANCE_ORDER_TYPES, vector.rebalanceOrder)).toBe(vector.signatures.rebalanceOrder);
    expect(await operator.signTypedData(vector.domain, PRICE_ATTESTATION_TYPES, vector.priceAttestation)).toBe(vector.signatures.priceAttestation);
    expect(await maker.signTypedData(vector.domain, FEE_SALE_ORDER_TYPES, vector.feeSaleOrder)).toBe(vector.signatures.feeSaleOrder);
    expect(recoverAddress(vector.digests.rebalanceOrder, vector.signatures.rebalanceOrder)).toBe(maker.address);
    expect(recoverAddress(vector.digests.priceAttestation, vector.signatures.priceAttestation)).toBe(operator.address);
  });

  it('builds the domain the contract uses', () => {
    expect(rebalancerDomain(31337, vector.domain.verifyingContract as string)).toEqual(vector.domain);
  });

  it('encodes the type strings the contract hashes', () => {
    expect(TypedDataEncoder.from(REBALANCE_ORDER_TYPES).encodeType('RebalanceOrder')).toBe(
      'RebalanceOrder(address index,address[] sellAssets,uint256[] sellAmounts,address[] buyAssets,uint256[] buyAmounts,' +
        'address maker,uint256 deadline,uint256 nonce)',
    );
    expect(TypedDataEncoder.from(PRICE_ATTESTATION_TYPES).encodeType('PriceAttestation')).toBe(
      'PriceAttestation(address index,address[] assets,uint256[] prices,uint256 validUntil,uint256 nonce)',
    );
    expect(TypedDataEncoder.from(FEE_SALE_ORDER_TYPES).encodeType('FeeSaleOrder')).toBe(
      'FeeSaleOrder(address index,address[] assets,uint256[] amounts,address cashToken,uint256 cashAmount,address maker,uint256 deadline,uint256 nonce)',
    );
  });

  describe('computations', () => {
    const A = '0x00000000000000000000000000000000000000aa';
    const B = '0x00000000000000000000000000000000000000bb';
    const C = '0x00000000000000000000000000000000000000cc';
    const prices = new Map([
      [A, 100n * 10n ** 18n],
      [B, 2n * 10n ** 18n],
      [C, 50n * 10n ** 18n],
    ]);
    const decimals = new Map([
      [A, 8],
      [B, 18],
      [C, 6],
    ]);

    it('sorts legs by address and refuses a duplicate', () => {
      expect(sortedLegs([{ asset: C, amount: 3n }, { asset: A, amount: 1n }])).toEqual({ assets: [A, C], amounts: [1n, 3n] });
      expect(() => sortedLegs([{ asset: A, amount: 1n }, { asset: A, amount: 2n }])).toThrow(/twice/);
    });

    it('values legs at whole-token prices, rounding each leg down', () => {
      // 1.5 A at 100 USD + 10.000000000000000001 B at 2 USD
      expect(legsValue([A, B], [150_000_000n, 10n * 10n ** 18n + 1n], prices, decimals)).toBe(170n * 10n ** 18n + 2n);
      expect(() => legsValue([C], [1n], new Map(), decimals)).toThrow(/no price/);
    });

    it('accepts a value gap up to the tolerance either way, and no more', () => {
      expect(withinTolerance(10_000n, 9_900n, 100)).toBe(true);
      expect(withinTolerance(10_000n, 10_100n, 100)).toBe(true);
      expect(withinTolerance(10_000n, 9_899n, 100)).toBe(false);
      expect(withinTolerance(10_000n, 10_101n, 100)).toBe(false);
      expect(withinTolerance(0n, 1n, 500)).toBe(false);
    });

    it('derives the new tokenset from what custody holds per token, rounding down and dropping zeros', () => {
      const basket = { assets: [A, B], amounts: [300n, 1_000n] };
      const next = rebalancedTokenset(basket, 3n * 10n ** 18n, { sellAssets: [A], sellAmounts: [300n], buyAssets: [B, C], buyAmounts: [2n, 10n] });
      expect(next).toEqual({ assets: [B, C], unitAmounts: [334n, 3n] });
      expect(() => rebalancedTokenset(basket, 3n, { sellAssets: [C], sellAmounts: [1n], buyAssets: [], buyAmounts: [] })).toThrow(/not in the basket/);
      expect(() => rebalancedTokenset(basket, 3n, { sellAssets: [A], sellAmounts: [301n], buyAssets: [], buyAmounts: [] })).toThrow(/exceeds/);
      expect(() => rebalancedTokenset(basket, 0n, { sellAssets: [], sellAmounts: [], buyAssets: [], buyAmounts: [] })).toThrow(/supply/);
    });

    it('plans the trades to target weights without selling more than the basket or buying more than it sells', () => {
      // Worth 200 USD: 1 A (100) and 50 B (100). Target: 25% A, 75% C.
      const basket = { assets: [A, B], amounts: [100_000_000n, 50n * 10n ** 18n] };
      const plan = planRebalance(basket, [{ asset: A, weight: WEIGHT_UNIT / 4n }, { asset: C, weight: (3n * WEIGHT_UNIT) / 4n }], prices, decimals);
      expect(plan.sells).toEqual([
        { asset: A, amount: 50_000_000n },
        { asset: B, amount: 50n * 10n ** 18n },
      ]);
      expect(plan.buys).toEqual([{ asset: C, amount: 3_000_000n }]);
      const sold = legsValue(plan.sells.map((l) => l.asset), plan.sells.map((l) => l.amount), prices, decimals);
      const bought = legsValue(plan.buys.map((l) => l.asset), plan.buys.map((l) => l.amount), prices, decimals);
      expect(sold).toBe(150n * 10n ** 18n);
      expect(bought).toBe(150n * 10n ** 18n);
      expect(() => planRebalance(basket, [{ asset: A, weight: 1n }], prices, decimals)).toThrow(/add up/);
    });
  });
});
