/**
 * USSI NAV updates: where the next NAV per USSI comes from (a NAV source), and whether and what to
 * publish given what the contract enforces (`USSI.publishNav`: at most `maxNavMoveBps` from the
 * previous NAV, at least `minNavInterval` after it). Pure: the scheduled Lambda reads the chain,
 * picks a source and sends the transaction through the relayer; everything it decides is here.
 *
 * All USD amounts and NAVs are 18-decimal fixed point (1e18 = 1 USD); supply is in USSI units.
 */
import { SsiError } from '../shared/errors';

export const NAV_UNIT = 10n ** 18n;
export const BPS = 10_000n;
const MAX_NAV = (1n << 128n) - 1n;

/** The contract's NAV state and the limits of an update (`USSI.nav()` and `USSI.settings()`). */
export interface OnChainNav {
  nav: bigint;
  /** Unix seconds of the last publication. */
  updatedAt: bigint;
  maxNavMoveBps: number;
  minNavInterval: number;
  maxNavAge: number;
}

/** What a NAV source says the NAV is. */
export interface NavReading {
  nav: bigint;
  /** Unix seconds the reading describes (e.g. the hedge venue's snapshot time). */
  asOf: bigint;
  /** The source's name, for logs and the audit trail. */
  source: string;
  /** Inputs behind the reading (as decimal strings), for logs. */
  detail?: Record<string, string>;
}

export interface NavSourceContext {
  previous: OnChainNav;
  /** USSI total supply (units). */
  supply: bigint;
  /** Unix seconds now. */
  now: bigint;
}

/** Where the next NAV comes from: the hedge book (lambdas/domain/hedge-book.ts; the perpetual-futures simulator locally). */
export interface NavSource {
  readonly name: string;
  read(context: NavSourceContext): Promise<NavReading>;
}

/** Raised when a reading cannot or must not be published; the scheduled run fails loudly with the code. */
export class NavUpdateError extends SsiError {
  constructor(message: string, code: 'nav_reading_invalid' | 'nav_reading_stale' | 'nav_move_too_large', details?: unknown) {
    super(message, 409, code, { details });
  }
}

/**
 * The hedge book behind USSI, in USD: the collateral (stablecoins and index tokens held for the
 * hedge, at mark), the unrealized P&L of the short legs, funding received (positive) or paid, and
 * fees accrued to the protocol (subtracted).
 */
export interface HedgeBook {
  collateralUsd: bigint;
  unrealizedPnlUsd: bigint;
  fundingUsd: bigint;
  feesUsd: bigint;
}

/** Equity of the book: what the USSI holders own together. */
export function bookEquity(book: HedgeBook): bigint {
  return book.collateralUsd + book.unrealizedPnlUsd + book.fundingUsd - book.feesUsd;
}

/**
 * NAV per USSI = equity / supply (floor). With no supply there is nothing to divide, so the NAV
 * stays where it is (`previousNav`). A non-positive equity is an error, never a NAV.
 */
export function navFromBook(book: HedgeBook, supply: bigint, previousNav: bigint): bigint {
  if (supply < 0n) throw new NavUpdateError(`supply must not be negative, got ${supply}`, 'nav_reading_invalid');
  if (supply === 0n) return previousNav;
  const equity = bookEquity(book);
  if (equity <= 0n) throw new NavUpdateError(`the hedge book's equity is ${equity}, not positive`, 'nav_reading_invalid', { equity: String(equity) });
  return (equity * NAV_UNIT) / supply;
}

/** A source that values the hedge book `readBook` returns (the production source: venue balances and positions). */
export function hedgeBookSource(readBook: (context: NavSourceContext) => Promise<{ book: HedgeBook; asOf: bigint }>): NavSource {
  return {
    name: 'hedge-book',
    async read(context) {
      const { book, asOf } = await readBook(context);
      return {
        nav: navFromBook(book, context.supply, context.previous.nav),
        asOf,
        source: 'hedge-book',
        detail: {
          collateralUsd: String(book.collateralUsd),
          unrealizedPnlUsd: String(book.unrealizedPnlUsd),
          fundingUsd: String(book.fundingUsd),
          feesUsd: String(book.feesUsd),
          supply: String(context.supply),
        },
      };
    },
  };
}

/** The largest move the contract accepts from `nav`: floor(nav * maxNavMoveBps / 10_000), as `USSI.publishNav`. */
export function maxNavMove(nav: bigint, maxNavMoveBps: number): bigint {
  return (nav * BigInt(maxNavMoveBps)) / BPS;
}

/** Port of the contract's checks: would `publishNav(nav)` succeed at `now`? */
export function canPublish(onChain: OnChainNav, nav: bigint, now: bigint): boolean {
  if (nav <= 0n || nav > MAX_NAV) return false;
  if (now < onChain.updatedAt + BigInt(onChain.minNavInterval)) return false;
  const move = nav > onChain.nav ? nav - onChain.nav : onChain.nav - nav;
  return move <= maxNavMove(onChain.nav, onChain.maxNavMoveBps);
}

export interface NavPlanOptions {
  /**
   * When the reading is further away than one update may move: `true` publishes the bounded step
   * towards it (the NAV converges over successive updates, and the plan says it was clamped so the
   * run can alarm); `false` refuses with `nav_move_too_large` for a human to look at.
   */
  clamp: boolean;
  /** Oldest a reading may be, in seconds (default 1 hour). */
  maxReadingAge?: number;
}

export type NavPlan =
  | {
      action: 'publish';
      /** What to send to `publishNav`. */
      nav: bigint;
      /** What the source said. */
      target: bigint;
      /** Whether `nav` is the bounded step towards `target` rather than `target` itself. */
      clamped: boolean;
      /** When the published NAV goes stale for applications if nothing follows it. */
      staleAt: bigint;
    }
  | {
      action: 'skip';
      reason: 'too-early';
      target: bigint;
      /** The first moment the contract accepts the next update. */
      retryAt: bigint;
    };

const DEFAULT_MAX_READING_AGE = 3600;

/**
 * Decides the next publication. An unchanged NAV is still published when allowed: each
 * publication refreshes `updatedAt`, which keeps applications open (`maxNavAge`).
 */
export function planNavUpdate(onChain: OnChainNav, reading: NavReading, now: bigint, options: NavPlanOptions): NavPlan {
  const target = reading.nav;
  if (target <= 0n || target > MAX_NAV) {
    throw new NavUpdateError(`the ${reading.source} source read NAV ${target}, outside (0, 2^128)`, 'nav_reading_invalid');
  }
  const maxAge = BigInt(options.maxReadingAge ?? DEFAULT_MAX_READING_AGE);
  if (reading.asOf > now) {
    throw new NavUpdateError(`the ${reading.source} reading is dated ${reading.asOf}, after now (${now})`, 'nav_reading_invalid');
  }
  if (now - reading.asOf > maxAge) {
    throw new NavUpdateError(`the ${reading.source} reading from ${reading.asOf} is older than ${maxAge} s`, 'nav_reading_stale');
  }
  const allowedAt = onChain.updatedAt + BigInt(onChain.minNavInterval);
  if (now < allowedAt) return { action: 'skip', reason: 'too-early', target, retryAt: allowedAt };

  const bound = maxNavMove(onChain.nav, onChain.maxNavMoveBps);
  const up = target > onChain.nav;
  const move = up ? target - onChain.nav : onChain.nav - target;
  let nav = target;
  let clamped = false;
  if (move > bound) {
    if (!options.clamp) {
      throw new NavUpdateError(
        `the ${reading.source} NAV ${target} is more than ${onChain.maxNavMoveBps} bps from the on-chain ${onChain.nav}`,
        'nav_move_too_large',
        { target: String(target), current: String(onChain.nav), bound: String(bound) },
      );
    }
    nav = up ? onChain.nav + bound : onChain.nav - bound;
    clamped = true;
  }
  return { action: 'publish', nav, target, clamped, staleAt: now + BigInt(onChain.maxNavAge) };
}

/** What one scheduled run needs; the Lambda wires the chain reader, the source and the relayer in. */
export interface NavUpdateDeps {
  /**
   * The contract's NAV state and limits, the USSI supply and the latest block's timestamp: the
   * contract judges the update by chain time, so the plan does too.
   */
  readOnChain(): Promise<{ onChain: OnChainNav; supply: bigint; now: bigint }>;
  source: NavSource;
  /** Sends `publishNav(nav)` (through the relayer, signed by the operator's KMS key); returns the transaction hash. */
  publish(nav: bigint): Promise<string>;
}

export type NavUpdateResult = NavPlan & { reading: NavReading; txHash?: string };

/** One scheduled NAV update: read, plan, publish when the plan says so. */
export async function runNavUpdate(deps: NavUpdateDeps, options: NavPlanOptions): Promise<NavUpdateResult> {
  const { onChain, supply, now } = await deps.readOnChain();
  const reading = await deps.source.read({ previous: onChain, supply, now });
  const plan = planNavUpdate(onChain, reading, now, options);
  if (plan.action === 'skip') return { ...plan, reading };
  const txHash = await deps.publish(plan.nav);
  return { ...plan, reading, txHash };
}
