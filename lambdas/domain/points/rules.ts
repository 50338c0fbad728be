import { ATTO, PPM, type Ppm } from './decimal';
import { EpochCalendar, dayNumber, type Day } from './calendar';
import type { PointsConfig } from './config';

/**
 * Points of a day. Units: amounts in token base units, prices and values in atto-USD (1e-18),
 * points in micro-points (1e-6). One USD held for a day at 3x earns 3 points = 3_000_000n.
 */

/** `hold`: index tokens in the wallet; `stake`: sTokens; `cooldown`: unstaked, waiting out the cooldown; `lock`: locked LP and other tokens. */
export type PositionKind = 'hold' | 'stake' | 'cooldown' | 'lock';

export interface PositionLine {
  readonly kind: PositionKind;
  /** Price key of the token valued: the index token for hold/stake/cooldown, the locked token for lock. */
  readonly token: string;
  /** Base units (10^decimals per whole token). */
  readonly amount: bigint;
}

/** An address's positions at the day's pinned block. */
export interface AccountPositions {
  readonly address: string;
  readonly lines: readonly PositionLine[];
  /** Staked $SOSO, base units. */
  readonly sosoStaked: bigint;
}

export interface TokenPrice {
  /** atto-USD per whole token: the day's NAV for an index token. */
  readonly usd: bigint;
  readonly decimals: number;
  /** Set on an index token's NAV: the snapshot records it as the index's history of that day. */
  readonly index?: boolean;
}

export type Prices = ReadonlyMap<string, TokenPrice>;

export interface AccountDayPoints {
  readonly address: string;
  /** atto-USD of index tokens held, staked and in cooldown. */
  readonly indexUsd: bigint;
  /** atto-USD of locked tokens. */
  readonly lockedUsd: bigint;
  /** atto-USD of staked $SOSO. */
  readonly sosoUsd: bigint;
  /** Micro-points before the boost. */
  readonly base: bigint;
  readonly boost: Ppm;
  /** Micro-points after the boost: what the address earned itself. */
  readonly points: bigint;
}

/** One address's total for a day: its own boosted points plus referral bonuses. */
export interface DayPointsRow {
  readonly address: string;
  readonly day: Day;
  readonly epoch: number;
  readonly base: bigint;
  readonly boost: Ppm;
  readonly own: bigint;
  readonly referral: bigint;
  readonly total: bigint;
}

export interface ReferralLink {
  readonly referred: string;
  readonly referrer: string;
  /** First day the link counts (the day it was registered). */
  readonly since: Day;
}

const ADDRESS = /^0x[0-9a-f]{40}$/;

/** Lower-case 0x address; throws on anything else. Points are keyed by this form. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  if (!ADDRESS.test(lower)) throw new TypeError(`not an address: ${address}`);
  return lower;
}

function valueOf(token: string, amount: bigint, prices: Prices): bigint {
  if (amount < 0n) throw new RangeError(`negative amount of ${token}: ${amount}`);
  if (amount === 0n) return 0n;
  const price = prices.get(token);
  if (!price) throw new RangeError(`no price for ${token}`);
  return (amount * price.usd) / 10n ** BigInt(price.decimals);
}

/** Which boost tier (0-based) $SOSO staked against index holdings reaches: the highest with sosoUsd / indexUsd >= minRatio, compared without division. */
export function boostTierOf(sosoUsd: bigint, indexUsd: bigint, config: PointsConfig): number {
  const tiers = config.boostTiers;
  if (indexUsd === 0n) return 0;
  for (let i = tiers.length - 1; i > 0; i--) {
    if (sosoUsd * PPM >= tiers[i].minRatio * indexUsd) return i;
  }
  return 0;
}

/** The boost of the tier `boostTierOf` finds. */
export function boostFor(sosoUsd: bigint, indexUsd: bigint, config: PointsConfig): Ppm {
  return config.boostTiers[boostTierOf(sosoUsd, indexUsd, config)].boost;
}

/**
 * One address's own points for a day. Each line is valued at its price (rounded down to the
 * atto-USD) and weighted by its multiplier; base = floor(sum / 1e18), points = floor(sum x boost / 1e24),
 * both from the unrounded weighted sum.
 */
export function accountPoints(positions: AccountPositions, prices: Prices, config: PointsConfig): AccountDayPoints {
  let indexUsd = 0n;
  let lockedUsd = 0n;
  let weighted = 0n; // atto-USD x ppm
  for (const line of positions.lines) {
    const value = valueOf(line.token, line.amount, prices);
    if (line.kind === 'lock') {
      lockedUsd += value;
      weighted += value * (config.lockMultipliers[line.token] ?? config.multipliers.lock);
    } else {
      const multiplier = config.multipliers[line.kind];
      if (multiplier === undefined) throw new RangeError(`unknown position kind ${String(line.kind)}`);
      indexUsd += value;
      weighted += value * multiplier;
    }
  }
  const sosoUsd = valueOf(config.sosoToken, positions.sosoStaked, prices);
  const boost = boostFor(sosoUsd, indexUsd, config);
  return {
    address: normalizeAddress(positions.address),
    indexUsd,
    lockedUsd,
    sosoUsd,
    base: weighted / ATTO,
    boost,
    points: (weighted * boost) / (ATTO * PPM),
  };
}

/** Own points of every address for a day, by address. An address listed twice is a snapshot bug and throws. */
export function pointsForDay(positions: Iterable<AccountPositions>, prices: Prices, config: PointsConfig): Map<string, AccountDayPoints> {
  const result = new Map<string, AccountDayPoints>();
  for (const account of positions) {
    const points = accountPoints(account, prices, config);
    if (result.has(points.address)) throw new RangeError(`address ${points.address} appears twice in the snapshot`);
    result.set(points.address, points);
  }
  return result;
}

/**
 * The referred users' base points summed per referrer: the input of the referral bonus. Only on
 * days of an active epoch, only for links registered on or before the day, never for
 * self-referral. Sums from disjoint sets of referred users add up (a sharded snapshot sums its
 * shards' sums before taking the bonus).
 */
export function referralSums(
  day: Day,
  basePoints: Pick<ReadonlyMap<string, bigint>, 'get'>,
  links: Iterable<ReferralLink>,
  config: PointsConfig,
  calendar = new EpochCalendar(config.epochs),
): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  if (!calendar.isActive(day) || config.referralShare === 0n) return sums;
  const today = dayNumber(day);
  for (const link of links) {
    const referred = normalizeAddress(link.referred);
    const referrer = normalizeAddress(link.referrer);
    if (referred === referrer || dayNumber(link.since) > today) continue;
    const base = basePoints.get(referred);
    if (!base) continue;
    sums.set(referrer, (sums.get(referrer) ?? 0n) + base);
  }
  return sums;
}

/** Referral bonuses by referrer from the summed base points: floor(sum x share); bonuses are not themselves shared further. */
export function bonusesFromSums(sums: ReadonlyMap<string, bigint>, config: PointsConfig): Map<string, bigint> {
  const bonuses = new Map<string, bigint>();
  for (const [referrer, sum] of sums) {
    const bonus = (sum * config.referralShare) / PPM;
    if (bonus > 0n) bonuses.set(referrer, bonus);
  }
  return bonuses;
}

/** Referral bonuses of a day, by referrer: floor(sum of the referred users' base points x share). */
export function referralBonus(
  day: Day,
  basePoints: Pick<ReadonlyMap<string, bigint>, 'get'>,
  links: Iterable<ReferralLink>,
  config: PointsConfig,
  calendar = new EpochCalendar(config.epochs),
): Map<string, bigint> {
  return bonusesFromSums(referralSums(day, basePoints, links, config, calendar), config);
}

/**
 * A day's rows from own points and referral bonuses: per address, own points plus bonus, sorted
 * by address, only addresses with points listed, so the same inputs in any order give the same
 * rows.
 */
export function dayRows(
  day: Day,
  epoch: number,
  own: ReadonlyMap<string, Pick<AccountDayPoints, 'base' | 'boost' | 'points'>>,
  bonus: ReadonlyMap<string, bigint>,
  config: PointsConfig,
): DayPointsRow[] {
  const addresses = [...own.keys()];
  for (const referrer of bonus.keys()) if (!own.has(referrer)) addresses.push(referrer);
  addresses.sort();
  const rows: DayPointsRow[] = [];
  for (const address of addresses) {
    const mine = own.get(address);
    const referral = bonus.get(address) ?? 0n;
    const total = (mine?.points ?? 0n) + referral;
    if (total === 0n) continue;
    rows.push({
      address,
      day,
      epoch,
      base: mine?.base ?? 0n,
      boost: mine?.boost ?? config.boostTiers[0].boost,
      own: mine?.points ?? 0n,
      referral,
      total,
    });
  }
  return rows;
}

/**
 * Everything a day's snapshot records: per address, own points plus referral bonus, for a day
 * of an active epoch (outside epochs nothing accrues: the result is empty). A re-run of a day
 * reproduces it exactly.
 */
export function dayPoints(
  day: Day,
  positions: Iterable<AccountPositions>,
  prices: Prices,
  links: Iterable<ReferralLink>,
  config: PointsConfig,
): DayPointsRow[] {
  const calendar = new EpochCalendar(config.epochs);
  const epoch = calendar.epochOf(day);
  if (epoch === undefined) return [];
  const own = pointsForDay(positions, prices, config);
  const bonus = referralBonus(day, { get: (address) => own.get(address)?.base }, links, config, calendar);
  return dayRows(day, epoch, own, bonus, config);
}

/** Sums day totals into per-address epoch totals. */
export function epochTotals(days: Iterable<Iterable<Pick<DayPointsRow, 'address' | 'total'>>>): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const rows of days) for (const row of rows) totals.set(row.address, (totals.get(row.address) ?? 0n) + row.total);
  return totals;
}
