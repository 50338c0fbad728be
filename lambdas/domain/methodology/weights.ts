/**
 * Weighting arithmetic, pure and order-preserving: every function returns weights in the order of
 * its input. Inputs are market caps (positive, finite), already validated by the compiler.
 */

/** Plain market-cap shares: `cap_i / sum(cap)`. */
export function marketCapShares(marketCaps: readonly number[]): number[] {
  const total = marketCaps.reduce((sum, cap) => sum + cap, 0);
  return marketCaps.map((cap) => cap / total);
}

export function equalWeights(count: number): number[] {
  return Array.from({ length: count }, () => 1 / count);
}

export interface CappedShares {
  readonly weights: number[];
  /** False when `n * cap < 1`: no weights can respect the cap, so the result is equal weights. */
  readonly feasible: boolean;
  /** Indexes (into the input) that ended exactly at the cap. */
  readonly capped: number[];
}

/**
 * Market-cap shares with no share above `cap`: every asset over the cap is set to the cap and the
 * excess is spread over the others in proportion to their market caps, repeated until nothing is
 * over (spreading can push another asset over the cap; it is then capped in the next round). The
 * result is the unique `w_i = min(cap, k * cap_i)` summing to 1. If even equal weights break the
 * cap (`n * cap < 1`), equal weights are returned and `feasible` is false.
 */
export function cappedMarketCapShares(marketCaps: readonly number[], cap: number): CappedShares {
  const count = marketCaps.length;
  if (count * cap < 1 - 1e-12) return { weights: equalWeights(count), feasible: false, capped: [] };
  const isCapped = new Array<boolean>(count).fill(false);
  let weights = marketCapShares(marketCaps);
  for (let round = 0; round < count; round += 1) {
    const over = weights.map((weight, index) => (!isCapped[index] && weight > cap ? index : -1)).filter((index) => index >= 0);
    if (over.length === 0) break;
    for (const index of over) isCapped[index] = true;
    const cappedCount = isCapped.filter(Boolean).length;
    const remaining = 1 - cap * cappedCount;
    const freeTotal = marketCaps.reduce((sum, marketCap, index) => (isCapped[index] ? sum : sum + marketCap), 0);
    weights = marketCaps.map((marketCap, index) => (isCapped[index] ? cap : freeTotal > 0 ? (remaining * marketCap) / freeTotal : 0));
  }
  return { weights, feasible: true, capped: isCapped.flatMap((flag, index) => (flag ? [index] : [])) };
}

export interface FloorCapWeights {
  readonly weights: number[];
  readonly capFeasible: boolean;
  readonly capped: number[];
}

/**
 * `w_i = floor + (1 - n * floor) * s_i` where `s` are the market-cap shares, capped when `cap` is
 * given so that no `w_i` exceeds it: the cap on `w` is a cap of `(cap - floor) / (1 - n * floor)`
 * on `s`. With floor 0.10 and 7 assets this is MAG7's `0.10 + 0.30 * cap_i / sum(cap)`.
 */
export function floorCapMarketCapWeights(marketCaps: readonly number[], floor = 0, cap?: number): FloorCapWeights {
  const count = marketCaps.length;
  const remainder = 1 - count * floor;
  if (remainder < -1e-12) throw new RangeError(`floor ${floor} x ${count} constituents exceeds 100%`);
  if (remainder <= 1e-12) return { weights: equalWeights(count), capFeasible: true, capped: [] };
  if (cap === undefined) {
    return { weights: marketCapShares(marketCaps).map((share) => floor + remainder * share), capFeasible: true, capped: [] };
  }
  const shares = cappedMarketCapShares(marketCaps, (cap - floor) / remainder);
  if (!shares.feasible) return { weights: equalWeights(count), capFeasible: false, capped: [] };
  return {
    weights: shares.weights.map((share, index) => (shares.capped.includes(index) ? cap : floor + remainder * share)),
    capFeasible: true,
    capped: shares.capped,
  };
}

/**
 * Integer weights that sum to exactly `scale` (10 000 for basis points, 10^18 for wad): each float
 * weight is taken as the exact binary fraction it is, normalised by the exact total, floored, and the
 * few units left over go to the largest remainders (largest remainder method; equal remainders go to
 * the earlier input, so pass the inputs in a deterministic order).
 */
export function toIntegerWeights(weights: readonly number[], scale: bigint): bigint[] {
  if (weights.length === 0) return [];
  if (weights.some((weight) => !Number.isFinite(weight) || weight < 0)) throw new RangeError('weights must be finite and non-negative');
  const dyadic = weights.map(toDyadic);
  const minExponent = Math.min(...dyadic.filter((d) => d.mantissa > 0n).map((d) => d.exponent));
  const numerators = dyadic.map((d) => (d.mantissa === 0n ? 0n : d.mantissa << BigInt(d.exponent - minExponent)));
  const total = numerators.reduce((sum, value) => sum + value, 0n);
  if (total === 0n) throw new RangeError('weights sum to zero');
  const floors = numerators.map((value) => (value * scale) / total);
  const remainders = numerators.map((value) => (value * scale) % total);
  let leftover = scale - floors.reduce((sum, value) => sum + value, 0n);
  const order = remainders.map((_, index) => index).sort((a, b) => (remainders[b] > remainders[a] ? 1 : remainders[b] < remainders[a] ? -1 : a - b));
  for (const index of order) {
    if (leftover === 0n) break;
    floors[index] += 1n;
    leftover -= 1n;
  }
  return floors;
}

/** A finite non-negative double as `mantissa * 2^exponent`, exactly. */
function toDyadic(value: number): { mantissa: bigint; exponent: number } {
  if (value === 0) return { mantissa: 0n, exponent: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return biasedExponent === 0
    ? { mantissa: fraction, exponent: -1074 }
    : { mantissa: fraction | (1n << 52n), exponent: biasedExponent - 1075 };
}

export const BPS_SCALE = 10_000n;
export const WAD_SCALE = 10n ** 18n;
