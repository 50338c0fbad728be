import { CUSTODY_SUPPORTED, DEFI_SECTOR, MEME_SECTOR } from './classification';
import { MethodologyError } from './errors';
import type { IndexMethodology } from './types';

/**
 * MAG7.ssi: the 7 largest assets by circulating market cap after excluding stablecoins, wrapped /
 * bridged / staked derivatives and assets without custody support; `w_i = 0.10 + 0.30 * cap_i / sum(cap)`.
 * Buffer: an incumbent stays while it ranks 8th or better (one place of buffer).
 */
export const MAG7: IndexMethodology = {
  id: 'MAG7.ssi',
  version: 1,
  name: 'SSI Magnificent 7',
  description: 'The 7 largest custody-supported crypto assets, 10% floor each plus 30% split by market cap.',
  universe: { excludeStablecoins: true, excludeDerivatives: true, custodySupported: CUSTODY_SUPPORTED },
  selection: { maxConstituents: 7, minConstituents: 7, buffer: { rank: 1 } },
  weighting: { scheme: 'market-cap', floor: 0.1 },
  rebalance: { frequency: 'monthly' },
};

/**
 * DEFI.ssi: the 10 largest DeFi assets with a market cap of at least $100M and a 24h volume of at
 * least $5M (the liquidity screen), market-cap weights capped at 30%. Buffer: incumbents stay while
 * ranked 12th or better and above half of each threshold.
 */
export const DEFI: IndexMethodology = {
  id: 'DEFI.ssi',
  version: 1,
  name: 'SSI DeFi',
  description: 'Large-cap, liquid DeFi protocol tokens, market-cap weights capped at 30%.',
  universe: {
    excludeStablecoins: true,
    excludeDerivatives: true,
    custodySupported: CUSTODY_SUPPORTED,
    sector: { id: 'defi', symbols: DEFI_SECTOR },
  },
  selection: {
    maxConstituents: 10,
    minConstituents: 4,
    minMarketCapUsd: 100_000_000,
    minVolume24hUsd: 5_000_000,
    buffer: { rank: 2, thresholdRetentionRatio: 0.5 },
  },
  weighting: { scheme: 'market-cap', cap: 0.3 },
  rebalance: { frequency: 'monthly' },
};

/**
 * MEME.ssi: every meme-sector asset with a market cap above $800M, market-cap weights capped at 30%
 * (with fewer than 4 constituents the cap cannot hold and weights are equal). Buffer: an incumbent
 * stays while above $600M (0.75 x the entry threshold). Needs at least 2 constituents to exist.
 */
export const MEME: IndexMethodology = {
  id: 'MEME.ssi',
  version: 1,
  name: 'SSI Meme',
  description: 'Meme-sector assets above $800M market cap, market-cap weights capped at 30%.',
  universe: {
    excludeStablecoins: true,
    excludeDerivatives: true,
    custodySupported: CUSTODY_SUPPORTED,
    sector: { id: 'meme', symbols: MEME_SECTOR },
  },
  selection: {
    minConstituents: 2,
    minMarketCapUsd: 800_000_000,
    buffer: { thresholdRetentionRatio: 0.75 },
  },
  weighting: { scheme: 'market-cap', cap: 0.3 },
  rebalance: { frequency: 'monthly' },
};

export const INDEX_METHODOLOGIES: readonly IndexMethodology[] = [MAG7, DEFI, MEME];

/**
 * Each index's whole backtest range over the market data: from the first date it can be compiled
 * (MEME.ssi needs two meme assets above $800M, first true in June 2021) to the data's last month.
 */
export const FULL_HISTORY: Readonly<Record<string, { readonly from: string; readonly to: string }>> = {
  [MAG7.id]: { from: '2020-01-01', to: '2025-10-01' },
  [DEFI.id]: { from: '2020-07-01', to: '2025-10-01' },
  [MEME.id]: { from: '2021-06-01', to: '2025-10-01' },
};

/** A methodology by its index symbol, case-insensitive (`mag7.ssi` works). */
export function findMethodology(id: string, methodologies: readonly IndexMethodology[] = INDEX_METHODOLOGIES): IndexMethodology | undefined {
  return methodologies.find((methodology) => methodology.id.toLowerCase() === id.trim().toLowerCase());
}

export function getMethodology(id: string, methodologies: readonly IndexMethodology[] = INDEX_METHODOLOGIES): IndexMethodology {
  const methodology = findMethodology(id, methodologies);
  if (!methodology) {
    throw new MethodologyError('unknown-index', `unknown index ${id}; known: ${methodologies.map((m) => m.id).join(', ')}`, { id });
  }
  return methodology;
}

/**
 * The same universe and selection (count, thresholds, buffer) with plain market-cap weights: the
 * benchmark that shows what the floor or cap does.
 */
export function marketCapVariant(methodology: IndexMethodology): IndexMethodology {
  return {
    ...methodology,
    id: `${methodology.id} (market-cap)`,
    name: `${methodology.name}, plain market-cap weights`,
    weighting: { scheme: 'market-cap' },
  };
}
