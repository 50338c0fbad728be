import { nextFire, parseScheduleExpression } from '../../infra/schedule-expression';
import { SCHEDULES } from '../../topology';

const at = (iso: string): Date => new Date(iso);

describe('schedule expressions', () => {
  test('a rate fires one period after the last fire', () => {
    const rate = parseScheduleExpression('rate(5 minutes)');
    expect(nextFire(rate, at('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });

  test('a daily cron fires at its time on the next day once today has passed', () => {
    const daily = parseScheduleExpression('cron(30 0 * * ? *)');
    expect(nextFire(daily, at('2026-03-10T00:29:59Z')).toISOString()).toBe('2026-03-10T00:30:00.000Z');
    expect(nextFire(daily, at('2026-03-10T00:30:00Z')).toISOString()).toBe('2026-03-11T00:30:00.000Z');
  });

  test('a monthly cron on the first day rolls over the year end', () => {
    const monthly = parseScheduleExpression('cron(0 12 1 * ? *)');
    expect(nextFire(monthly, at('2026-12-15T00:00:00Z')).toISOString()).toBe('2027-01-01T12:00:00.000Z');
  });

  test('a weekday cron uses EventBridge numbering where 1 is Sunday', () => {
    const mondays = parseScheduleExpression('cron(0 8 ? * MON *)');
    // 2026-11-21 is a Saturday; the next Monday is the 23rd.
    expect(nextFire(mondays, at('2026-11-21T10:00:00Z')).toISOString()).toBe('2026-11-23T08:00:00.000Z');
    const sundays = parseScheduleExpression('cron(0 8 ? * 1 *)');
    expect(nextFire(sundays, at('2026-11-21T10:00:00Z')).toISOString()).toBe('2026-11-22T08:00:00.000Z');
  });

  test('steps and ranges expand to the minutes they name', () => {
    const every15 = parseScheduleExpression('cron(0/15 9-10 * * ? *)');
    expect(nextFire(every15, at('2026-01-01T09:46:00Z')).toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(nextFire(every15, at('2026-01-01T10:50:00Z')).toISOString()).toBe('2026-01-02T09:00:00.000Z');
  });

  test('named days and months, alone, in ranges and in lists, read as their numbers', () => {
    const wednesdays = parseScheduleExpression('cron(0 9 ? * WED *)');
    // 2026-12-05 is a Saturday; the next Wednesday is the 9th.
    expect(nextFire(wednesdays, at('2026-12-05T10:00:00Z')).toISOString()).toBe('2026-12-09T09:00:00.000Z');
    const july = parseScheduleExpression('cron(0 0 1 JUL ? *)');
    expect(nextFire(july, at('2026-12-05T00:00:00Z')).toISOString()).toBe('2027-07-01T00:00:00.000Z');
    const spring = parseScheduleExpression('cron(0 0 1 APR-JUL ? *)');
    expect(nextFire(spring, at('2026-07-01T00:00:00Z')).toISOString()).toBe('2027-04-01T00:00:00.000Z');
    expect(nextFire(spring, at('2027-04-01T00:00:00Z')).toISOString()).toBe('2027-05-01T00:00:00.000Z');
    const weekdays = parseScheduleExpression('cron(30 6 ? * MON-FRI *)');
    // Friday 2026-12-04 after the fire: the next is Monday the 7th, not the weekend.
    expect(nextFire(weekdays, at('2026-12-04T07:00:00Z')).toISOString()).toBe('2026-12-07T06:30:00.000Z');
    const listed = parseScheduleExpression('cron(0 12 ? jan,jul sun,wed *)');
    expect(nextFire(listed, at('2026-12-31T00:00:00Z')).toISOString()).toBe('2027-01-03T12:00:00.000Z');
    expect(nextFire(listed, at('2027-01-03T12:00:00Z')).toISOString()).toBe('2027-01-06T12:00:00.000Z');
  });

  test('n#k is the k-th weekday n of the month, nL its last, L in day-of-month the last day', () => {
    const secondSunday = parseScheduleExpression('cron(0 10 ? * SUN#2 *)');
    // December 2026: Sundays are the 6th, 13th, ...
    expect(nextFire(secondSunday, at('2026-12-05T00:00:00Z')).toISOString()).toBe('2026-12-13T10:00:00.000Z');
    expect(nextFire(secondSunday, at('2026-12-13T10:00:00Z')).toISOString()).toBe('2027-01-10T10:00:00.000Z');
    const lastFriday = parseScheduleExpression('cron(0 16 ? * 6L *)');
    expect(nextFire(lastFriday, at('2026-12-05T00:00:00Z')).toISOString()).toBe('2026-12-25T16:00:00.000Z');
    const monthEnd = parseScheduleExpression('cron(0 23 L * ? *)');
    expect(nextFire(monthEnd, at('2027-02-01T00:00:00Z')).toISOString()).toBe('2027-02-28T23:00:00.000Z');
    expect(nextFire(monthEnd, at('2028-02-01T00:00:00Z')).toISOString()).toBe('2028-02-29T23:00:00.000Z');
  });

  test.each([
    ['cron(0 12 15W * ? *)'],
    ['cron(0 12 LW * ? *)'],
    ['cron(0 12 ? * WED#6 *)'],
    ['cron(0 12 ? * FOO *)'],
    ['cron(0 12 1 JUX ? *)'],
    ['cron(0 12 1 JUL-APR ? *)'],
    ['rate(0 minutes)'],
    ['rate(1 minutes)'],
    ['rate(5 weeks)'],
    ['cron(0 12 * * *)'],
    ['cron(0 12 * * MON *)'],
    ['cron(61 12 * * ? *)'],
    ['every day'],
  ])('%s is rejected with a reason', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(/invalid schedule/);
  });

  test('every declared schedule, and its local cadence, parses', () => {
    for (const schedule of SCHEDULES) {
      expect(() => parseScheduleExpression(schedule.expression)).not.toThrow();
      if (schedule.localExpression) expect(() => parseScheduleExpression(schedule.localExpression!)).not.toThrow();
    }
  });
});
