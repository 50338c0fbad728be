/**
 * The pure part of a rebalance run: target weights from the methodology and a market snapshot,
 * the trades that reach them from the frozen basket, the checks a PMM's signed order must pass,
 * and how far a basket is from its targets. No AWS, no chain: the saga (saga.ts) feeds it.
 */
import { TypedDataEncoder, recoverAddress, type TypedDataDomain } from 'ethers';
import { compileIndex, type IndexMethodology, type UniverseSnapshot } from '../domain/methodology';
import { BPS } from '../domain/orders';
import {
  FEE_SALE_ORDER_TYPES,
  REBALANCE_ORDER_TYPES,
  WEIGHT_UNIT,
  legsValue,
  planRebalance,
  sortedLegs,
  withinTolerance,
  type FeeSaleOrder,
  type RebalanceOrder,
} from '../domain/rebalance-orders';

/** An asset the chain has: the deployment's token of that market symbol. */
export interface DeployedAsset {
  symbol: string;
  address: string;
  decimals: number;
}

export interface Target {
  symbol: string;
  asset: string;
  /** 1e18 = 100%; the targets add up to exactly 1e18. */
  weight: bigint;
}

/**
 * Target weights of `methodology` on `snapshot`, over the assets the chain has: the snapshot is
 * cut to the deployed symbols first (an asset without a token cannot be held), then compiled with
 * the current constituents as incumbents (the turnover buffer).
 */
export function computeTargets(
  methodology: IndexMethodology,
  snapshot: UniverseSnapshot,
  deployed: readonly DeployedAsset[],
  incumbents: readonly string[] = [],
): { targets: Target[]; excluded: number; notes: readonly string[] } {
  const bySymbol = new Map(deployed.map((a) => [a.symbol, a]));
  const eligible = { date: snapshot.date, assets: snapshot.assets.filter((a) => bySymbol.has(a.symbol)) };
  const compiled = compileIndex(methodology, eligible, { incumbents });
  const targets = compiled.constituents.map((c) => ({ symbol: c.symbol, asset: bySymbol.get(c.symbol)!.address, weight: c.weightWad }));
  return { targets, excluded: compiled.exclusions.length, notes: compiled.notes };
}

/** Both sides of a rebalance order, each sorted ascending by address (what the contract needs). */
export interface Legs {
  sellAssets: string[];
  sellAmounts: bigint[];
  buyAssets: string[];
  buyAmounts: bigint[];
}

/** The legs from the frozen `basket` to `targets` at `prices` (keyed by lower-case address), sorted. */
export function planTrades(
  basket: { assets: readonly string[]; amounts: readonly bigint[] },
  targets: readonly Target[],
  prices: ReadonlyMap<string, bigint>,
  decimals: ReadonlyMap<string, number>,
): Legs {
  const { sells, buys } = planRebalance(basket, targets, prices, decimals);
  const sell = sortedLegs(sells.filter((l) => l.amount > 0n));
  const buy = sortedLegs(buys.filter((l) => l.amount > 0n));
  return { sellAssets: sell.assets, sellAmounts: sell.amounts, buyAssets: buy.assets, buyAmounts: buy.amounts };
}

export const isEmpty = (legs: Legs): boolean => legs.sellAssets.length === 0 && legs.buyAssets.length === 0;

/** What the saga's checks of a PMM order found: `problem` undefined means it passed. */
export interface OrderCheck {
  problem?: string;
  soldValue: bigint;
  boughtValue: bigint;
}

/**
 * Checks a PMM's signed order against the planned legs, before anything is signed by the operator:
 * same index and sells exactly as planned, the same buy assets with no leg short of the plan by
 * more than `toleranceBps`, bought value within `toleranceBps` of sold value at the reference
 * prices (the contract's own rule), and the signature recovers to the maker. Whether the maker
 * holds MAKER_ROLE is a chain read the saga makes.
 */
export function checkMakerOrder(args: {
  domain: TypedDataDomain;
  index: string;
  plan: Legs;
  order: RebalanceOrder;
  signature: string;
  prices: ReadonlyMap<string, bigint>;
  decimals: ReadonlyMap<string, number>;
  toleranceBps: bigint;
}): OrderCheck {
  const { order, plan } = args;
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i].toLowerCase());
  let soldValue = 0n;
  let boughtValue = 0n;
  try {
    soldValue = legsValue(order.sellAssets, order.sellAmounts, args.prices, args.decimals);
    boughtValue = legsValue(order.buyAssets, order.buyAmounts, args.prices, args.decimals);
  } catch (error) {
    return { problem: `cannot value the order: ${(error as Error).message}`, soldValue, boughtValue };
  }
  const fail = (problem: string): OrderCheck => ({ problem, soldValue, boughtValue });
  if (order.index.toLowerCase() !== args.index.toLowerCase()) return fail(`order is for index ${order.index}, not ${args.index}`);
  if (!same(order.sellAssets, plan.sellAssets) || order.sellAmounts.some((a, i) => a !== plan.sellAmounts[i])) return fail('sell legs differ from the plan');
  if (!same(order.buyAssets, plan.buyAssets)) return fail('buy assets differ from the plan');
  for (let i = 0; i < plan.buyAmounts.length; i++) {
    const floor = (plan.buyAmounts[i] * (BPS - args.toleranceBps)) / BPS;
    if (order.buyAmounts[i] < floor) return fail(`buy of ${order.buyAssets[i]} is ${order.buyAmounts[i]}, below ${floor} (plan less ${args.toleranceBps} bps)`);
    if (order.buyAmounts[i] > plan.buyAmounts[i]) return fail(`buy of ${order.buyAssets[i]} exceeds the plan`);
  }
  if (!withinTolerance(soldValue, boughtValue, args.toleranceBps)) {
    return fail(`bought value ${boughtValue} is not within ${args.toleranceBps} bps of sold value ${soldValue} at the reference prices`);
  }
  let signer: string;
  try {
    signer = recoverAddress(TypedDataEncoder.hash(args.domain, REBALANCE_ORDER_TYPES, order), args.signature);
  } catch (error) {
    return fail(`maker signature does not parse: ${(error as Error).message}`);
  }
  if (signer.toLowerCase() !== order.maker.toLowerCase()) return fail(`maker signature recovers to ${signer}, not the maker ${order.maker}`);
  return { soldValue, boughtValue };
}

/** Each asset's share of the basket's value at `prices`, 1e18 = 100% (keyed by lower-case address). */
export function basketWeights(
  basket: { assets: readonly string[]; amounts: readonly bigint[] },
  prices: ReadonlyMap<string, bigint>,
  decimals: ReadonlyMap<string, number>,
): Map<string, bigint> {
  const values = basket.assets.map((a, i) => legsValue([a], [basket.amounts[i]], prices, decimals));
  const total = values.reduce((s, v) => s + v, 0n);
  if (total === 0n) throw new Error('the basket has no value');
  return new Map(basket.assets.map((a, i) => [a.toLowerCase(), (values[i] * WEIGHT_UNIT) / total]));
}

export interface WeightCheck {
  ok: boolean;
  toleranceBps: number;
  /** Largest |weight - target| over the targets and the basket's assets, in basis points (fractional). */
  maxDeviationBps: number;
  assets: Array<{ asset: string; symbol?: string; targetBps: number; actualBps: number; deviationBps: number }>;
}

/** Whether every asset's weight is within `toleranceBps` of its target (assets off target count with target 0). */
export function checkWeights(weights: ReadonlyMap<string, bigint>, targets: readonly Target[], toleranceBps: number): WeightCheck {
  const toBps = (w: bigint) => Number((w * 1_000_000n) / WEIGHT_UNIT) / 100;
  const rows = new Map<string, { asset: string; symbol?: string; target: bigint; actual: bigint }>();
  for (const t of targets) rows.set(t.asset.toLowerCase(), { asset: t.asset, symbol: t.symbol, target: t.weight, actual: 0n });
  for (const [asset, actual] of weights) {
    const row = rows.get(asset) ?? { asset, target: 0n, actual: 0n };
    row.actual = actual;
    rows.set(asset, row);
  }
  const assets = [...rows.values()].map((r) => {
    const targetBps = toBps(r.target);
    const actualBps = toBps(r.actual);
    return { asset: r.asset, symbol: r.symbol, targetBps, actualBps, deviationBps: Math.abs(actualBps - targetBps) };
  });
  const maxDeviationBps = Math.max(0, ...assets.map((a) => a.deviationBps));
  return { ok: maxDeviationBps <= toleranceBps, toleranceBps, maxDeviationBps, assets };
}

/**
 * Whether a rebalance must sell the fee basket before it opens its window (issue 19 item 1). A
 * tokenset change moves the pending fee into the fee basket at the old tokenset, so it can grow the
 * fee basket by every asset of the current tokenset; and `IndexToken.setTokenset` refuses while
 * the fee basket holds more than `maxFeeAssets`. Selling first when the fee basket plus this
 * tokenset plus the next (the targets) would pass the cap keeps this settlement and the next one
 * clear of it.
 */
export function feeSaleNeeded(size: { feeAssets: number; tokensetAssets: number; targetAssets: number; maxFeeAssets: number }): boolean {
  return size.feeAssets + size.tokensetAssets + size.targetAssets > size.maxFeeAssets;
}

/**
 * Checks a PMM's signed fee-sale bid before anything is signed for it: the same index, assets
 * and amounts as asked, the cash token asked, cash worth at least the fee assets' value less
 * `toleranceBps` at the reference prices (the bound `Rebalancer.sellFee` enforces at the attested
 * prices), and the signature recovers to the maker.
 */
export function checkFeeSaleOrder(args: {
  domain: TypedDataDomain;
  asked: { index: string; assets: readonly string[]; amounts: readonly bigint[]; cashToken: string };
  order: FeeSaleOrder;
  signature: string;
  prices: ReadonlyMap<string, bigint>;
  decimals: ReadonlyMap<string, number>;
  toleranceBps: bigint;
}): { problem?: string; feeValue: bigint; cashValue: bigint } {
  const { order, asked } = args;
  let feeValue = 0n;
  let cashValue = 0n;
  try {
    feeValue = legsValue(order.assets, order.amounts, args.prices, args.decimals);
    cashValue = legsValue([order.cashToken], [order.cashAmount], args.prices, args.decimals);
  } catch (error) {
    return { problem: `cannot value the bid: ${(error as Error).message}`, feeValue, cashValue };
  }
  const fail = (problem: string) => ({ problem, feeValue, cashValue });
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i].toLowerCase());
  if (order.index.toLowerCase() !== asked.index.toLowerCase()) return fail(`bid is for index ${order.index}, not ${asked.index}`);
  if (!same(order.assets, asked.assets) || order.amounts.length !== asked.amounts.length || order.amounts.some((a, i) => a !== asked.amounts[i])) return fail('fee assets differ from those offered');
  if (order.cashToken.toLowerCase() !== asked.cashToken.toLowerCase()) return fail(`pays in ${order.cashToken}, not ${asked.cashToken}`);
  const floor = (feeValue * (BPS - args.toleranceBps)) / BPS;
  if (cashValue < floor) return fail(`cash worth ${cashValue} is below ${floor} (fee assets worth ${feeValue} less ${args.toleranceBps} bps)`);
  let signer: string;
  try {
    signer = recoverAddress(TypedDataEncoder.hash(args.domain, FEE_SALE_ORDER_TYPES, order), args.signature);
  } catch (error) {
    return fail(`maker signature does not parse: ${(error as Error).message}`);
  }
  if (signer.toLowerCase() !== order.maker.toLowerCase()) return fail(`maker signature recovers to ${signer}, not the maker ${order.maker}`);
  return { feeValue, cashValue };
}
