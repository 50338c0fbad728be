/**
 * Exact fixed-point numbers for points: ratios (multipliers, boosts, shares) in parts per
 * million, USD in atto-USD (1e-18), points in micro-points (1e-6). Everything is a bigint and
 * every division rounds down at a documented place, so a day computed twice is equal to the bit.
 */

/** Parts per million: 1.2x is 1_200_000n. */
export type Ppm = bigint;
export const PPM = 1_000_000n;
/** Micro-points per point. */
export const MICRO = 1_000_000n;
/** atto-USD per USD: prices and position values carry 18 decimals. */
export const ATTO = 10n ** 18n;

/** Parses a non-negative decimal ("1.25", 3, "0.000001") into a fixed-point bigint with `decimals` digits; refuses anything it would have to round. */
export function parseFixed(value: string | number, decimals: number, what = 'value'): bigint {
  const text = typeof value === 'number' ? numberText(value, what) : value.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`${what}: ${JSON.stringify(value)} is not a non-negative decimal`);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > decimals) throw new RangeError(`${what}: ${text} has more than ${decimals} decimals`);
  return BigInt(match[1]) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

function numberText(value: number, what: string): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what}: ${value} is not a non-negative decimal`);
  // Shortest round-trip text (1.2 -> "1.2"); exponent forms are expanded.
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(20) : text;
}

/** Formats a fixed-point bigint with `decimals` digits as a decimal string without trailing zeros. */
export function formatFixed(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

export const ppm = (value: string | number): Ppm => parseFixed(value, 6, 'ratio');
export const formatPoints = (micro: bigint): string => formatFixed(micro, 6);
