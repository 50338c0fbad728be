/**
 * USSI confirmations (the `ussi-confirm` schedule): walks the requests from a cursor (the lowest id
 * that may still need the operator) to `requestCount()` and, through the operator relayer,
 * confirms every pending request before its expiry:
 *
 * - a mint: `confirmMint(id)` (USSI to the requester, the asset to the hedge vault);
 * - a redeem: `confirmRedeem(id, 0x0)` when the contract's float of the stablecoin covers it (the
 *   float is counted down within a run so two redeems never count the same cash); otherwise
 *   `markPayoutPending(id)`: the USSI is burned and the hedge book pays off-chain, tracked by the
 *   `ussi-payout` schedule (payouts.ts), which records the payout's transaction on chain.
 *
 * Expired pending requests are left to their requester's `cancel`. Idempotent: one relayer key per
 * request (`ussi:confirm:<id>`), and the cursor only moves over requests nobody needs to act on again.
 */
import { HedgeSide, RequestStatus } from '../domain/ussi-orders';
import type { RelayerPort } from '../relayer/port';
import type { UssiRequest } from './contract';

export type { UssiRequest } from './contract';

export interface ConfirmDeps {
  ussi: string;
  requestCount(): Promise<bigint>;
  getRequest(id: bigint): Promise<UssiRequest>;
  floatOf(token: string): Promise<bigint>;
  /** Latest block timestamp (the contract compares expiries with it). */
  chainTime(): Promise<bigint>;
  /** Calldata of `confirmMint(id)`, `confirmRedeem(id, 0x0)` and `markPayoutPending(id)`. */
  encodeConfirmMint(id: bigint): string;
  encodeConfirmRedeem(id: bigint): string;
  encodeMarkPayoutPending(id: bigint): string;
  /** The operator's relayer: a run submits every confirmation first, then waits for each. */
  relayer: RelayerPort;
  /** The lowest id that may still need the operator (1 when never stored). */
  cursor: { get(): Promise<bigint>; put(next: bigint): Promise<void> };
  log?: (message: string, details?: Record<string, unknown>) => void;
}

export type ConfirmOutcome =
  | { id: string; action: 'confirmed' | 'payout-pending'; side: 'mint' | 'redeem'; txHash?: string }
  | { id: string; action: 'failed'; side: 'mint' | 'redeem'; code: string; reason: string }
  | { id: string; action: 'expired' };

export interface ConfirmResult {
  from: string;
  to: string;
  nextCursor: string;
  outcomes: ConfirmOutcome[];
}

/** The relayer key of a request's confirmation: the same request is confirmed at most once. */
export const confirmKey = (id: bigint): string => `ussi:confirm:${id}`;

/** One run; `maxPerRun` bounds the requests looked at so a backlog never times the Lambda out. */
export async function confirmPending(deps: ConfirmDeps, options: { maxPerRun?: number; waitTimeoutMs?: number } = {}): Promise<ConfirmResult> {
  const start = await deps.cursor.get();
  const count = await deps.requestCount();
  const last = count < start + BigInt(options.maxPerRun ?? 50) - 1n ? count : start + BigInt(options.maxPerRun ?? 50) - 1n;
  const now = await deps.chainTime();
  const floats = new Map<string, bigint>();
  const outcomes: ConfirmOutcome[] = [];
  const sent: Array<{ id: bigint; key: string; side: 'mint' | 'redeem'; payout: boolean }> = [];
  // The cursor moves over the prefix of requests that are settled, expired or being confirmed now.
  let next = start;
  for (let id = start; id <= last; id += 1n) {
    const request = await deps.getRequest(id);
    if (request.status === RequestStatus.Pending) {
      if (now >= request.expiresAt) {
        outcomes.push({ id: String(id), action: 'expired' });
      } else if (request.side === HedgeSide.Mint) {
        await deps.relayer.submit({ key: confirmKey(id), to: deps.ussi, data: deps.encodeConfirmMint(id) });
        sent.push({ id, key: confirmKey(id), side: 'mint', payout: false });
      } else {
        const asset = request.asset.toLowerCase();
        const float = floats.get(asset) ?? (await deps.floatOf(request.asset));
        if (float >= request.assetAmount) {
          floats.set(asset, float - request.assetAmount);
          await deps.relayer.submit({ key: confirmKey(id), to: deps.ussi, data: deps.encodeConfirmRedeem(id) });
          sent.push({ id, key: confirmKey(id), side: 'redeem', payout: false });
        } else {
          // The float is short: burn the USSI now and let the hedge book pay; one key per request either way.
          floats.set(asset, float);
          await deps.relayer.submit({ key: confirmKey(id), to: deps.ussi, data: deps.encodeMarkPayoutPending(id) });
          sent.push({ id, key: confirmKey(id), side: 'redeem', payout: true });
        }
      }
    }
    next = id + 1n;
  }
  for (const { id, key, side, payout } of sent) {
    const record = await deps.relayer.wait(key, { timeoutMs: options.waitTimeoutMs });
    if (record.status === 'mined') {
      outcomes.push({ id: String(id), action: payout ? 'payout-pending' : 'confirmed', side, txHash: record.txHash });
    } else {
      // A confirmation that did not land keeps the request pending (or it settled otherwise): look again next run.
      outcomes.push({ id: String(id), action: 'failed', side, code: record.failure?.code ?? record.status, reason: record.failure?.reason ?? record.status });
      if (id < next) next = id;
      deps.log?.('USSI confirmation did not land', { id: String(id), status: record.status, failure: record.failure });
    }
  }
  if (next !== start) await deps.cursor.put(next);
  return { from: String(start), to: String(last), nextCursor: String(next), outcomes };
}
