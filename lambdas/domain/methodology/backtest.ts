import { type IsoDate, addDays, eachDay, isIsoDate } from '../market/dates';
import type { MonthlySnapshot } from '../market/marketData';
import { TOKEN_MIGRATIONS, type TokenMigration, findMigration } from '../market/migrations';
import type { PeriodPriceSource, PricePoint, PriceSourceKind } from '../market/priceSource';
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
  readonly prices: PeriodPriceSource;
  /** Which prices value each holding period (default `auto`): see PRICE_POLICY_RULES. */
  readonly pricePolicy?: PricePolicy;
  /** Buy-and-hold benchmark asset (default BTC). */
  readonly benchmarkSymbol?: string;
  /** Level of every series on the start date (default 100). */
  readonly baseLevel?: number;
  readonly classification?: AssetClassification;
  /** Token swaps (default TOKEN_MIGRATIONS); pass the same list to the price source. */
  readonly migrations?: readonly TokenMigration[];
  readonly onProgress?: (message: string) => void;
}

/** How holding periods (trade date to next trade date) are priced; see PRICE_POLICY_RULES. */
export type PricePolicy = 'auto' | PeriodBasis;
export const PRICE_POLICIES: readonly PricePolicy[] = ['auto', 'daily', 'snapshot'];

/**
 * Missing days a period's daily closes may have and still value it (the last close of the same
 * file is held over the gap); more, and the period is valued from the snapshots.
 */
export const DAILY_GAP_TOLERANCE_DAYS = 3;

/** The price policies as the report states them. */
export const PRICE_POLICY_RULES: Readonly<Record<PricePolicy, string>> = {
  auto:
    `a holding period (trade date to next trade date) is valued from daily closes when every constituent has them for the whole period (a close on both ends, no gap over ${DAILY_GAP_TOLERANCE_DAYS} days); ` +
    'otherwise every constituent of that period is valued from the monthly snapshot prices, so no return comes from switching sources',
  daily:
    `each constituent is valued from its daily closes for a whole holding period when it has them (a close on both ends, no gap over ${DAILY_GAP_TOLERANCE_DAYS} days), ` +
    'otherwise from the monthly snapshot prices for that whole period: one source per asset and period, chosen asset by asset',
  snapshot: 'every constituent of every holding period is valued from the monthly snapshot prices; between snapshots an asset is held at its last snapshot price',
};

/** The file one asset of one holding period is valued from. */
export type PeriodBasis = 'daily' | 'snapshot';

/** Which file priced one holding period, per constituent. */
export interface PeriodPricing {
  readonly from: IsoDate;
  readonly to: IsoDate;
  /** `mixed`: some constituents from daily closes, others from snapshots (only under `daily`). */
  readonly basis: PeriodBasis | 'mixed';
  readonly daily: readonly string[];
  readonly snapshot: readonly string[];
}

export interface PricingReport {
  readonly policy: PricePolicy;
  readonly rule: string;
  /** Holding periods of the index valued from daily closes, from snapshots, or mixed. */
  readonly periodCounts: Record<PeriodPricing['basis'], number>;
  readonly periods: readonly PeriodPricing[];
}

/** When a rebalance looks at the market and when it trades. */
export interface RebalanceTiming {
  readonly tradeLagDays: number;
  readonly selection: string;
  readonly trade: string;
}

/** One row of the sensitivity table: the same index and dates under one price policy. */
export interface SensitivityRow {
  readonly policy: PricePolicy;
  readonly index: number;
  readonly marketCap: number;
  readonly benchmark: number;
  readonly periodCounts: PricingReport['periodCounts'];
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
  readonly pricing: PricingReport;
  readonly timing: RebalanceTiming;
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
  readonly periods: PeriodPricing[];
}

/** The trades of a backtest: each trade date with the selection date whose snapshot it trades. */
interface TradePlan {
  readonly selectionOf: ReadonlyMap<IsoDate, IsoDate>;
  /** The last day of the holding period that starts on a trade date (the next trade date, or the last day). */
  readonly periodEnd: ReadonlyMap<IsoDate, IsoDate>;
}

function tradePlan(selections: readonly IsoDate[], lagDays: number, lastDay: IsoDate): TradePlan {
  const trades = selections.map((date) => [addDays(date, lagDays), date] as const).filter(([trade]) => trade <= lastDay);
  const periodEnd = new Map(trades.map(([trade], i) => [trade, i + 1 < trades.length ? trades[i + 1][0] : lastDay] as const));
  return { selectionOf: new Map(trades), periodEnd };
}

/** The file each asset of a holding period is valued from, under a policy. */
function periodBases(policy: PricePolicy, symbols: readonly string[], from: IsoDate, to: IsoDate, prices: PeriodPriceSource): Map<string, PeriodBasis> {
  const covered = new Map(symbols.map((symbol) => [symbol, policy !== 'snapshot' && prices.dailyCovers(symbol, from, to, DAILY_GAP_TOLERANCE_DAYS)] as const));
  const all = [...covered.values()].every(Boolean);
  return new Map(symbols.map((symbol) => [symbol, (policy === 'auto' ? all : covered.get(symbol)) ? 'daily' : 'snapshot'] as const));
}

function periodRecord(from: IsoDate, to: IsoDate, bases: ReadonlyMap<string, PeriodBasis>): PeriodPricing {
  const daily = [...bases].filter(([, basis]) => basis === 'daily').map(([symbol]) => symbol);
  const snapshot = [...bases].filter(([, basis]) => basis === 'snapshot').map(([symbol]) => symbol);
  return { from, to, basis: snapshot.length === 0 ? 'daily' : daily.length === 0 ? 'snapshot' : 'mixed', daily, snapshot };
}

/**
 * Holds the basket between rebalances (fixed units, so weights drift with prices) and rebalances at
 * the close of each trade date to the weights compiled from its selection date's snapshot. Each
 * holding period is valued from the files the price policy picks for it, from its trade date to the
 * next, so the period's return is measured in one source per asset.
 */
function simulate(methodology: IndexMethodology, days: readonly IsoDate[], plan: TradePlan, input: BacktestInput, baseLevel: number, progress: (message: string) => void): Simulation {
  const policy = input.pricePolicy ?? 'auto';
  const levels: number[] = [];
  const rebalances: RebalanceRecord[] = [];
  const counts = emptyCounts();
  const bySymbol: Record<string, Record<PriceSourceKind, number>> = {};
  const dropouts: DropoutEvent[] = [];
  const reportedDropouts = new Set<string>();
  const swaps: Simulation['swaps'] = [];
  const staleExits: Simulation['staleExits'] = [];
  const periods: PeriodPricing[] = [];
  let units = new Map<string, number>();
  let bases = new Map<string, PeriodBasis>();

  const price = (symbol: string, date: IsoDate, basis = bases.get(symbol)): PricePoint => {
    const point = input.prices.priceAt(symbol, date, basis);
    if (!point) throw new BacktestError(`${methodology.id}: no ${basis ?? ''} price for ${symbol} on ${date} (no observation within the carry limit)`);
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
    const selection = plan.selectionOf.get(date);
    if (selection === undefined) return;

    const snapshot = input.market.snapshot(selection);
    if (!snapshot) throw new BacktestError(`no snapshot on rebalance date ${selection}`);
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
    const periodEnd = plan.periodEnd.get(date) ?? date;
    const nextBases = periodBases(policy, result.constituents.map((constituent) => constituent.symbol), date, periodEnd, input.prices);
    periods.push(periodRecord(date, periodEnd, nextBases));
    const next = new Map<string, number>();
    for (const constituent of result.constituents) {
      next.set(constituent.symbol, (constituent.weight * level) / price(constituent.symbol, date, nextBases.get(constituent.symbol)).priceUsd);
    }
    const smallest = Math.min(...result.constituents.map((constituent) => constituent.marketCapUsd));
    const exclusionCounts: Partial<Record<ExclusionReason, number>> = {};
    for (const exclusion of result.exclusions) exclusionCounts[exclusion.reason] = (exclusionCounts[exclusion.reason] ?? 0) + 1;
    rebalances.push({
      date: selection,
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
    bases = nextBases;
    if (dayIndex === 0 || selection.endsWith('-01-01')) progress(`${methodology.id}: rebalancing ${selection} (${result.constituents.length} constituents)`);
  });
  return { levels, rebalances, counts, bySymbol, dropouts, swaps, staleExits, periods };
}

/** Buy-and-hold of one asset, priced per holding period like the index (so policies compare like with like). */
function holdBenchmark(symbol: string, days: readonly IsoDate[], plan: TradePlan, input: BacktestInput, baseLevel: number): number[] {
  const policy = input.pricePolicy ?? 'auto';
  const levels: number[] = [];
  let units = 0;
  let basis: PeriodBasis = 'daily';
  const price = (date: IsoDate, on: PeriodBasis): number => {
    const point = input.prices.priceAt(symbol, date, on);
    if (!point) throw new BacktestError(`no ${on} ${symbol} price on ${date} for the benchmark`);
    return point.priceUsd;
  };
  days.forEach((date, dayIndex) => {
    const level = dayIndex === 0 ? baseLevel : units * price(date, basis);
    levels.push(level);
    if (!plan.selectionOf.has(date)) return;
    basis = periodBases(policy, [symbol], date, plan.periodEnd.get(date) ?? date, input.prices).get(symbol) ?? 'snapshot';
    units = level / price(date, basis);
  });
  return levels;
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
  const policy = input.pricePolicy ?? 'auto';
  const lagDays = input.methodology.rebalance.tradeLagDays ?? 0;
  const plan = planBacktest(input.methodology, input.from, input.to, input.market);
  const start = addDays(plan.rebalances[0], lagDays);
  if (start >= input.to) throw new BacktestError(`the first trade (${start}, ${lagDays} days after the ${plan.rebalances[0]} selection) is not before --to ${input.to}`);
  const days = eachDay(start, input.to);
  const trades = tradePlan(plan.rebalances, lagDays, input.to);
  progress(`${input.methodology.id}: ${trades.selectionOf.size} rebalances, ${days.length} days from ${start} to ${input.to}, ${policy} prices`);

  assertCompilableAtStart(input, plan.rebalances);
  const index = simulate(input.methodology, days, trades, input, baseLevel, progress);
  const marketCapMethodology = marketCapVariant(input.methodology);
  const marketCap = simulate(marketCapMethodology, days, trades, input, baseLevel, () => undefined);
  const benchmark = holdBenchmark(benchmarkSymbol, days, trades, input, baseLevel);

  const daily: DailyLevels[] = days.map((date, i) => ({ date, index: index.levels[i], benchmark: benchmark[i], marketCap: marketCap.levels[i] }));
  const series = (pick: (row: DailyLevels) => number): LevelPoint[] => daily.map((row) => ({ date: row.date, level: pick(row) }));
  const position = new Map(days.map((date, i) => [date, i] as const));
  const boundaries = [...trades.selectionOf.keys(), input.to].filter((date, i, all) => i === 0 || date !== all[i - 1]);
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
  const periodCounts = { daily: 0, snapshot: 0, mixed: 0 };
  for (const period of index.periods) periodCounts[period.basis] += 1;
  if (shares.carried > 0) {
    notes.push(
      `${(shares.carried * 100).toFixed(1)}% of constituent-days hold the last price of their period's source (snapshot-valued periods between snapshots, or short gaps in daily closes); intra-period moves of those assets are not seen: their whole move lands on the day the period ends, so the daily volatility measures moves between those days and the drawdown misses troughs in between`,
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
  const checkpoints = boundaries.filter((date) => trades.selectionOf.has(date) || isRebalanceDate(input.methodology.rebalance, addDays(date, -lagDays)));
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
    pricing: { policy, rule: PRICE_POLICY_RULES[policy], periodCounts, periods: index.periods },
    timing: rebalanceTiming(lagDays),
    notes,
  };
}

/** The rebalance timing as the report states it. */
export function rebalanceTiming(tradeLagDays: number): RebalanceTiming {
  return {
    tradeLagDays,
    selection: 'the snapshot of the scheduled rebalance date (that day\'s closing market caps, volumes and prices) selects the constituents and sets their weights',
    trade:
      tradeLagDays === 0
        ? 'the basket trades at the closing prices of the same day'
        : `the basket trades at the closing prices ${tradeLagDays} day${tradeLagDays === 1 ? '' : 's'} later; the previous basket is held until then`,
  };
}

/**
 * The same backtest under every price policy, side by side: how much of a result depends on which
 * file priced which period rather than on the methodology. `first`, when given, is the run under
 * its own policy (not repeated).
 */
export function priceSensitivity(input: BacktestInput, first?: BacktestResult): SensitivityRow[] {
  return PRICE_POLICIES.map((policy) => {
    const result = first && first.pricing.policy === policy ? first : runBacktest({ ...input, pricePolicy: policy, onProgress: undefined });
    return {
      policy,
      index: result.metrics.index.cumulativeReturn,
      marketCap: result.metrics.marketCap.cumulativeReturn,
      benchmark: result.metrics.benchmark.cumulativeReturn,
      periodCounts: result.pricing.periodCounts,
    };
  });
}
