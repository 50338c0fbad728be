import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBacktestFiles } from '../../../../cli/commands/backtest';
import { ReplayPriceSource } from '../../../../lambdas/domain/market';
import { loadMarketData } from '../../../../lambdas/adapters/market-files';
import {
  BacktestError,
  type IndexMethodology,
  MAG7,
  calendarYearReturns,
  performanceMetrics,
  renderBacktestSvg,
  runBacktest,
} from '../../../../lambdas/domain/methodology';
import { type SnapshotRow, dailyCsv, marketData, steps } from '../../../helpers/market';

/** Equal-weight top 2 of A, B, C (BTC is in the data only as the benchmark: no custody support). */
const TOP2: IndexMethodology = {
  id: 'TOP2.test',
  version: 1,
  name: 'Top 2 test index',
  description: 'Equal-weight top 2 of a hand-made market',
  universe: { excludeStablecoins: true, excludeDerivatives: true, custodySupported: ['A', 'B', 'C'] },
  selection: { maxConstituents: 2, minConstituents: 2 },
  weighting: { scheme: 'equal' },
  rebalance: { frequency: 'monthly' },
};

/**
 * January: A and B are the top 2; A goes 10 -> 11 (Jan 15) -> 12, B 20 -> 18. February: C (no daily
 * closes, snapshot prices only) overtakes B; A falls to 9 on 1 March, C rises 5 -> 7.5.
 */
function handMadeMarket(options: { dropC?: boolean; april?: boolean } = {}) {
  const march: SnapshotRow[] = [
    { symbol: 'BTC', cap: 990, price: 99 },
    { symbol: 'A', cap: 90, price: 9 },
    { symbol: 'B', cap: 72, price: 18 },
  ];
  if (!options.dropC) march.push({ symbol: 'C', cap: 135, price: 7.5 });
  return marketData(
    {
      '2021-01-01': [
        { symbol: 'BTC', cap: 1000, price: 100 },
        { symbol: 'A', cap: 100, price: 10 },
        { symbol: 'B', cap: 80, price: 20 },
        { symbol: 'C', cap: 10, price: 5 },
      ],
      '2021-02-01': [
        { symbol: 'BTC', cap: 1100, price: 110 },
        { symbol: 'A', cap: 120, price: 12 },
        { symbol: 'B', cap: 72, price: 18 },
        { symbol: 'C', cap: 90, price: 5 },
      ],
      '2021-03-01': march,
      ...(options.april ? { '2021-04-01': march } : {}),
    },
    dailyCsv('2021-01-01', options.april ? '2021-04-01' : '2021-03-01', {
      BTC: steps({ '2021-01-01': 100, '2021-02-01': 110, '2021-03-01': 99 }),
      A: steps({ '2021-01-01': 10, '2021-01-15': 11, '2021-02-01': 12, '2021-03-01': 9 }),
      B: steps({ '2021-01-01': 20, '2021-02-01': 18 }),
    }),
  );
}

const backtest = (methodology: IndexMethodology, from: string, to: string, market = handMadeMarket()) =>
  runBacktest({ methodology, from, to, market, prices: new ReplayPriceSource(market) });

describe('backtest on a hand-made market', () => {
  const result = backtest(TOP2, '2021-01-01', '2021-03-01');
  const level = (date: string) => result.daily.find((row) => row.date === date);

  it('holds units between rebalances so the level follows prices: 100, 105 on 15 January, 105 on 1 February', () => {
    // A 5 units, B 2.5 units: 5 x 11 + 2.5 x 20 = 105; 5 x 12 + 2.5 x 18 = 105.
    expect(level('2021-01-01')?.index).toBe(100);
    expect(level('2021-01-14')?.index).toBeCloseTo(100, 12);
    expect(level('2021-01-15')?.index).toBeCloseTo(105, 12);
    expect(level('2021-02-01')?.index).toBeCloseTo(105, 12);
  });

  it('rebalances into A and C on 1 February and ends at 118.125 on 1 March', () => {
    // 4.375 units of A at 9 + 10.5 units of C at 7.5 = 39.375 + 78.75.
    expect(result.rebalances.map((r) => [r.date, r.constituents.map((c) => c.symbol)])).toEqual([
      ['2021-01-01', ['A', 'B']],
      ['2021-02-01', ['A', 'C']],
    ]);
    expect(result.rebalances[1]).toMatchObject({ added: ['C'], removed: ['B'] });
    expect(level('2021-02-28')?.index).toBeCloseTo(105, 12);
    expect(result.metrics.index.endLevel).toBeCloseTo(118.125, 12);
    expect(result.metrics.index.cumulativeReturn).toBeCloseTo(0.18125, 12);
    expect(result.metrics.index.annualizedReturn).toBeCloseTo(1.18125 ** (365 / 59) - 1, 12);
  });

  it('measures one-way turnover against the drifted weights: 50% when B (drifted to 3/7) is swapped for C', () => {
    // drifted A 60/105, B 45/105; target A 0.5, C 0.5: (0.0714 + 0.4286 + 0.5) / 2.
    expect(result.rebalances[0].turnover).toBeNull();
    expect(result.rebalances[1].turnover).toBeCloseTo(0.5, 12);
    expect(result.turnover.index).toMatchObject({ rebalances: 1, max: expect.closeTo(0.5, 12), annualized: expect.closeTo(6, 12) });
  });

  it('compares against BTC held and against the same selection with market-cap weights', () => {
    // Market cap: A 5/9, B 4/9 -> 960/9; then A 4/7, C 3/7 -> x 7.5/7. Turnover 3/7.
    expect(result.metrics.benchmark.endLevel).toBeCloseTo(99, 12);
    expect(result.metrics.marketCap.endLevel).toBeCloseTo(7200 / 63, 10);
    expect(result.turnover.marketCap.average).toBeCloseTo(3 / 7, 12);
    expect(result.periods).toEqual([
      {
        from: '2021-01-01',
        to: '2021-02-01',
        index: { start: 100, end: expect.closeTo(105, 12), return: expect.closeTo(0.05, 12) },
        benchmark: { start: 100, end: expect.closeTo(110, 12), return: expect.closeTo(0.1, 12) },
        marketCap: { start: 100, end: expect.closeTo(960 / 9, 10), return: expect.closeTo(960 / 900 - 1, 10) },
      },
      {
        from: '2021-02-01',
        to: '2021-03-01',
        index: { start: expect.closeTo(105, 12), end: expect.closeTo(118.125, 12), return: expect.closeTo(0.125, 12) },
        benchmark: { start: expect.closeTo(110, 12), end: expect.closeTo(99, 12), return: expect.closeTo(-0.1, 12) },
        marketCap: { start: expect.closeTo(960 / 9, 10), end: expect.closeTo(7200 / 63, 10), return: expect.closeTo(7.5 / 7 - 1, 10) },
      },
    ]);
  });

  it('reports where each constituent-day price came from: C has no daily closes, so its whole February period is priced from snapshots', () => {
    // Jan 2..Feb 1: A and B daily (62). Feb 2..Mar 1 (auto): A and C from snapshots, held Feb 2..28 (27 each) and the snapshot on Mar 1 (1 each).
    expect(result.coverage.constituentDays).toEqual({ 'daily-close': 62, snapshot: 2, carried: 54, migrated: 0, 'dropout-bound': 0 });
    expect(result.coverage.bySymbol.A).toEqual({ 'daily-close': 31, snapshot: 1, carried: 27, migrated: 0, 'dropout-bound': 0 });
    expect(result.coverage.bySymbol.C).toEqual({ 'daily-close': 0, snapshot: 1, carried: 27, migrated: 0, 'dropout-bound': 0 });
    expect(result.notes.some((note) => note.startsWith("45.8% of constituent-days hold the last price of their period's source"))).toBe(true);
    expect(result.pricing.periods).toEqual([
      { from: '2021-01-01', to: '2021-02-01', basis: 'daily', daily: ['A', 'B'], snapshot: [] },
      { from: '2021-02-01', to: '2021-03-01', basis: 'snapshot', daily: [], snapshot: ['A', 'C'] },
    ]);
  });

  it('values a constituent that drops out of the data at the dropout bound and says so', () => {
    // C is missing from the March snapshot: smallest cap 72 / C supply 18 = 4 (below its last price 5).
    const dropped = backtest(TOP2, '2021-01-01', '2021-03-01', handMadeMarket({ dropC: true }));
    expect(dropped.metrics.index.endLevel).toBeCloseTo(4.375 * 9 + 10.5 * 4, 12);
    expect(dropped.coverage.dropouts).toEqual([{ symbol: 'C', date: '2021-03-01', lastObservedOn: '2021-02-01', priceUsd: 4 }]);
    expect(dropped.notes).toContain('C left the top 200 after 2021-02-01 with no later price: valued at the dropout bound 4.000 USD on 2021-03-01');
  });

  it('says when a holding missing from the snapshot is sold at its last known price', () => {
    // C vanishes in March with a pending swap into D, which has no price: carried at 5, not bounded.
    const market = handMadeMarket({ dropC: true, april: true });
    const migrations = [{ from: 'C', to: 'D', ratio: 10, effective: '2021-03-01' }];
    const stale = runBacktest({ methodology: TOP2, from: '2021-01-01', to: '2021-04-01', market, prices: new ReplayPriceSource(market, { migrations }), migrations });
    expect(stale.daily.find((row) => row.date === '2021-03-01')?.index).toBeCloseTo(4.375 * 9 + 10.5 * 5, 12);
    expect(stale.coverage.staleExits).toEqual([{ symbol: 'C', date: '2021-03-01', lastObservedOn: '2021-02-01' }]);
    expect(stale.notes).toContain('C is missing from the 2021-03-01 snapshot with no price that day: its weight was valued at its last price (2021-02-01) when it left');
    expect(stale.coverage.dropouts).toEqual([]);
  });

  it('follows a constituent swapped into another token instead of counting it as a loss or a trade', () => {
    // prepare: in March C is gone and D (1 C = 10 D) is listed; April adds a rebalance after the swap.
    const migrations = [{ from: 'C', to: 'D', ratio: 10, effective: '2021-02-20' }];
    const market = marketData(
      {
        '2021-01-01': [
          { symbol: 'BTC', cap: 1000, price: 100 },
          { symbol: 'A', cap: 100, price: 10 },
          { symbol: 'B', cap: 80, price: 20 },
          { symbol: 'C', cap: 10, price: 5 },
        ],
        '2021-02-01': [
          { symbol: 'BTC', cap: 1100, price: 110 },
          { symbol: 'A', cap: 120, price: 12 },
          { symbol: 'B', cap: 72, price: 18 },
          { symbol: 'C', cap: 90, price: 5 },
        ],
        '2021-03-01': [
          { symbol: 'BTC', cap: 990, price: 99 },
          { symbol: 'D', cap: 135, price: 0.75 },
          { symbol: 'A', cap: 90, price: 9 },
          { symbol: 'B', cap: 72, price: 18 },
        ],
        '2021-04-01': [
          { symbol: 'BTC', cap: 990, price: 99 },
          { symbol: 'D', cap: 135, price: 0.75 },
          { symbol: 'A', cap: 90, price: 9 },
        ],
      },
      dailyCsv('2021-01-01', '2021-04-01', {
        BTC: steps({ '2021-01-01': 100, '2021-02-01': 110, '2021-03-01': 99 }),
        A: steps({ '2021-01-01': 10, '2021-01-15': 11, '2021-02-01': 12, '2021-03-01': 9 }),
        B: steps({ '2021-01-01': 20, '2021-02-01': 18 }),
      }),
    );
    const withD: IndexMethodology = { ...TOP2, universe: { ...TOP2.universe, custodySupported: ['A', 'B', 'C', 'D'] } };
    // act
    const swapped = runBacktest({ methodology: withD, from: '2021-01-01', to: '2021-04-01', market, prices: new ReplayPriceSource(market, { migrations }), migrations });
    // assert: C is worth 10 x 0.75 = 7.5 on 1 March, as before; the March rebalance only trims A/D to 50/50.
    expect(swapped.daily.find((row) => row.date === '2021-03-01')?.index).toBeCloseTo(118.125, 12);
    expect(swapped.rebalances[2]).toMatchObject({ date: '2021-03-01', added: [], removed: [], turnover: expect.closeTo(1 / 6, 12) });
    expect(swapped.coverage.constituentDays.migrated).toBe(1);
    expect(swapped.coverage.dropouts).toEqual([]);
    expect(swapped.notes).toContain('C was swapped into D (1:10): valued as D x 10 from 2021-03-01');
  });

  it('ends with a stub period when --to is not a rebalance date, and keeps the stub out of the period volatility', () => {
    const stub = backtest(TOP2, '2021-01-01', '2021-02-15');
    expect(stub.end).toBe('2021-02-15');
    expect(stub.periods.map((p) => [p.from, p.to])).toEqual([
      ['2021-01-01', '2021-02-01'],
      ['2021-02-01', '2021-02-15'],
    ]);
    expect(stub.metrics.index.endLevel).toBeCloseTo(105, 12);
    expect(stub.metrics.index.checkpointVolatility).toBeNull();
  });

  it('starts on the first rebalance date on or after --from and notes it', () => {
    const late = backtest(TOP2, '2021-01-10', '2021-03-01');
    expect(late.start).toBe('2021-02-01');
    expect(late.notes).toContain('the backtest starts on the first rebalance date on or after --from: 2021-02-01');
  });
});

describe('backtest input checks', () => {
  it.each([
    ['2021-02-01', '2021-01-01', '--from 2021-02-01 must be before --to 2021-01-01'],
    ['2021-02-30', '2021-03-01', '--from 2021-02-30 is not a date (YYYY-MM-DD)'],
    ['2020-12-01', '2021-03-01', 'range 2020-12-01..2021-03-01 is outside the market data (2021-01-01..2021-03-01)'],
    ['2021-01-01', '2021-03-02', 'range 2021-01-01..2021-03-02 is outside the market data (2021-01-01..2021-03-01)'],
    ['2021-01-02', '2021-01-31', 'no monthly rebalance date with a snapshot between 2021-01-02 and 2021-01-31'],
  ])('refuses --from %s --to %s', (from, to, message) => {
    expect(() => backtest(TOP2, from, to)).toThrow(new BacktestError(message));
  });

  it('names the first date the index can exist on when it cannot be compiled at the start', () => {
    const bigOnly: IndexMethodology = { ...TOP2, selection: { ...TOP2.selection, minMarketCapUsd: 85 } };
    expect(() => backtest(bigOnly, '2021-01-01', '2021-03-01')).toThrow(
      'TOP2.test on 2021-01-01: 1 eligible constituent(s), the methodology needs at least 2; the first rebalance date it can be compiled on is 2021-02-01 (try --from 2021-02-01)',
    );
  });

  it('reports progress while it works', () => {
    const market = handMadeMarket();
    const messages: string[] = [];
    runBacktest({ methodology: TOP2, from: '2021-01-01', to: '2021-03-01', market, prices: new ReplayPriceSource(market), onProgress: (m) => messages.push(m) });
    expect(messages[0]).toBe('TOP2.test: 2 rebalances, 60 days from 2021-01-01 to 2021-03-01, auto prices');
    expect(messages[messages.length - 1]).toBe('TOP2.test: done, 60 daily levels');
  });
});

describe('performance metrics', () => {
  const series = [
    { date: '2021-01-01', level: 100 },
    { date: '2021-01-02', level: 110 },
    { date: '2021-01-03', level: 99 },
    { date: '2021-01-04', level: 108.9 },
  ];

  it('computes return, annualised daily volatility and the max drawdown with its dates', () => {
    const metrics = performanceMetrics(series);
    // daily returns +10%, -10%, +10%: sample std = sqrt(((1/15)^2 * 2 + (2/15)^2) / 2)
    const std = Math.sqrt(((1 / 15) ** 2 * 2 + (2 / 15) ** 2) / 2);
    expect(metrics.cumulativeReturn).toBeCloseTo(0.089, 12);
    expect(metrics.annualizedVolatility).toBeCloseTo(std * Math.sqrt(365), 12);
    expect(metrics).toMatchObject({ maxDrawdown: expect.closeTo(-0.1, 12), maxDrawdownPeak: '2021-01-02', maxDrawdownTrough: '2021-01-03' });
  });

  it('measures years from 1 January to the next 1 January and flags partial ones', () => {
    const years = calendarYearReturns([
      { date: '2020-12-31', level: 100 },
      { date: '2021-01-01', level: 120 },
      { date: '2021-01-02', level: 90 },
    ]);
    expect(years).toEqual([
      { year: 2020, from: '2020-12-31', to: '2021-01-01', return: expect.closeTo(0.2, 12), partial: true },
      { year: 2021, from: '2021-01-01', to: '2021-01-02', return: expect.closeTo(-0.25, 12), partial: true },
    ]);
  });

  it('annualises the volatility between checkpoints by their frequency', () => {
    const metrics = performanceMetrics(series, ['2021-01-01', '2021-01-02', '2021-01-03', '2021-01-04'], 12);
    const std = Math.sqrt(((1 / 15) ** 2 * 2 + (2 / 15) ** 2) / 2);
    expect(metrics.checkpointVolatility).toBeCloseTo(std * Math.sqrt(12), 12);
  });
});

describe('backtest on the real history (smoke)', () => {
  it('runs MAG7.ssi over 2021 quickly with finite numbers and writes the report and the chart', () => {
    // prepare
    const market = loadMarketData();
    const out = mkdtempSync(path.join(os.tmpdir(), 'ssi-backtest-'));
    try {
      // act
      const started = Date.now();
      const result = runBacktest({ methodology: MAG7, from: '2021-01-01', to: '2022-01-01', market, prices: new ReplayPriceSource(market) });
      const elapsed = Date.now() - started;
      const files = writeBacktestFiles(result, { ...result, methodology: MAG7 }, out);
      // assert
      // About 0.2 s on a quiet machine; the bound only catches a pathological slowdown on a busy one.
      expect(elapsed).toBeLessThan(30_000);
      expect(result.rebalances).toHaveLength(12);
      for (const rebalance of result.rebalances) {
        expect(rebalance.constituents).toHaveLength(7);
        expect(rebalance.constituents.reduce((sum, c) => sum + c.weightBps, 0)).toBe(10_000);
      }
      expect(result.daily).toHaveLength(366);
      for (const metrics of Object.values(result.metrics)) {
        for (const value of [metrics.endLevel, metrics.cumulativeReturn, metrics.annualizedReturn, metrics.annualizedVolatility, metrics.maxDrawdown]) {
          expect(Number.isFinite(value)).toBe(true);
        }
      }
      expect(result.daily.every((row) => row.index > 0 && row.benchmark > 0 && row.marketCap > 0)).toBe(true);
      const svg = readFileSync(files.svg, 'utf8');
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.match(/<polyline /g)).toHaveLength(3);
      expect(svg).toContain('MAG7.ssi backtest, 2021-01-01 to 2022-01-01');
      expect(svg).toBe(renderBacktestSvg(result));
      expect(JSON.parse(readFileSync(files.json, 'utf8'))).toMatchObject({ indexId: 'MAG7.ssi', methodology: { id: 'MAG7.ssi' } });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
