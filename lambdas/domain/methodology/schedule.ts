import { type IsoDate, addDays, eachDay } from '../market/dates';
import type { RebalanceSchedule } from './types';

const QUARTER_MONTHS = new Set(['01', '04', '07', '10']);

/** Rebalances fall on the first day of each month (monthly) or of January/April/July/October (quarterly). */
export function isRebalanceDate(schedule: RebalanceSchedule, date: IsoDate): boolean {
  if (!date.endsWith('-01')) return false;
  return schedule.frequency === 'monthly' || QUARTER_MONTHS.has(date.slice(5, 7));
}

/** Scheduled rebalance dates from `from` (included) to `to` (excluded). */
export function rebalanceDates(schedule: RebalanceSchedule, from: IsoDate, to: IsoDate): IsoDate[] {
  if (to <= from) return [];
  return eachDay(from, addDays(to, -1)).filter((date) => isRebalanceDate(schedule, date));
}

/** The first scheduled rebalance strictly after `date`. */
export function nextRebalanceDate(schedule: RebalanceSchedule, date: IsoDate): IsoDate {
  let candidate = addDays(date, 1);
  while (!isRebalanceDate(schedule, candidate)) candidate = addDays(candidate, 1);
  return candidate;
}
