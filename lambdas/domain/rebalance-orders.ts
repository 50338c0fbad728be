/**
 * Rebalance orders, price attestations and fee sale orders: the EIP-712 typed data the Rebalancer
 * contract checks, and the pure computations it makes with them (value of legs, tolerance, the
 * tokenset a settlement leads to). Mirrors `contracts/interfaces/IRebalancer.sol` and
 * `contracts/index/libraries/RebalanceOrderHash.sol`; both sides are held to the shared vector in
 * test/vectors/rebalance-orders.json.
 */
import { TypedDataEncoder, type TypedDataDomain, type TypedDataField } from 'ethers';
import { BPS, INDEX_UNIT } from './orders';

/** The EIP-712 domain name and version of the Rebalancer contract. */
export const REBALANCER_DOMAIN_NAME = 'SSI Rebalancer';
export const REBALANCER_DOMAIN_VERSION = '1';

/** USD prices carry 18 decimals, per whole token of the asset. */
export const PRICE_UNIT = 10n ** 18n;

/** A PMM's rebalance order (field order is the type string's). */
export interface RebalanceOrder {
  /** The index token being rebalanced. */
  index: string;
  /** Assets custody releases to the PMM, strictly ascending by address; each in the tokenset. */
  sellAssets: string[];
  /** Amount of each, non-zero, at most the index's basket of it. */
  sellAmounts: bigint[];
  /** Assets the PMM delivers to custody, strictly ascending by address. */
  buyAssets: string[];
  buyAmounts: bigint[];
  /** The PMM that signs and trades. */
  maker: string;
  /** Unix seconds; last moment the order may be settled. */
  deadline: bigint;
  /** One-time nonce in the maker's bitmap (word = nonce >> 8, bit = nonce & 255). */
  nonce: bigint;
}

/** Reference prices an operator signs for one settlement. */
export interface PriceAttestation {
  index: string;
  /** Priced assets, strictly ascending by address; must cover every leg. */
  assets: string[];
  /** USD per whole token, 18 decimals. */
  prices: bigint[];
  /** Unix seconds; last moment the prices may be used. */
  validUntil: bigint;
  /** One-time nonce in the signer's bitmap. */
  nonce: bigint;
}

/** A PMM's bid for fee assets; the cash goes to the index's fee vault. */
export interface FeeSaleOrder {
  index: string;
  /** Fee assets, strictly ascending by address. */
  assets: string[];
  amounts: bigint[];
  cashToken: string;
  cashAmount: bigint;
  maker: string;
  deadline: bigint;
  nonce: bigint;
}

export const REBALANCE_ORDER_TYPES: Record<string, TypedDataField[]> = {
  RebalanceOrder: [
    { name: 'index', type: 'address' },
    { name: 'sellAssets', type: 'address[]' },
    { name: 'sellAmounts', type: 'uint256[]' },
    { name: 'buyAssets', type: 'address[]' },
    { name: 'buyAmounts', type: 'uint256[]' },
    { name: 'maker', type: 'address' },
    { name: 'deadline', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
  ],
};

export const PRICE_ATTESTATION_TYPES: Record<string, TypedDataField[]> = {
  PriceAttestation: [
    { name: 'index', type: 'address' },
    { name: 'assets', type: 'address[]' },
    { name: 'prices', type: 'uint256[]' },
    { name: 'validUntil', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
  ],
};

export const FEE_SALE_ORDER_TYPES: Record<string, TypedDataField[]> = {
  FeeSaleOrder: [
    { name: 'index', type: 'address' },
    { name: 'assets', type: 'address[]' },
    { name: 'amounts', type: 'uint256[]' },
    { name: 'cashToken', type: 'address' },
    { name: 'cashAmount', type: 'uint256' },
    { name: 'maker', type: 'address' },
    { name: 'deadline', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
  ],
};

/** The Rebalancer's EIP-712 domain on `chainId` at `rebalancer` (its proxy address). */
export function rebalancerDomain(chainId: bigint | number, rebalancer: string): TypedDataDomain {
  return { name: REBALANCER_DOMAIN_NAME, version: REBALANCER_DOMAIN_VERSION, chainId: BigInt(chainId), verifyingContract: rebalancer };
}

/** What the maker signs and `Rebalancer.hashRebalanceOrder` returns. */
export function hashRebalanceOrder(domain: TypedDataDomain, order: RebalanceOrder): string {
  return TypedDataEncoder.hash(domain, REBALANCE_ORDER_TYPES, order);
}

/** What the operator signs and `Rebalancer.hashPriceAttestation` returns. */
export function hashPriceAttestation(domain: TypedDataDomain, prices: PriceAttestation): string {
  return TypedDataEncoder.hash(domain, PRICE_ATTESTATION_TYPES, prices);
}

/** What the maker signs and `Rebalancer.hashFeeSaleOrder` returns. */
export function hashFeeSaleOrder(domain: TypedDataDomain, order: FeeSaleOrder): string {
  return TypedDataEncoder.hash(domain, FEE_SALE_ORDER_TYPES, order);
}

/** (asset, amount) pairs sorted ascending by address, the order every list in these messages needs. */
export function sortedLegs(legs: ReadonlyArray<{ asset: string; amount: bigint }>): { assets: string[]; amounts: bigint[] } {
  const sorted = [...legs].sort((a, b) => (BigInt(a.asset) < BigInt(b.asset) ? -1 : BigInt(a.asset) > BigInt(b.asset) ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (BigInt(sorted[i].asset) === BigInt(sorted[i - 1].asset)) throw new Error(`asset ${sorted[i].asset} appears twice`);
  }
  return { assets: sorted.map((l) => l.asset), amounts: sorted.map((l) => l.amount) };
}

/**
 * USD value (18 decimals) of legs at whole-token prices: `sum floor(amount * price / 10^decimals)`,
 * as the contract computes it. `decimals` and `prices` are keyed by lower-case address.
 */
export function legsValue(
  assets: readonly string[],
  amounts: readonly bigint[],
  prices: ReadonlyMap<string, bigint>,
  decimals: ReadonlyMap<string, number>,
): bigint {
  return assets.reduce((sum, asset, i) => {
    const key = asset.toLowerCase();
    const price = prices.get(key);
    const places = decimals.get(key);
    if (price === undefined) throw new Error(`no price for ${asset}`);
    if (places === undefined) throw new Error(`no decimals for ${asset}`);
    return sum + (amounts[i] * price) / 10n ** BigInt(places);
  }, 0n);
}

/** Whether the bought value lies within `toleranceBps` of the sold value, either way (the contract's check). */
export function withinTolerance(soldValue: bigint, boughtValue: bigint, toleranceBps: bigint | number): boolean {
  const gap = boughtValue > soldValue ? boughtValue - soldValue : soldValue - boughtValue;
  return gap * BPS <= soldValue * BigInt(toleranceBps);
}

/**
 * The tokenset a settlement leads to, the port of `Rebalancer._newTokenset`: for every asset of
 * the basket or the buy legs `held = basket + bought - sold` and `unitAmount = floor(held * 1e18 /
 * supply)`; assets whose amount is zero leave. `basket` is `IndexToken.basket()` (ascending).
 */
export function rebalancedTokenset(
  basket: { assets: readonly string[]; amounts: readonly bigint[] },
  supply: bigint,
  order: Pick<RebalanceOrder, 'sellAssets' | 'sellAmounts' | 'buyAssets' | 'buyAmounts'>,
): { assets: string[]; unitAmounts: bigint[] } {
  if (supply <= 0n) throw new Error('an index without supply has no basket to rebalance');
  const held = new Map<string, { asset: string; amount: bigint }>();
  basket.assets.forEach((asset, i) => held.set(asset.toLowerCase(), { asset, amount: basket.amounts[i] }));
  order.sellAssets.forEach((asset, i) => {
    const entry = held.get(asset.toLowerCase());
    if (!entry) throw new Error(`sell of ${asset}, which is not in the basket`);
    if (order.sellAmounts[i] > entry.amount) throw new Error(`sell of ${order.sellAmounts[i]} ${asset} exceeds the basket's ${entry.amount}`);
    entry.amount -= order.sellAmounts[i];
  });
  order.buyAssets.forEach((asset, i) => {
    const entry = held.get(asset.toLowerCase()) ?? { asset, amount: 0n };
    entry.amount += order.buyAmounts[i];
    held.set(asset.toLowerCase(), entry);
  });
  const entries = [...held.values()]
    .map(({ asset, amount }) => ({ asset, unitAmount: (amount * INDEX_UNIT) / supply }))
    .filter((e) => e.unitAmount > 0n)
    .sort((a, b) => (BigInt(a.asset) < BigInt(b.asset) ? -1 : 1));
  return { assets: entries.map((e) => e.asset), unitAmounts: entries.map((e) => e.unitAmount) };
}

/** Weights are fractions of the basket's value with 18 decimals (1e18 = 100%). */
export const WEIGHT_UNIT = 10n ** 18n;

/**
 * The legs that move a basket to target weights at given prices: the basket's value `V` at the
 * prices; each target amount is `floor(V * weight / price)` in the asset's smallest units; assets
 * above their target (or without one) are sold down to it, assets below it are bought up to it.
 * Weights must add up to 1e18. Rounding is down on every amount, so the bought value never exceeds
 * the sold value by more than rounding and sells never exceed the basket. `prices` and `decimals`
 * are keyed by lower-case address.
 */
export function planRebalance(
  basket: { assets: readonly string[]; amounts: readonly bigint[] },
  targets: ReadonlyArray<{ asset: string; weight: bigint }>,
  prices: ReadonlyMap<string, bigint>,
  decimals: ReadonlyMap<string, number>,
): { sells: Array<{ asset: string; amount: bigint }>; buys: Array<{ asset: string; amount: bigint }> } {
  const total = targets.reduce((sum, t) => sum + t.weight, 0n);
  if (total !== WEIGHT_UNIT) throw new Error(`target weights add up to ${total}, not 1e18`);
  const value = legsValue(basket.assets, basket.amounts, prices, decimals);
  const held = new Map(basket.assets.map((asset, i) => [asset.toLowerCase(), { asset, amount: basket.amounts[i] }]));
  const wanted = new Map<string, { asset: string; amount: bigint }>();
  for (const { asset, weight } of targets) {
    const key = asset.toLowerCase();
    const price = prices.get(key);
    const places = decimals.get(key);
    if (price === undefined || places === undefined) throw new Error(`no price or decimals for ${asset}`);
    wanted.set(key, { asset, amount: (value * weight * 10n ** BigInt(places)) / (WEIGHT_UNIT * price) });
  }
  const sells: Array<{ asset: string; amount: bigint }> = [];
  const buys: Array<{ asset: string; amount: bigint }> = [];
  for (const [key, { asset, amount }] of held) {
    const target = wanted.get(key)?.amount ?? 0n;
    if (amount > target) sells.push({ asset, amount: amount - target });
  }
  for (const [key, { asset, amount }] of wanted) {
    const current = held.get(key)?.amount ?? 0n;
    if (amount > current) buys.push({ asset, amount: amount - current });
  }
  return { sells, buys };
}
