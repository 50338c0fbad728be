import fc from 'fast-check';
import {
  type AssetObservation,
  CUSTODY_SUPPORTED,
  DEFI,
  DEFI_SECTOR,
  type IndexMethodology,
  INDEX_METHODOLOGIES,
  MAG7,
  MEME,
  MEME_SECTOR,
  MethodologyError,
  cappedMarketCapShares,
  compileIndex,
  findMethodology,
  floorCapMarketCapWeights,
  getMethodology,
  marketCapVariant,
  methodologyProblems,
  nextRebalanceDate,
  rebalanceDates,
  toIntegerWeights,
} from '../../../../lambdas/domain/methodology';
import { loadMarketData } from '../../../../lambdas/adapters/market-files';

const asset = (symbol: string, marketCapUsd: number | null, extra: Partial<AssetObservation> = {}): AssetObservation => ({
  symbol,
  name: extra.name ?? symbol,
  marketCapUsd,
  volume24hUsd: extra.volume24hUsd ?? 1e9,
});

const B = 1e9;

/** A top of the market with one of each thing MAG7 must skip, largest first. */
const MAG7_UNIVERSE: AssetObservation[] = [
  asset('BTC', 1000 * B, { name: 'Bitcoin' }),
  asset('ETH', 400 * B, { name: 'Ethereum' }),
  asset('USDT', 100 * B, { name: 'Tether' }),
  asset('BNB', 80 * B, { name: 'BNB' }),
  asset('WBTC', 60 * B, { name: 'Wrapped Bitcoin' }),
  asset('SOL', 50 * B, { name: 'Solana' }),
  asset('STETH', 45 * B, { name: 'Lido Staked ETH' }),
  asset('LEO', 40 * B, { name: 'UNUS SED LEO' }),
  asset('XRP', 30 * B, { name: 'XRP' }),
  asset('BTCB', 25 * B, { name: 'Bitcoin BEP2' }),
  asset('ADA', 20 * B, { name: 'Cardano' }),
  asset('DOGE', 10 * B, { name: 'Dogecoin' }),
  asset('TRX', 9 * B, { name: 'TRON' }),
  asset('PAXG', 8 * B, { name: 'PAX Gold' }),
  asset('DOT', 5 * B, { name: 'Polkadot' }),
];
const snapshot = (assets: readonly AssetObservation[], date = '2024-01-01') => ({ date, assets });

describe('MAG7 weights', () => {
  it('gives each of the 7 largest eligible assets 10% plus 30% split by market cap, exactly as the formula says', () => {
    // act
    const compiled = compileIndex(MAG7, snapshot(MAG7_UNIVERSE));
    // assert
    const caps: Record<string, number> = { BTC: 1000, ETH: 400, BNB: 80, SOL: 50, XRP: 30, ADA: 20, DOGE: 10 };
    const total = Object.values(caps).reduce((sum, cap) => sum + cap, 0);
    expect(compiled.constituents.map((c) => c.symbol)).toEqual(['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'DOGE']);
    for (const constituent of compiled.constituents) {
      expect(constituent.weight).toBeCloseTo(0.1 + (0.3 * caps[constituent.symbol]) / total, 15);
    }
    expect(compiled.constituents.reduce((sum, c) => sum + c.weight, 0)).toBeCloseTo(1, 14);
  });

  it('never puts a constituent below the 10% floor, even a tiny one', () => {
    const universe = [asset('BTC', 10_000 * B), asset('ETH', 1 * B), asset('BNB', 1e6), asset('SOL', 1e6), asset('XRP', 1e6), asset('ADA', 1e6), asset('DOGE', 1e3)];
    const compiled = compileIndex(MAG7, snapshot(universe));
    expect(Math.min(...compiled.constituents.map((c) => c.weight))).toBeGreaterThanOrEqual(0.1);
    expect(compiled.constituents.find((c) => c.symbol === 'BTC')?.weight).toBeCloseTo(0.1 + 0.3 * (10_000 / 10_001.003001), 6);
  });

  it('publishes basis points and 1e18-scaled weights that sum exactly', () => {
    const compiled = compileIndex(MAG7, snapshot(MAG7_UNIVERSE));
    expect(compiled.constituents.reduce((sum, c) => sum + c.weightBps, 0)).toBe(10_000);
    expect(compiled.constituents.reduce((sum, c) => sum + c.weightWad, 0n)).toBe(10n ** 18n);
    for (const c of compiled.constituents) {
      expect(Math.abs(c.weightBps - c.weight * 10_000)).toBeLessThan(1);
    }
  });
});

describe('exclusions', () => {
  it('records why each larger asset is left out: stablecoin, gold token, wrapped, staked, bridged, no custody', () => {
    const compiled = compileIndex(MAG7, snapshot(MAG7_UNIVERSE));
    const reasons = Object.fromEntries(compiled.exclusions.map((e) => [e.symbol, `${e.reason}: ${e.detail}`]));
    expect(reasons).toEqual({
      USDT: 'stablecoin: USD stablecoin',
      WBTC: 'derivative: wrapped BTC',
      STETH: 'derivative: staked ETH',
      LEO: 'custody-unsupported: not on the custody-supported list',
      BTCB: 'derivative: bridged BTC',
      TRX: 'not-selected: eligible rank 8, 7 places',
      PAXG: 'stablecoin: gold-backed token',
      DOT: 'not-selected: eligible rank 9, 7 places',
    });
  });

  it('treats any "Wrapped/Bridged/Staked" name as a derivative even when the symbol is not listed', () => {
    const universe = [...MAG7_UNIVERSE, asset('SFOO', 900 * B, { name: 'Staked Foo' })];
    const compiled = compileIndex({ ...MAG7, universe: { ...MAG7.universe, custodySupported: [...CUSTODY_SUPPORTED, 'SFOO'] } }, snapshot(universe));
    expect(compiled.exclusions.find((e) => e.symbol === 'SFOO')).toMatchObject({ reason: 'derivative', detail: 'staked Foo' });
  });

  it('tells a reused symbol apart by name: the FRAX stablecoin is excluded, the FRAX governance token is not', () => {
    const oneIndex: IndexMethodology = { ...MAG7, selection: { maxConstituents: 1, minConstituents: 1 }, universe: { ...MAG7.universe, custodySupported: ['FRAX'] } };
    expect(() => compileIndex(oneIndex, snapshot([asset('FRAX', 1 * B, { name: 'Frax' })]))).toThrow(MethodologyError);
    const governance = compileIndex(oneIndex, snapshot([asset('FRAX', 1 * B, { name: 'Frax (prev. FXS)' })]));
    expect(governance.constituents.map((c) => c.symbol)).toEqual(['FRAX']);
  });

  it('excludes assets without a market cap and the smaller of two rows with the same symbol', () => {
    const universe = [...MAG7_UNIVERSE, asset('XRP', 1 * B, { name: 'XRP (old)' }), asset('NOCAP', null)];
    const compiled = compileIndex(MAG7, snapshot(universe));
    expect(compiled.exclusions.filter((e) => e.symbol === 'XRP')).toEqual([expect.objectContaining({ reason: 'duplicate-symbol', name: 'XRP (old)' })]);
    expect(compiled.exclusions.find((e) => e.symbol === 'NOCAP')?.reason).toBe('invalid-market-cap');
    expect(compiled.constituents.find((c) => c.symbol === 'XRP')?.marketCapUsd).toBe(30 * B);
  });

  it('accounts for every snapshot asset exactly once, as a constituent or an exclusion', () => {
    const compiled = compileIndex(MAG7, snapshot(MAG7_UNIVERSE));
    const seen = [...compiled.constituents.map((c) => c.symbol), ...compiled.exclusions.map((e) => e.symbol)].sort();
    expect(seen).toEqual(MAG7_UNIVERSE.map((a) => a.symbol).sort());
  });
});

describe('capped market-cap weights', () => {
  it('caps the largest and redistributes by market cap, capping again an asset the redistribution pushes over', () => {
    // prepare: 50/30/10/10, cap 30%. Round 1 caps A (0.5 -> 0.3), B rises to 0.7 * 30/50 = 0.42 > 0.3.
    // act
    const result = cappedMarketCapShares([50, 30, 10, 10], 0.3);
    // assert: round 2 caps B; C and D share the remaining 0.4 equally.
    expect(result.feasible).toBe(true);
    expect(result.capped).toEqual([0, 1]);
    result.weights.forEach((weight, i) => expect(weight).toBeCloseTo([0.3, 0.3, 0.2, 0.2][i], 15));
  });

  it('leaves weights untouched when nothing is over the cap', () => {
    const result = cappedMarketCapShares([25, 25, 25, 25], 0.3);
    expect(result.capped).toEqual([]);
    expect(result.weights).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('falls back to equal weights when the cap cannot be met with so few assets, and the compiler says so', () => {
    expect(cappedMarketCapShares([90, 10], 0.3)).toEqual({ weights: [0.5, 0.5], feasible: false, capped: [] });
    const compiled = compileIndex(MEME, snapshot([asset('DOGE', 40 * B), asset('SHIB', 5 * B)]));
    expect(compiled.constituents.map((c) => [c.symbol, c.weight])).toEqual([
      ['DOGE', 0.5],
      ['SHIB', 0.5],
    ]);
    expect(compiled.notes).toContain('cap 0.3 cannot be met with 2 constituent(s); equal weights of 0.5000 used');
  });

  it('applies MEME.ssi: meme assets above $800M only, no weight above 30%, the rest by market cap', () => {
    const universe = [asset('BTC', 1000 * B), asset('DOGE', 30 * B), asset('SHIB', 10 * B), asset('PEPE', 5 * B), asset('WIF', 3 * B), asset('BONK', 2 * B), asset('FLOKI', 0.7 * B)];
    const compiled = compileIndex(MEME, snapshot(universe));
    const weights = Object.fromEntries(compiled.constituents.map((c) => [c.symbol, c.weight]));
    // DOGE and SHIB capped at 0.3; PEPE/WIF/BONK share 0.4 by market cap (5:3:2).
    expect(Object.keys(weights).sort()).toEqual(['BONK', 'DOGE', 'PEPE', 'SHIB', 'WIF']);
    expect(weights.DOGE).toBeCloseTo(0.3, 15);
    expect(weights.SHIB).toBeCloseTo(0.3, 15);
    expect(weights.PEPE).toBeCloseTo(0.2, 15);
    expect(weights.WIF).toBeCloseTo(0.12, 15);
    expect(weights.BONK).toBeCloseTo(0.08, 15);
    expect(compiled.exclusions.find((e) => e.symbol === 'FLOKI')).toMatchObject({ reason: 'below-market-cap-threshold', detail: 'market cap $700.0M < $800.0M' });
    expect(compiled.exclusions.find((e) => e.symbol === 'BTC')?.reason).toBe('outside-sector');
  });

  it('keeps every weight under the cap, sums to 1, and keeps market-cap order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e12, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.double({ min: 0.02, max: 1, noNaN: true }), (caps, cap) => {
        fc.pre(caps.length * cap >= 1);
        const { weights, capped } = cappedMarketCapShares(caps, cap);
        expect(weights.reduce((sum, w) => sum + w, 0)).toBeCloseTo(1, 9);
        for (const w of weights) expect(w).toBeLessThanOrEqual(cap + 1e-12);
        for (let i = 0; i < caps.length; i += 1) {
          for (let j = 0; j < caps.length; j += 1) if (caps[i] > caps[j]) expect(weights[i]).toBeGreaterThanOrEqual(weights[j] - 1e-12);
        }
        // Uncapped weights stay proportional to market cap.
        const free = caps.map((_, i) => i).filter((i) => !capped.includes(i));
        if (free.length >= 2) expect(weights[free[0]] / caps[free[0]]).toBeCloseTo(weights[free[1]] / caps[free[1]], 6 - Math.log10(1 / (weights[free[1]] / caps[free[1]])));
      }),
      { numRuns: 300 },
    );
  });

  it('combines a floor and a cap: the floor first, the cap on the total', () => {
    const { weights } = floorCapMarketCapWeights([70, 20, 10], 0.1, 0.5);
    // remainder 0.7 split 0.7/0.2/0.1 gives 0.59 > 0.5: A capped at 0.5, B and C share 0.5 - 0.2 floors = 0.3 as 2:1.
    weights.forEach((w, i) => expect(w).toBeCloseTo([0.5, 0.3, 0.2][i], 15));
  });
});

describe('integer weights', () => {
  it('sums to exactly the scale and moves no weight by a whole unit (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1e-9, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }), (raw) => {
        const total = raw.reduce((sum, w) => sum + w, 0);
        const weights = raw.map((w) => w / total);
        for (const scale of [10_000n, 10n ** 18n]) {
          const ints = toIntegerWeights(weights, scale);
          expect(ints.reduce((sum, w) => sum + w, 0n)).toBe(scale);
          ints.forEach((w, i) => expect(Math.abs(Number(w) - weights[i] * Number(scale))).toBeLessThanOrEqual(1 + Number(scale) * 1e-12));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives leftover units to the largest remainders, ties to the earlier input', () => {
    expect(toIntegerWeights([1 / 3, 1 / 3, 1 / 3], 10_000n)).toEqual([3334n, 3333n, 3333n]);
    expect(toIntegerWeights([0.12346, 0.87654], 10_000n)).toEqual([1235n, 8765n]);
    expect(toIntegerWeights([0.25, 0.25, 0.5], 10n ** 18n)).toEqual([25n * 10n ** 16n, 25n * 10n ** 16n, 5n * 10n ** 17n]);
  });
});

describe('ties in market cap', () => {
  it('breaks a tie at the cut-off by symbol, whatever the order of the input rows', () => {
    // prepare: ZED and ABC tie for 7th place.
    const base = [asset('BTC', 100 * B), asset('ETH', 90 * B), asset('BNB', 80 * B), asset('SOL', 70 * B), asset('XRP', 60 * B), asset('ADA', 50 * B)];
    const tied = [asset('TRX', 5 * B), asset('DOT', 5 * B)];
    // act
    const forward = compileIndex(MAG7, snapshot([...base, ...tied]));
    const backward = compileIndex(MAG7, snapshot([...base, ...tied].reverse()));
    // assert
    expect(forward.constituents.map((c) => c.symbol)).toContain('DOT');
    expect(forward.constituents.map((c) => c.symbol)).not.toContain('TRX');
    expect(backward).toEqual(forward);
    expect(forward.exclusions.find((e) => e.symbol === 'TRX')?.detail).toBe('eligible rank 8, 7 places');
  });
});

describe('turnover buffer', () => {
  const ranked = (symbols: string[]) => symbols.map((symbol, i) => asset(symbol, (100 - i) * B));
  const SEVEN = ['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'DOGE'];

  it('keeps an incumbent that slipped to 8th (inside the 1-place buffer) and keeps the newcomer out', () => {
    // prepare: TRX overtakes DOGE, which slips to 8th.
    const universe = ranked(['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'TRX', 'DOGE', 'DOT']);
    // act
    const compiled = compileIndex(MAG7, snapshot(universe), { incumbents: SEVEN });
    // assert
    expect(compiled.constituents.map((c) => c.symbol).sort()).toEqual([...SEVEN].sort());
    expect(compiled.constituents.find((c) => c.symbol === 'DOGE')).toMatchObject({ retainedByBuffer: true, eligibleRank: 8 });
    expect(compiled.exclusions.find((e) => e.symbol === 'TRX')).toMatchObject({
      reason: 'not-selected',
      detail: 'eligible rank 7 is within the top 7, but the places are held by incumbents inside the buffer',
    });
    expect(compiled.notes).toContain('DOGE kept by the turnover buffer (eligible rank 8, buffer limit 8)');
  });

  it('replaces an incumbent that fell below the buffer (9th) with the best newcomer', () => {
    const universe = ranked(['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'TRX', 'DOT', 'DOGE']);
    const compiled = compileIndex(MAG7, snapshot(universe), { incumbents: SEVEN });
    expect(compiled.constituents.map((c) => c.symbol)).toContain('TRX');
    expect(compiled.constituents.map((c) => c.symbol)).not.toContain('DOGE');
    expect(compiled.exclusions.find((e) => e.symbol === 'DOGE')).toMatchObject({ reason: 'not-selected', detail: 'eligible rank 9 > buffer limit 8' });
  });

  it('without incumbents (first rebalance) picks strictly the top 7', () => {
    const universe = ranked(['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'TRX', 'DOGE']);
    expect(compileIndex(MAG7, snapshot(universe)).constituents.map((c) => c.symbol)).toContain('TRX');
  });

  it('lets a MEME incumbent stay above 0.75 x the $800M threshold while a newcomer of the same size stays out', () => {
    const universe = [asset('DOGE', 30 * B), asset('SHIB', 10 * B), asset('PEPE', 0.7 * B), asset('WIF', 0.7 * B)];
    const compiled = compileIndex(MEME, snapshot(universe), { incumbents: ['DOGE', 'SHIB', 'PEPE'] });
    expect(compiled.constituents.map((c) => c.symbol).sort()).toEqual(['DOGE', 'PEPE', 'SHIB']);
    expect(compiled.constituents.find((c) => c.symbol === 'PEPE')?.retainedByBuffer).toBe(true);
    expect(compiled.exclusions.find((e) => e.symbol === 'WIF')?.reason).toBe('below-market-cap-threshold');
  });

  it('drops a MEME incumbent below the incumbent threshold', () => {
    const universe = [asset('DOGE', 30 * B), asset('SHIB', 10 * B), asset('PEPE', 0.5 * B)];
    const compiled = compileIndex(MEME, snapshot(universe), { incumbents: ['DOGE', 'SHIB', 'PEPE'] });
    expect(compiled.exclusions.find((e) => e.symbol === 'PEPE')).toMatchObject({ reason: 'below-market-cap-threshold', detail: 'market cap $500.0M < $600.0M (incumbent threshold)' });
  });
});

describe('a constituent that disappears from the data between rebalances', () => {
  it('is reported as missing from the snapshot and replaced by the next eligible asset', () => {
    // prepare: LUNA was a constituent and is absent from the new snapshot.
    const incumbents = ['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'LUNA', 'ADA'];
    const universe = MAG7_UNIVERSE.filter((a) => a.symbol !== 'LUNA');
    // act
    const compiled = compileIndex(MAG7, snapshot(universe, '2022-06-01'), { incumbents });
    // assert
    expect(compiled.constituents.map((c) => c.symbol)).toEqual(['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'DOGE']);
    expect(compiled.exclusions.find((e) => e.symbol === 'LUNA')).toEqual({
      symbol: 'LUNA',
      name: '',
      marketCapUsd: null,
      reason: 'missing-from-snapshot',
      detail: 'incumbent absent from the 2022-06-01 snapshot; removed',
    });
  });
});

describe('a constituent swapped into another token', () => {
  it('passes its incumbency to the successor and says so', () => {
    // prepare: MATIC was a constituent; the snapshot now lists POL, ranked 8th.
    const incumbents = ['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'ADA', 'MATIC'];
    const universe = [...MAG7_UNIVERSE.filter((a) => a.symbol !== 'DOGE' && a.symbol !== 'TRX'), asset('TRX', 12 * B), asset('POL', 11 * B)];
    // act
    const compiled = compileIndex(MAG7, snapshot(universe), { incumbents });
    // assert
    expect(compiled.constituents.find((c) => c.symbol === 'POL')).toMatchObject({ retainedByBuffer: true, eligibleRank: 8 });
    expect(compiled.exclusions.find((e) => e.symbol === 'MATIC')?.detail).toBe(
      'incumbent absent from the 2024-01-01 snapshot; swapped into POL (1 MATIC = 1 POL), which inherits its incumbency',
    );
  });
});

describe('methodology configs', () => {
  it('ships MAG7.ssi, DEFI.ssi and MEME.ssi as valid data', () => {
    expect(INDEX_METHODOLOGIES.map((m) => m.id)).toEqual(['MAG7.ssi', 'DEFI.ssi', 'MEME.ssi']);
    for (const methodology of INDEX_METHODOLOGIES) expect(methodologyProblems(methodology)).toEqual([]);
    expect(MAG7.weighting).toEqual({ scheme: 'market-cap', floor: 0.1 });
    expect(MEME.selection.minMarketCapUsd).toBe(800_000_000);
    expect(DEFI.weighting).toEqual({ scheme: 'market-cap', cap: 0.3 });
  });

  it('lists every sector asset as custody-supported, so sector indexes are not emptied by the custody filter', () => {
    for (const symbol of [...DEFI_SECTOR, ...MEME_SECTOR]) expect(CUSTODY_SUPPORTED).toContain(symbol);
  });

  it('finds an index case-insensitively and refuses an unknown one with the known list', () => {
    expect(findMethodology('mag7.SSI')).toBe(MAG7);
    expect(() => getMethodology('TOP10.ssi')).toThrow('unknown index TOP10.ssi; known: MAG7.ssi, DEFI.ssi, MEME.ssi');
  });

  it('makes a new index from a config alone (equal-weight top 3, quarterly)', () => {
    const TOP3: IndexMethodology = {
      id: 'TOP3.ssi',
      version: 1,
      name: 'Top 3',
      description: 'Equal-weight top 3',
      universe: { excludeStablecoins: true, excludeDerivatives: true, custodySupported: CUSTODY_SUPPORTED },
      selection: { maxConstituents: 3, minConstituents: 3 },
      weighting: { scheme: 'equal' },
      rebalance: { frequency: 'quarterly' },
    };
    const compiled = compileIndex(TOP3, snapshot(MAG7_UNIVERSE));
    expect(compiled.constituents.map((c) => [c.symbol, c.weightBps])).toEqual([
      // Equal weights are listed by symbol; the leftover basis point goes to the largest market cap.
      ['BNB', 3333],
      ['BTC', 3334],
      ['ETH', 3333],
    ]);
  });

  it('derives the market-cap benchmark variant with the same selection and plain weights', () => {
    const variant = marketCapVariant(MAG7);
    const compiled = compileIndex(variant, snapshot(MAG7_UNIVERSE));
    expect(compiled.constituents.map((c) => c.symbol).sort()).toEqual(compileIndex(MAG7, snapshot(MAG7_UNIVERSE)).constituents.map((c) => c.symbol).sort());
    expect(compiled.constituents[0].weight).toBeCloseTo(1000 / 1590, 15);
  });

  it('explains what is wrong with a bad config', () => {
    const bad: IndexMethodology = {
      ...MAG7,
      selection: { maxConstituents: 12, minConstituents: 3, buffer: { rank: -1, thresholdRetentionRatio: 2 } },
      weighting: { scheme: 'market-cap', floor: 0.1, cap: 0.05 },
    };
    expect(methodologyProblems(bad)).toEqual([
      'selection.buffer.rank must be an integer >= 0',
      'selection.buffer.thresholdRetentionRatio must be in (0, 1]',
      'weighting.floor is above weighting.cap',
      'weighting.floor 0.1 x maxConstituents 12 exceeds 100%',
      'weighting.cap 0.05 can never be met with at most 12 constituents',
    ]);
    expect(() => compileIndex(bad, snapshot(MAG7_UNIVERSE))).toThrow(expect.objectContaining({ code: 'invalid-methodology' }));
  });

  it('refuses to compile with fewer eligible assets than the minimum', () => {
    const attempt = () => compileIndex(MAG7, snapshot(MAG7_UNIVERSE.slice(0, 8)));
    expect(attempt).toThrow(MethodologyError);
    expect(attempt).toThrow('MAG7.ssi on 2024-01-01: 4 eligible constituent(s), the methodology needs at least 7');
  });
});

describe('rebalance schedule', () => {
  it('lists monthly and quarterly dates in [from, to) and the next date after a day', () => {
    expect(rebalanceDates({ frequency: 'monthly' }, '2021-01-15', '2021-04-01')).toEqual(['2021-02-01', '2021-03-01']);
    expect(rebalanceDates({ frequency: 'quarterly' }, '2021-01-01', '2022-01-01')).toEqual(['2021-01-01', '2021-04-01', '2021-07-01', '2021-10-01']);
    expect(nextRebalanceDate({ frequency: 'monthly' }, '2021-12-01')).toBe('2022-01-01');
    expect(nextRebalanceDate({ frequency: 'quarterly' }, '2021-04-01')).toBe('2021-07-01');
  });
});

describe('compiling the real snapshots', () => {
  const data = loadMarketData();

  it('puts LUNA in MAG7 on 2022-05-01 and leaves the stablecoins out with their reason', () => {
    const compiled = compileIndex(MAG7, data.snapshot('2022-05-01')!);
    expect(compiled.constituents.map((c) => c.symbol)).toEqual(['BTC', 'ETH', 'BNB', 'SOL', 'XRP', 'LUNA', 'ADA']);
    expect(compiled.exclusions.filter((e) => ['USDT', 'USDC', 'UST', 'BUSD'].includes(e.symbol)).map((e) => e.reason)).toEqual(['stablecoin', 'stablecoin', 'stablecoin', 'stablecoin']);
  });

  it('compiles every index on the last snapshot with weights that respect floor and cap', () => {
    const last = data.snapshot('2025-10-01')!;
    const mag7 = compileIndex(MAG7, last);
    expect(mag7.constituents).toHaveLength(7);
    expect(Math.min(...mag7.constituents.map((c) => c.weight))).toBeGreaterThanOrEqual(0.1);
    for (const methodology of [DEFI, MEME]) {
      const compiled = compileIndex(methodology, last);
      expect(Math.max(...compiled.constituents.map((c) => c.weight))).toBeLessThanOrEqual(0.3 + 1e-12);
      expect(compiled.constituents.reduce((sum, c) => sum + c.weightBps, 0)).toBe(10_000);
    }
  });
});
