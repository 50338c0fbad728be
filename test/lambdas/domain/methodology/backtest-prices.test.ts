import { ReplayPriceSource } from '../../../../lambdas/domain/market';
import { BacktestError, type IndexMethodology, type PricePolicy, MethodologyError, priceSensitivity, runBacktest } from '../../../../lambdas/domain/methodology';
import { type SnapshotRow, dailyCsv, marketData, steps } from '../../../helpers/market';

/** Equal-weight top 2 of A and B (BTC is in the data only as the benchmark). */
const TOP2: IndexMethodology = {
  id: 'TOP2.test',
  version: 1,
  name: 'Top 2 test index',
  description: 'Equal-weight top 2 of a hand-made market',
  universe: { excludeStablecoins: true, excludeDerivatives: true, custodySupported: ['A', 'B'] },
  selection: { maxConstituents: 2, minConstituents: 2 },
  weighting: { scheme: 'equal' },
  rebalance: { frequency: 'monthly' },
};

/** One snapshot of BTC, A and B at these prices (market caps 10x, 10x and 4x the price: A outranks B). */
const snapshotAt = (btc: number, a: number, b: number): SnapshotRow[] => [
  { symbol: 'BTC', cap: btc * 10, price: btc },
  { symbol: 'A', cap: a * 10, price: a },
  { symbol: 'B', cap: b * 4, price: b },
];

const run = (market: ReturnType<typeof marketData>, pricePolicy: PricePolicy, methodology = TOP2, to = '2021-03-01') =>
  runBacktest({ methodology, from: '2021-01-01', to, market, prices: new ReplayPriceSource(market), pricePolicy });

describe('backtest price policies on a two-asset market', () => {
  /**
   * A and B, equal weight. The files agree on 1 January and 1 February (A 10 -> 12, B 20 -> 18).
   * B has no daily close from 2 to 28 February. On 1 March the files disagree about A: the snapshot says 9,
   * the daily close 9.9 (10% apart, as two data vendors can be); B is 18 in both.
   */
  const market = marketData(
    {
      '2021-01-01': snapshotAt(100, 10, 20),
      '2021-02-01': snapshotAt(110, 12, 18),
      '2021-03-01': snapshotAt(99, 9, 18),
    },
    dailyCsv('2021-01-01', '2021-03-01', {
      BTC: steps({ '2021-01-01': 100, '2021-02-01': 110, '2021-03-01': 99 }),
      A: steps({ '2021-01-01': 10, '2021-01-20': 11, '2021-02-01': 12, '2021-03-01': 9.9 }),
      B: (date) => (date > '2021-02-01' && date < '2021-03-01' ? undefined : date < '2021-02-01' ? 20 : 18),
    }),
  );

  it('one asset missing its daily closes for a month: auto gives the same return as snapshot, period by period', () => {
    // act
    const auto = run(market, 'auto');
    const snapshot = run(market, 'snapshot');
    // assert: January 5 A + 2.5 B -> 5 x 12 + 2.5 x 18 = 105; February 4.375 A + 2.917 B -> 4.375 x 9 + 2.917 x 18 = 91.875.
    expect(snapshot.metrics.index.endLevel).toBeCloseTo(91.875, 10);
    expect(auto.metrics.index.endLevel).toBeCloseTo(91.875, 10);
    expect(auto.periods.map((period) => period.index.return)).toEqual(snapshot.periods.map((period) => period.index.return));
    expect(auto.pricing.periods.map((period) => period.basis)).toEqual(['daily', 'snapshot']);
    expect(auto.pricing.periodCounts).toEqual({ daily: 1, snapshot: 1, mixed: 0 });
    expect(snapshot.pricing.periods.map((period) => period.basis)).toEqual(['snapshot', 'snapshot']);
  });

  it('daily prices asset by asset: A from its daily closes, B from the snapshots, each for the whole of February', () => {
    // act
    const daily = run(market, 'daily');
    // assert: February 4.375 x 9.9 + 2.917 x 18 = 95.8125 (A's daily close of 1 March).
    expect(daily.pricing.periods[1]).toEqual({ from: '2021-02-01', to: '2021-03-01', basis: 'mixed', daily: ['A'], snapshot: ['B'] });
    expect(daily.metrics.index.endLevel).toBeCloseTo(95.8125, 10);
  });

  it('states the policy and the rebalance timing in the report', () => {
    const result = run(market, 'auto');
    expect(result.pricing.policy).toBe('auto');
    expect(result.pricing.rule).toContain('every constituent of that period is valued from the monthly snapshot prices');
    expect(result.timing).toMatchObject({ tradeLagDays: 0, trade: 'the basket trades at the closing prices of the same day' });
    expect(result.timing.selection).toContain('snapshot of the scheduled rebalance date');
  });

  it('a sensitivity table runs the same index and dates under every policy, with the market-cap variant and the benchmark', () => {
    // act
    const auto = run(market, 'auto');
    const rows = priceSensitivity({ methodology: TOP2, from: '2021-01-01', to: '2021-03-01', market, prices: new ReplayPriceSource(market) }, auto);
    // assert
    expect(rows.map((row) => row.policy)).toEqual(['auto', 'daily', 'snapshot']);
    expect(rows[0].index).toBe(auto.metrics.index.cumulativeReturn);
    expect(rows[1].index).toBeCloseTo(-0.041875, 10);
    expect(rows[2].index).toBeCloseTo(-0.08125, 10);
    for (const row of rows) {
      expect(row.benchmark).toBeCloseTo(-0.01, 10);
      expect(Number.isFinite(row.marketCap)).toBe(true);
    }
  });
});

describe('a source change inside a holding period', () => {
  /**
   * Prices never move. The two files disagree about B (daily 20, snapshot 22) and B's daily closes
   * stop on 15 January. Mixing sources inside January would show +5% on 1 February (B's half of the
   * basket revalued from 20 to 22 when the snapshot price takes over); one source per period shows none.
   */
  const flat = marketData(
    {
      '2021-01-01': snapshotAt(100, 10, 22),
      '2021-02-01': snapshotAt(100, 10, 22),
    },
    dailyCsv('2021-01-01', '2021-02-01', {
      BTC: () => 100,
      A: () => 10,
      B: steps({ '2021-01-01': 20 }, '2021-01-15'),
    }),
  );

  it.each(['auto', 'daily', 'snapshot'] as const)('creates no return under %s: the level is 100 every day', (policy) => {
    // act
    const result = run(flat, policy, TOP2, '2021-02-01');
    // assert
    expect(result.daily.map((row) => row.index)).toEqual(result.daily.map(() => 100));
    expect(result.metrics.index.cumulativeReturn).toBe(0);
  });
});

describe('rebalance timing from the methodology file', () => {
  const market = marketData(
    {
      '2021-01-01': snapshotAt(100, 10, 20),
      '2021-02-01': snapshotAt(100, 12, 18),
    },
    dailyCsv('2020-12-25', '2021-03-01', {
      BTC: () => 100,
      A: steps({ '2020-12-25': 10, '2021-02-01': 12, '2021-02-02': 15 }),
      B: steps({ '2020-12-25': 20, '2021-02-01': 18 }),
    }),
  );

  it('selects on the scheduled date and trades tradeLagDays later at that day\'s closes', () => {
    // act
    const result = run(market, 'auto', { ...TOP2, rebalance: { frequency: 'monthly', tradeLagDays: 1 } }, '2021-02-10');
    // assert: the first trade is on 2 January; the 1 February selection trades on 2 February.
    expect(result.start).toBe('2021-01-02');
    expect(result.rebalances.map((rebalance) => rebalance.date)).toEqual(['2021-01-01', '2021-02-01']);
    expect(result.pricing.periods.map((period) => [period.from, period.to])).toEqual([
      ['2021-01-02', '2021-02-02'],
      ['2021-02-02', '2021-02-10'],
    ]);
    expect(result.timing.trade).toBe('the basket trades at the closing prices 1 day later; the previous basket is held until then');
    // January basket (5 A, 2.5 B) still held on 2 February: 5 x 15 + 2.5 x 18 = 120.
    expect(result.daily.find((row) => row.date === '2021-02-02')?.index).toBeCloseTo(120, 10);
  });

  it('refuses a trade lag that reaches the next selection', () => {
    const bad = { ...TOP2, rebalance: { frequency: 'monthly' as const, tradeLagDays: 28 } };
    expect(() => run(market, 'auto', bad, '2021-02-10')).toThrow(MethodologyError);
    expect(() => run(market, 'auto', bad, '2021-02-10')).toThrow('rebalance.tradeLagDays 28 must be a whole number of days from 0 to 27');
  });

  it('refuses a range whose first trade is not before --to', () => {
    const late = { ...TOP2, rebalance: { frequency: 'monthly' as const, tradeLagDays: 20 } };
    expect(() => runBacktest({ methodology: late, from: '2021-01-01', to: '2021-01-15', market, prices: new ReplayPriceSource(market) })).toThrow(BacktestError);
  });
});
