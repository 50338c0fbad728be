/**
 * Token amounts as people write them ("1.5" index tokens, "1000" USDC) and as contracts hold
 * them (integer smallest units). Parsing is strict: plain decimal notation only, no exponent,
 * no sign, no more fraction digits than the token has, so an amount never changes on the way in.
 */

/** Decimal notation: at most 30 integer digits, an optional fraction. */
const DECIMAL = /^(0|[1-9]\d{0,29})(?:\.(\d+))?$/;

export class AmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmountError';
  }
}

/** `text` (e.g. "1.5") in smallest units of a token with `decimals` decimals. */
export function parseAmount(text: string, decimals: number): bigint {
  const match = DECIMAL.exec(text);
  if (!match) throw new AmountError(`"${text.length > 40 ? `${text.slice(0, 40)}...` : text}" is not a plain decimal number like 1.5`);
  const [, whole, fraction = ''] = match;
  if (fraction.length > decimals) throw new AmountError(`${text} has more than ${decimals} decimal places`);
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** Smallest units as a decimal string without trailing zeros ("1.5", "1000"). */
export function formatAmount(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = decimals === 0 ? '' : (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * A finite non-negative number (a price) as an exact fixed-point integer with `scale` decimals,
 * from its shortest round-trip decimal form, so 7.13e-6 becomes exactly 7130000000000 at 1e18.
 */
export function toFixedPoint(value: number, scale = 18): bigint {
  if (scale !== 18) return fixedPoint(value, scale);
  // Reference prices repeat from quote to quote: each is converted once.
  let fixed = fixed18.get(value);
  if (fixed === undefined) {
    fixed = fixedPoint(value, 18);
    if (fixed18.size >= 10_000) fixed18.clear();
    fixed18.set(value, fixed);
  }
  return fixed;
}
const fixed18 = new Map<number, bigint>();

function fixedPoint(value: number, scale: number): bigint {
  if (!Number.isFinite(value) || value < 0) throw new AmountError(`${value} is not a finite non-negative number`);
  const [mantissa, exponentText] = value.toExponential().split('e');
  const [intPart, fracPart = ''] = mantissa.split('.');
  const digits = BigInt(intPart + fracPart);
  const shift = Number(exponentText) - fracPart.length + scale;
  return shift >= 0 ? digits * 10n ** BigInt(shift) : digits / 10n ** BigInt(-shift);
}
