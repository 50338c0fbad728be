import type { RelayRequest } from './relayer';
import { isTerminal, type ActionRecord } from './store';

/**
 * What a function needs of a relayer (the `Relayer` of one KMS key, from `relayerFor(role)`):
 * submit an action under its idempotency key, and wait for the action's outcome.
 */
export interface RelayerPort {
  submit(request: RelayRequest): Promise<ActionRecord>;
  wait(key: string, options?: { timeoutMs?: number }): Promise<ActionRecord>;
}

/** A relayed action that ended without being mined (reverted, refused by KMS, replaced, or still pending at the timeout). */
export class RelayFailed extends Error {
  constructor(readonly action: ActionRecord) {
    super(`${action.actionKey} ended ${action.status}${action.failure ? `: ${action.failure.code} ${action.failure.reason}` : ''}`);
    this.name = 'RelayFailed';
  }

  /** The relayer's failure code (`would_revert`, `reverted`, `kms_denied`...), `unknown` when none was recorded. */
  get code(): string {
    return this.action.failure?.code ?? 'unknown';
  }
}

export interface SendOptions {
  readonly timeoutMs?: number;
  /** Called once the action is recorded, before waiting (the rebalance saga's crash-injection point). */
  readonly onSubmitted?: (action: ActionRecord) => void;
}

/**
 * Submits `request` and waits until it is mined. A retried call with the same key gets the first
 * action's outcome, since the relayer sends a key at most once. Throws `RelayFailed` with the
 * action record when it ends any other way.
 */
export async function sendAndWait(relayer: RelayerPort, request: RelayRequest, options: SendOptions = {}): Promise<ActionRecord & { txHash: string }> {
  const submitted = await relayer.submit(request);
  options.onSubmitted?.(submitted);
  const done = isTerminal(submitted.status) ? submitted : await relayer.wait(request.key, { timeoutMs: options.timeoutMs });
  if (done.status !== 'mined' || !done.txHash) throw new RelayFailed(done);
  return done as ActionRecord & { txHash: string };
}
