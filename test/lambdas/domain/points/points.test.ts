import fc from 'fast-check';
import {
  DEFAULT_POINTS_CONFIG,
  DEFAULT_POINTS_CONFIG_INPUT,
  EpochCalendar,
  MICRO,
  accountPoints,
  addDays,
  boostFor,
  boostTierOf,
  dayPoints,
  epochTotals,
  formatPoints,
  parseFixed,
  parsePointsConfig,
  pointsForDay,
  ppm,
  referralBonus,
  type AccountPositions,
  type PointsConfig,
  type PositionLine,
  type Prices,
  type ReferralLink,
} from '../../../../lambdas/domain/points';

const E18 = 10n ** 18n;
const tokens = (whole: number | string): bigint => parseFixed(String(whole), 18);
const points = (whole: number | string): bigint => parseFixed(String(whole), 6);

// MAG7 at $100, DEFI at $2.50 (6 decimals), an LP token at $2, $SOSO at $1.
const PRICES: Prices = new Map([
  ['MAG7', { usd: 100n * E18, decimals: 18 }],
  ['DEFI', { usd: parseFixed('2.5', 18), decimals: 6 }],
  ['LP', { usd: 2n * E18, decimals: 18 }],
  ['SOSO', { usd: E18, decimals: 18 }],
]);

const ALICE = '0x00000000000000000000000000000000000a11ce';
const BOB = '0x0000000000000000000000000000000000000b0b';
const CAROL = '0x00000000000000000000000000000000000ca201';
const DAVE = '0x0000000000000000000000000000000000000da7';

const config: PointsConfig = DEFAULT_POINTS_CONFIG;
const calendar = new EpochCalendar(config.epochs);
// A day inside epoch 2 of the default calendar (genesis 2025-01-06, weekly).
const DAY = '2025-01-15';

function account(address: string, lines: PositionLine[], sosoStaked = 0n): AccountPositions {
  return { address, lines, sosoStaked };
}
const hold = (amount: bigint, token = 'MAG7'): PositionLine => ({ kind: 'hold', token, amount });
const stake = (amount: bigint, token = 'MAG7'): PositionLine => ({ kind: 'stake', token, amount });
const cooldown = (amount: bigint, token = 'MAG7'): PositionLine => ({ kind: 'cooldown', token, amount });
const lock = (amount: bigint, token = 'LP'): PositionLine => ({ kind: 'lock', token, amount });

describe('points for a day: hold vs stake vs cooldown vs lock', () => {
  test('holding $1,000 of an index token for a day earns 3,000 points', () => {
    const result = accountPoints(account(ALICE, [hold(tokens(10))]), PRICES, config);

    expect(result.indexUsd).toBe(1000n * E18);
    expect(result.base).toBe(points(3000));
    expect(result.points).toBe(points(3000));
  });

  test('staking the same $1,000 earns 15,000 points, five times holding', () => {
    const staked = accountPoints(account(ALICE, [stake(tokens(10))]), PRICES, config);
    const held = accountPoints(account(ALICE, [hold(tokens(10))]), PRICES, config);

    expect(staked.points).toBe(points(15000));
    expect(staked.points).toBe(held.points * 5n);
  });

  test('tokens in cooldown are not staked: they earn the holding rate, not the staking rate', () => {
    const inCooldown = accountPoints(account(ALICE, [cooldown(tokens(10))]), PRICES, config);

    expect(inCooldown.points).toBe(points(3000));
    expect(inCooldown.points).not.toBe(accountPoints(account(ALICE, [stake(tokens(10))]), PRICES, config).points);
  });

  test('a cooldown multiplier of 0 in the config makes a cooldown earn nothing', () => {
    const strict = parsePointsConfig({ ...DEFAULT_POINTS_CONFIG_INPUT, multipliers: { hold: 3, stake: 15, cooldown: 0, lock: 3 } });

    expect(accountPoints(account(ALICE, [cooldown(tokens(10)), hold(tokens(1))]), PRICES, strict).points).toBe(points(300));
  });

  test('locked LP tokens earn the lock multiplier, or the per-token one when configured', () => {
    const perToken = parsePointsConfig({ ...DEFAULT_POINTS_CONFIG_INPUT, lockMultipliers: { LP: '5.5' } });
    const position = account(ALICE, [lock(tokens(50))]); // $100 of LP

    expect(accountPoints(position, PRICES, config).points).toBe(points(300));
    expect(accountPoints(position, PRICES, perToken).points).toBe(points(550));
    expect(accountPoints(position, PRICES, config).lockedUsd).toBe(100n * E18);
    expect(accountPoints(position, PRICES, config).indexUsd).toBe(0n);
  });

  test('positions add up across kinds and indexes, with token decimals respected', () => {
    // $1,000 held (3x) + $500 staked (15x) + $25 of DEFI (6 decimals) in cooldown (3x).
    const position = account(ALICE, [hold(tokens(10)), stake(tokens(5)), cooldown(10_000_000n, 'DEFI')]);

    expect(accountPoints(position, PRICES, config).points).toBe(points(3000 + 7500 + 75));
  });

  test('cents do not drift: $0.10 held and $0.20 staked earn exactly 3.3 points', () => {
    const position = account(ALICE, [hold(tokens('0.001')), stake(tokens('0.002'))]);

    expect(formatPoints(accountPoints(position, PRICES, config).points)).toBe('3.3');
  });

  test('staked $SOSO alone earns no points', () => {
    expect(accountPoints(account(ALICE, [], tokens(1_000_000)), PRICES, config).points).toBe(0n);
  });

  test('splitting a position into several lines never earns more than one line', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), (a, b) => {
        const whole = accountPoints(account(ALICE, [stake(a + b)]), PRICES, config).points;
        const split = accountPoints(account(ALICE, [stake(a), stake(b)]), PRICES, config).points;
        expect(split).toBeLessThanOrEqual(whole);
        // Rounding loses less than a micro-point.
        expect(whole - split).toBeLessThanOrEqual(1n);
      }),
    );
  });

  test('a missing price, a negative amount and a duplicated address are refused', () => {
    expect(() => accountPoints(account(ALICE, [hold(1n, 'NOPE')]), PRICES, config)).toThrow('no price for NOPE');
    expect(() => accountPoints(account(ALICE, [hold(-1n)]), PRICES, config)).toThrow('negative amount');
    expect(() => pointsForDay([account(ALICE, [hold(1n)]), account(ALICE.toUpperCase().replace('0X', '0x'), [hold(1n)])], PRICES, config)).toThrow(
      'appears twice',
    );
  });
});

describe('boost tiers by $SOSO staked per USD of index holdings', () => {
  // $1,000 of index holdings; tiers 0 -> 1x, 1% -> 1.2x, 5% -> 1.5x, 10% -> 2x.
  test.each([
    ['0', '1'],
    ['9.999999', '1'],
    ['10', '1.2'],
    ['49.999999', '1.2'],
    ['50', '1.5'],
    ['99.999999', '1.5'],
    ['100', '2'],
    ['100000', '2'],
  ])('$%s of staked $SOSO against $1,000 boosts by %sx', (soso, boost) => {
    const result = accountPoints(account(ALICE, [hold(tokens(10))], tokens(soso)), PRICES, config);

    expect(result.boost).toBe(ppm(boost));
    expect(result.base).toBe(points(3000));
    expect(result.points).toBe((points(3000) * ppm(boost)) / 1_000_000n);
  });

  test('staked and cooldown index tokens count as holdings for the ratio; locked LP does not', () => {
    // $500 staked + $500 in cooldown = $1,000 of index holdings; $10,000 of LP is not in the denominator.
    const position = account(ALICE, [stake(tokens(5)), cooldown(tokens(5)), lock(tokens(5000))], tokens(50));

    const result = accountPoints(position, PRICES, config);

    expect(result.boost).toBe(ppm('1.5'));
    // The boost applies to every position's points: (7,500 + 1,500 + 30,000) x 1.5.
    expect(result.points).toBe(points((7500 + 1500 + 30000) * 1.5));
  });

  test('the tier index names the tier whose boost applies (what the portfolio shows)', () => {
    const usd = (n: number) => BigInt(n) * 10n ** 18n;
    expect([0, 9, 10, 50, 100, 5000].map((soso) => boostTierOf(usd(soso), usd(1000), config))).toEqual([0, 0, 1, 2, 3, 3]);
    expect([0, 10, 50, 100].map((soso) => boostFor(usd(soso), usd(1000), config))).toEqual(config.boostTiers.map((t) => t.boost));
  });

  test('without index holdings the first tier applies, however much $SOSO is staked', () => {
    expect(boostFor(10n ** 30n, 0n, config)).toBe(ppm(1));
    expect(accountPoints(account(ALICE, [lock(tokens(50))], tokens(1000)), PRICES, config).boost).toBe(ppm(1));
  });
});

describe('referral bonus', () => {
  const links: ReferralLink[] = [
    { referred: BOB, referrer: ALICE, since: '2025-01-10' },
    { referred: CAROL, referrer: BOB, since: '2025-01-10' },
    { referred: DAVE, referrer: DAVE, since: '2025-01-10' },
  ];

  test('a referrer earns 10% of its referred user base points, not of the boosted points', () => {
    const base = new Map([[BOB, points(2000)]]);

    expect(referralBonus(DAY, base, links, config)).toEqual(new Map([[ALICE, points(200)]]));
  });

  test('bonuses do not cascade: a referrer of a referrer gets nothing from the second level', () => {
    const base = new Map([
      [BOB, points(0)],
      [CAROL, points(1000)],
    ]);

    expect(referralBonus(DAY, base, links, config)).toEqual(new Map([[BOB, points(100)]]));
  });

  test('a link counts from its registration day, not before', () => {
    const base = new Map([[BOB, points(2000)]]);

    expect(referralBonus('2025-01-09', base, links, config).size).toBe(0);
    expect(referralBonus('2025-01-10', base, links, config).get(ALICE)).toBe(points(200));
  });

  test('no bonus outside active epochs, and none for referring oneself', () => {
    const base = new Map([
      [BOB, points(2000)],
      [DAVE, points(5000)],
    ]);
    const ended = parsePointsConfig({ ...DEFAULT_POINTS_CONFIG_INPUT, epochs: { genesis: '2025-01-06', lengthDays: 7, first: 1, count: 1 } });

    expect(referralBonus('2025-01-05', base, [{ referred: BOB, referrer: ALICE, since: '2024-12-01' }], config).size).toBe(0);
    expect(referralBonus(DAY, base, links, ended).size).toBe(0);
    expect(referralBonus(DAY, base, links, config).has(DAVE)).toBe(false);
  });

  test('bonuses of several referred users are summed before rounding down', () => {
    const base = new Map([
      [BOB, 5n],
      [CAROL, 5n],
    ]);

    expect(referralBonus(DAY, base, [{ referred: BOB, referrer: ALICE, since: DAY }, { referred: CAROL, referrer: ALICE, since: DAY }], config).get(ALICE)).toBe(1n);
  });
});

describe('a day of points', () => {
  const positions = [
    account(ALICE, [hold(tokens(10))]),
    account(BOB, [stake(tokens(10))], tokens(100)),
    account(CAROL, [cooldown(tokens(1))]),
    account(DAVE, []),
  ];
  const links: ReferralLink[] = [{ referred: BOB, referrer: ALICE, since: '2025-01-06' }];

  test('rows combine own points and referral bonus, per address in address order, and skip addresses without points', () => {
    const rows = dayPoints(DAY, positions, PRICES, links, config);

    expect(rows.map((r) => r.address)).toEqual([ALICE, BOB, CAROL].sort());
    const alice = rows.find((r) => r.address === ALICE);
    expect(alice).toMatchObject({ epoch: 2, own: points(3000), referral: points(1500), total: points(4500) });
    const bob = rows.find((r) => r.address === BOB);
    expect(bob).toMatchObject({ base: points(15000), boost: ppm(2), own: points(30000), referral: 0n, total: points(30000) });
  });

  test('a re-run of the day with the same snapshot in another order gives identical rows', () => {
    const first = dayPoints(DAY, positions, PRICES, links, config);

    const rerun = dayPoints(DAY, [...positions].reverse(), new Map([...PRICES].reverse()), [...links], config);

    expect(rerun).toEqual(first);
    expect(epochTotals([rerun])).toEqual(epochTotals([first]));
  });

  test('a day outside every epoch records nothing', () => {
    expect(dayPoints('2025-01-05', positions, PRICES, links, config)).toEqual([]);
  });

  test('epoch totals add the days of an epoch per address', () => {
    const days = calendar.days(2).map((day) => dayPoints(day, positions, PRICES, links, config));

    const totals = epochTotals(days);

    expect(totals.get(ALICE)).toBe(points(4500) * 7n);
    expect(totals.get(BOB)).toBe(points(30000) * 7n);
  });
});

describe('epoch calendar', () => {
  test('weekly epochs from genesis: first and last day of an epoch, and the day after', () => {
    expect(calendar.epochOf('2025-01-05')).toBeUndefined();
    expect(calendar.epochOf('2025-01-06')).toBe(1);
    expect(calendar.epochOf('2025-01-12')).toBe(1);
    expect(calendar.epochOf('2025-01-13')).toBe(2);
    expect(calendar.range(2)).toEqual({ epoch: 2, start: '2025-01-13', end: '2025-01-19' });
    expect(calendar.days(1)).toHaveLength(7);
  });

  test('a programme with a set number of epochs ends after the last one', () => {
    const short = new EpochCalendar({ genesis: '2024-02-26', lengthDays: 3, first: 4, count: 2 });

    expect(short.epochOf('2024-02-29')).toBe(5);
    expect(short.epochOf('2024-03-03')).toBeUndefined();
    expect(() => short.range(6)).toThrow('no epoch 6');
    expect(short.startedBy('2030-01-01').map((e) => e.epoch)).toEqual([4, 5]);
  });

  test('started epochs and whether one is over', () => {
    expect(calendar.startedBy('2025-01-05')).toEqual([]);
    expect(calendar.startedBy('2025-01-13').map((e) => e.epoch)).toEqual([1, 2]);
    expect(calendar.isOver(1, '2025-01-12')).toBe(false);
    expect(calendar.isOver(1, '2025-01-13')).toBe(true);
  });

  test('days are checked calendar dates', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(() => calendar.epochOf('2025-02-30')).toThrow('not a calendar day');
    expect(() => calendar.epochOf('15/01/2025')).toThrow('not a day');
  });
});

describe('points config', () => {
  test('the default config has the published multipliers, tiers and share', () => {
    expect(config.multipliers.hold).toBe(ppm(3));
    expect(config.multipliers.stake).toBe(ppm(15));
    expect(config.boostTiers.map((t) => [t.minRatio, t.boost])).toEqual([
      [0n, ppm(1)],
      [ppm('0.01'), ppm('1.2')],
      [ppm('0.05'), ppm('1.5')],
      [ppm('0.1'), ppm(2)],
    ]);
    expect(config.referralShare).toBe(ppm('0.1'));
    expect(MICRO).toBe(1_000_000n);
  });

  test('badly ordered tiers, a tier under 1x, a share above 1 and too many decimals are refused', () => {
    const bad = (patch: object) => () => parsePointsConfig({ ...DEFAULT_POINTS_CONFIG_INPUT, ...patch });

    expect(bad({ boostTiers: [{ minRatio: '0.01', boost: 1 }] })).toThrow('first tier must start at ratio 0');
    expect(bad({ boostTiers: [{ minRatio: 0, boost: 1 }, { minRatio: 0, boost: 2 }] })).toThrow('strictly ascending');
    expect(bad({ boostTiers: [{ minRatio: 0, boost: '0.5' }] })).toThrow('at least 1');
    expect(bad({ referralShare: '1.5' })).toThrow('at most 1');
    expect(bad({ referralShare: '0.0000001' })).toThrow('more than 6 decimals');
    expect(bad({ epochs: { genesis: '2025-13-01', lengthDays: 7 } })).toThrow('not a calendar day');
  });
});
