import { type IsoDate, MarketData, eachDay } from '../../lambdas/domain/market';

/** One row of a hand-made monthly snapshot. */
export interface SnapshotRow {
  readonly symbol: string;
  readonly name?: string;
  readonly cap: number;
  readonly price: number;
  readonly volume?: number;
}

/** Writes the monthly file the way the real one is laid out (compact dates, all columns). */
export function monthlyCsv(snapshots: Record<IsoDate, readonly SnapshotRow[]>): string {
  const lines = ['Rank,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24h),% 1h,% 24h,% 7d,snapshot_date'];
  for (const [date, rows] of Object.entries(snapshots)) {
    [...rows]
      .sort((a, b) => b.cap - a.cap)
      .forEach((row, i) => {
        lines.push([i + 1, row.name ?? row.symbol, row.symbol, row.cap, row.price, row.cap / row.price, row.volume ?? 1e9, '', '', '', date.replace(/-/g, '')].join(','));
      });
  }
  return `${lines.join('\n')}\n`;
}

/** Daily closes from a price function per symbol over [from, to]; undefined prices leave gaps. */
export function dailyCsv(from: IsoDate, to: IsoDate, closes: Record<string, (date: IsoDate) => number | undefined>): string {
  const lines = ['date,symbol,base,open,high,low,close,volume'];
  for (const date of eachDay(from, to)) {
    for (const [symbol, close] of Object.entries(closes)) {
      const value = close(date);
      if (value !== undefined) lines.push([date, `${symbol}/USD`, symbol, value, value, value, value, 1000].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function marketData(snapshots: Record<IsoDate, readonly SnapshotRow[]>, daily: string): MarketData {
  return MarketData.fromCsv(monthlyCsv(snapshots), daily);
}

/** Piecewise-constant price: the value of the last breakpoint on or before the date. */
export function steps(points: Record<IsoDate, number>, until?: IsoDate): (date: IsoDate) => number | undefined {
  const entries = Object.entries(points).sort(([a], [b]) => (a < b ? -1 : 1));
  return (date) => {
    if (until !== undefined && date > until) return undefined;
    let value: number | undefined;
    for (const [start, price] of entries) if (start <= date) value = price;
    return value;
  };
}
