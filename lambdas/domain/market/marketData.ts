import { parseCsvTable, parseNumber } from './csv';
import { type IsoDate, eachDay, normalizeDate, toDayNumber } from './dates';

/** One asset in a monthly top-200 snapshot. Numbers are null when the file leaves them empty or unreadable. */
export interface SnapshotAsset {
  readonly rank: number | null;
  readonly name: string;
  readonly symbol: string;
  readonly marketCapUsd: number | null;
  readonly priceUsd: number | null;
  readonly circulatingSupply: number | null;
  readonly volume24hUsd: number | null;
}

/** The top-200 by market cap on one date (the snapshot's prices match that day's daily close). */
export interface MonthlySnapshot {
  readonly date: IsoDate;
  readonly assets: readonly SnapshotAsset[];
}

/** One daily candle (UTC day) in USD. */
export interface DailyBar {
  readonly date: IsoDate;
  readonly symbol: string;
  readonly open: number | null;
  readonly high: number | null;
  readonly low: number | null;
  readonly close: number;
  readonly volume: number | null;
}

/** A row the loader skipped or a value it could not read, kept so gaps are visible rather than silent. */
export interface LoadIssue {
  readonly file: 'monthly' | 'daily';
  readonly line: number;
  readonly problem: string;
}

/** One price observation of a symbol, from either file. */
export interface PriceObservation {
  readonly day: number;
  readonly date: IsoDate;
  readonly priceUsd: number;
  readonly source: 'daily-close' | 'snapshot';
}

export const MONTHLY_COLUMNS = ['Rank', 'Name', 'Symbol', 'Market Cap', 'Price', 'Circulating Supply', 'Volume (24h)', 'snapshot_date'] as const;
export const DAILY_COLUMNS = ['date', 'symbol', 'base', 'close'] as const;

/** Quote currencies accepted as USD in the daily file (USDC pairs count as USD; a USD pair wins when both exist). */
const USD_QUOTES = ['USD', 'USDC'];

export interface ParsedMonthly {
  readonly snapshots: MonthlySnapshot[];
  readonly issues: LoadIssue[];
}

export function parseMonthlySnapshots(text: string): ParsedMonthly {
  const table = parseCsvTable(text, MONTHLY_COLUMNS, 'monthly snapshot file');
  const issues: LoadIssue[] = [];
  const byDate = new Map<IsoDate, SnapshotAsset[]>();
  for (const record of table.records) {
    const date = normalizeDate(record.get('snapshot_date') ?? '');
    const symbol = (record.get('Symbol') ?? '').trim();
    if (!date) {
      issues.push({ file: 'monthly', line: record.line, problem: `unreadable snapshot_date "${record.get('snapshot_date') ?? ''}"; row skipped` });
      continue;
    }
    if (symbol === '') {
      issues.push({ file: 'monthly', line: record.line, problem: 'empty Symbol; row skipped' });
      continue;
    }
    const asset: SnapshotAsset = {
      rank: parseNumber(record.get('Rank')),
      name: (record.get('Name') ?? '').trim(),
      symbol,
      marketCapUsd: parseNumber(record.get('Market Cap')),
      priceUsd: parseNumber(record.get('Price')),
      circulatingSupply: parseNumber(record.get('Circulating Supply')),
      volume24hUsd: parseNumber(record.get('Volume (24h)')),
    };
    if (asset.marketCapUsd === null) issues.push({ file: 'monthly', line: record.line, problem: `${symbol} on ${date}: no market cap` });
    if (asset.priceUsd === null) issues.push({ file: 'monthly', line: record.line, problem: `${symbol} on ${date}: no price` });
    const list = byDate.get(date) ?? [];
    list.push(asset);
    byDate.set(date, list);
  }
  const snapshots = [...byDate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, assets]) => ({ date, assets }));
  return { snapshots, issues };
}

export interface ParsedDaily {
  readonly bars: DailyBar[];
  readonly issues: LoadIssue[];
}

export function parseDailyBars(text: string): ParsedDaily {
  const table = parseCsvTable(text, DAILY_COLUMNS, 'daily OHLC file');
  const issues: LoadIssue[] = [];
  const chosen = new Map<string, { bar: DailyBar; quote: string; line: number }>();
  for (const record of table.records) {
    const date = normalizeDate(record.get('date') ?? '');
    const pair = (record.get('symbol') ?? '').trim();
    const [pairBase, quote = 'USD'] = pair.split('/');
    const symbol = ((record.get('base') ?? '').trim() || (pairBase ?? '').trim());
    const close = parseNumber(record.get('close'));
    if (!date || symbol === '') {
      issues.push({ file: 'daily', line: record.line, problem: `unreadable date or symbol ("${record.get('date') ?? ''}", "${pair}"); row skipped` });
      continue;
    }
    if (!USD_QUOTES.includes(quote)) {
      issues.push({ file: 'daily', line: record.line, problem: `${pair} on ${date}: quote currency ${quote} is not USD; row skipped` });
      continue;
    }
    if (close === null || close <= 0) {
      issues.push({ file: 'daily', line: record.line, problem: `${symbol} on ${date}: no usable close; row skipped` });
      continue;
    }
    const bar: DailyBar = {
      date,
      symbol,
      open: parseNumber(record.get('open')),
      high: parseNumber(record.get('high')),
      low: parseNumber(record.get('low')),
      close,
      volume: parseNumber(record.get('volume')),
    };
    const key = `${symbol}|${date}`;
    const existing = chosen.get(key);
    if (existing) {
      const replace = existing.quote !== 'USD' && quote === 'USD';
      issues.push({
        file: 'daily',
        line: record.line,
        problem: `${symbol} on ${date}: duplicate bar (also line ${existing.line}); kept the ${replace ? 'later' : 'first'} one`,
      });
      if (!replace) continue;
    }
    chosen.set(key, { bar, quote, line: record.line });
  }
  return { bars: [...chosen.values()].map((entry) => entry.bar), issues };
}

/**
 * Both market files, indexed once: snapshots by date and symbol, daily closes by symbol then date,
 * and per symbol a merged, sorted list of price observations (daily closes preferred, snapshot
 * prices where there is no close that day) for "last known price" lookups by binary search.
 */
export class MarketData {
  private readonly snapshotsByDate = new Map<IsoDate, MonthlySnapshot>();
  private readonly snapshotAssets = new Map<IsoDate, Map<string, SnapshotAsset>>();
  private readonly snapshotFloor = new Map<IsoDate, number>();
  private readonly closes = new Map<string, Map<IsoDate, number>>();
  private readonly observationCache = new Map<string, PriceObservation[]>();
  private readonly sortedSnapshotDates: IsoDate[];
  private readonly dailyDates: { first: IsoDate; last: IsoDate } | undefined;

  constructor(snapshots: readonly MonthlySnapshot[], bars: readonly DailyBar[], readonly issues: readonly LoadIssue[] = []) {
    for (const snapshot of snapshots) {
      this.snapshotsByDate.set(snapshot.date, snapshot);
      const bySymbol = new Map<string, SnapshotAsset>();
      let floor = Number.POSITIVE_INFINITY;
      for (const asset of snapshot.assets) {
        // When a symbol appears twice on one date (it happens), the larger market cap is the one indexed.
        const other = bySymbol.get(asset.symbol);
        if (!other || (asset.marketCapUsd ?? 0) > (other.marketCapUsd ?? 0)) bySymbol.set(asset.symbol, asset);
        if (asset.marketCapUsd !== null && asset.marketCapUsd > 0) floor = Math.min(floor, asset.marketCapUsd);
      }
      this.snapshotAssets.set(snapshot.date, bySymbol);
      if (Number.isFinite(floor)) this.snapshotFloor.set(snapshot.date, floor);
    }
    this.sortedSnapshotDates = [...this.snapshotsByDate.keys()].sort();
    let first: IsoDate | undefined;
    let last: IsoDate | undefined;
    for (const bar of bars) {
      let series = this.closes.get(bar.symbol);
      if (!series) {
        series = new Map();
        this.closes.set(bar.symbol, series);
      }
      series.set(bar.date, bar.close);
      if (first === undefined || bar.date < first) first = bar.date;
      if (last === undefined || bar.date > last) last = bar.date;
    }
    this.dailyDates = first !== undefined && last !== undefined ? { first, last } : undefined;
  }

  /** Parses both files' text; unreadable rows become `issues`, never exceptions (a missing column is an exception). */
  static fromCsv(monthlyCsv: string, dailyCsv: string): MarketData {
    const monthly = parseMonthlySnapshots(monthlyCsv);
    const daily = parseDailyBars(dailyCsv);
    return new MarketData(monthly.snapshots, daily.bars, [...monthly.issues, ...daily.issues]);
  }

  snapshotDates(): readonly IsoDate[] {
    return this.sortedSnapshotDates;
  }

  snapshot(date: IsoDate): MonthlySnapshot | undefined {
    return this.snapshotsByDate.get(date);
  }

  /** The snapshot row of a symbol on a snapshot date (the larger-cap one if the symbol is listed twice). */
  snapshotAsset(symbol: string, date: IsoDate): SnapshotAsset | undefined {
    return this.snapshotAssets.get(date)?.get(symbol);
  }

  /** The latest snapshot date on or before `date`. */
  snapshotDateOnOrBefore(date: IsoDate): IsoDate | undefined {
    let found: IsoDate | undefined;
    for (const candidate of this.sortedSnapshotDates) {
      if (candidate > date) break;
      found = candidate;
    }
    return found;
  }

  /** The smallest market cap listed in a snapshot: anything absent from it was below this. */
  snapshotMarketCapFloor(date: IsoDate): number | undefined {
    return this.snapshotFloor.get(date);
  }

  dailyClose(symbol: string, date: IsoDate): number | undefined {
    return this.closes.get(symbol)?.get(date);
  }

  dailySymbols(): string[] {
    return [...this.closes.keys()].sort();
  }

  /** First and last day with a daily close for the symbol, and how many days have one. */
  dailyCoverage(symbol: string): { first: IsoDate; last: IsoDate; days: number } | undefined {
    const series = this.closes.get(symbol);
    if (!series || series.size === 0) return undefined;
    const dates = [...series.keys()].sort();
    return { first: dates[0], last: dates[dates.length - 1], days: dates.length };
  }

  /** The dates the files cover: snapshots and daily bars separately. */
  coverage(): { firstSnapshot?: IsoDate; lastSnapshot?: IsoDate; firstDaily?: IsoDate; lastDaily?: IsoDate } {
    return {
      firstSnapshot: this.sortedSnapshotDates[0],
      lastSnapshot: this.sortedSnapshotDates[this.sortedSnapshotDates.length - 1],
      firstDaily: this.dailyDates?.first,
      lastDaily: this.dailyDates?.last,
    };
  }

  /**
   * How well the two files agree where both price a symbol on a snapshot date: the relative gap
   * `|close / snapshot price - 1|` per pair, its median, and the pairs above `tolerance`. The
   * snapshot prices are end-of-day, so the gap is small (a large one would mean a reused symbol).
   */
  priceAgreement(tolerance = 0.2): { pairs: number; medianGap: number; mismatches: Array<{ symbol: string; date: IsoDate; close: number; snapshotPrice: number }> } {
    const gaps: number[] = [];
    const mismatches: Array<{ symbol: string; date: IsoDate; close: number; snapshotPrice: number }> = [];
    for (const date of this.sortedSnapshotDates) {
      for (const [symbol, asset] of this.snapshotAssets.get(date) ?? []) {
        const close = this.closes.get(symbol)?.get(date);
        if (close === undefined || asset.priceUsd === null || asset.priceUsd <= 0) continue;
        const gap = Math.abs(close / asset.priceUsd - 1);
        gaps.push(gap);
        if (gap > tolerance) mismatches.push({ symbol, date, close, snapshotPrice: asset.priceUsd });
      }
    }
    gaps.sort((a, b) => a - b);
    const medianGap = gaps.length === 0 ? 0 : gaps.length % 2 ? gaps[(gaps.length - 1) / 2] : (gaps[gaps.length / 2 - 1] + gaps[gaps.length / 2]) / 2;
    return { pairs: gaps.length, medianGap, mismatches };
  }

  /**
   * Every price of a symbol in date order. `any`: the daily close where there is one, else the
   * snapshot price; `daily` or `snapshot`: that file's prices only.
   */
  observations(symbol: string, basis: PriceBasis = 'any'): readonly PriceObservation[] {
    const key = `${basis}|${symbol}`;
    const cached = this.observationCache.get(key);
    if (cached) return cached;
    const byDate = new Map<IsoDate, PriceObservation>();
    if (basis !== 'daily') {
      for (const date of this.sortedSnapshotDates) {
        const price = this.snapshotAssets.get(date)?.get(symbol)?.priceUsd;
        if (price !== undefined && price !== null && price > 0) {
          byDate.set(date, { day: toDayNumber(date), date, priceUsd: price, source: 'snapshot' });
        }
      }
    }
    if (basis !== 'snapshot') {
      for (const [date, close] of this.closes.get(symbol) ?? []) {
        byDate.set(date, { day: toDayNumber(date), date, priceUsd: close, source: 'daily-close' });
      }
    }
    const list = [...byDate.values()].sort((a, b) => a.day - b.day);
    this.observationCache.set(key, list);
    return list;
  }

  /**
   * Whether the symbol has a daily close on `from` and on `to` and no run of missing days longer
   * than `maxGapDays` between them: whether a holding period can be valued from daily closes alone.
   */
  dailyCovers(symbol: string, from: IsoDate, to: IsoDate, maxGapDays: number): boolean {
    const series = this.closes.get(symbol);
    if (!series || !series.has(from) || !series.has(to)) return false;
    let gap = 0;
    for (const date of eachDay(from, to)) {
      gap = series.has(date) ? 0 : gap + 1;
      if (gap > maxGapDays) return false;
    }
    return true;
  }
}

/**
 * Which prices a lookup may use: `any` (the daily close, else the snapshot price, else the last of
 * either), or one file only: `daily` closes or monthly `snapshot` prices.
 */
export type PriceBasis = 'any' | 'daily' | 'snapshot';
