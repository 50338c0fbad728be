import {
  NAV_UNIT,
  NavUpdateError,
  bookEquity,
  canPublish,
  hedgeBookSource,
  maxNavMove,
  navFromBook,
  planNavUpdate,
  runNavUpdate,
  type NavReading,
  type OnChainNav,
} from '../../../lambdas/domain/ussi-nav';

const E18 = NAV_UNIT;
const onChain: OnChainNav = { nav: 1_020_000_000_000_000_000n, updatedAt: 1_000_000n, maxNavMoveBps: 100, minNavInterval: 600, maxNavAge: 86_400 };
const reading = (nav: bigint, asOf = 1_000_600n): NavReading => ({ nav, asOf, source: 'test' });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof NavUpdateError) return error.code;
    throw error;
  }
  return undefined;
}

describe('USSI NAV update domain', () => {
  describe('hedge book valuation', () => {
    const book = { collateralUsd: 1_000_000n * E18, unrealizedPnlUsd: -2_500n * E18, fundingUsd: 4_000n * E18, feesUsd: 500n * E18 };

    it('equity is collateral plus P&L plus funding minus fees', () => {
      expect(bookEquity(book)).toBe(1_001_000n * E18);
    });

    it('NAV is equity over supply, rounded down', () => {
      expect(navFromBook(book, 1_000_000n * E18, E18)).toBe(1_001_000_000_000_000_000n);
      expect(navFromBook({ ...book, collateralUsd: 2n, unrealizedPnlUsd: 0n, fundingUsd: 0n, feesUsd: 0n }, 3n * E18, E18)).toBe(0n);
    });

    it('keeps the previous NAV when there is no supply', () => {
      expect(navFromBook(book, 0n, 1_234n)).toBe(1_234n);
    });

    it('refuses a book with no positive equity or a negative supply', () => {
      expect(codeOf(() => navFromBook({ ...book, unrealizedPnlUsd: -1_004_000n * E18 }, E18, E18))).toBe('nav_reading_invalid');
      expect(codeOf(() => navFromBook(book, -1n, E18))).toBe('nav_reading_invalid');
    });

    it('the hedge-book source reads the book for the current supply and reports its inputs', async () => {
      const source = hedgeBookSource(async ({ supply }) => ({ book: { ...book, collateralUsd: book.collateralUsd + supply }, asOf: 77n }));
      const result = await source.read({ previous: onChain, supply: 1_000_000n * E18, now: 80n });
      expect(result.nav).toBe(((bookEquity(book) + 1_000_000n * E18) * E18) / (1_000_000n * E18));
      expect(result).toMatchObject({ asOf: 77n, source: 'hedge-book' });
      expect(result.detail?.supply).toBe(String(1_000_000n * E18));
    });
  });

  describe('planning against the on-chain bounds', () => {
    const bound = maxNavMove(onChain.nav, onChain.maxNavMoveBps);

    it('publishes a reading within the bound as is, with when it goes stale', () => {
      const plan = planNavUpdate(onChain, reading(onChain.nav + bound), 1_000_600n, { clamp: false });
      expect(plan).toEqual({ action: 'publish', nav: onChain.nav + bound, target: onChain.nav + bound, clamped: false, staleAt: 1_000_600n + 86_400n });
    });

    it('publishes an unchanged NAV, which refreshes its age on-chain', () => {
      expect(planNavUpdate(onChain, reading(onChain.nav), 1_000_600n, { clamp: false })).toMatchObject({ action: 'publish', nav: onChain.nav });
    });

    it('clamps a reading beyond the bound to the largest allowed step, in both directions', () => {
      const up = planNavUpdate(onChain, reading(onChain.nav * 2n), 1_000_600n, { clamp: true });
      const down = planNavUpdate(onChain, reading(onChain.nav / 2n), 1_000_600n, { clamp: true });
      expect(up).toMatchObject({ action: 'publish', nav: onChain.nav + bound, target: onChain.nav * 2n, clamped: true });
      expect(down).toMatchObject({ action: 'publish', nav: onChain.nav - bound, clamped: true });
      for (const plan of [up, down]) if (plan.action === 'publish') expect(canPublish(onChain, plan.nav, 1_000_600n)).toBe(true);
    });

    it('refuses a reading beyond the bound when not clamping', () => {
      expect(codeOf(() => planNavUpdate(onChain, reading(onChain.nav + bound + 1n), 1_000_600n, { clamp: false }))).toBe('nav_move_too_large');
    });

    it('skips until the minimum interval has passed, saying when to retry', () => {
      expect(planNavUpdate(onChain, reading(onChain.nav, 1_000_599n), 1_000_599n, { clamp: true })).toEqual({
        action: 'skip',
        reason: 'too-early',
        target: onChain.nav,
        retryAt: 1_000_600n,
      });
    });

    it('refuses invalid, future and stale readings', () => {
      expect(codeOf(() => planNavUpdate(onChain, reading(0n), 1_000_600n, { clamp: true }))).toBe('nav_reading_invalid');
      expect(codeOf(() => planNavUpdate(onChain, reading(1n << 128n), 1_000_600n, { clamp: true }))).toBe('nav_reading_invalid');
      expect(codeOf(() => planNavUpdate(onChain, reading(onChain.nav, 1_000_601n), 1_000_600n, { clamp: true }))).toBe('nav_reading_invalid');
      expect(codeOf(() => planNavUpdate(onChain, reading(onChain.nav, 1_000_600n - 3_601n), 1_000_600n, { clamp: true }))).toBe('nav_reading_stale');
      expect(codeOf(() => planNavUpdate(onChain, reading(onChain.nav, 1_000_600n - 60n), 1_000_600n, { clamp: true, maxReadingAge: 59 }))).toBe('nav_reading_stale');
    });

    it('canPublish mirrors the contract rules at their edges', () => {
      expect(canPublish(onChain, onChain.nav - bound, 1_000_600n)).toBe(true);
      expect(canPublish(onChain, onChain.nav - bound - 1n, 1_000_600n)).toBe(false);
      expect(canPublish(onChain, onChain.nav, 1_000_599n)).toBe(false);
      expect(canPublish(onChain, 0n, 1_000_600n)).toBe(false);
    });
  });

  describe('a scheduled run', () => {
    const bookSource = hedgeBookSource(async ({ now }) => ({
      book: { collateralUsd: 10_200_000_000_000_000_000n, unrealizedPnlUsd: 0n, fundingUsd: 50_000_000_000_000_000n, feesUsd: 0n },
      asOf: now,
    }));

    it('reads the chain and the source, then publishes the planned NAV', async () => {
      const published: bigint[] = [];
      const result = await runNavUpdate(
        {
          readOnChain: async () => ({ onChain, supply: 10n * E18, now: onChain.updatedAt + 86_400n }),
          source: bookSource,
          publish: async (nav) => {
            published.push(nav);
            return '0xabc';
          },
        },
        { clamp: true },
      );
      // Equity 10.25 USD over 10 USSI: 1.025 against 1.02 on chain, a 0.49% move inside the 1% bound.
      const expected = 1_025_000_000_000_000_000n;
      expect(published).toEqual([expected]);
      expect(result).toMatchObject({ action: 'publish', nav: expected, clamped: false, txHash: '0xabc' });
      expect(result.reading.source).toBe('hedge-book');
    });

    it('sends nothing when it is too early', async () => {
      const publish = jest.fn(async () => '0x');
      const result = await runNavUpdate(
        { readOnChain: async () => ({ onChain, supply: E18, now: onChain.updatedAt + 10n }), source: bookSource, publish },
        { clamp: true },
      );
      expect(result.action).toBe('skip');
      expect(publish).not.toHaveBeenCalled();
    });
  });
});
