/**
 * Prints the backtest tables of docs/methodology.md (`npm run docs:backtests`): every index over its
 * whole history, year by year, and the price-policy sensitivity for 2021, 2022, 2023 and 2021-2023,
 * each from the same runBacktest the CLI uses on the market data in ../shared/data/market.
 */
import { ReplayPriceSource } from '../lambdas/domain/market';
import { loadMarketData, marketDataDir } from '../lambdas/adapters/market-files';
import { type BacktestResult, FULL_HISTORY, INDEX_METHODOLOGIES, type IndexMethodology, MAG7, DEFI, MEME, priceSensitivity, runBacktest } from '../lambdas/domain/methodology';

const market = loadMarketData(marketDataDir());
const prices = new ReplayPriceSource(market);
const pct = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
/** MEME.ssi cannot be compiled before 2021-06-01 (fewer than two meme assets above $800M). */
const firstDate = (methodology: IndexMethodology, from: string): string => (methodology.id === MEME.id && from < '2021-06-01' ? '2021-06-01' : from);
const input = (methodology: IndexMethodology, from: string, to: string) => ({ methodology, from: firstDate(methodology, from), to, market, prices });

const whole: Array<[IndexMethodology, string, string]> = [
  [MAG7, '2021-01-01', '2024-01-01'],
  [DEFI, '2021-01-01', '2024-01-01'],
  [MEME, '2021-06-01', '2024-01-01'],
  ...[MAG7, DEFI, MEME].map((m): [IndexMethodology, string, string] => [m, FULL_HISTORY[m.id]!.from, FULL_HISTORY[m.id]!.to]),
];
const lines: string[] = [
  '| Index | Range | Cumulative | Annualised | Vol. daily / periods | Max drawdown | Avg turnover | BTC held | Market cap | Periods daily / snapshot |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
const results: BacktestResult[] = [];
for (const [methodology, from, to] of whole) {
  const result = runBacktest(input(methodology, from, to));
  results.push(result);
  const m = result.metrics.index;
  lines.push(
    `| ${result.indexId} | ${result.start}..${result.end} | ${pct(m.cumulativeReturn)} | ${pct(m.annualizedReturn)} | ${(m.annualizedVolatility * 100).toFixed(1)}% / ${((m.checkpointVolatility ?? 0) * 100).toFixed(1)}% | ${pct(m.maxDrawdown)} | ${(result.turnover.index.average * 100).toFixed(1)}% | ${pct(result.metrics.benchmark.cumulativeReturn)} | ${pct(result.metrics.marketCap.cumulativeReturn)} | ${result.pricing.periodCounts.daily} / ${result.pricing.periodCounts.snapshot} |`,
  );
}
lines.push('', 'Year by year (1 January to 1 January):', '', '| Index | 2020 | 2021 | 2022 | 2023 | 2024 | 2025 to 1 Oct |', '|---|---|---|---|---|---|---|');
const yearRow = (label: string, years: BacktestResult['metrics']['index']['calendarYears']): string =>
  `| ${label} | ${[2020, 2021, 2022, 2023, 2024, 2025].map((year) => {
    const entry = years.find((y) => y.year === year);
    return entry ? `${pct(entry.return)}${entry.partial && year !== 2025 ? ` (from ${entry.from.slice(5)})` : ''}` : '';
  }).join(' | ')} |`;
for (const result of results.slice(3)) lines.push(yearRow(result.indexId, result.metrics.index.calendarYears));
lines.push(yearRow('BTC held', results[3].metrics.benchmark.calendarYears));

lines.push(
  '',
  'Price-policy sensitivity (cumulative return over each range; index, its market-cap variant and BTC under `auto` / `daily` / `snapshot`):',
  '',
  '| Index | Range | auto | daily | snapshot | Market cap auto / daily / snapshot | BTC auto / daily / snapshot | Periods daily / snapshot (auto) |',
  '|---|---|---|---|---|---|---|---|',
);
for (const methodology of INDEX_METHODOLOGIES) {
  for (const [from, to] of [['2021-01-01', '2022-01-01'], ['2022-01-01', '2023-01-01'], ['2023-01-01', '2024-01-01'], ['2021-01-01', '2024-01-01']]) {
    const rows = Object.fromEntries(priceSensitivity(input(methodology, from, to)).map((row) => [row.policy, row]));
    const three = (pick: (row: (typeof rows)[string]) => number): string => ['auto', 'daily', 'snapshot'].map((policy) => pct(pick(rows[policy]))).join(' / ');
    lines.push(
      `| ${methodology.id} | ${firstDate(methodology, from)}..${to} | ${pct(rows.auto.index)} | ${pct(rows.daily.index)} | ${pct(rows.snapshot.index)} | ${three((row) => row.marketCap)} | ${three((row) => row.benchmark)} | ${rows.auto.periodCounts.daily} / ${rows.auto.periodCounts.snapshot} |`,
    );
  }
}
console.log(lines.join('\n'));
