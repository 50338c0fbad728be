/**
 * Writes web/backtests.json (`npm run web:backtests`): each index's backtest over its whole history
 * (FULL_HISTORY), weekly levels of the index and of BTC held, for the chart on the web app's index
 * page. From the same runBacktest the CLI uses on the market data in ../shared/data/market; rerun
 * it when the data or a methodology changes (test/web/web.integration.test.ts fails until then).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ReplayPriceSource } from '../lambdas/domain/market';
import { loadMarketData, marketDataDir } from '../lambdas/adapters/market-files';
import { FULL_HISTORY, INDEX_METHODOLOGIES, runBacktest, type BacktestResult } from '../lambdas/domain/methodology';

export const WEB_BACKTESTS = path.resolve(__dirname, '../web/backtests.json');

/** One week in days: the chart's sampling step (plus the last day). */
const STEP = 7;
const round = (value: number) => Math.round(value * 100) / 100;

/** What the page charts of one backtest: its range, headline metrics and weekly [date, index, benchmark] levels. */
export function webBacktest(result: BacktestResult) {
  const daily = result.daily.filter((_, i) => i % STEP === 0 || i === result.daily.length - 1);
  const m = result.metrics;
  return {
    index: result.indexId,
    methodologyVersion: result.methodologyVersion,
    start: result.start,
    end: result.end,
    baseLevel: result.baseLevel,
    benchmark: result.benchmarkSymbol,
    cumulativeReturn: { index: round(m.index.cumulativeReturn * 100), benchmark: round(m.benchmark.cumulativeReturn * 100) },
    maxDrawdown: round(m.index.maxDrawdown * 100),
    levels: daily.map((d) => [d.date, round(d.index), round(d.benchmark)] as const),
  };
}

export function webBacktests(dir: string = marketDataDir()) {
  const market = loadMarketData(dir);
  const prices = new ReplayPriceSource(market);
  return INDEX_METHODOLOGIES.map((methodology) => webBacktest(runBacktest({ methodology, ...FULL_HISTORY[methodology.id]!, market, prices })));
}

if (require.main === module) {
  writeFileSync(WEB_BACKTESTS, `${JSON.stringify(webBacktests())}\n`);
  console.log(`wrote ${path.relative(process.cwd(), WEB_BACKTESTS)}`);
}
