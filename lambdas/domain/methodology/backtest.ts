import { type IsoDate, eachDay, isIsoDate } from '../market/dates';
import type { MonthlySnapshot } from '../market/marketData';
import { TOKEN_MIGRATIONS, type TokenMigration, findMigration } from '../market/migrations';
import type { PricePoint, PriceSource, PriceSourceKind } from '../market/priceSource';
import type { AssetClassification } from './classification';
import { compileIndex } from './compiler';
import { MethodologyError } from './errors';
import { marketCapVariant } from './indexes';
import { type LevelPoint, type PerformanceMetrics, performanceMetrics } from './metrics';
import { isRebalanceDate, rebalanceDates } from './schedule';
import type { Exclusion, ExclusionReason, IndexMethodology } from './types';

/** What a backtest reads from the market data (MarketData satisfies it). */
export interface SnapshotProvider {
  snapshotDates(): readonly IsoDate[];
  snapshot(date: IsoDate): MonthlySnapshot | undefined;
  coverage(): { firstSnapshot?: IsoDate; lastSnapshot?: IsoDate; firstDaily?: IsoDate; lastDaily?: IsoDate };
}

export interface BacktestInput {
  readonly methodology: IndexMethodology;
  readonly from: IsoDate;
  readonly to: IsoDate;
  readonly market: SnapshotProvider;
  readonly prices: PriceSource;
  /** Buy-and-hold benchmark asset (default BTC). */
  readonly benchmarkSymbol?: string;
  /** Level of every series on the start date (default 100). */
  readonly baseLevel?: number;
  readonly classification?: AssetClassification;
  /** Token swaps (default TOKEN_MIGRATIONS); pass the same list to the price source. */
  readonly migrations?: readonly TokenMigration[];
  readonly onProgress?: (message: string) => void;
}

export class BacktestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BacktestError';
  }
}

export interface RebalanceRecord {
  readonly date: IsoDate;
  readonly constituents: ReadonlyArray<{ readonly symbol: string; readonly weight: number; readonly weightBps: number; readonly retainedByBuffer: boolean }>;
  /** One-way turnover `0.5 * sum |target - drifted|`; null for the initial purchase. */
  readonly turnover: number | null;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Excluded assets at least as large as the smallest constituent (sector misfits left out): what an auditor asks about. */
  readonly notableExclusions: ReadonlyArray<Pick<Exclusion, 'symbol' | 'reason' | 'detail'>>;
  readonly exclusionCounts: Partial<Record<ExclusionReason, number>>;
  readonly notes: readonly string[];
}

export interface PeriodReturn {
  readonly start: number;
  readonly end: number;
  readonly return: number;
}

export interface PeriodRecord {
  readonly from: IsoDate;
  readonly to: IsoDate;
  readonly index: PeriodReturn;
  readonly benchmark: PeriodReturn;
  readonly marketCap: PeriodReturn;
}

export interface DailyLevels {
  readonly date: IsoDate;
  readonly index: number;
  readonly benchmark: number;
  readonly marketCap: number;
}

export interface TurnoverSummary {
  /** Mean one-way turnover of the rebalances after the initial purchase. */
  readonly average: number;
  readonly max: number;
  /** `average x rebalances per year`. */
  readonly annualized: number;
  readonly rebalances: number;
}

export interface DropoutEvent {
  readonly symbol: string;
  readonly date: IsoDate;
  readonly lastObservedOn: IsoDate;
  readonly priceUsd: number;
}

export interface PriceCoverage {
  /** Constituent-days (each held asset on each day after a rebalance) by price source. */
  readonly constituentDays: Record<PriceSourceKind, number>;
  readonly shares: Record<PriceSourceKind, number>;
  readonly bySymbol: Record<string, Record<PriceSourceKind, number>>;
  readonly dropouts: readonly DropoutEvent[];
  /** Holdings missing from the snapshot of the rebalance that sold them, sold at a carried (stale) price. */
  readonly staleExits: ReadonlyArray<{ readonly symbol: string; readonly date: IsoDate; readonly lastObservedOn: IsoDate }>;
  /** Holdings valued through a token swap (first day each). */
  readonly swaps: ReadonlyArray<{ readonly symbol: string; readonly date: IsoDate; readonly to: string; readonly ratio: number }>;
}

export interface BacktestResult {
  readonly indexId: string;
  readonly methodologyVersion: number;
  readonly requested: { readonly from: IsoDate; readonly to: IsoDate };
  /** First rebalance (the base date) and the last valued day. */
  readonly start: IsoDate;
  readonly end: IsoDate;
  readonly baseLevel: number;
  readonly rebalanceFrequency: IndexMethodology['rebalance']['frequency'];
  readonly benchmarkSymbol: string;
  readonly marketCapBenchmark: string;
  readonly metrics: { readonly index: PerformanceMetrics; readonly benchmark: PerformanceMetrics; readonly marketCap: PerformanceMetrics };
  readonly turnover: { readonly index: TurnoverSummary; readonly marketCap: TurnoverSummary };
  readonly rebalances: readonly RebalanceRecord[];
  readonly periods: readonly PeriodRecord[];
  readonly daily: readonly DailyLevels[];
  readonly coverage: PriceCoverage;
  readonly notes: readonly string[];
}

const SOURCES: readonly PriceSourceKind[] = ['daily-close', 'snapshot', 'carried', 'migrated', 'dropout-bound'];
const emptyCounts = (): Record<PriceSourceKind, number> => ({ 'daily-close': 0, snapshot: 0, carried: 0, migrated: 0, 'dropout-bound': 0 });

/** The checks that need no data: both dates real, `from` before `to`. */
export function checkBacktestDates(from: string, to: string): void {
  for (const [label, value] of [['from', from], ['to', to]] as const) {
    if (!isIsoDate(value)) throw new BacktestError(`--${label} ${value} is not a date (YYYY-MM-DD)`);
  }
  if (from >= to) throw new BacktestError(`--from ${from} must be before --to ${to}`);
}

/** Checks the request against the data; returns the rebalance dates (snapshot dates on the schedule). */
export function planBacktest(methodology: IndexMethodology, from: IsoDate, to: IsoDate, market: SnapshotProvider): { rebalances: IsoDate[]; notes: string[] } {
  checkBacktestDates(from, to);
  const coverage = market.coverage();
  const firstData = coverage.firstSnapshot;
  const lastData = [coverage.lastDaily, coverage.lastSnapshot].filter((date): date is IsoDate => date !== undefined).sort().pop();
  if (!firstData || !lastData) throw new BacktestError('the market data has no snapshots');
  if (from < firstData || to > lastData) {
    throw new BacktestError(`range ${from}..${to} is outside the market data (${firstData}..${lastData})`);
  }
  const available = new Set(market.snapshotDates());
  const scheduled = rebalanceDates(methodology.rebalance, from, to);
  const notes: string[] = [];
  const rebalances = scheduled.filter((date) => {
    if (available.has(date)) return true;
    notes.push(`no snapshot on scheduled rebalance ${date}: the basket is kept until the next one`);
    return false;
  });
  if (rebalances.length === 0) {
    throw new BacktestError(`no ${methodology.rebalance.frequency} rebalance date with a snapshot between ${from} and ${to}`);
  }
  if (rebalances[0] !== from) notes.push(`the backtest starts on the first rebalance date on or after --from: ${rebalances[0]}`);
  return { rebalances, notes };
}

interface Simulation {
  readonly levels: number[];
  readonly rebalances: RebalanceRecord[];
  readonly counts: Record<PriceSourceKind, number>;
  readonly bySymbol: Record<string, Record<PriceSourceKind, number>>;
  readonly dropouts: DropoutEvent[];
  readonly swaps: Array<{ symbol: string; date: IsoDate; to: string; ratio: number }>;
  readonly staleExits: Array<{ symbol: string; date: IsoDate; lastObservedOn: IsoDate }>;
}

/**
 * Holds the basket between rebalances (fixed units, so weights drift with prices) and rebalances at
 * the close of each rebalance date to the compiled target weights.
 */
function simulate(methodology: IndexMethodology, days: readonly IsoDate[], rebalanceSet: ReadonlySet<IsoDate>, input: BacktestInput, baseLevel: number, progress: (message: string) => void): Simulation {
  const levels: number[] = [];
  const rebalances: RebalanceRecord[] = [];
  const counts = emptyCounts();
  const bySymbol: Record<string, Record<PriceSourceKind, number>> = {};
  const dropouts: DropoutEvent[] = [];
  const reportedDropouts = new Set<string>();
  const swaps: Simulation['swaps'] = [];
  const staleExits: Simulation['staleExits'] = [];
  let units = new Map<string, number>();

  const price = (symbol: string, date: IsoDate): PricePoint => {
    const point = input.prices.priceAt(symbol, date);
    if (!point) throw new BacktestError(`${methodology.id}: no price for ${symbol} on ${date} (no observation within the carry limit)`);
    return point;
  };

  days.forEach((date, dayIndex) => {
    let level = baseLevel;
    const points = new Map<string, PricePoint>();
    if (dayIndex > 0) {
      level = 0;
      for (const [symbol, held] of units) {
        const point = price(symbol, date);
        points.set(symbol, point);
        level += held * point.priceUsd;
        counts[point.source] += 1;
        (bySymbol[symbol] ??= emptyCounts())[point.source] += 1;
        if (point.source === 'dropout-bound' && !reportedDropouts.has(`${symbol}|${point.observedOn}`)) {
          reportedDropouts.add(`${symbol}|${point.observedOn}`);
          dropouts.push({ symbol, date, lastObservedOn: point.observedOn, priceUsd: point.priceUsd });
        }
        const migration = point.source === 'migrated' ? findMigration(symbol, input.migrations ?? TOKEN_MIGRATIONS) : undefined;
        if (migration && !swaps.some((swap) => swap.symbol === symbol)) swaps.push({ symbol, date, to: migration.to, ratio: migration.ratio });
      }
    }
    levels.push(level);
    if (!rebalanceSet.has(date)) return;

    const snapshot = input.market.snapshot(date);
    if (!snapshot) throw new BacktestError(`no snapshot on rebalance date ${date}`);
    const incumbents = [...units.keys()];
    const result = compileIndex(methodology, snapshot, { incumbents, classification: input.classification, migrations: input.migrations });
    const listed = new Set(snapshot.assets.map((asset) => asset.symbol));
    for (const [symbol, point] of points) {
      if (point.source === 'carried' && !listed.has(symbol)) staleExits.push({ symbol, date, lastObservedOn: point.observedOn });
    }
    const target = new Map(result.constituents.map((constituent) => [constituent.symbol, constituent.weight] as const));
    // A holding swapped into another token (LEND -> AAVE) already is that token: no trade.
    const heldAs = (symbol: string): string => {
      const migration = listed.has(symbol) ? undefined : findMigration(symbol, input.migrations ?? TOKEN_MIGRATIONS);
      return migration && target.has(migration.to) ? migration.to : symbol;
    };
    const drifted = new Map<string, number>();
    for (const [symbol, held] of units) {
      const weight = (held * (points.get(symbol) ?? price(symbol, date)).priceUsd) / level;
      drifted.set(heldAs(symbol), (drifted.get(heldAs(symbol)) ?? 0) + weight);
    }
    let turnover: number | null = null;
    if (dayIndex > 0) {
      let sum = 0;
      for (const symbol of new Set([...drifted.keys(), ...target.keys()])) sum += Math.abs((target.get(symbol) ?? 0) - (drifted.get(symbol) ?? 0));
      turnover = sum / 2;
    }
    const next = new Map<string, number>();
    for (const constituent of result.constituents) next.set(constituent.symbol, (constituent.weight * level) / price(constituent.symbol, date).priceUsd);
    const smallest = Math.min(...result.constituents.map((constituent) => constituent.marketCapUsd));
    const exclusionCounts: Partial<Record<ExclusionReason, number>> = {};
    for (const exclusion of result.exclusions) exclusionCounts[exclusion.reason] = (exclusionCounts[exclusion.reason] ?? 0) + 1;
    rebalances.push({
      date,
      constituents: result.constituents.map(({ symbol, weight, weightBps, retainedByBuffer }) => ({ symbol, weight, weightBps, retainedByBuffer })),
      turnover,
      added: result.constituents.map((constituent) => constituent.symbol).filter((symbol) => ![...units.keys()].some((held) => heldAs(held) === symbol)),
      removed: incumbents.filter((symbol) => !target.has(heldAs(symbol))),
      notableExclusions: result.exclusions
        .filter((exclusion) => exclusion.reason !== 'outside-sector' && (exclusion.marketCapUsd === null || exclusion.marketCapUsd >= smallest))
        .map(({ symbol, reason, detail }) => ({ symbol, reason, detail })),
      exclusionCounts,
      notes: result.notes,
    });
    units = next;
    if (dayIndex === 0 || date.endsWith('-01-01')) progress(`${methodology.id}: rebalancing ${date} (${result.constituents.length} constituents)`);
  });
  return { levels, rebalances, counts, bySymbol, dropouts, swaps, staleExits };
}

/**
 * A clear message when the index cannot exist on the first rebalance date (e.g. MEME.ssi in 2021
 * before two meme assets were above $800M), naming the first snapshot date it can be compiled on.
 */
function assertCompilableAtStart(input: BacktestInput, rebalances: readonly IsoDate[]): void {
  const tryCompile = (date: IsoDate): MethodologyError | undefined => {
    const snapshot = input.market.snapshot(date);
    if (!snapshot) return undefined;
    try {
      compileIndex(input.methodology, snapshot, { classification: input.classification });
      return undefined;
    } catch (error) {
      if (error instanceof MethodologyError && error.code === 'insufficient-constituents') return error;
      throw error;
    }
  };
  const failure = tryCompile(rebalances[0]);
  if (!failure) return;
  const later = input.market
    .snapshotDates()
    .filter((date) => date > rebalances[0] && isRebalanceDate(input.methodology.rebalance, date))
    .find((date) => tryCompile(date) === undefined);
  throw new BacktestError(
    `${failure.message}${later ? `; the first rebalance date it can be compiled on is ${later} (try --from ${later})` : '; it cannot be compiled on any later snapshot either'}`,
    { cause: failure },
  );
}

function turnoverSummary(rebalances: readonly RebalanceRecord[], frequency: IndexMethodology['rebalance']['frequency']): TurnoverSummary {
  const values = rebalances.map((record) => record.turnover).filter((value): value is number => value !== null);
  const average = values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
  return { average, max: values.length ? Math.max(...values) : 0, annualized: average * (frequency === 'monthly' ? 12 : 4), rebalances: values.length };
}

/**
 * Replays a methodology over history: rebalances on the scheduled snapshot dates (at that day's
 * close, which the snapshot prices match), daily levels from the price source in between, against
 * buy-and-hold of the benchmark asset and against the same selection with plain market-cap weights.
 */
export function runBacktest(input: BacktestInput): BacktestResult {
  const baseLevel = input.baseLevel ?? 100;
  const benchmarkSymbol = input.benchmarkSymbol ?? 'BTC';
  const progress = input.onProgress ?? (() => undefined);
  const plan = planBacktest(input.methodology, input.from, input.to, input.market);
  const start = plan.rebalances[0];
  const days = eachDay(start, input.to);
  const rebalanceSet = new Set(plan.rebalances);
  progress(`${input.methodology.id}: ${plan.rebalances.length} rebalances, ${days.length} days from ${start} to ${input.to}`);

  assertCompilableAtStart(input, plan.rebalances);
  const index = simulate(input.methodology, days, rebalanceSet, input, baseLevel, progress);
  const marketCapMethodology = marketCapVariant(input.methodology);
  const marketCap = simulate(marketCapMethodology, days, rebalanceSet, input, baseLevel, () => undefined);

  const benchmarkPrices = days.map((date) => {
    const point = input.prices.priceAt(benchmarkSymbol, date);
    if (!point) throw new BacktestError(`no ${benchmarkSymbol} price on ${date} for the benchmark`);
    return point.priceUsd;
  });
  const benchmark = benchmarkPrices.map((value) => (baseLevel * value) / benchmarkPrices[0]);

  const daily: DailyLevels[] = days.map((date, i) => ({ date, index: index.levels[i], benchmark: benchmark[i], marketCap: marketCap.levels[i] }));
  const series = (pick: (row: DailyLevels) => number): LevelPoint[] => daily.map((row) => ({ date: row.date, level: pick(row) }));
  const position = new Map(days.map((date, i) => [date, i] as const));
  const boundaries = [...plan.rebalances, input.to].filter((date, i, all) => i === 0 || date !== all[i - 1]);
  const periods: PeriodRecord[] = [];
  for (let i = 0; i + 1 < boundaries.length; i += 1) {
    const a = position.get(boundaries[i]) ?? 0;
    const b = position.get(boundaries[i + 1]) ?? days.length - 1;
    const span = (values: readonly number[]): PeriodReturn => ({ start: values[a], end: values[b], return: values[b] / values[a] - 1 });
    periods.push({ from: boundaries[i], to: boundaries[i + 1], index: span(index.levels), benchmark: span(benchmark), marketCap: span(marketCap.levels) });
  }

  const total = SOURCES.reduce((sum, source) => sum + index.counts[source], 0);
  const shares = emptyCounts();
  for (const source of SOURCES) shares[source] = total ? index.counts[source] / total : 0;
  const notes = [...plan.notes];
  if (shares.carried > 0) {
    notes.push(
      `${(shares.carried * 100).toFixed(1)}% of constituent-days have no daily close and carry the last price (the next snapshot price lands on the snapshot date); intra-month moves of those assets are not seen`,
    );
  }
  for (const dropout of index.dropouts) {
    notes.push(`${dropout.symbol} left the top 200 after ${dropout.lastObservedOn} with no later price: valued at the dropout bound ${dropout.priceUsd.toPrecision(4)} USD on ${dropout.date}`);
  }
  for (const exit of index.staleExits) {
    notes.push(`${exit.symbol} is missing from the ${exit.date} snapshot with no price that day: its weight was valued at its last price (${exit.lastObservedOn}) when it left`);
  }
  for (const swap of index.swaps) {
    notes.push(`${swap.symbol} was swapped into ${swap.to} (1:${swap.ratio}): valued as ${swap.to} x ${swap.ratio} from ${swap.date}`);
  }
  progress(`${input.methodology.id}: done, ${days.length} daily levels`);
  // Full periods only: a stub after the last rebalance (when --to is not a rebalance date) is left out.
  const checkpoints = boundaries.filter((date) => isRebalanceDate(input.methodology.rebalance, date));
  const perYear = input.methodology.rebalance.frequency === 'monthly' ? 12 : 4;

  return {
    indexId: input.methodology.id,
    methodologyVersion: input.methodology.version,
    requested: { from: input.from, to: input.to },
    start,
    end: input.to,
    baseLevel,
    rebalanceFrequency: input.methodology.rebalance.frequency,
    benchmarkSymbol,
    marketCapBenchmark: marketCapMethodology.id,
    metrics: {
      index: performanceMetrics(series((row) => row.index), checkpoints, perYear),
      benchmark: performanceMetrics(series((row) => row.benchmark), checkpoints, perYear),
      marketCap: performanceMetrics(series((row) => row.marketCap), checkpoints, perYear),
    },
    turnover: {
      index: turnoverSummary(index.rebalances, input.methodology.rebalance.frequency),
      marketCap: turnoverSummary(marketCap.rebalances, input.methodology.rebalance.frequency),
    },
    rebalances: index.rebalances,
    periods,
    daily,
    coverage: { constituentDays: index.counts, shares, bySymbol: index.bySymbol, dropouts: index.dropouts, swaps: index.swaps, staleExits: index.staleExits },
    notes,
  };
}
