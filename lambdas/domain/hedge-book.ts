/**
 * The hedge book behind USSI as the protocol sees it: a port any perpetual-futures venue adapter
 * implements (the HTTP adapter in lambdas/ussi/hedge-book-http.ts speaks the venue API the local
 * simulator, infra/local/perp-venue.ts, serves), and the pure valuation of what it reports.
 *
 * Units: USD amounts and prices are 18-decimal fixed point (1e18 = 1 USD); position sizes are
 * 18-decimal base units, negative for a short. Everything crosses the wire as decimal strings.
 */
import type { HedgeBook } from './ussi-nav';

/** One perpetual position. */
export interface PerpPosition {
  /** The venue's market, e.g. "BTC-PERP". */
  market: string;
  /** Base units (18 decimals); negative = short (the hedge of spot held in the hedge vault). */
  size: bigint;
  /** Average entry price, USD (18 decimals). */
  entryPrice: bigint;
  /** Mark price now, USD (18 decimals). */
  markPrice: bigint;
}

/** What the venue reports about the hedge account at `asOf`. */
export interface HedgeBookSnapshot {
  /** Unix seconds the snapshot describes. */
  asOf: bigint;
  /** Cash collateral and spot held for the hedge, at mark (USD). */
  collateralUsd: bigint;
  positions: PerpPosition[];
  /** Funding received (positive) or paid since inception (USD). */
  fundingUsd: bigint;
  /** Protocol fees accrued and not yet taken (USD). */
  feesUsd: bigint;
}

/** A payout the venue makes from the hedge account to a redeemer, keyed by the caller's id (idempotent). */
export interface PayoutRequest {
  /** The caller's idempotency key: the same id always names the same payout. */
  clientId: string;
  /** Recipient address on the settlement chain. */
  to: string;
  /** Stablecoin symbol, e.g. "USDC". */
  asset: string;
  /** Smallest units of `asset`. */
  amount: bigint;
}

export type PayoutState =
  | { clientId: string; status: 'pending' }
  | { clientId: string; status: 'sent'; txHash: string }
  | { clientId: string; status: 'failed'; reason: string };

/** The hedge-book port: positions, funding and P&L in, payouts out. */
export interface HedgeBookPort {
  snapshot(): Promise<HedgeBookSnapshot>;
  /** Asks for a payout; asking again with the same `clientId` returns the same payout's state. */
  requestPayout(request: PayoutRequest): Promise<PayoutState>;
  /** The state of the payout `clientId`; `undefined` when the venue has never seen it. */
  payout(clientId: string): Promise<PayoutState | undefined>;
}

const UNIT = 10n ** 18n;

/** Unrealized P&L of one position at its mark: size * (mark - entry), floored towards minus infinity for a loss. */
export function unrealizedPnl(position: PerpPosition): bigint {
  const product = position.size * (position.markPrice - position.entryPrice);
  // BigInt division truncates towards zero; a loss rounds away from the holders' favour (down).
  return product >= 0n ? product / UNIT : -((-product + UNIT - 1n) / UNIT);
}

/** The book `navFromBook` values: collateral, summed unrealized P&L, funding and fees. */
export function bookFromSnapshot(snapshot: HedgeBookSnapshot): HedgeBook {
  return {
    collateralUsd: snapshot.collateralUsd,
    unrealizedPnlUsd: snapshot.positions.reduce((sum, p) => sum + unrealizedPnl(p), 0n),
    fundingUsd: snapshot.fundingUsd,
    feesUsd: snapshot.feesUsd,
  };
}
