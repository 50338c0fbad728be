/**
 * EventBridge schedule expressions (`rate(...)`, `cron(...)`), parsed once for both the CDK app
 * (which rejects a bad expression at synth) and the local scheduler (which fires them).
 * Supported cron syntax: numbers, names (JAN-DEC, SUN-SAT), `*`, `?`, ranges, lists and steps,
 * and EventBridge's `L` in day-of-month (last day), `nL` (last weekday n of the month) and `n#k`
 * (k-th weekday n) in day-of-week. The `W` form (nearest weekday) is rejected rather than misread.
 */

export type ScheduleExpression =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; minutes: Set<number>; hours: Set<number>; daysOfMonth: Set<number> | 'any' | 'last'; months: Set<number>; daysOfWeek: Set<number> | 'any' | WeekdayInMonth; years: Set<number> | 'any' };

/** Day-of-week `n#k` (the k-th weekday n of the month) or `nL` (its last one); n is 1 (Sunday) to 7. */
export type WeekdayInMonth = { weekday: number; nth: number } | { weekday: number; last: true };

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

function weekdayField(text: string): Set<number> | WeekdayInMonth {
  const nth = /^([A-Za-z]+|\d+)#(\d+)$/.exec(text);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5) throw new Error(`"${text}": the week must be 1-5`);
    return { weekday: single(nth[1]), nth: k };
  }
  const last = /^([A-Za-z]+|\d+)L$/i.exec(text);
  if (last) return { weekday: single(last[1]), last: true };
  return field(text, 1, 7, DAYS, 1);
}

/** One weekday, by number (1 is Sunday) or name. */
function single(token: string): number {
  const [day] = field(token, 1, 7, DAYS, 1);
  return day;
}

function weekdayMatches(days: Set<number> | 'any' | WeekdayInMonth, t: Date): boolean {
  if (days === 'any') return true;
  const weekday = t.getUTCDay() + 1;
  if (days instanceof Set) return days.has(weekday);
  if (weekday !== days.weekday) return false;
  const date = t.getUTCDate();
  if ('nth' in days) return Math.ceil(date / 7) === days.nth;
  return date + 7 > lastDayOfMonth(t);
}

function lastDayOfMonth(t: Date): number {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
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
  const [min, hour, dom, month, dow, year] = parts;
  // Checked after the fields are split: month and weekday names (JUL, WED) contain the letters L and W.
  if (/^\d*W$|^LW$/i.test(dom)) throw new Error(`invalid schedule ${expression}: the W (nearest weekday) form is not supported`);
  if ((dom === '?') === (dow === '?')) throw new Error(`invalid schedule ${expression}: exactly one of day-of-month and day-of-week must be "?"`);
  try {
    return {
      kind: 'cron',
      minutes: field(min, 0, 59),
      hours: field(hour, 0, 23),
      daysOfMonth: dom === '?' ? 'any' : dom.toUpperCase() === 'L' ? 'last' : field(dom, 1, 31),
      months: field(month, 1, 12, MONTHS, 1),
      daysOfWeek: dow === '?' ? 'any' : weekdayField(dow),
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
      (schedule.daysOfMonth === 'any' || (schedule.daysOfMonth === 'last' ? t.getUTCDate() === lastDayOfMonth(t) : schedule.daysOfMonth.has(t.getUTCDate()))) &&
      weekdayMatches(schedule.daysOfWeek, t);
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
