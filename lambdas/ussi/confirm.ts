/**
 * USSI confirmations (the `ussi-confirm` schedule): walks the requests from a cursor (the lowest id
 * that may still need the operator) to `requestCount()` and, through the operator relayer,
 * confirms every pending request before its expiry:
 *
 * - a mint: `confirmMint(id)` (USSI to the requester, the asset to the hedge vault);
 * - a redeem: `confirmRedeem(id, 0x0)` when the contract's float of the stablecoin covers it (the
 *   float is counted down within a run so two redeems never count the same cash); otherwise it waits
 *   for the hedge desk to top the float up (reported as `awaiting-float`).
 *
 * Expired pending requests are left to their requester's `cancel`. Idempotent: one relayer key per
 * request (`ussi:confirm:<id>`), and the cursor only moves over requests nobody needs to act on again.
 */
import { HedgeSide, RequestStatus } from '../domain/ussi-orders';
import type { RelayerPort } from '../relayer/port';

export interface UssiRequest {
  requester: string;
  side: HedgeSide;
  status: RequestStatus;
  expiresAt: bigint;
  asset: string;
  assetAmount: bigint;
  ussiAmount: bigint;
}

export interface ConfirmDeps {
  ussi: string;
  requestCount(): Promise<bigint>;
  getRequest(id: bigint): Promise<UssiRequest>;
  floatOf(token: string): Promise<bigint>;
  /** Latest block timestamp (the contract compares expiries with it). */
  chainTime(): Promise<bigint>;
  /** Calldata of `confirmMint(id)` and `confirmRedeem(id, 0x0)`. */
  encodeConfirmMint(id: bigint): string;
  encodeConfirmRedeem(id: bigint): string;
  /** The operator's relayer: a run submits every confirmation first, then waits for each. */
  relayer: RelayerPort;
  /** The lowest id that may still need the operator (1 when never stored). */
  cursor: { get(): Promise<bigint>; put(next: bigint): Promise<void> };
  log?: (message: string, details?: Record<string, unknown>) => void;
}

export type ConfirmOutcome =
  | { id: string; action: 'confirmed'; side: 'mint' | 'redeem'; txHash?: string }
  | { id: string; action: 'failed'; side: 'mint' | 'redeem'; code: string; reason: string }
  | { id: string; action: 'awaiting-float'; needed: string; float: string }
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
  const sent: Array<{ id: bigint; key: string; side: 'mint' | 'redeem' }> = [];
  // The cursor moves over the prefix of requests that are settled, expired or being confirmed now.
  let next = start;
  let blocked = false;
  for (let id = start; id <= last; id += 1n) {
    const request = await deps.getRequest(id);
    let done = true;
    if (request.status === RequestStatus.Pending) {
      if (now >= request.expiresAt) {
        outcomes.push({ id: String(id), action: 'expired' });
      } else if (request.side === HedgeSide.Mint) {
        await deps.relayer.submit({ key: confirmKey(id), to: deps.ussi, data: deps.encodeConfirmMint(id) });
        sent.push({ id, key: confirmKey(id), side: 'mint' });
      } else {
        const asset = request.asset.toLowerCase();
        const float = floats.get(asset) ?? (await deps.floatOf(request.asset));
        if (float >= request.assetAmount) {
          floats.set(asset, float - request.assetAmount);
          await deps.relayer.submit({ key: confirmKey(id), to: deps.ussi, data: deps.encodeConfirmRedeem(id) });
          sent.push({ id, key: confirmKey(id), side: 'redeem' });
        } else {
          floats.set(asset, float);
          outcomes.push({ id: String(id), action: 'awaiting-float', needed: String(request.assetAmount), float: String(float) });
          done = false;
        }
      }
    }
    if (!done) blocked = true;
    if (!blocked) next = id + 1n;
  }
  for (const { id, key, side } of sent) {
    const record = await deps.relayer.wait(key, { timeoutMs: options.waitTimeoutMs });
    if (record.status === 'mined') {
      outcomes.push({ id: String(id), action: 'confirmed', side, txHash: record.txHash });
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
