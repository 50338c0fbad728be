import type { IsoDate } from '../market/dates';

/**
 * An index methodology as data. A new index is a new value of this type (see indexes.ts), not new
 * code: the compiler reads the universe filter, the selection rule, the weighting rule and the
 * schedule from here.
 */
export interface IndexMethodology {
  /** The index token symbol, e.g. `MAG7.ssi`. */
  readonly id: string;
  /** Bumped whenever a rule changes, so a compiled basket names the rules it came from. */
  readonly version: number;
  readonly name: string;
  readonly description: string;
  readonly universe: UniverseFilter;
  readonly selection: SelectionRule;
  readonly weighting: WeightingRule;
  readonly rebalance: RebalanceSchedule;
}

/** Which assets may be considered at all. Each exclusion is recorded with its reason. */
export interface UniverseFilter {
  /** Exclude fiat-pegged stablecoins and other pegged tokens (gold tokens). */
  readonly excludeStablecoins: boolean;
  /** Exclude wrapped, bridged and staked derivatives of another asset. */
  readonly excludeDerivatives: boolean;
  /** Symbols the custodian supports; anything else is excluded. */
  readonly custodySupported: readonly string[];
  /** When set, only assets in this sector list are eligible (e.g. the DeFi or meme list). */
  readonly sector?: SectorList;
}

export interface SectorList {
  readonly id: string;
  readonly symbols: readonly string[];
}

export interface SelectionRule {
  /** Keep at most this many, the largest by market cap (omit: every eligible asset). */
  readonly maxConstituents?: number;
  /** Fewer eligible assets than this and the index cannot be compiled. */
  readonly minConstituents: number;
  /** Entry threshold on circulating market cap (USD). */
  readonly minMarketCapUsd?: number;
  /** Entry threshold on 24h volume (USD), the liquidity screen. */
  readonly minVolume24hUsd?: number;
  /** Turnover buffer for incumbents (the constituents before this rebalance). */
  readonly buffer?: TurnoverBuffer;
}

/**
 * Incumbents are kept while they are still reasonably in: an incumbent stays if its rank among
 * eligible assets is within `maxConstituents + rank`, and it only has to meet
 * `thresholdRetentionRatio` x each entry threshold (market cap and volume). Newcomers fill the
 * remaining places strictly by rank and must meet the full thresholds.
 */
export interface TurnoverBuffer {
  readonly rank?: number;
  readonly thresholdRetentionRatio?: number;
}

/**
 * Market-cap weights with an optional floor and cap:
 * `w_i = floor + (1 - n * floor) * s_i`, where `s` is the market-cap share, capped so that no
 * `w_i` exceeds `cap` (iterative capping with the excess redistributed by market cap).
 * MAG7: floor 0.10, n = 7, so `w_i = 0.10 + 0.30 * cap_i / sum(cap)`.
 */
export type WeightingRule =
  | { readonly scheme: 'market-cap'; readonly floor?: number; readonly cap?: number }
  | { readonly scheme: 'equal' };

/** Rebalances happen at the close of the first day of each period (the snapshot date). */
export interface RebalanceSchedule {
  readonly frequency: 'monthly' | 'quarterly';
  /**
   * Days from the selection date to the trade date (default 0). The selection date is the scheduled
   * date: its snapshot (closing market caps, volumes and prices of that day) selects the constituents
   * and sets the weights. The basket trades at the closing prices of the trade date, selection date +
   * `tradeLagDays`; until then the previous basket is held. At most 27, so a trade always falls
   * before the next selection.
   */
  readonly tradeLagDays?: number;
}

/** What the compiler reads: one asset of a market snapshot (a `SnapshotAsset` fits). */
export interface AssetObservation {
  readonly symbol: string;
  readonly name: string;
  readonly marketCapUsd: number | null;
  readonly volume24hUsd?: number | null;
  readonly rank?: number | null;
}

export interface UniverseSnapshot {
  readonly date: IsoDate;
  readonly assets: readonly AssetObservation[];
}

export type ExclusionReason =
  | 'invalid-market-cap'
  | 'duplicate-symbol'
  | 'stablecoin'
  | 'derivative'
  | 'custody-unsupported'
  | 'outside-sector'
  | 'below-market-cap-threshold'
  | 'below-volume-threshold'
  | 'not-selected'
  | 'missing-from-snapshot';

/** Why an asset of the snapshot (or a former constituent) is not in the index: one reason each, the first rule it failed. */
export interface Exclusion {
  readonly symbol: string;
  readonly name: string;
  readonly marketCapUsd: number | null;
  readonly reason: ExclusionReason;
  readonly detail: string;
}

export interface Constituent {
  readonly symbol: string;
  readonly name: string;
  readonly marketCapUsd: number;
  /** 1-based rank by market cap among the eligible assets. */
  readonly eligibleRank: number;
  /** Target weight; the weights sum to 1 within float rounding. */
  readonly weight: number;
  /** Integer basis points; they sum to exactly 10 000. */
  readonly weightBps: number;
  /** Weight scaled by 1e18; they sum to exactly 1e18. */
  readonly weightWad: bigint;
  /** True when the constituent stays only because of the turnover buffer. */
  readonly retainedByBuffer: boolean;
}

export interface CompiledIndex {
  readonly indexId: string;
  readonly methodologyVersion: number;
  readonly date: IsoDate;
  /** In descending weight order (ties by symbol). */
  readonly constituents: readonly Constituent[];
  readonly exclusions: readonly Exclusion[];
  /** Things an auditor should know, e.g. a cap that could not be met with this few constituents. */
  readonly notes: readonly string[];
}
