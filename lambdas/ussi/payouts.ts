/**
 * Tracked off-chain payouts of USSI redeems (the `ussi-payout` schedule). A redeem the float could
 * not pay was marked `PayoutPending` by the confirmation run (its USSI burned, so it can no longer be
 * cancelled); this run walks the requests from its cursor and, for each payout-pending one, asks the
 * hedge book to pay the requester (idempotent: the payout's client id is derived from chain, USSI
 * and request id, so asking again never pays twice) and, once the venue reports the payout's
 * transaction, records it on chain with `recordPayout(id, txHash)` through the operator relayer
 * under `ussi:payout:<id>`. The on-chain status is the record: a retried run finds the request
 * `Confirmed` and does nothing.
 */
import { RequestStatus } from '../domain/ussi-orders';
import type { HedgeBookPort } from '../domain/hedge-book';
import type { RelayerPort } from '../relayer/port';
import type { UssiRequest } from './contract';

export interface PayoutDeps {
  ussi: string;
  chainId: number;
  requestCount(): Promise<bigint>;
  getRequest(id: bigint): Promise<UssiRequest>;
  /** Latest block timestamp: a pending request past its expiry can no longer become payout-pending. */
  chainTime(): Promise<bigint>;
  /** The stablecoin's symbol at the venue, by token address (lower case). */
  assetSymbol(address: string): string | undefined;
  book: Pick<HedgeBookPort, 'requestPayout'>;
  encodeRecordPayout(id: bigint, txHash: string): string;
  relayer: RelayerPort;
  /** The lowest id that may still need a payout (1 when never stored). */
  cursor: { get(): Promise<bigint>; put(next: bigint): Promise<void> };
  log?: (message: string, details?: Record<string, unknown>) => void;
}

export type PayoutOutcome =
  | { id: string; action: 'recorded'; payoutTxHash: string; txHash?: string }
  | { id: string; action: 'payout-in-flight' }
  | { id: string; action: 'failed'; code: string; reason: string };

export interface PayoutResult {
  from: string;
  to: string;
  nextCursor: string;
  outcomes: PayoutOutcome[];
}

/** The venue's idempotency key of request `id`'s payout. */
export const payoutClientId = (chainId: number, ussi: string, id: bigint): string => `ussi-${chainId}-${ussi.toLowerCase()}-${id}`;
/** The relayer key of recording request `id`'s payout. */
export const payoutKey = (id: bigint): string => `ussi:payout:${id}`;

export async function trackPayouts(deps: PayoutDeps, options: { maxPerRun?: number; waitTimeoutMs?: number } = {}): Promise<PayoutResult> {
  const start = await deps.cursor.get();
  const count = await deps.requestCount();
  const max = BigInt(options.maxPerRun ?? 50);
  const last = count < start + max - 1n ? count : start + max - 1n;
  const now = await deps.chainTime();
  const outcomes: PayoutOutcome[] = [];
  const sent: Array<{ id: bigint; payoutTxHash: string }> = [];
  // The cursor moves over the prefix of requests that can never need a payout again.
  let next = start;
  let blocked = false;
  for (let id = start; id <= last; id += 1n) {
    const request = await deps.getRequest(id);
    let done = true;
    if (request.status === RequestStatus.PayoutPending) {
      done = false;
      const symbol = deps.assetSymbol(request.asset.toLowerCase());
      if (symbol === undefined) {
        outcomes.push({ id: String(id), action: 'failed', code: 'unknown_asset', reason: `no venue symbol for ${request.asset}` });
      } else {
        const state = await deps.book.requestPayout({ clientId: payoutClientId(deps.chainId, deps.ussi, id), to: request.requester, asset: symbol, amount: request.assetAmount });
        if (state.status === 'sent') {
          await deps.relayer.submit({ key: payoutKey(id), to: deps.ussi, data: deps.encodeRecordPayout(id, state.txHash) });
          sent.push({ id, payoutTxHash: state.txHash });
        } else if (state.status === 'pending') {
          outcomes.push({ id: String(id), action: 'payout-in-flight' });
        } else {
          // A venue refusal needs a human: the request stays payout-pending and is reported every run.
          outcomes.push({ id: String(id), action: 'failed', code: 'payout_failed', reason: state.reason });
          deps.log?.('USSI payout failed at the hedge book', { id: String(id), reason: state.reason });
        }
      }
    } else if (request.status === RequestStatus.Pending && now < request.expiresAt) {
      // May still be marked payout-pending by the confirmation run.
      done = false;
    }
    if (!done) blocked = true;
    if (!blocked) next = id + 1n;
  }
  for (const { id, payoutTxHash } of sent) {
    const record = await deps.relayer.wait(payoutKey(id), { timeoutMs: options.waitTimeoutMs });
    if (record.status === 'mined') {
      outcomes.push({ id: String(id), action: 'recorded', payoutTxHash, txHash: record.txHash });
    } else {
      outcomes.push({ id: String(id), action: 'failed', code: record.failure?.code ?? record.status, reason: record.failure?.reason ?? record.status });
      deps.log?.('USSI payout record did not land', { id: String(id), status: record.status, failure: record.failure });
    }
  }
  if (next !== start) await deps.cursor.put(next);
  return { from: String(start), to: String(last), nextCursor: String(next), outcomes };
}
