import path from 'node:path';
import { CsvFormatError, MarketData, ReplayPriceSource, addDays, daysBetween, isIsoDate, normalizeDate, parseCsv, parseCsvTable, parseDailyBars, parseMonthlySnapshots } from '../../../../lambdas/domain/market';
import { MarketDataError, loadMarketData, marketDataDir } from '../../../../lambdas/adapters/market-files';
import { dailyCsv, marketData, steps } from '../../../helpers/market';

describe('CSV parsing', () => {
  it('reads quoted fields holding commas, escaped quotes and line breaks', () => {
    // prepare
    const text = 'a,b,c\n"x, y","say ""hi""","two\nlines"\n';
    // act
    const rows = parseCsv(text);
    // assert
    expect(rows.map((row) => row.fields)).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'two\nlines'],
    ]);
  });

  it('accepts CRLF line ends, a byte-order mark, blank lines and empty values', () => {
    const rows = parseCsv('\ufeffa,b\r\n1,\r\n\r\n,2\r\n');
    expect(rows.map((row) => row.fields)).toEqual([
      ['a', 'b'],
      ['1', ''],
      ['', '2'],
    ]);
    expect(rows[2].line).toBe(4);
  });

  it('rejects an unterminated quoted field with its line number', () => {
    expect(() => parseCsv('a,b\n1,"open\n')).toThrow(CsvFormatError);
    expect(() => parseCsv('a,b\n1,"open\n')).toThrow(/line 2/);
  });

  it('names the missing columns of a table', () => {
    expect(() => parseCsvTable('date,close\n2021-01-01,1\n', ['date', 'symbol', 'close'], 'daily file')).toThrow(/missing column\(s\) symbol/);
  });
});

describe('date helpers', () => {
  it('normalises compact snapshot dates and rejects impossible dates', () => {
    expect(normalizeDate('20210301')).toBe('2021-03-01');
    expect(normalizeDate('2021-03-01')).toBe('2021-03-01');
    expect(normalizeDate('20210230')).toBeUndefined();
    expect(isIsoDate('2021-13-01')).toBe(false);
    expect(addDays('2020-02-28', 2)).toBe('2020-03-01');
    expect(daysBetween('2021-01-01', '2022-01-01')).toBe(365);
  });
});

describe('monthly snapshot file', () => {
  it('reads columns by header name in any order and keeps empty numbers as null with an issue', () => {
    // prepare: columns shuffled, one empty market cap, one quoted name with a comma
    const text = [
      'snapshot_date,Symbol,Name,Rank,Price,Market Cap,Circulating Supply,Volume (24h)',
      '20210201,BTC,Bitcoin,1,33000,615000000000,18600000,50000000000',
      '20210201,FOO,"Foo, Inc",2,1.5,,1000,',
      '20210101,BTC,Bitcoin,1,29000,540000000000,18580000,40000000000',
    ].join('\n');
    // act
    const parsed = parseMonthlySnapshots(text);
    // assert
    expect(parsed.snapshots.map((snapshot) => snapshot.date)).toEqual(['2021-01-01', '2021-02-01']);
    const foo = parsed.snapshots[1].assets.find((asset) => asset.symbol === 'FOO');
    expect(foo).toMatchObject({ name: 'Foo, Inc', marketCapUsd: null, volume24hUsd: null, priceUsd: 1.5 });
    expect(parsed.issues).toEqual([expect.objectContaining({ file: 'monthly', line: 3, problem: 'FOO on 2021-02-01: no market cap' })]);
  });

  it('skips a row with an unreadable date and says so', () => {
    const parsed = parseMonthlySnapshots('Rank,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24h),snapshot_date\n1,Bitcoin,BTC,1,1,1,1,2021-99-01\n');
    expect(parsed.snapshots).toEqual([]);
    expect(parsed.issues[0].problem).toMatch(/unreadable snapshot_date/);
  });
});

describe('daily OHLC file', () => {
  it('treats USDC pairs as USD, prefers the USD pair on the same day and skips other quotes and empty closes', () => {
    // prepare
    const text = [
      'date,symbol,base,open,high,low,close,volume',
      '2021-01-01,EURC/USDC,EURC,1.2,1.2,1.2,1.21,5',
      '2021-01-01,EURC/USD,EURC,1.2,1.2,1.2,1.22,5',
      '2021-01-02,EURC/USDC,EURC,1.2,1.2,1.2,1.23,5',
      '2021-01-01,BTC/EUR,BTC,1,1,1,24000,5',
      '2021-01-01,BTC/USD,,1,1,1,,5',
      '2021-01-02,BTC/USD,,1,1,1,29500,5',
    ].join('\n');
    // act
    const parsed = parseDailyBars(text);
    // assert
    const closes = Object.fromEntries(parsed.bars.map((bar) => [`${bar.symbol} ${bar.date}`, bar.close]));
    expect(closes).toEqual({ 'EURC 2021-01-01': 1.22, 'EURC 2021-01-02': 1.23, 'BTC 2021-01-02': 29500 });
    expect(parsed.issues.map((issue) => issue.problem)).toEqual([
      expect.stringMatching(/EURC on 2021-01-01: duplicate bar/),
      expect.stringMatching(/quote currency EUR is not USD/),
      expect.stringMatching(/BTC on 2021-01-01: no usable close/),
    ]);
  });
});

describe('MarketData index', () => {
  it('looks up daily closes by symbol and date, and a duplicated snapshot symbol by its larger market cap', () => {
    const data = marketData(
      {
        '2021-01-01': [
          { symbol: 'BTC', cap: 500, price: 10 },
          { symbol: 'BNX', name: 'BinaryX (old)', cap: 5, price: 1 },
          { symbol: 'BNX', name: 'BinaryX', cap: 7, price: 2 },
        ],
      },
      dailyCsv('2021-01-01', '2021-01-03', { BTC: steps({ '2021-01-01': 10, '2021-01-03': 12 }) }),
    );
    expect(data.dailyClose('BTC', '2021-01-03')).toBe(12);
    expect(data.dailyClose('BTC', '2021-01-04')).toBeUndefined();
    expect(data.snapshotAsset('BNX', '2021-01-01')?.name).toBe('BinaryX');
    expect(data.snapshotMarketCapFloor('2021-01-01')).toBe(5);
    expect(data.coverage()).toEqual({ firstSnapshot: '2021-01-01', lastSnapshot: '2021-01-01', firstDaily: '2021-01-01', lastDaily: '2021-01-03' });
    expect(data.dailyCoverage('BTC')).toEqual({ first: '2021-01-01', last: '2021-01-03', days: 3 });
  });
});

describe('ReplayPriceSource', () => {
  // BTC has daily closes; ALT only monthly snapshot prices; GONE drops out of the top list in March.
  const data = marketData(
    {
      '2021-01-01': [
        { symbol: 'BTC', cap: 1000, price: 100 },
        { symbol: 'ALT', cap: 200, price: 2 },
        { symbol: 'GONE', cap: 50, price: 5 },
      ],
      '2021-02-01': [
        { symbol: 'BTC', cap: 1100, price: 111 },
        { symbol: 'ALT', cap: 300, price: 3 },
        { symbol: 'GONE', cap: 40, price: 4 },
      ],
      '2021-03-01': [
        { symbol: 'BTC', cap: 1200, price: 120 },
        { symbol: 'ALT', cap: 30, price: 0.3 },
      ],
    },
    dailyCsv('2021-01-01', '2021-03-10', { BTC: steps({ '2021-01-01': 100, '2021-02-01': 110, '2021-03-01': 120 }), DAILYONLY: steps({ '2021-01-01': 7 }, '2021-01-05') }),
  );
  const prices = new ReplayPriceSource(data, { maxCarryDays: 40 });

  it('prefers the daily close over the snapshot price on the same day', () => {
    expect(prices.priceAt('BTC', '2021-02-01')).toEqual({ symbol: 'BTC', date: '2021-02-01', priceUsd: 110, source: 'daily-close', observedOn: '2021-02-01', ageDays: 0 });
  });

  it('uses the snapshot price on a snapshot date without a daily close', () => {
    expect(prices.priceAt('ALT', '2021-02-01')).toMatchObject({ priceUsd: 3, source: 'snapshot', ageDays: 0 });
  });

  it('carries the last observation forward between snapshots and says how stale it is', () => {
    expect(prices.priceAt('ALT', '2021-01-20')).toMatchObject({ priceUsd: 2, source: 'carried', observedOn: '2021-01-01', ageDays: 19 });
  });

  it('refuses to carry a price beyond the carry limit', () => {
    expect(prices.priceAt('DAILYONLY', '2021-02-14')).toMatchObject({ source: 'carried', ageDays: 40 });
    expect(prices.priceAt('DAILYONLY', '2021-02-15')).toBeUndefined();
  });

  it('does not treat a symbol that was never in a snapshot as dropped out', () => {
    expect(prices.priceAt('DAILYONLY', '2021-02-02')).toMatchObject({ priceUsd: 7, source: 'carried' });
  });

  it('bounds the price of an asset that fell out of the snapshot by the smallest listed market cap over its supply', () => {
    // GONE: last seen 2021-02-01 at 4 with supply 40 / 4 = 10; the March snapshot's smallest cap is 30.
    const point = prices.priceAt('GONE', '2021-03-01');
    expect(point).toMatchObject({ source: 'dropout-bound', observedOn: '2021-02-01', ageDays: 28 });
    expect(point?.priceUsd).toBeCloseTo(30 / 10, 12);
  });

  it('keeps the last price when it is already below the dropout bound', () => {
    const cheap = marketData(
      {
        '2021-01-01': [
          { symbol: 'BIG', cap: 1000, price: 1 },
          { symbol: 'LOW', cap: 10, price: 0.01 },
        ],
        '2021-02-01': [{ symbol: 'BIG', cap: 900, price: 0.9 }],
      },
      dailyCsv('2021-01-01', '2021-02-01', {}),
    );
    expect(new ReplayPriceSource(cheap).priceAt('LOW', '2021-02-01')).toMatchObject({ priceUsd: 0.01, source: 'dropout-bound' });
  });

  it('values a symbol that vanished through a token swap at the successor price x the swap ratio', () => {
    // prepare: OLD is swapped 1:100 into NEW; NEW is listed from March only.
    const swapped = marketData(
      {
        '2021-01-01': [
          { symbol: 'BIG', cap: 1000, price: 1 },
          { symbol: 'OLD', cap: 100, price: 2 },
        ],
        '2021-02-01': [{ symbol: 'BIG', cap: 1000, price: 1 }],
        '2021-03-01': [
          { symbol: 'BIG', cap: 1000, price: 1 },
          { symbol: 'NEW', cap: 150, price: 0.03 },
        ],
      },
      dailyCsv('2021-01-01', '2021-03-01', {}),
    );
    const source = new ReplayPriceSource(swapped, { migrations: [{ from: 'OLD', to: 'NEW', ratio: 100, effective: '2021-01-15' }] });
    // act + assert: no successor price yet -> carried, not a collapse; then NEW x 100.
    expect(source.priceAt('OLD', '2021-02-01')).toMatchObject({ priceUsd: 2, source: 'carried', observedOn: '2021-01-01' });
    expect(source.priceAt('OLD', '2021-03-01')?.source).toBe('migrated');
    expect(source.priceAt('OLD', '2021-03-01')?.priceUsd).toBeCloseTo(3, 12);
  });

  it('has no price before the first observation', () => {
    expect(prices.priceAt('BTC', '2020-12-31')).toBeUndefined();
    expect(prices.priceAt('UNKNOWN', '2021-02-01')).toBeUndefined();
  });
});

describe('market data location', () => {
  it('uses SSI_MARKET_DATA_DIR when set, else ../shared/data/market beside the repository', () => {
    expect(marketDataDir({ SSI_MARKET_DATA_DIR: '/tmp/somewhere' })).toBe('/tmp/somewhere');
    expect(marketDataDir({})).toBe(path.resolve(__dirname, '../../../../../shared/data/market'));
  });

  it('fails with the file it looked for and how to point elsewhere', () => {
    expect(() => loadMarketData('/nonexistent/market')).toThrow(MarketDataError);
    expect(() => loadMarketData('/nonexistent/market')).toThrow(/SSI_MARKET_DATA_DIR/);
  });

  it('loads and indexes the real files once, quickly (about 0.5 s on a quiet machine; the bound only catches a pathological slowdown)', () => {
    // act
    const started = Date.now();
    const data = loadMarketData();
    const elapsed = Date.now() - started;
    // assert
    expect(data).toBeInstanceOf(MarketData);
    expect(data.snapshotDates()).toHaveLength(70);
    expect(data.snapshot('2021-01-01')?.assets).toHaveLength(200);
    expect(data.dailyClose('BTC', '2021-01-01')).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(30_000);
    expect(loadMarketData()).toBe(data);
  });

  it('finds the daily close and the snapshot price of the same day in agreement, which the backtest relies on', () => {
    const agreement = loadMarketData().priceAgreement(0.2);
    expect(agreement.pairs).toBeGreaterThan(1000);
    expect(agreement.medianGap).toBeLessThan(0.01);
    expect(agreement.mismatches).toEqual([]);
  });

  it('flags a pair of prices that disagree, as a reused symbol would', () => {
    const data = marketData({ '2021-01-01': [{ symbol: 'REUSED', cap: 10, price: 1 }] }, dailyCsv('2021-01-01', '2021-01-01', { REUSED: () => 3 }));
    expect(data.priceAgreement(0.2)).toEqual({ pairs: 1, medianGap: 2, mismatches: [{ symbol: 'REUSED', date: '2021-01-01', close: 3, snapshotPrice: 1 }] });
  });
});
