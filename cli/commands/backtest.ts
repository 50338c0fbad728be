import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ReplayPriceSource } from '../../lambdas/domain/market';
import { MarketDataError, loadMarketData, marketDataDir } from '../../lambdas/adapters/market-files';
import {
  BacktestError,
  type BacktestResult,
  checkBacktestDates,
  INDEX_METHODOLOGIES,
  MethodologyError,
  type PerformanceMetrics,
  findMethodology,
  PRICE_POLICIES,
  type PricePolicy,
  priceSensitivity,
  renderBacktestSvg,
  runBacktest,
  type SensitivityRow,
} from '../../lambdas/domain/methodology';
import { CliError, type OutputOptions, progress, report } from '../output';

interface BacktestOptions extends OutputOptions {
  index: string;
  from: string;
  to: string;
  out?: string;
  dataDir?: string;
  prices: string;
}

/** reports/ is gitignored; backtests land in reports/backtests/ of the repository by default. */
export const DEFAULT_BACKTEST_DIR = path.resolve(__dirname, '../../reports/backtests');

export interface BacktestFiles {
  readonly json: string;
  readonly svg: string;
}

/** `<dir>/<index>_<from>_<to>.json` and `.svg`. */
export function backtestFilePaths(result: BacktestResult, dir: string): BacktestFiles {
  const base = path.join(path.resolve(dir), `${result.indexId}_${result.requested.from}_${result.requested.to}`);
  return { json: `${base}.json`, svg: `${base}.svg` };
}

/** Writes the report (JSON) and the chart (SVG) into `dir`. */
export function writeBacktestFiles(result: BacktestResult, report: unknown, dir: string): BacktestFiles {
  mkdirSync(dir, { recursive: true });
  const files = backtestFilePaths(result, dir);
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.svg, renderBacktestSvg(result));
  return files;
}

const percent = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
const plain = (value: number): string => `${(value * 100).toFixed(1)}%`;

/** The sensitivity table: one row per price policy, the index, its market-cap variant and the benchmark side by side. */
export function sensitivityLines(result: BacktestResult, rows: readonly SensitivityRow[]): string[] {
  const table: string[][] = [
    ['Price policy', result.indexId, 'market-cap wtd', `${result.benchmarkSymbol} hold`, 'periods daily/snapshot/mixed'],
    ...rows.map((row) => [
      `${row.policy}${row.policy === result.pricing.policy ? ' (this report)' : ''}`,
      percent(row.index),
      percent(row.marketCap),
      percent(row.benchmark),
      `${row.periodCounts.daily}/${row.periodCounts.snapshot}/${row.periodCounts.mixed}`,
    ]),
  ];
  const widths = table[0].map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
  return table.map((cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column]))).join('   '));
}

/** The human summary: one column per series, one row per measure. */
export function summaryLines(result: BacktestResult, files: BacktestFiles, sensitivity: readonly SensitivityRow[] = []): string[] {
  const columns: Array<[string, PerformanceMetrics]> = [
    [result.indexId, result.metrics.index],
    [`${result.benchmarkSymbol} hold`, result.metrics.benchmark],
    ['market-cap wtd', result.metrics.marketCap],
  ];
  const table: string[][] = [['', ...columns.map(([label]) => label)]];
  const row = (label: string, cell: (metrics: PerformanceMetrics) => string): void => {
    table.push([label, ...columns.map(([, metrics]) => cell(metrics))]);
  };
  row('End level', (m) => m.endLevel.toFixed(1));
  row('Cumulative return', (m) => percent(m.cumulativeReturn));
  row('Annualised return', (m) => percent(m.annualizedReturn));
  row('Annualised volatility (daily)', (m) => plain(m.annualizedVolatility));
  row('Annualised volatility (periods)', (m) => (m.checkpointVolatility === null ? '-' : plain(m.checkpointVolatility)));
  row('Max drawdown', (m) => percent(m.maxDrawdown));
  for (const year of result.metrics.index.calendarYears) {
    row(`${year.year}${year.partial ? ` (partial: ${year.from}..${year.to})` : ''}`, (m) => {
      const match = m.calendarYears.find((candidate) => candidate.year === year.year);
      return match ? percent(match.return) : '-';
    });
  }
  table.push(['Avg turnover/rebalance', plain(result.turnover.index.average), '-', plain(result.turnover.marketCap.average)]);
  const widths = table[0].map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
  const render = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column]))).join('   ');
  const shares = result.coverage.shares;
  const last = result.rebalances[result.rebalances.length - 1];
  const dd = result.metrics.index;
  return [
    `${result.indexId} backtest ${result.start} -> ${result.end}: ${result.rebalances.length} ${result.rebalanceFrequency} rebalances, ${result.daily.length} daily levels (start = ${result.baseLevel})`,
    '',
    ...table.map(render),
    '',
    `Index max drawdown ${percent(dd.maxDrawdown)} from ${dd.maxDrawdownPeak} to ${dd.maxDrawdownTrough}; turnover max ${plain(result.turnover.index.max)}, annualised ${plain(result.turnover.index.annualized)}`,
    `Prices (${result.pricing.policy}): ${result.pricing.rule}`,
    `Holding periods: ${result.pricing.periodCounts.daily} from daily closes, ${result.pricing.periodCounts.snapshot} from snapshots, ${result.pricing.periodCounts.mixed} mixed`,
    `Rebalance timing: ${result.timing.selection}; ${result.timing.trade}`,
    `Prices of constituent-days: ${plain(shares['daily-close'])} daily close, ${plain(shares.snapshot)} snapshot, ${plain(shares.carried)} carried, ${plain(shares.migrated)} token swap, ${plain(shares['dropout-bound'])} dropout bound`,
    `Last rebalance ${last.date}: ${last.constituents.map((c) => `${c.symbol} ${(c.weight * 100).toFixed(1)}%`).join(', ')}`,
    ...result.notes.map((note) => `Note: ${note}`),
    ...(sensitivity.length ? ['', `Cumulative return ${result.start} -> ${result.end} under each price policy:`, ...sensitivityLines(result, sensitivity)] : []),
    '',
    `Report: ${files.json}`,
    `Chart:  ${files.svg}`,
  ];
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('Replay an index methodology over the 2020-2025 market history; writes a JSON report and an SVG chart')
    .requiredOption('--index <id>', `index to backtest (${INDEX_METHODOLOGIES.map((m) => m.id).join(', ')})`)
    .requiredOption('--from <date>', 'first day (YYYY-MM-DD); the backtest starts at the first rebalance date on or after it')
    .requiredOption('--to <date>', 'last day valued (YYYY-MM-DD)')
    .option('--out <dir>', 'directory for the report and chart', DEFAULT_BACKTEST_DIR)
    .option('--data-dir <dir>', 'market data directory (default: $SSI_MARKET_DATA_DIR or ../shared/data/market beside the repository)')
    .option('--prices <policy>', `price policy: ${PRICE_POLICIES.join(', ')} (auto: daily closes for a holding period only when every constituent has them, else snapshots for all)`, 'auto')
    .option('--json', 'print the report as JSON')
    .action((options: BacktestOptions) => {
      const methodology = findMethodology(options.index);
      if (!methodology) throw new CliError(`unknown index ${options.index}; known: ${INDEX_METHODOLOGIES.map((m) => m.id).join(', ')}`);
      if (!(PRICE_POLICIES as readonly string[]).includes(options.prices)) {
        throw new CliError(`unknown price policy ${options.prices}; known: ${PRICE_POLICIES.join(', ')}`);
      }
      const pricePolicy = options.prices as PricePolicy;
      try {
        checkBacktestDates(options.from, options.to);
        const dir = options.dataDir ?? marketDataDir();
        progress(`loading market data from ${dir}`);
        const started = Date.now();
        const market = loadMarketData(dir);
        progress(`loaded in ${Date.now() - started} ms${market.issues.length ? ` (${market.issues.length} rows skipped or incomplete)` : ''}`);
        const input = { methodology, from: options.from, to: options.to, market, prices: new ReplayPriceSource(market), pricePolicy };
        const result = runBacktest({ ...input, onProgress: progress });
        progress('running the other price policies for the sensitivity table');
        const sensitivity = priceSensitivity(input, result);
        const outDir = options.out ?? DEFAULT_BACKTEST_DIR;
        const files = backtestFilePaths(result, outDir);
        const document = { ok: true, ...result, sensitivity, methodology, dataIssues: market.issues.length, files };
        writeBacktestFiles(result, document, outDir);
        progress(`wrote ${files.json} and ${files.svg}`);
        report(options, document, () => summaryLines(result, files, sensitivity));
      } catch (error) {
        if (error instanceof BacktestError || error instanceof MethodologyError || error instanceof MarketDataError) {
          throw new CliError(error.message);
        }
        throw error;
      }
    });
}
