/**
 * Net asset value of index tokens and of basket legs from reference prices. All arithmetic is in
 * integers: prices as 1e18 fixed point USD, asset amounts in their own smallest units (each asset
 * has its own decimals), results in USD (1e18) or in smallest units of the cash token.
 */
import { INDEX_UNIT, type Tokenset } from '../orders';
import { toFixedPoint } from './amounts';

/** Fixed-point scale of USD values and prices. */
export const USD_SCALE = 10n ** 18n;

/** An ERC-20 as the quote engine needs it. */
export interface AssetInfo {
  address: string;
  symbol: string;
  decimals: number;
}

/** A reference price with where it came from (see PriceSourceKind in lambdas/domain/market). */
export interface ReferencePrice {
  symbol: string;
  priceUsd: number;
  /** e.g. daily-close, snapshot, carried, migrated, fixed, provider. */
  source: string;
  /** The date of the observation the price is based on. */
  observedOn: string;
  /** Days between the observation and the quote's price date; above 0 the price is carried. */
  ageDays: number;
}

export class PricingError extends Error {
  constructor(message: string, readonly symbol?: string) {
    super(message);
    this.name = 'PricingError';
  }
}

/** Value in USD (1e18) of `amount` smallest units of an asset priced at `price`. */
export function valueUsd(amount: bigint, asset: AssetInfo, price: ReferencePrice): bigint {
  return (amount * toFixedPoint(price.priceUsd)) / 10n ** BigInt(asset.decimals);
}

/** USD (1e18) in smallest units of the cash token at its price; rounded down. */
export function usdToCash(usd: bigint, cash: AssetInfo, cashPrice: ReferencePrice): bigint {
  const price = toFixedPoint(cashPrice.priceUsd);
  if (price === 0n) throw new PricingError(`the cash token ${cash.symbol} has a zero price`, cash.symbol);
  return (usd * 10n ** BigInt(cash.decimals)) / price;
}

/** Smallest units of the cash token in USD (1e18). */
export function cashToUsd(amount: bigint, cash: AssetInfo, cashPrice: ReferencePrice): bigint {
  return (amount * toFixedPoint(cashPrice.priceUsd)) / 10n ** BigInt(cash.decimals);
}

export interface LegValue {
  asset: AssetInfo;
  amount: bigint;
  price: ReferencePrice;
  valueUsd: bigint;
}

/** Prices legs (assets with amounts) and sums them; throws PricingError naming any asset without a price. */
export function valueLegs(
  legs: { assets: string[]; amounts: bigint[] },
  assetInfo: (address: string) => AssetInfo,
  priceOf: (symbol: string) => ReferencePrice | undefined,
): { legs: LegValue[]; totalUsd: bigint } {
  const valued: LegValue[] = [];
  let totalUsd = 0n;
  legs.assets.forEach((address, i) => {
    const asset = assetInfo(address);
    const price = priceOf(asset.symbol);
    if (!price) throw new PricingError(`no reference price for ${asset.symbol}`, asset.symbol);
    const value = valueUsd(legs.amounts[i], asset, price);
    valued.push({ asset, amount: legs.amounts[i], price, valueUsd: value });
    totalUsd += value;
  });
  return { legs: valued, totalUsd };
}

/** NAV of one whole index token (1e18 index units) in USD (1e18): the tokenset at reference prices. */
export function navPerToken(
  tokenset: Tokenset,
  assetInfo: (address: string) => AssetInfo,
  priceOf: (symbol: string) => ReferencePrice | undefined,
): bigint {
  return valueLegs({ assets: tokenset.assets, amounts: tokenset.unitAmounts }, assetInfo, priceOf).totalUsd;
}

/** Index units worth `usd` at `navUsd` per token, rounded down. */
export function indexUnitsFor(usd: bigint, navUsd: bigint): bigint {
  if (navUsd <= 0n) throw new PricingError('the index has no positive NAV');
  return (usd * INDEX_UNIT) / navUsd;
}

/** Signed distance of `price` from `reference` in basis points (positive: above), rounded toward zero. */
export function deviationBps(price: bigint, reference: bigint): number {
  if (reference <= 0n) throw new PricingError('reference value must be positive');
  return Number(((price - reference) * 10_000n * 1000n) / reference) / 1000;
}
