import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { Unavailable } from '../shared/errors';

/*
 * The relayer's DynamoDB records. Two tables:
 *
 * relayer-actions (pk actionKey): one item per logical action, replaced whole on every change
 * under optimistic locking (`version`), so an instance acting on a stale copy always loses.
 *
 * relayer-nonces (pk signer, sk): per signing address, a `head` item with the next nonce never
 * handed out and the `free` nonces (handed out, given back before anything was signed), and one
 * `nonce#<n>` slot per nonce saying who holds it. A nonce changes hands only in a transaction
 * that also writes the action that takes or gives it back, so at every moment each nonce below
 * `next` is exactly one of: held by one action, free, or used by someone outside the relayer.
 */

export type ActionStatus = 'queued' | 'reserved' | 'sent' | 'mined' | 'failed' | 'replaced';

/** States an action never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<ActionStatus> = new Set<ActionStatus>(['mined', 'failed', 'replaced']);

export const isTerminal = (status: ActionStatus): boolean => TERMINAL_STATUSES.has(status);

/** One signed transaction for an action's nonce; replacements add attempts, the first one mined wins. */
export interface Attempt {
  readonly hash: string;
  /** The signed transaction, kept so it can be broadcast again whenever the node lost it. */
  readonly raw: string;
  readonly maxFeePerGas: string;
  readonly maxPriorityFeePerGas: string;
  readonly signedAt: string;
}

export interface Failure {
  /** Stable code: would_revert, reverted, insufficient_funds, kms_throttled, kms_key_disabled, ... */
  readonly code: string;
  readonly reason: string;
  /** Revert data, when the chain gave some. */
  readonly revertData?: string;
}

export interface ActionRecord {
  /** The caller's idempotency key: one logical action, sent at most once whatever the retries. */
  readonly actionKey: string;
  /** `fill`: a no-op (0-value self-transfer) the relayer sent to fill a nonce nobody else would use. */
  readonly kind: 'action' | 'fill';
  readonly signer: string;
  readonly chainId: number;
  readonly to: string;
  readonly data: string;
  /** Wei, decimal. */
  readonly value: string;
  /** Gas limit the caller asked for; the estimate is skipped when set. */
  readonly requestedGasLimit?: string;
  /** Gas limit used (requested, or the estimate plus buffer). */
  readonly gasLimit?: string;
  readonly status: ActionStatus;
  /** The nonce held while reserved or sent, and the one used once mined or replaced. */
  readonly nonce?: number;
  /** Nonces this action held and gave back unsigned (audit). */
  readonly releasedNonces?: readonly number[];
  readonly attempts: readonly Attempt[];
  /** Hash of the latest attempt. */
  readonly currentHash?: string;
  /** When the latest attempt was last accepted by the node. */
  readonly broadcastAt?: string;
  /** Latest transient problem (chain unreachable, KMS throttled on a replacement); the action keeps going. */
  readonly lastError?: string;
  /** When the chain was first seen past this action's nonce with none of its attempts found. */
  readonly orphanedSince?: string;
  readonly txHash?: string;
  readonly blockNumber?: number;
  readonly blockHash?: string;
  readonly gasUsed?: string;
  readonly effectiveGasPrice?: string;
  readonly failure?: Failure;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
  /** Optimistic lock: every write is conditional on the version read and bumps it. */
  readonly version: number;
  /** Instance working on the action until `leaseUntil` (epoch ms); others leave it alone until then. */
  readonly leaseOwner?: string;
  readonly leaseUntil?: number;
  /** The signer while the action is not terminal: key of the in-flight index the monitor reads. */
  readonly inFlightSigner?: string;
}

export interface NonceHead {
  readonly signer: string;
  /** The lowest nonce never handed out. */
  readonly next: number;
  /** Nonces handed out and given back unsigned, ascending: the next reservations take these first. */
  readonly free: readonly number[];
}

export type SlotState = 'assigned' | 'free' | 'external';

export interface NonceSlot {
  readonly signer: string;
  readonly nonce: number;
  readonly state: SlotState;
  /** The action holding the nonce, while assigned. */
  readonly actionKey?: string;
  /** Every action that ever held this nonce, in order (audit). */
  readonly holders: readonly string[];
  readonly updatedAt: string;
}

export interface RelayerTables {
  readonly actions: string;
  readonly nonces: string;
}

export const IN_FLIGHT_INDEX = 'in-flight-by-signer';
/** Reservations per transaction: a head update plus a slot and an action each, within DynamoDB's 100 items. */
export const MAX_BATCH = 40;

export interface ReservationRequest {
  readonly queued: ActionRecord;
  /** The reserved record to write for the nonce given. */
  readonly reserved: (nonce: number) => ActionRecord;
  /** The action is new: written here (a fill), not updated. */
  readonly create?: boolean;
}
const HEAD = 'head';
export const slotSortKey = (nonce: number): string => `nonce#${String(nonce).padStart(20, '0')}`;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

function cancellationCodes(error: unknown): string[] | undefined {
  if ((error as { name?: string }).name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}

const isConditionFailure = (error: unknown): boolean => (error as { name?: string }).name === 'ConditionalCheckFailedException';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** DynamoDB access for the relayer; every method that changes state says so in its result. */
export class RelayerStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tables: RelayerTables,
    /** Attempts at a contended nonce reservation before giving up with Unavailable. */
    private readonly maxReserveAttempts = 200,
  ) {}

  async getAction(actionKey: string): Promise<ActionRecord | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tables.actions, Key: { actionKey }, ConsistentRead: true }));
    return Item as ActionRecord | undefined;
  }

  /** Writes `next` if the stored action is still at `expectedVersion` (or absent, for 'new'). False when someone else got there first. */
  async putAction(next: ActionRecord, expectedVersion: number | 'new'): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tables.actions, Item: next, ...actionCondition(expectedVersion) }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Actions of `signer` that are not terminal yet (an eventually consistent index: act only through putAction). */
  async inFlight(signer: string): Promise<ActionRecord[]> {
    const items: ActionRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.actions,
          IndexName: IN_FLIGHT_INDEX,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'inFlightSigner' },
          ExpressionAttributeValues: { ':s': signer },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as ActionRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async getHead(signer: string): Promise<NonceHead | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tables.nonces, Key: { signer, sk: HEAD }, ConsistentRead: true }));
    if (!Item) return undefined;
    const free = Item.free instanceof Set ? [...(Item.free as Set<number>)].map(Number).sort((a, b) => a - b) : [];
    return { signer, next: Number(Item.next), free };
  }

  /** Creates the head at `next` (the chain's nonce) unless it exists. */
  async initHead(signer: string, next: number): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.nonces,
          Item: { signer, sk: HEAD, next, updatedAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Slots for nonces in [from, to), strongly consistent. */
  async slots(signer: string, from: number, to: number): Promise<NonceSlot[]> {
    if (to <= from) return [];
    const slots: NonceSlot[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.nonces,
          KeyConditionExpression: '#signer = :s AND sk BETWEEN :a AND :b',
          ExpressionAttributeNames: { '#signer': 'signer' },
          ExpressionAttributeValues: { ':s': signer, ':a': slotSortKey(from), ':b': slotSortKey(to - 1) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      slots.push(...((page.Items ?? []) as NonceSlot[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return slots;
  }

  /**
   * Gives `queued` (or, with `create`, a new action written here) a nonce and writes it as
   * `reserved` in one transaction with the nonce book; see reserveNonces.
   */
  async reserveNonce(
    queued: ActionRecord,
    reserved: (nonce: number) => ActionRecord,
    options: { create?: boolean; nonce?: number; chainPending?: number } = {},
  ): Promise<ActionRecord | undefined> {
    const [result] = await this.reserveNonces([{ queued, reserved, create: options.create }], options);
    return result;
  }

  /**
   * Gives each queued action a nonce and writes them as `reserved` in ONE transaction with the
   * nonce book (at most MAX_BATCH): the lowest free nonces first, then `next`, `next + 1`, ...
   * (`options.nonce` asks for that one free nonce, for a single action). With `chainPending` (the
   * chain's pending nonce) the book is first moved past nonces the chain shows used by someone
   * else. Contention on the head is retried; an action that changed under us (another instance
   * owns it now) is left out and gets undefined.
   */
  async reserveNonces(
    requests: ReadonlyArray<ReservationRequest>,
    options: { nonce?: number; chainPending?: number } = {},
  ): Promise<Array<ActionRecord | undefined>> {
    if (requests.length > MAX_BATCH) throw new Error(`at most ${MAX_BATCH} reservations per transaction`);
    if (options.nonce !== undefined && requests.length !== 1) throw new Error('a given nonce is reserved for one action at a time');
    const signer = requests[0]?.queued.signer;
    if (requests.some((r) => r.queued.signer !== signer)) throw new Error('one signer per reservation batch');
    const results: Array<ActionRecord | undefined> = requests.map(() => undefined);
    let remaining = requests.map((_, index) => index);
    for (let attempt = 1; remaining.length > 0; attempt++) {
      if (attempt > this.maxReserveAttempts) {
        throw new Unavailable(`could not reserve a nonce for ${signer} after ${this.maxReserveAttempts} contended attempts`, 'nonce_contention');
      }
      const head = await this.getHead(signer);
      if (!head) throw new Error(`no nonce head for ${signer}: initialise it from the chain first`);
      const pending = options.chainPending;
      if (pending !== undefined && head.next < pending) {
        // Someone sent from this address outside the relayer: never hand out a nonce the chain has used.
        await this.raiseHead(signer, head.next, pending);
        continue;
      }
      const used = pending === undefined ? undefined : head.free.find((n) => n < pending);
      if (used !== undefined) {
        await this.markSlotExternal(signer, used);
        continue;
      }
      let nonces: number[];
      if (options.nonce !== undefined) {
        if (!head.free.includes(options.nonce)) return results;
        nonces = [options.nonce];
      } else {
        const fromFree = head.free.slice(0, remaining.length);
        nonces = [...fromFree, ...Array.from({ length: remaining.length - fromFree.length }, (_, i) => head.next + i)];
      }
      const freeTaken = nonces.filter((n) => n < head.next);
      const fresh = nonces.length - freeTaken.length;
      const now = new Date().toISOString();
      const headValues: Record<string, unknown> = { ':t': now, ':next': head.next };
      const headConditions = ['#next = :next'];
      const headUpdates = ['updatedAt = :t'];
      if (fresh > 0) {
        headUpdates.push('#next = :after');
        headValues[':after'] = head.next + fresh;
      }
      freeTaken.forEach((n, i) => {
        headConditions.push(`contains(#free, :f${i})`);
        headValues[`:f${i}`] = n;
      });
      if (freeTaken.length) headValues[':taken'] = new Set(freeTaken);
      const items: TransactItem[] = [
        {
          Update: {
            TableName: this.tables.nonces,
            Key: { signer, sk: HEAD },
            UpdateExpression: `SET ${headUpdates.join(', ')}${freeTaken.length ? ' DELETE #free :taken' : ''}`,
            ConditionExpression: headConditions.join(' AND '),
            ExpressionAttributeNames: { '#next': 'next', ...(freeTaken.length ? { '#free': 'free' } : {}) },
            ExpressionAttributeValues: headValues,
          },
        },
      ];
      const written = remaining.map((index, i) => {
        const { queued, reserved, create } = requests[index];
        const nonce = nonces[i];
        const next = reserved(nonce);
        items.push(
          nonce < head.next
            ? {
                Update: {
                  TableName: this.tables.nonces,
                  Key: { signer, sk: slotSortKey(nonce) },
                  UpdateExpression: 'SET #state = :assigned, actionKey = :k, holders = list_append(if_not_exists(holders, :empty), :holder), updatedAt = :t',
                  ConditionExpression: '#state = :free',
                  ExpressionAttributeNames: { '#state': 'state' },
                  ExpressionAttributeValues: { ':assigned': 'assigned', ':free': 'free', ':k': queued.actionKey, ':holder': [queued.actionKey], ':empty': [], ':t': now },
                },
              }
            : {
                Put: {
                  TableName: this.tables.nonces,
                  Item: { signer, sk: slotSortKey(nonce), nonce, state: 'assigned', actionKey: queued.actionKey, holders: [queued.actionKey], updatedAt: now } satisfies NonceSlot & { sk: string },
                  ConditionExpression: 'attribute_not_exists(sk)',
                },
              },
          { Put: { TableName: this.tables.actions, Item: next, ...actionCondition(create ? 'new' : queued.version) } },
        );
        return { index, next };
      });
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        for (const { index, next } of written) results[index] = next;
        return results;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        // Item 0 is the head; then a slot and an action per reservation.
        const lost = written.filter((_, i) => codes[2 + 2 * i] === 'ConditionalCheckFailed').map((w) => w.index);
        if (lost.length) {
          remaining = remaining.filter((index) => !lost.includes(index));
          continue;
        }
        await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
      }
    }
    return results;
  }

  /**
   * Gives a reserved action's nonce back (nothing was signed with it) and writes the action as
   * `failed` in the same transaction. False when the action changed under us.
   */
  async releaseNonce(reserved: ActionRecord, failed: ActionRecord): Promise<boolean> {
    const nonce = reserved.nonce;
    if (reserved.status !== 'reserved' || nonce === undefined) throw new Error(`only a reserved action gives its nonce back, not a ${reserved.status} one`);
    const now = failed.updatedAt;
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tables.nonces,
                Key: { signer: reserved.signer, sk: HEAD },
                UpdateExpression: 'ADD #free :n SET updatedAt = :t',
                ConditionExpression: '#next > :nonce',
                ExpressionAttributeNames: { '#next': 'next', '#free': 'free' },
                ExpressionAttributeValues: { ':n': new Set([nonce]), ':nonce': nonce, ':t': now },
              },
            },
            {
              Update: {
                TableName: this.tables.nonces,
                Key: { signer: reserved.signer, sk: slotSortKey(nonce) },
                UpdateExpression: 'SET #state = :free, updatedAt = :t REMOVE actionKey',
                ConditionExpression: '#state = :assigned AND actionKey = :k',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':free': 'free', ':assigned': 'assigned', ':k': reserved.actionKey, ':t': now },
              },
            },
            { Put: { TableName: this.tables.actions, Item: failed, ...actionCondition(reserved.version) } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)) return false;
      throw error;
    }
  }

  /**
   * Moves `next` up from `from` to `to` because the chain shows transactions from the signer
   * the relayer did not send; their nonces are recorded as `external`. At most 90 per call.
   */
  async raiseHead(signer: string, from: number, to: number): Promise<boolean> {
    const upTo = Math.min(to, from + 90);
    const now = new Date().toISOString();
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.tables.nonces,
          Key: { signer, sk: HEAD },
          UpdateExpression: 'SET #next = :to, updatedAt = :t',
          ConditionExpression: '#next = :from',
          ExpressionAttributeNames: { '#next': 'next' },
          ExpressionAttributeValues: { ':to': upTo, ':from': from, ':t': now },
        },
      },
    ];
    for (let nonce = from; nonce < upTo; nonce++) {
      items.push({
        Put: {
          TableName: this.tables.nonces,
          Item: { signer, sk: slotSortKey(nonce), nonce, state: 'external', holders: [], updatedAt: now },
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      });
    }
    return this.transact(items);
  }

  /** The top nonce (`next` - 1) is free: hand it out again as `next` instead of filling it. */
  async lowerHead(signer: string, nonce: number): Promise<boolean> {
    const now = new Date().toISOString();
    return this.transact([
      {
        Update: {
          TableName: this.tables.nonces,
          Key: { signer, sk: HEAD },
          UpdateExpression: 'SET #next = :nonce, updatedAt = :t DELETE #free :n',
          ConditionExpression: '#next = :after AND contains(#free, :nonce)',
          ExpressionAttributeNames: { '#next': 'next', '#free': 'free' },
          ExpressionAttributeValues: { ':nonce': nonce, ':after': nonce + 1, ':n': new Set([nonce]), ':t': now },
        },
      },
      {
        Delete: {
          TableName: this.tables.nonces,
          Key: { signer, sk: slotSortKey(nonce) },
          ConditionExpression: '#state = :free',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':free': 'free' },
        },
      },
    ]);
  }

  /** A nonce below `next` with no slot (the book was edited by hand, or lost): record it as free so it gets used. */
  async freeMissingSlot(signer: string, nonce: number): Promise<boolean> {
    const now = new Date().toISOString();
    return this.transact([
      {
        Put: {
          TableName: this.tables.nonces,
          Item: { signer, sk: slotSortKey(nonce), nonce, state: 'free', holders: [], updatedAt: now, note: 'no record of this nonce was found' },
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      },
      {
        Update: {
          TableName: this.tables.nonces,
          Key: { signer, sk: HEAD },
          UpdateExpression: 'ADD #free :n SET updatedAt = :t',
          ConditionExpression: '#next > :nonce',
          ExpressionAttributeNames: { '#next': 'next', '#free': 'free' },
          ExpressionAttributeValues: { ':n': new Set([nonce]), ':nonce': nonce, ':t': now },
        },
      },
    ]);
  }

  /** A free nonce the chain has already used (someone outside the relayer sent with it). */
  async markSlotExternal(signer: string, nonce: number): Promise<boolean> {
    const now = new Date().toISOString();
    return this.transact([
      {
        Update: {
          TableName: this.tables.nonces,
          Key: { signer, sk: HEAD },
          UpdateExpression: 'DELETE #free :n SET updatedAt = :t',
          ConditionExpression: 'contains(#free, :nonce)',
          ExpressionAttributeNames: { '#free': 'free' },
          ExpressionAttributeValues: { ':n': new Set([nonce]), ':nonce': nonce, ':t': now },
        },
      },
      {
        Update: {
          TableName: this.tables.nonces,
          Key: { signer, sk: slotSortKey(nonce) },
          UpdateExpression: 'SET #state = :external, updatedAt = :t',
          ConditionExpression: '#state = :free',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':external': 'external', ':free': 'free', ':t': now },
        },
      },
    ]);
  }

  private async transact(items: TransactItem[]): Promise<boolean> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (cancellationCodes(error)) return false;
      throw error;
    }
  }
}

function actionCondition(expectedVersion: number | 'new') {
  return expectedVersion === 'new'
    ? { ConditionExpression: 'attribute_not_exists(actionKey)' }
    : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': expectedVersion } };
}
