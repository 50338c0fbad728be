import { type IsoDate, toDayNumber } from './dates';
import type { MarketData, PriceBasis, PriceObservation } from './marketData';
import { type TokenMigration, TOKEN_MIGRATIONS, findMigration } from './migrations';

/**
 * Where a price came from, from most to least direct:
 * - `daily-close`: the symbol's daily close on that very date;
 * - `snapshot`: the monthly snapshot price on that date (it matches the daily close within ~0.1%);
 * - `carried`: the last earlier observation, carried forward (stale: see `observedOn`/`ageDays`);
 * - `migrated`: the symbol vanished because the token was swapped into another (LEND -> AAVE,
 *   MKR -> SKY, see TOKEN_MIGRATIONS): the successor's price x the swap ratio. While the successor
 *   has no price yet, the old price is `carried`;
 * - `dropout-bound`: the symbol was in a snapshot, then missing from a later one with no newer
 *   price anywhere and no migration: it fell out of the top 200, so its market cap was below that
 *   snapshot's smallest cap. The price is the last price capped at `smallest cap / last circulating
 *   supply` (an upper bound, so still optimistic; it keeps a collapse like LUNA's in May 2022 from
 *   being carried at its pre-collapse price).
 */
export type PriceSourceKind = 'daily-close' | 'snapshot' | 'carried' | 'migrated' | 'dropout-bound';

export interface PricePoint {
  readonly symbol: string;
  /** The date asked for. */
  readonly date: IsoDate;
  readonly priceUsd: number;
  readonly source: PriceSourceKind;
  /** The date of the observation the price is based on (equal to `date` unless carried or bounded). */
  readonly observedOn: IsoDate;
  /** Days between `observedOn` and `date`. */
  readonly ageDays: number;
}

/**
 * A price for an asset on a date, or undefined when there is no defensible one. `basis` restricts
 * the lookup to one file's prices (default `any`); the fallback rules apply within it.
 */
export interface PriceSource {
  priceAt(symbol: string, date: IsoDate, basis?: PriceBasis): PricePoint | undefined;
}

/** A price source that can tell whether a holding period can be valued from daily closes alone. */
export interface PeriodPriceSource extends PriceSource {
  dailyCovers(symbol: string, from: IsoDate, to: IsoDate, maxGapDays: number): boolean;
}

export interface ReplayPriceSourceOptions {
  /** How long a price may be carried forward before it is refused (default 45 days: longer than a monthly gap). */
  readonly maxCarryDays?: number;
  /** Token swaps and renames (default TOKEN_MIGRATIONS). */
  readonly migrations?: readonly TokenMigration[];
}

export const DEFAULT_MAX_CARRY_DAYS = 45;

/** A `PriceSource` replaying the historical files, with the fallback rules of `PriceSourceKind`. */
export class ReplayPriceSource implements PeriodPriceSource {
  private readonly maxCarryDays: number;
  private readonly migrations: readonly TokenMigration[];

  constructor(
    private readonly data: MarketData,
    options: ReplayPriceSourceOptions = {},
  ) {
    this.maxCarryDays = options.maxCarryDays ?? DEFAULT_MAX_CARRY_DAYS;
    this.migrations = options.migrations ?? TOKEN_MIGRATIONS;
  }

  priceAt(symbol: string, date: IsoDate, basis: PriceBasis = 'any'): PricePoint | undefined {
    return this.lookup(symbol, date, 0, basis);
  }

  dailyCovers(symbol: string, from: IsoDate, to: IsoDate, maxGapDays: number): boolean {
    return this.data.dailyCovers(symbol, from, to, maxGapDays);
  }

  private lookup(symbol: string, date: IsoDate, depth: number, basis: PriceBasis): PricePoint | undefined {
    const close = basis === 'snapshot' ? undefined : this.data.dailyClose(symbol, date);
    if (close !== undefined) return { symbol, date, priceUsd: close, source: 'daily-close', observedOn: date, ageDays: 0 };
    const snapshotPrice = basis === 'daily' ? undefined : this.data.snapshotAsset(symbol, date)?.priceUsd;
    if (snapshotPrice !== undefined && snapshotPrice !== null && snapshotPrice > 0) {
      return { symbol, date, priceUsd: snapshotPrice, source: 'snapshot', observedOn: date, ageDays: 0 };
    }
    const day = toDayNumber(date);
    const last = lastObservationBefore(this.data.observations(symbol, basis), day);
    if (!last) return undefined;
    const ageDays = day - last.day;
    const bound = this.dropoutBound(symbol, last, date);
    const migration = bound !== undefined ? findMigration(symbol, this.migrations) : undefined;
    // A swapped token is priced through its successor however long ago the old symbol was last seen.
    const successor = migration && depth < 3 ? this.lookup(migration.to, date, depth + 1, basis) : undefined;
    if (migration && successor) {
      return { symbol, date, priceUsd: successor.priceUsd * migration.ratio, source: 'migrated', observedOn: successor.observedOn, ageDays: successor.ageDays };
    }
    if (ageDays > this.maxCarryDays) return undefined;
    if (bound !== undefined && !migration) {
      return { symbol, date, priceUsd: Math.min(bound, last.priceUsd), source: 'dropout-bound', observedOn: last.date, ageDays };
    }
    return { symbol, date, priceUsd: last.priceUsd, source: 'carried', observedOn: last.date, ageDays };
  }

  /**
   * If the symbol was in the snapshot in force at its last observation and is missing from a later
   * snapshot on or before `date`, the highest price it can have had: that snapshot's smallest
   * market cap over the last known circulating supply. Undefined when it did not drop out.
   */
  private dropoutBound(symbol: string, last: PriceObservation, date: IsoDate): number | undefined {
    const inForce = this.data.snapshotDateOnOrBefore(last.date);
    const lastRow = inForce ? this.data.snapshotAsset(symbol, inForce) : undefined;
    if (!lastRow) return undefined;
    const supply = lastRow.circulatingSupply;
    for (const snapshotDate of this.data.snapshotDates()) {
      if (snapshotDate <= last.date) continue;
      if (snapshotDate > date) break;
      if (this.data.snapshotAsset(symbol, snapshotDate)) continue;
      const floor = this.data.snapshotMarketCapFloor(snapshotDate);
      if (floor === undefined || supply === null || supply <= 0) return last.priceUsd;
      return floor / supply;
    }
    return undefined;
  }
}

/** Binary search: the last observation strictly before `day`. */
function lastObservationBefore(observations: readonly PriceObservation[], day: number): PriceObservation | undefined {
  let low = 0;
  let high = observations.length - 1;
  let found: PriceObservation | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (observations[middle].day < day) {
      found = observations[middle];
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
