import { type IsoDate, daysBetween } from '../market/dates';

/** One point of a level series (daily, consecutive calendar days). */
export interface LevelPoint {
  readonly date: IsoDate;
  readonly level: number;
}

export interface CalendarYearReturn {
  readonly year: number;
  /** From the close of 1 January (or the series start) to the close of the next 1 January (or the series end). */
  readonly from: IsoDate;
  readonly to: IsoDate;
  readonly return: number;
  /** The series does not cover the whole year. */
  readonly partial: boolean;
}

export interface PerformanceMetrics {
  readonly startDate: IsoDate;
  readonly endDate: IsoDate;
  readonly startLevel: number;
  readonly endLevel: number;
  readonly cumulativeReturn: number;
  /** Compound annual growth over calendar days: `(end / start)^(365 / days) - 1`. */
  readonly annualizedReturn: number;
  /** Sample standard deviation of daily returns x sqrt(365) (crypto trades every day). */
  readonly annualizedVolatility: number;
  /**
   * Sample standard deviation of the returns between consecutive checkpoints (the rebalance dates)
   * x sqrt(checkpoints per year); null with fewer than 3 checkpoints. Unlike the daily figure it does
   * not depend on prices carried between monthly observations.
   */
  readonly checkpointVolatility: number | null;
  /** Largest peak-to-trough fall of the daily levels, as a negative fraction (0 if none). */
  readonly maxDrawdown: number;
  readonly maxDrawdownPeak: IsoDate;
  readonly maxDrawdownTrough: IsoDate;
  readonly calendarYears: readonly CalendarYearReturn[];
}

export const DAYS_PER_YEAR = 365;

function sampleStdDev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1));
}

/**
 * Metrics of a daily level series. `checkpoints` (e.g. the monthly rebalance dates, with
 * `checkpointsPerYear` = 12) add a volatility measured between checkpoints.
 */
export function performanceMetrics(series: readonly LevelPoint[], checkpoints: readonly IsoDate[] = [], checkpointsPerYear = 12): PerformanceMetrics {
  if (series.length < 2) throw new RangeError('a performance series needs at least two points');
  const first = series[0];
  const last = series[series.length - 1];
  const days = daysBetween(first.date, last.date);
  const growth = last.level / first.level;

  const returns: number[] = [];
  for (let i = 1; i < series.length; i += 1) returns.push(series[i].level / series[i - 1].level - 1);

  const levelOn = new Map(series.map((point) => [point.date, point.level] as const));
  const checkpointLevels = checkpoints.map((date) => levelOn.get(date)).filter((level): level is number => level !== undefined);
  const checkpointReturns = checkpointLevels.slice(1).map((level, i) => level / checkpointLevels[i] - 1);

  let peak = first;
  let maxDrawdown = 0;
  let drawdownPeak = first.date;
  let drawdownTrough = first.date;
  for (const point of series) {
    if (point.level > peak.level) peak = point;
    const drawdown = point.level / peak.level - 1;
    if (drawdown < maxDrawdown) {
      maxDrawdown = drawdown;
      drawdownPeak = peak.date;
      drawdownTrough = point.date;
    }
  }

  return {
    startDate: first.date,
    endDate: last.date,
    startLevel: first.level,
    endLevel: last.level,
    cumulativeReturn: growth - 1,
    annualizedReturn: days > 0 ? growth ** (DAYS_PER_YEAR / days) - 1 : 0,
    annualizedVolatility: sampleStdDev(returns) * Math.sqrt(DAYS_PER_YEAR),
    checkpointVolatility: checkpointReturns.length >= 2 ? sampleStdDev(checkpointReturns) * Math.sqrt(checkpointsPerYear) : null,
    maxDrawdown,
    maxDrawdownPeak: drawdownPeak,
    maxDrawdownTrough: drawdownTrough,
    calendarYears: calendarYearReturns(series),
  };
}

/**
 * Return per year, measured from the close of 1 January to the close of the next 1 January: the
 * monthly snapshots are taken at the 1st's close, so a year boundary on 31 December would split a
 * month whose carried prices only land on the 1st.
 */
export function calendarYearReturns(series: readonly LevelPoint[]): CalendarYearReturn[] {
  const first = series[0];
  const last = series[series.length - 1];
  const levelOn = new Map(series.map((point) => [point.date, point.level] as const));
  const years: CalendarYearReturn[] = [];
  for (let year = Number(first.date.slice(0, 4)); year <= Number(last.date.slice(0, 4)); year += 1) {
    const yearStart = `${year}-01-01`;
    const nextStart = `${year + 1}-01-01`;
    const from = first.date > yearStart ? first.date : yearStart;
    const to = last.date < nextStart ? last.date : nextStart;
    if (from >= to) continue;
    const fromLevel = levelOn.get(from);
    const toLevel = levelOn.get(to);
    if (fromLevel === undefined || toLevel === undefined) continue;
    years.push({ year, from, to, return: toLevel / fromLevel - 1, partial: from !== yearStart || to !== nextStart });
  }
  return years;
}
