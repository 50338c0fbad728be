/**
 * EventBridge schedule expressions (`rate(...)`, `cron(...)`), parsed once for both the CDK app
 * (which rejects a bad expression at synth) and the local scheduler (which fires them).
 * Supported cron syntax: numbers, names (JAN-DEC, SUN-SAT), `*`, `?`, ranges, lists and steps;
 * EventBridge's L, W and # forms are rejected rather than misread.
 */

export type ScheduleExpression =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; minutes: Set<number>; hours: Set<number>; daysOfMonth: Set<number> | 'any'; months: Set<number>; daysOfWeek: Set<number> | 'any'; years: Set<number> | 'any' };

const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function field(text: string, min: number, max: number, names: string[] = [], nameBase = min): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const index = names.indexOf(token.toUpperCase());
    const n = index >= 0 ? index + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${token}" is outside ${min}-${max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    if (from > to) throw new Error(`empty range "${part}"`);
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2].replace(/s$/, '');
    if (amount < 1) throw new Error(`invalid schedule ${expression}: rate must be positive`);
    if ((amount === 1) !== (rate[2] === unit)) throw new Error(`invalid schedule ${expression}: use "1 ${unit}" or "N ${unit}s"`);
    return { kind: 'rate', periodMs: amount * RATE_UNITS[unit] };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new Error(`invalid schedule ${expression}: expected rate(...) or cron(...)`);
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`invalid schedule ${expression}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)`);
  if (parts.some((p) => /[LW#]/.test(p))) throw new Error(`invalid schedule ${expression}: L, W and # are not supported`);
  const [min, hour, dom, month, dow, year] = parts;
  if ((dom === '?') === (dow === '?')) throw new Error(`invalid schedule ${expression}: exactly one of day-of-month and day-of-week must be "?"`);
  try {
    return {
      kind: 'cron',
      minutes: field(min, 0, 59),
      hours: field(hour, 0, 23),
      daysOfMonth: dom === '?' ? 'any' : field(dom, 1, 31),
      months: field(month, 1, 12, MONTHS, 1),
      daysOfWeek: dow === '?' ? 'any' : field(dow, 1, 7, DAYS, 1),
      years: year === '*' ? 'any' : field(year, 1970, 2199),
    };
  } catch (error) {
    throw new Error(`invalid schedule ${expression}: ${(error as Error).message}`);
  }
}

/** The first time strictly after `after` (UTC) at which the schedule fires. */
export function nextFire(schedule: ScheduleExpression, after: Date): Date {
  if (schedule.kind === 'rate') return new Date(after.getTime() + schedule.periodMs);
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (schedule.years !== 'any' && !schedule.years.has(t.getUTCFullYear())) {
      t.setUTCFullYear(t.getUTCFullYear() + 1, 0, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const dayOk =
      (schedule.daysOfMonth === 'any' || schedule.daysOfMonth.has(t.getUTCDate())) &&
      (schedule.daysOfWeek === 'any' || schedule.daysOfWeek.has(t.getUTCDay() + 1));
    if (!dayOk) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  throw new Error('schedule never fires within five years');
}
