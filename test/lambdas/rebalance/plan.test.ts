import { Wallet } from 'ethers';
import { MAG7 } from '../../../lambdas/domain/methodology';
import { FEE_SALE_ORDER_TYPES, REBALANCE_ORDER_TYPES, WEIGHT_UNIT, legsValue, rebalancedTokenset, rebalancerDomain, type RebalanceOrder } from '../../../lambdas/domain/rebalance-orders';
import { basketWeights, checkFeeSaleOrder, checkMakerOrder, checkWeights, computeTargets, planTrades, type DeployedAsset } from '../../../lambdas/rebalance/plan';

const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const deployed: DeployedAsset[] = [
  { symbol: 'BTC', address: address(1), decimals: 8 },
  { symbol: 'ETH', address: address(2), decimals: 18 },
  { symbol: 'XRP', address: address(3), decimals: 6 },
  { symbol: 'BNB', address: address(4), decimals: 18 },
  { symbol: 'SOL', address: address(5), decimals: 9 },
  { symbol: 'DOGE', address: address(6), decimals: 8 },
  { symbol: 'ADA', address: address(7), decimals: 6 },
  { symbol: 'TRX', address: address(8), decimals: 6 },
];
const usd = (n: number) => BigInt(Math.round(n * 1e6)) * 10n ** 12n;
const priceList: Record<string, number> = { BTC: 97000, ETH: 3300, XRP: 2.25, BNB: 660, SOL: 190, DOGE: 0.33, ADA: 0.92, TRX: 0.25 };
const prices = new Map(deployed.map((a) => [a.address.toLowerCase(), usd(priceList[a.symbol])]));
const decimals = new Map(deployed.map((a) => [a.address.toLowerCase(), a.decimals]));
const snapshot = {
  date: '2025-01-01',
  assets: [
    { symbol: 'BTC', name: 'Bitcoin', marketCapUsd: 1.9e12 },
    { symbol: 'ETH', name: 'Ethereum', marketCapUsd: 4e11 },
    { symbol: 'USDT', name: 'Tether', marketCapUsd: 1.4e11 },
    { symbol: 'XRP', name: 'XRP', marketCapUsd: 1.3e11 },
    { symbol: 'BNB', name: 'BNB', marketCapUsd: 1e11 },
    { symbol: 'SOL', name: 'Solana', marketCapUsd: 9e10 },
    { symbol: 'DOGE', name: 'Dogecoin', marketCapUsd: 5e10 },
    { symbol: 'ADA', name: 'Cardano', marketCapUsd: 3e10 },
    { symbol: 'HYPE', name: 'Hyperliquid', marketCapUsd: 2.5e10 },
    { symbol: 'TRX', name: 'TRON', marketCapUsd: 2e10 },
  ],
};
// An equal-weight basket of BTC, ETH, XRP, BNB, SOL, DOGE and TRX (no ADA), about 7,000 USD.
const basket = {
  assets: ['BTC', 'ETH', 'XRP', 'BNB', 'SOL', 'DOGE', 'TRX'].map((s) => deployed.find((a) => a.symbol === s)!.address),
  amounts: ['BTC', 'ETH', 'XRP', 'BNB', 'SOL', 'DOGE', 'TRX'].map((s) => {
    const a = deployed.find((d) => d.symbol === s)!;
    return (1000n * 10n ** BigInt(a.decimals) * 10n ** 18n) / usd(priceList[s]);
  }),
};

describe('rebalance planning', () => {
  test('targets are the MAG7 methodology over the deployed tokens only: an undeployed asset is skipped, weights add up to exactly 1e18', () => {
    const { targets } = computeTargets(MAG7, snapshot, deployed);
    expect(targets.map((t) => t.symbol)).toEqual(expect.arrayContaining(['BTC', 'ETH', 'XRP', 'BNB', 'SOL', 'DOGE', 'ADA']));
    expect(targets.map((t) => t.symbol)).not.toContain('HYPE');
    expect(targets.map((t) => t.symbol)).not.toContain('TRX');
    expect(targets.reduce((s, t) => s + t.weight, 0n)).toBe(WEIGHT_UNIT);
    expect(targets.find((t) => t.symbol === 'BTC')!.weight).toBeGreaterThan(targets.find((t) => t.symbol === 'ADA')!.weight);
  });

  test('the planned trades lead (as the contract computes the tokenset) to a basket at the targets within a basis point', () => {
    const { targets } = computeTargets(MAG7, snapshot, deployed);
    const legs = planTrades(basket, targets, prices, decimals);
    expect(legs.sellAssets).toContain(address(8)); // TRX leaves
    expect(legs.buyAssets).toContain(address(7)); // ADA enters
    const supply = 7n * 10n ** 18n;
    const next = rebalancedTokenset(basket, supply, legs);
    const held = { assets: next.assets, amounts: next.unitAmounts.map((u) => (u * supply) / 10n ** 18n) };
    const check = checkWeights(basketWeights(held, prices, decimals), targets, 1);
    expect(check.ok).toBe(true);
    expect(legsValue(legs.buyAssets, legs.buyAmounts, prices, decimals)).toBeLessThanOrEqual(legsValue(legs.sellAssets, legs.sellAmounts, prices, decimals));
  });

  describe('checking a maker order', () => {
    const maker = Wallet.createRandom();
    const domain = rebalancerDomain(31337, address(99));
    const index = address(100);
    const { targets } = computeTargets(MAG7, snapshot, deployed);
    const plan = planTrades(basket, targets, prices, decimals);
    const orderWith = (scaleBps: bigint, fields: Partial<RebalanceOrder> = {}): RebalanceOrder => ({
      index,
      ...plan,
      buyAmounts: plan.buyAmounts.map((a) => (a * scaleBps) / 10_000n),
      maker: maker.address,
      deadline: 2_000_000_000n,
      nonce: 7n,
      ...fields,
    });
    const signed = async (order: RebalanceOrder) => maker.signTypedData(domain, REBALANCE_ORDER_TYPES, order);
    const check = async (order: RebalanceOrder, signature?: string) =>
      checkMakerOrder({ domain, index, plan, order, signature: signature ?? (await signed(order)), prices, decimals, toleranceBps: 100n });

    test('an order 10 bps short on the buys, signed by its maker, passes', async () => {
      const result = await check(orderWith(9_990n));
      expect(result.problem).toBeUndefined();
      expect(result.boughtValue).toBeLessThan(result.soldValue);
    });

    test('an order 2% short on the buys is refused as out of tolerance', async () => {
      expect((await check(orderWith(9_800n))).problem).toMatch(/below .* \(plan less 100 bps\)/);
    });

    test('an order signed by someone else than its maker is refused', async () => {
      const order = orderWith(9_990n);
      const other = await Wallet.createRandom().signTypedData(domain, REBALANCE_ORDER_TYPES, order);
      expect((await check(order, other)).problem).toMatch(/recovers to .* not the maker/);
    });

    test('an order whose sells differ from the plan is refused', async () => {
      const order = orderWith(9_990n, { sellAmounts: plan.sellAmounts.map((a, i) => (i === 0 ? a + 1n : a)) });
      expect((await check(order)).problem).toBe('sell legs differ from the plan');
    });
  });
});

describe('checkFeeSaleOrder: a PMM bid for the fee basket', () => {
  const maker = Wallet.createRandom();
  const domain = rebalancerDomain(31337, address(0x999));
  const cash = address(0x77);
  const withCash = { prices: new Map([...prices, [cash, usd(1)]]), decimals: new Map([...decimals, [cash, 6]]) };
  // 0.01 BTC + 1 ETH = 970 + 3,300 USD.
  const asked = { index: address(0xabc), assets: [address(1), address(2)], amounts: [10n ** 6n, 10n ** 18n], cashToken: cash };
  const bid = (cashAmount: bigint) => ({ ...asked, cashAmount, maker: maker.address, deadline: 2_000_000_000n, nonce: 7n });
  const check = async (order: ReturnType<typeof bid>, signer = maker) =>
    checkFeeSaleOrder({ domain, asked, order, signature: await signer.signTypedData(domain, FEE_SALE_ORDER_TYPES, order), ...withCash, toleranceBps: 100n });

  test('cash worth the fee assets less the tolerance passes; a cent less is refused', async () => {
    expect(await check(bid(4_227_300_000n))).toEqual({ feeValue: usd(4270), cashValue: usd(4227.3) });
    expect((await check(bid(4_227_299_999n))).problem).toMatch(/below/);
  });

  test('a bid for other amounts, or signed by another key, is refused', async () => {
    expect((await check({ ...bid(4_270_000_000n), amounts: [10n ** 6n, 2n * 10n ** 18n] })).problem).toMatch(/differ/);
    expect((await check(bid(4_270_000_000n), Wallet.createRandom())).problem).toMatch(/recovers to/);
  });
});
