/**
 * Days and epochs. A day is a UTC calendar date 'YYYY-MM-DD' (the snapshot's day); epochs are
 * fixed runs of `lengthDays` days from `genesis`, numbered from `first`. With `count` set the
 * programme ends after that many epochs; days outside every epoch belong to none and earn nothing.
 */

export type Day = string;

export interface EpochCalendarConfig {
  /** First day of epoch `first`. */
  readonly genesis: Day;
  readonly lengthDays: number;
  /** Number of the first epoch (usually 1). */
  readonly first: number;
  /** How many epochs run; undefined: no end. */
  readonly count?: number;
}

export interface EpochRange {
  readonly epoch: number;
  /** First day of the epoch. */
  readonly start: Day;
  /** Last day of the epoch (inclusive). */
  readonly end: Day;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a 'YYYY-MM-DD' day; refuses impossible dates. */
export function dayNumber(day: Day): number {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (dayOf(ms) !== day) throw new RangeError(`not a calendar day: ${day}`);
  return ms / DAY_MS;
}

/** The UTC day of a time (ms since epoch or Date). */
export function dayOf(time: number | Date): Day {
  return new Date(typeof time === 'number' ? time : time.getTime()).toISOString().slice(0, 10);
}

export function addDays(day: Day, days: number): Day {
  return dayOf((dayNumber(day) + days) * DAY_MS);
}

export class EpochCalendar {
  private readonly genesisNumber: number;

  constructor(readonly config: EpochCalendarConfig) {
    this.genesisNumber = dayNumber(config.genesis);
    if (!Number.isInteger(config.lengthDays) || config.lengthDays < 1) throw new RangeError(`epoch length must be a whole number of days >= 1, got ${config.lengthDays}`);
    if (!Number.isInteger(config.first) || config.first < 0) throw new RangeError(`first epoch number must be a whole number >= 0, got ${config.first}`);
    if (config.count !== undefined && (!Number.isInteger(config.count) || config.count < 1)) throw new RangeError(`epoch count must be >= 1, got ${config.count}`);
  }

  /** The epoch a day belongs to, or undefined before genesis and after the last epoch. */
  epochOf(day: Day): number | undefined {
    const offset = dayNumber(day) - this.genesisNumber;
    if (offset < 0) return undefined;
    const index = Math.floor(offset / this.config.lengthDays);
    if (this.config.count !== undefined && index >= this.config.count) return undefined;
    return this.config.first + index;
  }

  /** Whether points (and referral bonuses) accrue on this day: it falls in an epoch. */
  isActive(day: Day): boolean {
    return this.epochOf(day) !== undefined;
  }

  range(epoch: number): EpochRange {
    const index = epoch - this.config.first;
    if (!Number.isInteger(epoch) || index < 0 || (this.config.count !== undefined && index >= this.config.count)) throw new RangeError(`no epoch ${epoch}`);
    const start = this.genesisNumber + index * this.config.lengthDays;
    return { epoch, start: dayOf(start * DAY_MS), end: dayOf((start + this.config.lengthDays - 1) * DAY_MS) };
  }

  /** Days of an epoch, in order. */
  days(epoch: number): Day[] {
    const { start } = this.range(epoch);
    return Array.from({ length: this.config.lengthDays }, (_, i) => addDays(start, i));
  }

  /** Epochs that have started on or before `today`, oldest first (the current one last, if any). */
  startedBy(today: Day): EpochRange[] {
    const offset = dayNumber(today) - this.genesisNumber;
    if (offset < 0) return [];
    let started = Math.floor(offset / this.config.lengthDays) + 1;
    if (this.config.count !== undefined) started = Math.min(started, this.config.count);
    return Array.from({ length: started }, (_, i) => this.range(this.config.first + i));
  }

  /** Whether the epoch's last day is before `today`: it can be closed. */
  isOver(epoch: number, today: Day): boolean {
    return dayNumber(this.range(epoch).end) < dayNumber(today);
  }
}
