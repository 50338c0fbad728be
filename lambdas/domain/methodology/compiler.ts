import { TOKEN_MIGRATIONS, type TokenMigration, findMigration } from '../market/migrations';
import { ASSET_CLASSIFICATION, type AssetClassification, findDerivative, findPegged } from './classification';
import { MethodologyError } from './errors';
import type { AssetObservation, CompiledIndex, Constituent, Exclusion, IndexMethodology, UniverseSnapshot } from './types';
import { assertValidMethodology } from './validate';
import { BPS_SCALE, WAD_SCALE, equalWeights, floorCapMarketCapWeights, toIntegerWeights } from './weights';

export interface CompileOptions {
  /** The constituents before this rebalance; the turnover buffer favours them. */
  readonly incumbents?: readonly string[];
  /** Pegged/derivative reference data (default: ASSET_CLASSIFICATION). */
  readonly classification?: AssetClassification;
  /** Token swaps (default: TOKEN_MIGRATIONS): an incumbent swapped into another token passes its incumbency on. */
  readonly migrations?: readonly TokenMigration[];
}

interface Candidate {
  readonly asset: AssetObservation;
  readonly marketCapUsd: number;
  readonly incumbent: boolean;
  /** Meets the full entry thresholds (not only the incumbents' relaxed ones). */
  readonly meetsEntry: boolean;
}

/**
 * Market-cap order used everywhere: larger cap first; equal caps are ordered by symbol (code-point
 * order), so the result never depends on the order of the input rows.
 */
export function byMarketCapThenSymbol(a: { marketCapUsd: number | null; symbol: string }, b: { marketCapUsd: number | null; symbol: string }): number {
  const capA = a.marketCapUsd ?? Number.NEGATIVE_INFINITY;
  const capB = b.marketCapUsd ?? Number.NEGATIVE_INFINITY;
  if (capA !== capB) return capB - capA;
  return a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0;
}

const formatUsd = (value: number): string =>
  value >= 1e9 ? `$${(value / 1e9).toFixed(2)}B` : value >= 1e6 ? `$${(value / 1e6).toFixed(1)}M` : `$${value.toFixed(0)}`;

/**
 * Applies a methodology to one market snapshot: universe filters, thresholds, selection with the
 * turnover buffer, weights. Every snapshot asset that is not a constituent gets exactly one
 * exclusion (the first rule it failed, in this order: market cap present, duplicate symbol,
 * stablecoin, derivative, custody, sector, market-cap threshold, volume threshold, selection),
 * and incumbents missing from the snapshot are reported as `missing-from-snapshot`.
 *
 * @throws MethodologyError `invalid-methodology` for a bad config, `insufficient-constituents`
 *   when fewer than `selection.minConstituents` assets qualify.
 */
export function compileIndex(methodology: IndexMethodology, snapshot: UniverseSnapshot, options: CompileOptions = {}): CompiledIndex {
  assertValidMethodology(methodology);
  const classification = options.classification ?? ASSET_CLASSIFICATION;
  const migrations = options.migrations ?? TOKEN_MIGRATIONS;
  const listed = new Set(snapshot.assets.map((asset) => asset.symbol));
  const incumbents = new Set(options.incumbents ?? []);
  const migratedFrom = new Map<string, TokenMigration>();
  for (const symbol of options.incumbents ?? []) {
    const migration = listed.has(symbol) ? undefined : findMigration(symbol, migrations);
    if (migration && listed.has(migration.to)) {
      incumbents.add(migration.to);
      migratedFrom.set(symbol, migration);
    }
  }
  const { universe, selection, weighting } = methodology;
  const custody = new Set(universe.custodySupported);
  const sector = universe.sector ? { id: universe.sector.id, symbols: new Set(universe.sector.symbols) } : undefined;
  const retention = selection.buffer?.thresholdRetentionRatio ?? 1;
  const exclusions: Exclusion[] = [];
  const notes: string[] = [];
  const exclude = (asset: AssetObservation, reason: Exclusion['reason'], detail: string): void => {
    exclusions.push({ symbol: asset.symbol, name: asset.name, marketCapUsd: asset.marketCapUsd ?? null, reason, detail });
  };

  // One row per symbol: the larger market cap wins (then the name, for determinism).
  const bySymbol = new Map<string, AssetObservation>();
  const duplicates: AssetObservation[] = [];
  for (const asset of snapshot.assets) {
    const other = bySymbol.get(asset.symbol);
    if (!other) {
      bySymbol.set(asset.symbol, asset);
      continue;
    }
    const keepNew = (asset.marketCapUsd ?? -1) > (other.marketCapUsd ?? -1) || ((asset.marketCapUsd ?? -1) === (other.marketCapUsd ?? -1) && asset.name < other.name);
    duplicates.push(keepNew ? other : asset);
    if (keepNew) bySymbol.set(asset.symbol, asset);
  }

  const candidates: Candidate[] = [];
  for (const asset of bySymbol.values()) {
    const marketCap = asset.marketCapUsd;
    const incumbent = incumbents.has(asset.symbol);
    if (marketCap === null || marketCap === undefined || !Number.isFinite(marketCap) || marketCap <= 0) {
      exclude(asset, 'invalid-market-cap', 'no positive market cap in the snapshot');
      continue;
    }
    if (universe.excludeStablecoins) {
      const pegged = findPegged(classification, asset.symbol, asset.name);
      if (pegged) {
        exclude(asset, 'stablecoin', pegged.peg === 'gold' ? 'gold-backed token' : `${pegged.peg} stablecoin`);
        continue;
      }
    }
    if (universe.excludeDerivatives) {
      const derivative = findDerivative(classification, asset.symbol, asset.name);
      if (derivative) {
        exclude(asset, 'derivative', `${derivative.kind} ${derivative.underlying}`);
        continue;
      }
    }
    if (!custody.has(asset.symbol)) {
      exclude(asset, 'custody-unsupported', 'not on the custody-supported list');
      continue;
    }
    if (sector && !sector.symbols.has(asset.symbol)) {
      exclude(asset, 'outside-sector', `not in the ${sector.id} sector list`);
      continue;
    }
    const minCap = selection.minMarketCapUsd ?? 0;
    const minVolume = selection.minVolume24hUsd;
    const volume = asset.volume24hUsd ?? null;
    const capOk = (ratio: number): boolean => marketCap >= minCap * ratio;
    const volumeOk = (ratio: number): boolean => minVolume === undefined || (volume !== null && volume >= minVolume * ratio);
    const meetsEntry = capOk(1) && volumeOk(1);
    const meetsRetention = incumbent && capOk(retention) && volumeOk(retention);
    if (!meetsEntry && !meetsRetention) {
      if (!capOk(incumbent ? retention : 1)) {
        const threshold = minCap * (incumbent ? retention : 1);
        exclude(asset, 'below-market-cap-threshold', `market cap ${formatUsd(marketCap)} < ${formatUsd(threshold)}${incumbent ? ' (incumbent threshold)' : ''}`);
      } else {
        const threshold = (minVolume ?? 0) * (incumbent ? retention : 1);
        exclude(asset, 'below-volume-threshold', `24h volume ${volume === null ? 'unknown' : formatUsd(volume)} < ${formatUsd(threshold)}${incumbent ? ' (incumbent threshold)' : ''}`);
      }
      continue;
    }
    candidates.push({ asset, marketCapUsd: marketCap, incumbent, meetsEntry });
  }
  for (const asset of duplicates) exclude(asset, 'duplicate-symbol', `${asset.symbol} is listed twice on ${snapshot.date}; the larger market cap is used`);

  candidates.sort((a, b) => byMarketCapThenSymbol({ marketCapUsd: a.marketCapUsd, symbol: a.asset.symbol }, { marketCapUsd: b.marketCapUsd, symbol: b.asset.symbol }));
  const rankOf = new Map(candidates.map((candidate, index) => [candidate.asset.symbol, index + 1] as const));

  // Selection: incumbents inside the buffer first, then newcomers strictly by rank.
  const selected = new Set<string>();
  const count = selection.maxConstituents;
  const rankLimit = count === undefined ? Number.POSITIVE_INFINITY : count + (selection.buffer?.rank ?? 0);
  const retainedByBuffer = new Set<string>();
  if (count === undefined) {
    for (const candidate of candidates) selected.add(candidate.asset.symbol);
  } else {
    for (const candidate of candidates) {
      if (selected.size >= count) break;
      if (candidate.incumbent && (rankOf.get(candidate.asset.symbol) ?? Infinity) <= rankLimit) selected.add(candidate.asset.symbol);
    }
    for (const candidate of candidates) {
      if (selected.size >= count) break;
      if (!selected.has(candidate.asset.symbol) && candidate.meetsEntry) selected.add(candidate.asset.symbol);
    }
  }
  for (const candidate of candidates) {
    const symbol = candidate.asset.symbol;
    const rank = rankOf.get(symbol) ?? 0;
    if (selected.has(symbol)) {
      if (!candidate.meetsEntry || (count !== undefined && rank > count)) {
        retainedByBuffer.add(symbol);
        notes.push(
          `${symbol} kept by the turnover buffer (${!candidate.meetsEntry ? 'below the entry threshold, above the incumbent threshold' : `eligible rank ${rank}, buffer limit ${rankLimit}`})`,
        );
      }
      continue;
    }
    const why = !candidate.meetsEntry
      ? 'incumbent below the entry threshold and outside the rank buffer'
      : candidate.incumbent
        ? `eligible rank ${rank} > buffer limit ${rankLimit}`
        : count !== undefined && rank <= count
          ? `eligible rank ${rank} is within the top ${count}, but the places are held by incumbents inside the buffer`
          : `eligible rank ${rank}, ${count} places`;
    exclude(candidate.asset, 'not-selected', why);
  }
  for (const symbol of [...incumbents].sort()) {
    if (bySymbol.has(symbol)) continue;
    const migration = migratedFrom.get(symbol);
    const detail = migration
      ? `incumbent absent from the ${snapshot.date} snapshot; swapped into ${migration.to} (1 ${symbol} = ${migration.ratio} ${migration.to}), which inherits its incumbency`
      : `incumbent absent from the ${snapshot.date} snapshot; removed`;
    exclusions.push({ symbol, name: '', marketCapUsd: null, reason: 'missing-from-snapshot', detail });
  }

  const chosen = candidates.filter((candidate) => selected.has(candidate.asset.symbol));
  if (chosen.length < selection.minConstituents) {
    throw new MethodologyError(
      'insufficient-constituents',
      `${methodology.id} on ${snapshot.date}: ${chosen.length} eligible constituent(s), the methodology needs at least ${selection.minConstituents}`,
      { date: snapshot.date, eligible: chosen.map((candidate) => candidate.asset.symbol) },
    );
  }

  // Weights in market-cap order (the integer rounding's tie-break order), then listed by weight.
  const caps = chosen.map((candidate) => candidate.marketCapUsd);
  let weights: number[];
  if (weighting.scheme === 'equal') {
    weights = equalWeights(chosen.length);
  } else {
    const result = floorCapMarketCapWeights(caps, weighting.floor ?? 0, weighting.cap);
    weights = result.weights;
    if (!result.capFeasible && weighting.cap !== undefined) {
      notes.push(`cap ${weighting.cap} cannot be met with ${chosen.length} constituent(s); equal weights of ${(1 / chosen.length).toFixed(4)} used`);
    }
  }
  const bps = toIntegerWeights(weights, BPS_SCALE);
  const wad = toIntegerWeights(weights, WAD_SCALE);
  const constituents: Constituent[] = chosen.map((candidate, index) => ({
    symbol: candidate.asset.symbol,
    name: candidate.asset.name,
    marketCapUsd: candidate.marketCapUsd,
    eligibleRank: rankOf.get(candidate.asset.symbol) ?? 0,
    weight: weights[index],
    weightBps: Number(bps[index]),
    weightWad: wad[index],
    retainedByBuffer: retainedByBuffer.has(candidate.asset.symbol),
  }));
  constituents.sort((a, b) => b.weight - a.weight || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  exclusions.sort((a, b) => byMarketCapThenSymbol(a, b));
  return { indexId: methodology.id, methodologyVersion: methodology.version, date: snapshot.date, constituents, exclusions, notes };
}
