import { legsFor } from '../../../lambdas/quotes/service';
import type { IndexState } from '../../../lambdas/quotes/catalog';
import { Side } from '../../../lambdas/domain/orders';
import { decayFactor } from '../../../lambdas/domain/fees';

const ONE = 10n ** 18n;
const base = { assets: ['0x0000000000000000000000000000000000000B01', '0x0000000000000000000000000000000000000E02'], unitAmounts: [500_000n, 125n * 10n ** 15n] };

function indexWithFee(factor: bigint, ratePpm: bigint, rebalancing = false): IndexState {
  return {
    address: '0x00000000000000000000000000000000000000E1',
    symbol: 'TEST.ssi',
    name: 'Test index',
    tokenset: base,
    fee: { base: { ...base, factor }, ratePpm, readAt: 1_000n },
    chainClockOffsetSeconds: 0,
    config: { minAmount: 0n, maxAmount: 10n ** 30n, feeVault: '0x0000000000000000000000000000000000000001', issueFeeBps: 0, redeemFeeBps: 0, requestTimeout: 3600 },
    rebalancing,
    totalSupply: 0n,
  };
}

describe('order legs under the management fee', () => {
  const factor = 999_000_000_000_000_000_000_000_000n; // 0.999 in 27 decimals
  const deadline = 1_000n + 30n * 86_400n;

  test('mint legs round up base x the factor when read, a safe lower bound since the factor only falls', () => {
    const legs = legsFor(indexWithFee(factor, 9_500n), 3n * ONE, Side.Mint, deadline);
    expect(legs.amounts).toEqual(base.unitAmounts.map((u) => (3n * ONE * u * factor + ONE * 10n ** 27n - 1n) / (ONE * 10n ** 27n)));
  });

  test('redeem legs round down base x the factor projected to the deadline, so they stay under the bound at settlement', () => {
    const projected = decayFactor(factor, 9_500n, deadline - 1_000n);
    expect(projected).toBeLessThan(factor);
    const legs = legsFor(indexWithFee(factor, 9_500n), 3n * ONE, Side.Redeem, deadline);
    expect(legs.amounts).toEqual(base.unitAmounts.map((u) => (3n * ONE * u * projected) / (ONE * 10n ** 27n)));
  });

  test('while the index rebalances the factor is frozen and redeem legs use it as read', () => {
    const legs = legsFor(indexWithFee(factor, 9_500n, true), 3n * ONE, Side.Redeem, deadline);
    expect(legs.amounts).toEqual(base.unitAmounts.map((u) => (3n * ONE * u * factor) / (ONE * 10n ** 27n)));
  });
});
