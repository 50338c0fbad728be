/**
 * Management fee: the bit-exact port of `contracts/index/libraries/FeeMath.sol` and of the way
 * `IndexToken` projects its fee factor, so off-chain code (quotes, proof of reserves, dashboards)
 * computes the same baskets as the contract.
 *
 * The fee factor (27 decimals, 1e27 = nothing taken since the tokenset was set) decays as
 * `factor * exp(-rate * elapsed / YEAR)` with `rate` a continuously compounded annual rate in parts
 * per million: a year at 9,500 ppm keeps exp(-0.0095) = 99.0545% of the basket. The effective unit
 * amount of an asset is `floor(base * factor / 1e27)`; the basket of a supply is
 * `ceil(supply * base * factor / 1e45)`.
 */
import { FEE_FACTOR_UNIT, INDEX_UNIT } from './orders';

/** Seconds in the year the annual rate refers to (365 days). */
export const YEAR_SECONDS = 365n * 86_400n;
/** Parts per million in one: rates are in ppm per year. */
export const PPM = 1_000_000n;
/** Hard cap on any index's annual fee rate (10%), as `IndexToken.MAX_FEE_RATE_PPM`. */
export const MAX_FEE_RATE_PPM = 100_000n;

const ONE = 10n ** 36n;
const LN2 = 693_147_180_559_945_309_417_232_121_458_176_568n;
const SCALE = 10n ** 30n;
const TERMS = 24n;

/** `factor * exp(-ratePpm / 1e6 * elapsed / YEAR)`, rounded down and never below 1: `FeeMath.decay`. */
export function decayFactor(factor: bigint, ratePpm: bigint | number, elapsed: bigint | number): bigint {
  const rate = BigInt(ratePpm);
  const dt = BigInt(elapsed);
  if (factor < 0n || rate < 0n || dt < 0n) throw new Error('fee decay inputs must not be negative');
  const x = (rate * dt * SCALE) / YEAR_SECONDS;
  const k = x / LN2;
  if (k >= 96n) return 1n;
  const r = x - k * LN2;
  let e = ONE;
  for (let n = TERMS; n !== 0n; n--) e = ONE - (r * e) / (n * ONE);
  const result = ((factor * e) / ONE) >> k;
  return result === 0n ? 1n : result;
}

/** What `IndexToken.feeState()` returns (factor and pending units already projected to the block read). */
export interface FeeView {
  factor: bigint;
  ratePpm: bigint;
  rebalancing: boolean;
}

/**
 * The factor at `timestamp`, projected from a factor read at `readAt`. Close to, not always
 * bit-identical with, what the contract will compute then (it projects from its last stored
 * accrual); the factor only falls, so legs quoted with a later timestamp's factor are safe bounds.
 * While rebalancing the basket is frozen and the factor does not move.
 */
export function factorAt(view: FeeView, readAt: bigint, timestamp: bigint): bigint {
  if (view.rebalancing || view.ratePpm === 0n || timestamp <= readAt) return view.factor;
  return decayFactor(view.factor, view.ratePpm, timestamp - readAt);
}

/** The effective tokenset, `floor(base * factor / 1e27)` per asset, as `IndexToken.tokenset()`. */
export function effectiveUnitAmounts(baseUnitAmounts: readonly bigint[], factor: bigint): bigint[] {
  return baseUnitAmounts.map((base) => (base * factor) / FEE_FACTOR_UNIT);
}

/** The aggregate basket of `supply` index units, `ceil(supply * base * factor / 1e45)`, as `IndexToken.basket()`. */
export function basketOf(supply: bigint, baseUnitAmounts: readonly bigint[], factor: bigint): bigint[] {
  const denominator = INDEX_UNIT * FEE_FACTOR_UNIT;
  return baseUnitAmounts.map((base) => (supply * base * factor + denominator - 1n) / denominator);
}

/** Fee units (base index units) one accrual adds: `floor(supply * (before - after) / 1e27)`. */
export function accruedFeeUnits(supply: bigint, factorBefore: bigint, factorAfter: bigint): bigint {
  return (supply * (factorBefore - factorAfter)) / FEE_FACTOR_UNIT;
}

/** The fee basket pending fee units stand for at a base tokenset: `floor(units * base / 1e18)` per asset. */
export function feeAmountsOf(pendingUnits: bigint, baseUnitAmounts: readonly bigint[]): bigint[] {
  return baseUnitAmounts.map((base) => (pendingUnits * base) / INDEX_UNIT);
}
