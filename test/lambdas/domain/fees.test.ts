import { basketFor, FEE_FACTOR_UNIT, Side } from '../../../lambdas/domain/orders';
import { accruedFeeUnits, basketOf, decayFactor, effectiveUnitAmounts, factorAt, feeAmountsOf, YEAR_SECONDS } from '../../../lambdas/domain/fees';

describe('management fee math (TypeScript side)', () => {
  it('keeps exp(-0.0095) of the basket after a year at 9,500 ppm', () => {
    // Exact to 27 decimals in the contract tests (against the series); here against floating point.
    const f = decayFactor(FEE_FACTOR_UNIT, 9_500, YEAR_SECONDS);
    expect(Number(f) / 1e27).toBeCloseTo(Math.exp(-0.0095), 15);
  });

  it('never rises with time, is the identity at zero rate or zero time, and stops at 1', () => {
    let previous = FEE_FACTOR_UNIT;
    for (const seconds of [1n, 60n, 86_400n, YEAR_SECONDS, 10n * YEAR_SECONDS]) {
      const f = decayFactor(FEE_FACTOR_UNIT, 100_000, seconds);
      expect(f < previous).toBe(true);
      previous = f;
    }
    expect(decayFactor(FEE_FACTOR_UNIT, 0, YEAR_SECONDS)).toBe(FEE_FACTOR_UNIT);
    expect(decayFactor(FEE_FACTOR_UNIT, 9_500, 0n)).toBe(FEE_FACTOR_UNIT);
    expect(decayFactor(FEE_FACTOR_UNIT, 100_000, (1n << 40n) - 1n)).toBe(1n);
    expect(() => decayFactor(-1n, 1, 1)).toThrow(/negative/);
  });

  it('composes: accruing in two steps lands within a unit of accruing once', () => {
    const once = decayFactor(FEE_FACTOR_UNIT, 12_345, 1_000_000n);
    const twice = decayFactor(decayFactor(FEE_FACTOR_UNIT, 12_345, 400_000n), 12_345, 600_000n);
    expect(once - twice >= 0n && once - twice <= 2n).toBe(true);
  });

  it('projects a read factor to a later time, and not while frozen', () => {
    const view = { factor: FEE_FACTOR_UNIT, ratePpm: 9_500n, rebalancing: false };
    expect(factorAt(view, 100n, 100n + YEAR_SECONDS)).toBe(decayFactor(FEE_FACTOR_UNIT, 9_500, YEAR_SECONDS));
    expect(factorAt({ ...view, rebalancing: true }, 100n, 100n + YEAR_SECONDS)).toBe(FEE_FACTOR_UNIT);
    expect(factorAt(view, 100n, 50n)).toBe(FEE_FACTOR_UNIT);
  });

  it('derives effective amounts, baskets, fee units and fee amounts with the contract roundings', () => {
    const half = FEE_FACTOR_UNIT / 2n;
    expect(effectiveUnitAmounts([3n, 10n ** 8n], half)).toEqual([1n, 5n * 10n ** 7n]);
    expect(basketOf(10n ** 18n / 3n, [3n, 10n ** 8n], half)).toEqual([1n, 16_666_667n]);
    expect(accruedFeeUnits(3n * 10n ** 18n, FEE_FACTOR_UNIT, half)).toBe(15n * 10n ** 17n);
    expect(feeAmountsOf(15n * 10n ** 17n, [3n, 10n ** 8n])).toEqual([4n, 15n * 10n ** 7n]);
  });

  it('bounds order legs with the factor: mint legs round up, redeem legs down', () => {
    const tokenset = { assets: ['0x01', '0x02'], unitAmounts: [3n, 10n ** 8n], factor: FEE_FACTOR_UNIT / 2n };
    expect(basketFor(tokenset, 10n ** 18n, Side.Mint).amounts).toEqual([2n, 5n * 10n ** 7n]);
    expect(basketFor(tokenset, 10n ** 18n, Side.Redeem).amounts).toEqual([1n, 5n * 10n ** 7n]);
    expect(() => basketFor({ ...tokenset, factor: 0n }, 1n, Side.Mint)).toThrow(/fee factor/);
  });
});
