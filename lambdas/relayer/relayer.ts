import { randomUUID } from 'node:crypto';
import { mapConcurrent } from '../shared/concurrency';
import type { Logger } from '@aws-lambda-powertools/logger';
import { getAddress, isError, isHexString, keccak256, type Interface, type JsonRpcProvider, type TransactionReceipt, type TransactionRequest } from 'ethers';
import { BadRequest, ConfigError, Conflict, NotFound, Unavailable } from '../shared/errors';
import { logger as sharedLogger } from '../shared/observability';
import { KmsSignerError, type KmsSigner } from '../signing/kms-signer';
import { MAX_BATCH, isTerminal, type ActionRecord, type Attempt, type Failure, type RelayerStore, type ReservationRequest } from './store';
import { DEFAULT_FEE_POLICY, MIN_BUMP_BASIS_POINTS, bumpFees, isUnderpriced, isValidReplacement, marketFees, withGasBuffer, type FeePolicy, type Fees, type MarketFees } from './fees';
import { describeRevert, isRevert } from './revert';

/** One logical operator transaction. */
export interface RelayRequest {
  /** Idempotency key of the logical action, e.g. `reserve:2026-11-21:MAG7.ssi`: the same key is sent at most once. */
  readonly key: string;
  readonly to: string;
  readonly data?: string;
  readonly value?: bigint;
  /** Skips the estimate (and its revert check) when set. */
  readonly gasLimit?: bigint;
}

/** The logger calls the relayer makes (Powertools' Logger, or a test double). */
export type RelayerLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface RelayerOptions {
  readonly signer: KmsSigner;
  readonly provider: JsonRpcProvider;
  readonly chainId: number;
  readonly store: RelayerStore;
  /** Blocks (counting the one it is in) before a transaction's outcome is final (default 1). */
  readonly confirmations?: number;
  /** Age of the latest attempt after which an unmined transaction is stuck and gets a fee bump (default 3 min). */
  readonly stuckAfterMs?: number;
  /** How long an instance keeps an action to itself while it works on it (default 30 s). */
  readonly leaseMs?: number;
  /** Unmined transactions are sent to the node again this often, in case it lost them (default 30 s). */
  readonly rebroadcastAfterMs?: number;
  /** A tick settles actions other instances sent once they are this old (default 10 s); its own at once. */
  readonly settleOthersAfterMs?: number;
  /** How long the chain must be past an action's nonce with none of its attempts found before it counts as replaced (default 30 s). */
  readonly orphanGraceMs?: number;
  /** Pause between ticks while waiting (default 1 s). */
  readonly pollMs?: number;
  /** Parallel chain and table calls within one tick (default 8). */
  readonly concurrency?: number;
  readonly fees?: Partial<FeePolicy>;
  /** Interfaces whose custom errors are decoded in failure reasons. */
  readonly errors?: Interface;
  readonly logger?: RelayerLog;
}

/** What one tick found and did, for logs and the monitor's metrics. */
export interface TickReport {
  readonly signer: string;
  /** The chain's nonce for the signer (transactions mined). */
  readonly chainNonce: number;
  /** The chain head the tick saw. */
  readonly blockNumber: number;
  /** The relayer's next nonce after reconciliation. */
  readonly nextNonce: number;
  readonly inFlight: number;
  /** Actions older than the stuck threshold that are not mined (before this tick's replacements). */
  readonly stuck: number;
  /** Fee-bump replacements sent. */
  readonly replaced: number;
  /** No-op transactions sent to fill a given-back nonce below a held one. */
  readonly filled: number;
  readonly rebroadcast: number;
  /** Queued or reserved actions another instance left behind, taken over. */
  readonly takenOver: number;
  /** Actions that reached a terminal state in this tick. */
  readonly finished: number;
  /** Nonce book corrections: external nonces recorded, lost nonces freed, top nonces given back. */
  readonly reconciled: number;
}

type MutableReport = { -readonly [K in keyof TickReport]: TickReport[K] };

/** The chain could not be reached or answered an error that is not the transaction's fault. */
export class ChainUnavailable extends Unavailable {
  constructor(message: string, cause?: unknown) {
    super(message, 'chain_unavailable', cause);
  }
}

/** wait() gave up before the action reached a terminal state; the action itself keeps going. */
export class RelayerTimeout extends Unavailable {
  constructor(readonly record: ActionRecord, timeoutMs: number) {
    super(`action ${record.actionKey} is still ${record.status} after ${timeoutMs} ms`, 'relayer_timeout');
  }
}

/** Another instance changed the action first; whoever holds the newer version carries on. */
class LostRace extends Error {}

const FILL_PREFIX = 'relayer-fill:';
const FILL_GAS = 21_000n;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => new Date().toISOString();

function brief(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string; info?: { error?: { message?: string } }; error?: { message?: string } };
  const text = e?.info?.error?.message ?? e?.error?.message ?? e?.shortMessage ?? e?.message ?? String(error);
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

function alreadyKnown(error: unknown): boolean {
  return /already known|known transaction|already imported/i.test(brief(error));
}

/**
 * Sends operator transactions for one KMS signer, shared safely by any number of instances
 * (Lambdas) through DynamoDB:
 *
 * - submit() records the action under its idempotency key (a second submit of the key returns the
 *   same record and sends nothing), estimates gas (an action that would revert fails here, before
 *   any nonce is taken), reserves a nonce in one transaction with the action, signs with KMS,
 *   stores the signed transaction and only then broadcasts it.
 * - tick() moves every in-flight action of the signer on: settles mined, reverted and replaced
 *   ones, takes over work an instance left unfinished, rebroadcasts lost transactions, replaces
 *   stuck ones with a fee bump, fills given-back nonces with no-ops and reconciles the nonce book
 *   with the chain.
 * - wait() ticks until the action is terminal.
 *
 * A nonce is handed out only together with the action that holds it and given back only by an
 * action that never signed (KMS refused): see store.ts and docs/relayer.md for why no nonce is
 * ever skipped or used twice.
 */
export class Relayer {
  readonly id = randomUUID();
  private readonly signer: KmsSigner;
  private readonly provider: JsonRpcProvider;
  private readonly store: RelayerStore;
  private readonly chainId: number;
  private readonly confirmations: number;
  private readonly stuckAfterMs: number;
  private readonly leaseMs: number;
  private readonly rebroadcastAfterMs: number;
  private readonly orphanGraceMs: number;
  private readonly settleOthersAfterMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly policy: FeePolicy;
  private readonly errors?: Interface;
  private readonly log: RelayerLog;
  private headKnown = false;
  private fillsPausedUntil = 0;
  private ticking?: Promise<TickReport>;
  private reserving = false;
  private readonly reservations: Array<{
    request: ReservationRequest;
    chainPending: number;
    resolve: (record: ActionRecord | undefined) => void;
    reject: (error: unknown) => void;
  }> = [];
  private marketCache?: { at: number; fees: Promise<MarketFees> };

  constructor(options: RelayerOptions) {
    this.signer = options.signer;
    this.provider = options.provider;
    this.store = options.store;
    this.chainId = options.chainId;
    this.confirmations = options.confirmations ?? 1;
    this.stuckAfterMs = options.stuckAfterMs ?? 180_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.rebroadcastAfterMs = options.rebroadcastAfterMs ?? 30_000;
    this.orphanGraceMs = options.orphanGraceMs ?? 30_000;
    this.settleOthersAfterMs = options.settleOthersAfterMs ?? 10_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.policy = { ...DEFAULT_FEE_POLICY, ...options.fees };
    this.errors = options.errors;
    this.log = options.logger ?? sharedLogger;
    if (this.confirmations < 1) throw new Error('confirmations must be at least 1');
    if (this.policy.bumpBasisPoints < MIN_BUMP_BASIS_POINTS) throw new Error(`a fee bump below ${MIN_BUMP_BASIS_POINTS / 100}% is refused by nodes`);
  }

  /** The signing address (from KMS, cached). */
  address(): Promise<string> {
    return this.signer.getAddress();
  }

  /**
   * Records and starts sending an action; returns its record. Idempotent by `key`: an existing
   * action is returned as it is (Conflict if the same key comes with another transaction), except
   * one that failed before anything was signed, which is tried again. Chain outages do not fail
   * the call: the action waits (status queued or sent, `lastError` says why) and tick() finishes it.
   */
  async submit(request: RelayRequest): Promise<ActionRecord> {
    const wanted = this.normalise(request);
    const signer = await this.address();
    // Written first and read only when the key exists: one round trip for a new action.
    {
      const created = now();
      const fresh: ActionRecord = {
        actionKey: request.key,
        kind: 'action',
        signer,
        chainId: this.chainId,
        ...wanted,
        status: 'queued',
        attempts: [],
        createdAt: created,
        updatedAt: created,
        version: 1,
        leaseOwner: this.id,
        leaseUntil: Date.now() + this.leaseMs,
        inFlightSigner: signer,
      };
      if (await this.store.putAction(fresh, 'new')) {
        this.log.info('relayer action recorded', { actionKey: fresh.actionKey, signer, to: fresh.to });
        return this.advance(fresh);
      }
    }
    const record = await this.store.getAction(request.key);
    if (!record) throw new Error(`action ${request.key} vanished while being created`);
    this.assertSameAction(record, wanted, signer);
    if (record.status === 'failed' && record.attempts.length === 0) {
      const retried = this.revise(record, {
        status: 'queued',
        failure: undefined,
        finishedAt: undefined,
        lastError: `tried again after: ${record.failure?.reason ?? 'an earlier failure'}`,
        leaseOwner: this.id,
        leaseUntil: Date.now() + this.leaseMs,
      });
      if (await this.store.putAction(retried, record.version)) return this.advance(retried);
      return (await this.store.getAction(request.key)) ?? record;
    }
    return record;
  }

  /** The action's record, or undefined. */
  get(key: string): Promise<ActionRecord | undefined> {
    return this.store.getAction(key);
  }

  /** Ticks until the action is terminal; RelayerTimeout (with the record) if `timeoutMs` passes first. */
  async wait(key: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<ActionRecord> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const pollMs = options.pollMs ?? this.pollMs;
    const deadline = Date.now() + timeoutMs;
    const signer = await this.address();
    for (;;) {
      const record = await this.store.getAction(key);
      if (!record) throw new NotFound(`no relayer action ${key}`, 'unknown_action');
      if (isTerminal(record.status)) return record;
      if (Date.now() >= deadline) throw new RelayerTimeout(record, timeoutMs);
      if (record.signer === signer) {
        try {
          const report = await this.tick();
          const after = await this.store.getAction(key);
          if (after && isTerminal(after.status)) return after;
          if (after?.status === 'sent' && after.nonce! < report.chainNonce && (await this.settle(after, report.blockNumber))) continue;
        } catch (error) {
          if (error instanceof ChainUnavailable || error instanceof LostRace) this.log.debug('relayer wait: will try again', { error: brief(error) });
          else this.log.warn('relayer tick failed; will try again', { error: brief(error) });
        }
      }
      await sleep(Math.max(0, Math.min(pollMs, deadline - Date.now())));
    }
  }

  /** Moves every in-flight action of this signer on (one tick at a time per instance; concurrent callers share it). */
  tick(): Promise<TickReport> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  // ---------------------------------------------------------------- submit path

  private normalise(request: RelayRequest): Pick<ActionRecord, 'to' | 'data' | 'value' | 'requestedGasLimit'> {
    const { key } = request;
    if (typeof key !== 'string' || key.length === 0 || key.length > 512) throw new BadRequest('an action key is 1 to 512 characters', 'invalid_action_key');
    if (key.startsWith(FILL_PREFIX)) throw new BadRequest(`action keys starting with ${FILL_PREFIX} are the relayer's own`, 'invalid_action_key');
    let to: string;
    try {
      to = getAddress(request.to);
    } catch {
      throw new BadRequest(`${String(request.to)} is not an address`, 'invalid_address');
    }
    const data = (request.data ?? '0x').toLowerCase();
    if (!isHexString(data) || data.length % 2 !== 0) throw new BadRequest('data must be 0x-prefixed hex bytes', 'invalid_data');
    const value = request.value ?? 0n;
    if (value < 0n) throw new BadRequest('value cannot be negative', 'invalid_value');
    if (request.gasLimit !== undefined && request.gasLimit < FILL_GAS) throw new BadRequest(`a gas limit is at least ${FILL_GAS}`, 'invalid_gas_limit');
    return { to, data, value: value.toString(), ...(request.gasLimit === undefined ? {} : { requestedGasLimit: request.gasLimit.toString() }) };
  }

  private assertSameAction(record: ActionRecord, wanted: Pick<ActionRecord, 'to' | 'data' | 'value' | 'requestedGasLimit'>, signer: string): void {
    const same =
      record.signer === signer &&
      record.chainId === this.chainId &&
      record.to === wanted.to &&
      record.data === wanted.data &&
      record.value === wanted.value &&
      record.requestedGasLimit === wanted.requestedGasLimit;
    if (!same) {
      throw new Conflict(`action key ${record.actionKey} was already used for another transaction`, 'action_key_reused', {
        actionKey: record.actionKey,
        status: record.status,
      });
    }
  }

  /** Takes an action this instance owns as far as it goes now: queued -> reserved -> sent. */
  private async advance(record: ActionRecord): Promise<ActionRecord> {
    let current = record;
    try {
      if (current.status === 'queued') current = await this.reserve(current);
      if (current.status === 'reserved') current = await this.signAndSend(current);
      return current;
    } catch (error) {
      if (error instanceof LostRace) return (await this.store.getAction(record.actionKey)) ?? current;
      if (error instanceof ChainUnavailable) {
        // Leave the action where it is and let the next tick (any instance) carry on at once.
        this.log.warn('relayer action waits for the chain', { actionKey: current.actionKey, status: current.status, error: error.message });
        const parked = this.revise(current, { leaseUntil: 0, lastError: error.message });
        if (await this.store.putAction(parked, current.version)) return parked;
        return (await this.store.getAction(record.actionKey)) ?? current;
      }
      throw error;
    }
  }

  private async reserve(queued: ActionRecord): Promise<ActionRecord> {
    let gasLimit = queued.requestedGasLimit;
    if (gasLimit === undefined) {
      const estimate = await this.estimate(queued);
      if ('failure' in estimate) return this.finish(queued, { status: 'failed', failure: estimate.failure });
      gasLimit = estimate.gasLimit.toString();
    }
    const pending = await this.chain('reading the signer nonce', () => this.provider.getTransactionCount(queued.signer, 'pending'));
    await this.ensureHead(pending);
    const limit = gasLimit;
    const reserved = await this.reserveTogether(
      {
        queued,
        reserved: (nonce) => this.revise(queued, { status: 'reserved', nonce, gasLimit: limit, lastError: undefined, leaseOwner: this.id, leaseUntil: Date.now() + this.leaseMs }),
      },
      pending,
    );
    if (!reserved) throw new LostRace();
    this.log.debug('relayer nonce reserved', { actionKey: reserved.actionKey, nonce: reserved.nonce });
    return reserved;
  }

  private async estimate(record: ActionRecord): Promise<{ gasLimit: bigint } | { failure: Failure }> {
    try {
      const estimate = await this.provider.estimateGas({ from: record.signer, to: record.to, data: record.data, value: BigInt(record.value) });
      return { gasLimit: withGasBuffer(estimate, this.policy) };
    } catch (error) {
      if (isRevert(error)) {
        const revert = describeRevert(error, this.errors);
        return { failure: { code: 'would_revert', reason: `the transaction would revert: ${revert.reason}`, ...(revert.data ? { revertData: revert.data } : {}) } };
      }
      if (isError(error, 'INSUFFICIENT_FUNDS') || /insufficient funds|enough funds/i.test(brief(error))) {
        return { failure: { code: 'insufficient_funds', reason: `${record.signer} cannot pay for the transaction: ${brief(error)}` } };
      }
      throw new ChainUnavailable(`estimating gas failed: ${brief(error)}`, error);
    }
  }

  /**
   * Signs the reserved nonce's transaction and stores it before broadcasting it. When KMS
   * refuses, nothing was signed, so the nonce is given back in the same write that fails the action.
   */
  private async signAndSend(reserved: ActionRecord): Promise<ActionRecord> {
    const fees = await this.market();
    let raw: string;
    try {
      raw = await this.signer.signTransaction(this.transaction(reserved, fees));
    } catch (error) {
      if (!(error instanceof KmsSignerError)) throw error;
      const failed = this.revise(reserved, {
        status: 'failed',
        nonce: undefined,
        releasedNonces: [...(reserved.releasedNonces ?? []), reserved.nonce!],
        failure: { code: error.failure, reason: error.message },
      });
      if (!(await this.store.releaseNonce(reserved, failed))) throw new LostRace();
      this.log.error('relayer action failed: KMS did not sign; its nonce was given back', { actionKey: reserved.actionKey, nonce: reserved.nonce, failure: error.failure });
      return failed;
    }
    const attempt = this.attempt(raw, fees);
    // Stored first (as broadcast now): a transaction that reached the chain is always on record.
    // Losing here means our signature is thrown away unsent.
    const sent = this.revise(reserved, { status: 'sent', attempts: [attempt], currentHash: attempt.hash, broadcastAt: attempt.signedAt, lastError: undefined, leaseUntil: 0 });
    if (!(await this.store.putAction(sent, reserved.version))) throw new LostRace();
    return this.broadcast(sent, false);
  }

  private attempt(raw: string, fees: Fees): Attempt {
    return {
      hash: keccak256(raw),
      raw,
      maxFeePerGas: fees.maxFeePerGas.toString(),
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
      signedAt: now(),
    };
  }

  private transaction(record: ActionRecord, fees: Fees): TransactionRequest {
    return {
      type: 2,
      chainId: this.chainId,
      nonce: record.nonce,
      to: record.to,
      data: record.data,
      value: BigInt(record.value),
      gasLimit: BigInt(record.gasLimit!),
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    };
  }

  /**
   * Sends the latest attempt to the node. A failure is noted (without `broadcastAt`, so the next
   * tick sends it again), not thrown; success is written only when `recordSuccess` (a rebroadcast
   * of a record that does not say it was just sent).
   */
  private async broadcast(sent: ActionRecord, recordSuccess: boolean): Promise<ActionRecord> {
    const attempt = sent.attempts[sent.attempts.length - 1];
    let problem: string | undefined;
    try {
      await this.provider.send('eth_sendRawTransaction', [attempt.raw]);
    } catch (error) {
      // Known to the node, or its nonce is already used (by an earlier attempt or someone else): tick settles it.
      if (!alreadyKnown(error) && !isError(error, 'NONCE_EXPIRED')) problem = `broadcast failed: ${brief(error)}`;
    }
    if (!problem && !recordSuccess) return sent;
    if (problem) this.log.warn('relayer broadcast failed; will send again', { actionKey: sent.actionKey, hash: attempt.hash, error: problem });
    const noted = this.revise(sent, problem ? { lastError: problem, broadcastAt: undefined } : { broadcastAt: now(), lastError: undefined });
    if (await this.store.putAction(noted, sent.version)) return noted;
    return (await this.store.getAction(sent.actionKey)) ?? sent;
  }

  /**
   * Once per instance, before anything is signed: checks the node serves the configured chain (a
   * transaction signed for another chain id could never be mined and would hold its nonce for
   * good), and starts the signer's nonce book at the chain's pending nonce the first time it is used.
   */
  private async ensureHead(pending: number): Promise<void> {
    if (this.headKnown) return;
    const served = Number(await this.chain('reading the chain id', () => this.provider.send('eth_chainId', [])));
    if (served !== this.chainId) throw new ConfigError(`the chain RPC serves chain ${served}, not the configured chain ${this.chainId}`);
    const signer = await this.address();
    if (!(await this.store.getHead(signer))) {
      await this.store.initHead(signer, pending);
      this.log.info('relayer nonce book started from the chain', { signer, next: pending });
    }
    this.headKnown = true;
  }

  // ---------------------------------------------------------------- tick

  private async runTick(): Promise<TickReport> {
    const signer = await this.address();
    const [chainNonce, pending, blockNumber] = await this.chain('reading the signer nonce', () =>
      Promise.all([
        this.provider.getTransactionCount(signer, 'latest'),
        this.provider.getTransactionCount(signer, 'pending'),
        this.provider.getBlockNumber(),
      ]),
    );
    await this.ensureHead(pending);
    const report: MutableReport = {
      signer,
      chainNonce,
      blockNumber,
      nextNonce: 0,
      inFlight: 0,
      stuck: 0,
      replaced: 0,
      filled: 0,
      rebroadcast: 0,
      takenOver: 0,
      finished: 0,
      reconciled: 0,
    };
    const actions = (await this.store.inFlight(signer)).sort((a, b) => (a.nonce ?? Infinity) - (b.nonce ?? Infinity));
    report.inFlight = actions.length;
    const free = await this.reconcile(chainNonce, pending, actions, report);
    for (const nonce of Date.now() < this.fillsPausedUntil ? [] : free) {
      const filled = await this.fill(nonce);
      if (filled?.status === 'sent' || filled?.status === 'mined') report.filled += 1;
      if (filled?.status === 'failed') {
        // KMS refused: every fill would fail the same way for now; try again after a lease period.
        this.fillsPausedUntil = Date.now() + this.leaseMs;
        break;
      }
    }
    await mapConcurrent(actions, this.concurrency, async (action) => {
      try {
        await this.progress(action, chainNonce, blockNumber, report);
      } catch (error) {
        if (!(error instanceof ChainUnavailable || error instanceof LostRace)) throw error;
        this.log.warn('relayer could not move an action on', { actionKey: action.actionKey, error: brief(error) });
      }
    });
    if (report.stuck || report.replaced || report.filled || report.takenOver || report.reconciled) this.log.info('relayer tick', { ...report });
    return report;
  }

  /**
   * Brings the nonce book in line with the chain and returns the free nonces that must be filled:
   * nonces the chain used behind the relayer's back are recorded as external (and `next` moves past
   * them), nonces below `next` with no record become free, free nonces at the top are given back
   * to `next`, and the free nonces left sit below a held one, where only a transaction can close the gap.
   */
  private async reconcile(chainNonce: number, pending: number, inFlight: readonly ActionRecord[], report: MutableReport): Promise<number[]> {
    const signer = await this.address();
    let head = (await this.store.getHead(signer))!;
    for (let round = 0; pending > head.next && round < 10; round++) {
      if (await this.store.raiseHead(signer, head.next, pending)) {
        this.log.warn('relayer found transactions it did not send; next nonce moved up', { signer, from: head.next, chainPending: pending });
        report.reconciled += 1;
      }
      head = (await this.store.getHead(signer))!;
    }
    for (const nonce of head.free.filter((n) => n < chainNonce)) {
      if (await this.store.markSlotExternal(signer, nonce)) report.reconciled += 1;
    }
    // Every nonce from the chain's to `next` should be held by an in-flight action or be free. The
    // in-flight index lags, so only a shortfall is checked against the (consistent) slots.
    const held = new Set(inFlight.filter((a) => a.nonce !== undefined && a.nonce >= chainNonce && a.nonce < head.next).map((a) => a.nonce));
    const accounted = held.size + head.free.filter((n) => n >= chainNonce && !held.has(n)).length;
    if (head.next > chainNonce && accounted < head.next - chainNonce) {
      const known = new Set((await this.store.slots(signer, chainNonce, head.next)).map((slot) => slot.nonce));
      for (let nonce = chainNonce; nonce < head.next; nonce++) {
        if (known.has(nonce)) continue;
        if (await this.store.freeMissingSlot(signer, nonce)) {
          this.log.warn('relayer found a nonce with no record; it will be used', { signer, nonce });
          report.reconciled += 1;
        }
      }
    }
    head = (await this.store.getHead(signer))!;
    while (head.next - 1 >= chainNonce && head.free.includes(head.next - 1)) {
      if (await this.store.lowerHead(signer, head.next - 1)) report.reconciled += 1;
      const after = (await this.store.getHead(signer))!;
      if (after.next === head.next && after.free.length === head.free.length) break;
      head = after;
    }
    report.nextNonce = head.next;
    return head.free.filter((n) => n >= chainNonce && n < head.next - 1);
  }

  /** Sends a no-op (0-value self-transfer) with a free nonce that sits below a held one; undefined if another instance took the nonce. */
  private async fill(nonce: number): Promise<ActionRecord | undefined> {
    const signer = await this.address();
    const created = now();
    const queued: ActionRecord = {
      actionKey: `${FILL_PREFIX}${signer}:${nonce}:${randomUUID()}`,
      kind: 'fill',
      signer,
      chainId: this.chainId,
      to: signer,
      data: '0x',
      value: '0',
      requestedGasLimit: FILL_GAS.toString(),
      status: 'queued',
      attempts: [],
      createdAt: created,
      updatedAt: created,
      version: 0,
      inFlightSigner: signer,
    };
    const reserved = await this.store.reserveNonce(
      queued,
      (n) => this.revise(queued, { status: 'reserved', nonce: n, gasLimit: FILL_GAS.toString(), leaseOwner: this.id, leaseUntil: Date.now() + this.leaseMs }),
      { create: true, nonce },
    );
    if (!reserved) return undefined;
    this.log.warn('relayer fills a given-back nonce with a no-op', { signer, nonce, actionKey: reserved.actionKey });
    return this.advance(reserved);
  }

  private async progress(action: ActionRecord, chainNonce: number, blockNumber: number, report: MutableReport): Promise<void> {
    const age = Date.now() - Date.parse(action.status === 'sent' ? action.attempts[action.attempts.length - 1].signedAt : action.createdAt);
    const unmined = action.nonce === undefined || action.nonce >= chainNonce;
    if (age > this.stuckAfterMs && unmined) report.stuck += 1;
    if (action.status === 'queued' || action.status === 'reserved') {
      const claimed = await this.claim(action);
      if (!claimed) return;
      report.takenOver += 1;
      this.log.info('relayer takes over an unfinished action', { actionKey: action.actionKey, status: action.status, nonce: action.nonce });
      if (isTerminal((await this.advance(claimed)).status)) report.finished += 1;
      return;
    }
    if (action.status !== 'sent') return;
    const latest = action.attempts[action.attempts.length - 1];
    if (action.nonce! < chainNonce) {
      // Each instance settles what it sent (and wait() the action it waits for); others' after a
      // while, in case their instance is gone. Correct either way; this only spares duplicate work.
      const mine = action.leaseOwner === this.id;
      if (!mine && Date.now() - Date.parse(latest.signedAt) < this.settleOthersAfterMs) return;
      if (await this.settle(action, blockNumber)) report.finished += 1;
      return;
    }
    if (age > this.stuckAfterMs) {
      const market = await this.market();
      const fees = { maxFeePerGas: BigInt(latest.maxFeePerGas), maxPriorityFeePerGas: BigInt(latest.maxPriorityFeePerGas) };
      if (action.nonce === chainNonce || isUnderpriced(fees, market)) {
        if (await this.replace(action, fees, market)) report.replaced += 1;
        return;
      }
    }
    if (!action.broadcastAt || Date.now() - Date.parse(action.broadcastAt) > this.rebroadcastAfterMs) {
      await this.broadcast(action, true);
      report.rebroadcast += 1;
    }
  }

  /** Takes an action whose lease ran out (its instance died or gave up) for this instance. */
  private async claim(action: ActionRecord): Promise<ActionRecord | undefined> {
    if ((action.leaseUntil ?? 0) > Date.now()) return undefined;
    const claimed = this.revise(action, { leaseOwner: this.id, leaseUntil: Date.now() + this.leaseMs });
    return (await this.store.putAction(claimed, action.version)) ? claimed : undefined;
  }

  /** Signs the same transaction with fees bumped at least 10% (and up to the market) and sends it. */
  private async replace(action: ActionRecord, previous: Fees, market: MarketFees): Promise<boolean> {
    const fees = bumpFees(previous, market, this.policy);
    if (!isValidReplacement(previous, fees)) {
      this.log.warn('relayer cannot bump a stuck transaction past the fee cap', { actionKey: action.actionKey, nonce: action.nonce });
      return false;
    }
    const claimed = await this.claim(action);
    if (!claimed) return false;
    let raw: string;
    try {
      raw = await this.signer.signTransaction(this.transaction(claimed, fees));
    } catch (error) {
      if (!(error instanceof KmsSignerError)) throw error;
      // The earlier attempts still stand; the next tick tries again.
      await this.store.putAction(this.revise(claimed, { lastError: `replacement not signed: ${error.message}`, leaseUntil: 0 }), claimed.version);
      return false;
    }
    const attempt = this.attempt(raw, fees);
    const replaced = this.revise(claimed, {
      attempts: [...claimed.attempts, attempt],
      currentHash: attempt.hash,
      broadcastAt: attempt.signedAt,
      leaseUntil: 0,
    });
    if (!(await this.store.putAction(replaced, claimed.version))) return false;
    this.log.warn('relayer replaced a stuck transaction', {
      actionKey: action.actionKey,
      nonce: action.nonce,
      previousMaxFeePerGas: previous.maxFeePerGas.toString(),
      maxFeePerGas: fees.maxFeePerGas.toString(),
      hash: attempt.hash,
    });
    await this.broadcast(replaced, false);
    return true;
  }

  /** The chain is past the action's nonce: which of its attempts was mined, and how did it end? */
  private async settle(action: ActionRecord, blockNumber: number): Promise<boolean> {
    for (const attempt of [...action.attempts].reverse()) {
      const receipt = await this.chain('reading a receipt', () => this.provider.getTransactionReceipt(attempt.hash));
      if (!receipt) continue;
      if (blockNumber - receipt.blockNumber + 1 < this.confirmations) return false;
      const outcome = {
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        blockHash: receipt.blockHash,
        gasUsed: receipt.gasUsed.toString(),
        effectiveGasPrice: receipt.gasPrice.toString(),
        currentHash: receipt.hash,
        orphanedSince: undefined,
        lastError: undefined,
      };
      if (receipt.status === 1) {
        await this.finish(action, { status: 'mined', ...outcome });
        this.log.info('relayer action mined', { actionKey: action.actionKey, nonce: action.nonce, hash: receipt.hash, block: receipt.blockNumber });
      } else {
        const revert = await this.revertReason(action, receipt);
        await this.finish(action, { status: 'failed', ...outcome, failure: { code: 'reverted', reason: revert.reason, ...(revert.data ? { revertData: revert.data } : {}) } });
        this.log.error('relayer action reverted on chain', { actionKey: action.actionKey, hash: receipt.hash, reason: revert.reason });
      }
      return true;
    }
    // None of its attempts is on chain although the nonce is used. Every attempt ever broadcast is on
    // record, so after a grace period (a lagging node may not serve the receipt yet) this is certain:
    // another transaction took the nonce and this action did not execute.
    if (!action.orphanedSince) {
      await this.store.putAction(this.revise(action, { orphanedSince: now() }), action.version);
      return false;
    }
    if (Date.now() - Date.parse(action.orphanedSince) < this.orphanGraceMs) return false;
    await this.finish(action, {
      status: 'replaced',
      failure: {
        code: 'nonce_used_elsewhere',
        reason: `nonce ${action.nonce} was used by a transaction that is none of this action's ${action.attempts.length} attempts; the action did not execute`,
      },
    });
    this.log.error('relayer action replaced by a foreign transaction', { actionKey: action.actionKey, nonce: action.nonce });
    return true;
  }

  private async revertReason(action: ActionRecord, receipt: TransactionReceipt): Promise<{ reason: string; data?: string }> {
    if (action.gasLimit !== undefined && receipt.gasUsed >= BigInt(action.gasLimit)) {
      return { reason: `ran out of gas (limit ${action.gasLimit})` };
    }
    try {
      // Best effort: replay the call on the state before its block.
      await this.provider.call({
        from: action.signer,
        to: action.to,
        data: action.data,
        value: BigInt(action.value),
        gasLimit: action.gasLimit === undefined ? undefined : BigInt(action.gasLimit),
        blockTag: Math.max(0, receipt.blockNumber - 1),
      });
      return { reason: 'reverted on chain (replaying the call does not revert, so the reason is unknown)' };
    } catch (error) {
      if (isRevert(error)) return describeRevert(error, this.errors);
      return { reason: `reverted on chain (reason unavailable: ${brief(error)})` };
    }
  }

  // ---------------------------------------------------------------- helpers

  private async finish(action: ActionRecord, changes: Partial<ActionRecord>): Promise<ActionRecord> {
    const next = this.revise(action, changes);
    if (!(await this.store.putAction(next, action.version))) throw new LostRace();
    return next;
  }

  /** The next version of a record: changes applied, version bumped, in-flight index and lease kept right. */
  private revise(record: ActionRecord, changes: Partial<ActionRecord>): ActionRecord {
    const at = now();
    const next: Record<string, unknown> = { ...record, ...changes, version: record.version + 1, updatedAt: at };
    if (isTerminal(next.status as ActionRecord['status'])) {
      next.finishedAt ??= at;
      delete next.inFlightSigner;
      delete next.leaseOwner;
      delete next.leaseUntil;
    } else {
      next.inFlightSigner = record.signer;
    }
    for (const [key, value] of Object.entries(next)) if (value === undefined) delete next[key];
    return next as unknown as ActionRecord;
  }

  private market(): Promise<MarketFees> {
    const cached = this.marketCache;
    if (cached && Date.now() - cached.at < 1_000) return cached.fees;
    const fees = this.chain('reading fees', () => marketFees(this.provider, this.policy));
    const entry = { at: Date.now(), fees };
    this.marketCache = entry;
    fees.catch(() => {
      if (this.marketCache === entry) this.marketCache = undefined;
    });
    return fees;
  }

  private async chain<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ChainUnavailable) throw error;
      throw new ChainUnavailable(`chain RPC failed ${what}: ${brief(error)}`, error);
    }
  }

  /**
   * Nonce reservations of this instance go one transaction at a time, and the ones that queue up
   * meanwhile share the next transaction (group commit): contention on the signer's head is only
   * between instances, and a burst costs a few transactions instead of one each.
   */
  private reserveTogether(request: ReservationRequest, chainPending: number): Promise<ActionRecord | undefined> {
    return new Promise((resolve, reject) => {
      this.reservations.push({ request, chainPending, resolve, reject });
      void this.drainReservations();
    });
  }

  private async drainReservations(): Promise<void> {
    if (this.reserving) return;
    this.reserving = true;
    try {
      while (this.reservations.length) {
        // One action twice in a batch would be an invalid transaction; the later copy lost a race anyway.
        const batch: typeof this.reservations = [];
        for (const entry of this.reservations.splice(0, MAX_BATCH)) {
          if (batch.some((b) => b.request.queued.actionKey === entry.request.queued.actionKey)) entry.resolve(undefined);
          else batch.push(entry);
        }
        try {
          const chainPending = Math.max(...batch.map((b) => b.chainPending));
          const results = await this.store.reserveNonces(batch.map((b) => b.request), { chainPending });
          batch.forEach((b, i) => b.resolve(results[i]));
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.reserving = false;
    }
  }
}
