import { mapConcurrent } from '../shared/concurrency';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  type AttributeValue,
  type KeysAndAttributes,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { Conflict } from '../shared/errors';
import type { Day } from '../domain/points/calendar';
import type { DayPointsRow, ReferralLink } from '../domain/points/rules';

/*
 * The points table (TABLES entry `points`): one table, keys pk/sk, GSI `leaderboard` (lbPk/lbSk).
 *
 *   pk                     sk                 what
 *   USER#<address>         DAY#<yyyy-mm-dd>   a user's points of one day (base, boost, own, referral, total)
 *   USER#<address>         EPOCH#<000042>     a user's epoch total, with the per-day totals it sums
 *                                             (GSI leaderboard: lbPk EPOCH#<000042>#<shard>, lbSk <points, 30 digits>#<address>)
 *   USER#<address>         REFERRAL#<addr>    a user this address referred (the referrer's list)
 *   USER#<address>         CLAIM#<000042>     cumulative claimable amount and proof after an epoch's root
 *   REFERRALS#<shard>      USER#<address>     who referred this user (one per user, never replaced)
 *   EPOCHS                 EPOCH#<000042>     an epoch's record: range, status, pool, root, tree location
 *   SNAPSHOTS              DAY#<yyyy-mm-dd>   a day whose snapshot completed (users, total points): an epoch
 *                                             closes only when each of its days has one
 *   SNAPSHOTS              LEASE              the snapshot run allowed to write (holder, until): one at a time
 *   NAV#<index symbol>     DAY#<yyyy-mm-dd>   an index's NAV per token on a day (atto-USD) at the block its points
 *                                             snapshot pinned: the index's live history (the snapshot's work files expire)
 *   SNAPSHOT#<yyyy-mm-dd>  RUN#<run>#SHARD#<000042>
 *                                             one shard of a fanned-out snapshot run written (users, total points):
 *                                             the run's reduce step marks the day only when every shard has one
 *
 * Addresses are lower-case. Points and amounts are N attributes holding exact integers (micro-points,
 * token base units), read back as bigint. The leaderboard partition is split into LEADERBOARD_SHARDS
 * by the address's last hex digit, so a million users' epoch totals are not written to one GSI
 * partition; a leaderboard read queries every shard (descending, Limit) and merges.
 *
 * Idempotence: a day item is a deterministic Put of the day's row. An epoch item holds the map
 * day -> total and its total is recomputed from that map, so writing day D again with the same
 * rows writes the same items (a re-run changes nothing), in any order relative to other days,
 * and a corrected re-run replaces that day's contribution instead of adding to it. The epoch
 * items are read with strongly consistent BatchGetItem before they are rewritten, so two snapshot
 * runs must never write at once: a run takes the snapshot lease before it writes and gives it
 * back when done (`takeSnapshotLease`).
 */

export const LEADERBOARD_INDEX = 'leaderboard';
export const LEADERBOARD_SHARDS = 16;
const POINTS_DIGITS = 30;
const EPOCH_DIGITS = 6;

export const userKey = (address: string): string => `USER#${address}`;
export const dayKey = (day: Day): string => `DAY#${day}`;
export const epochKey = (epoch: number): string => `EPOCH#${String(epoch).padStart(EPOCH_DIGITS, '0')}`;
export const claimKey = (epoch: number): string => `CLAIM#${String(epoch).padStart(EPOCH_DIGITS, '0')}`;
export const shardOf = (address: string): number => parseInt(address.charAt(address.length - 1), 16) % LEADERBOARD_SHARDS;
const leaderboardPk = (epoch: number, shard: number): string => `${epochKey(epoch)}#${shard}`;
const leaderboardSk = (points: bigint, address: string): string => `${points.toString().padStart(POINTS_DIGITS, '0')}#${address}`;
const referralsPk = (referred: string): string => `REFERRALS#${shardOf(referred)}`;
const shardRunKey = (run: string, shard: number): string => `RUN#${run}#SHARD#${String(shard).padStart(EPOCH_DIGITS, '0')}`;

export interface EpochUserTotal {
  readonly address: string;
  readonly epoch: number;
  /** Micro-points: the sum of `days`. */
  readonly points: bigint;
  readonly days: ReadonlyMap<Day, bigint>;
}

export interface LeaderboardEntry {
  readonly rank: number;
  readonly address: string;
  readonly points: bigint;
}

export type EpochStatus = 'open' | 'closed' | 'published';

export interface EpochRecord {
  readonly epoch: number;
  readonly start: Day;
  readonly end: Day;
  readonly status: EpochStatus;
  /** Reward pool in token base units, once known. */
  readonly pool?: bigint;
  readonly participants?: number;
  readonly totalPoints?: bigint;
  /** Claim tree root after this epoch, and where its dump is stored. */
  readonly root?: string;
  readonly treeKey?: string;
  readonly publishTx?: string;
}

export interface ClaimRecord {
  readonly address: string;
  readonly epoch: number;
  readonly cumulativeAmount: bigint;
  readonly proof: readonly string[];
  readonly root: string;
}

export interface StoredReferral extends ReferralLink {
  readonly signature: string;
  readonly registeredAt: string;
  /** The signed message's nonce (links registered before nonces have none). */
  readonly nonce?: string;
}

/** An index's NAV per token on one day, priced by that day's points snapshot at its pinned block. */
export interface IndexNav {
  readonly index: string;
  readonly day: Day;
  readonly block: number;
  /** atto-USD per whole index token. */
  readonly navUsd: bigint;
}

export interface PointsStoreOptions {
  /** Requests in flight at once (BatchWriteItem/BatchGetItem). Default 8. */
  readonly concurrency?: number;
  /** Attempts for a batch's unprocessed items before giving up. Default 10. */
  readonly maxAttempts?: number;
  /** First retry delay in ms, doubled each attempt, with full jitter. Default 25. */
  readonly backoffMs?: number;
}

export interface WriteStats {
  items: number;
  requests: number;
  retries: number;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, when there is one. */
  cursor?: string;
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: bigint | number): AttributeValue => ({ N: value.toString() });
const big = (value: AttributeValue | undefined): bigint => BigInt(value?.N ?? '0');
const num = (value: AttributeValue | undefined): number => Number(value?.N ?? '0');
const str = (value: AttributeValue | undefined): string => value?.S ?? '';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function encodeCursor(key: Record<string, AttributeValue> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

function decodeCursor(cursor: string | undefined): Record<string, AttributeValue> | undefined {
  if (!cursor) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new RangeError('invalid cursor');
  }
}

function dayItem(row: DayPointsRow): Record<string, AttributeValue> {
  return {
    pk: S(userKey(row.address)),
    sk: S(dayKey(row.day)),
    address: S(row.address),
    day: S(row.day),
    epoch: N(row.epoch),
    base: N(row.base),
    boost: N(row.boost),
    own: N(row.own),
    referral: N(row.referral),
    total: N(row.total),
  };
}

function parseDayItem(item: Record<string, AttributeValue>): DayPointsRow {
  return {
    address: str(item.address),
    day: str(item.day),
    epoch: num(item.epoch),
    base: big(item.base),
    boost: big(item.boost),
    own: big(item.own),
    referral: big(item.referral),
    total: big(item.total),
  };
}

function epochTotalItem(address: string, epoch: number, days: ReadonlyMap<Day, bigint>): Record<string, AttributeValue> {
  let points = 0n;
  const map: Record<string, AttributeValue> = {};
  for (const day of [...days.keys()].sort()) {
    const total = days.get(day) as bigint;
    points += total;
    map[day] = N(total);
  }
  return {
    pk: S(userKey(address)),
    sk: S(epochKey(epoch)),
    address: S(address),
    epoch: N(epoch),
    points: N(points),
    days: { M: map },
    lbPk: S(leaderboardPk(epoch, shardOf(address))),
    lbSk: S(leaderboardSk(points, address)),
  };
}

function parseEpochTotal(item: Record<string, AttributeValue>): EpochUserTotal {
  const days = new Map<Day, bigint>();
  for (const [day, value] of Object.entries(item.days?.M ?? {})) days.set(day, big(value));
  return { address: str(item.address), epoch: num(item.epoch), points: big(item.points), days };
}

function epochRecordItem(record: EpochRecord): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: S('EPOCHS'),
    sk: S(epochKey(record.epoch)),
    epoch: N(record.epoch),
    start: S(record.start),
    end: S(record.end),
    status: S(record.status),
  };
  if (record.pool !== undefined) item.pool = N(record.pool);
  if (record.participants !== undefined) item.participants = N(record.participants);
  if (record.totalPoints !== undefined) item.totalPoints = N(record.totalPoints);
  if (record.root !== undefined) item.root = S(record.root);
  if (record.treeKey !== undefined) item.treeKey = S(record.treeKey);
  if (record.publishTx !== undefined) item.publishTx = S(record.publishTx);
  return item;
}

function parseEpochRecord(item: Record<string, AttributeValue>): EpochRecord {
  return {
    epoch: num(item.epoch),
    start: str(item.start),
    end: str(item.end),
    status: str(item.status) as EpochStatus,
    ...(item.pool ? { pool: big(item.pool) } : {}),
    ...(item.participants ? { participants: num(item.participants) } : {}),
    ...(item.totalPoints ? { totalPoints: big(item.totalPoints) } : {}),
    ...(item.root ? { root: str(item.root) } : {}),
    ...(item.treeKey ? { treeKey: str(item.treeKey) } : {}),
    ...(item.publishTx ? { publishTx: str(item.publishTx) } : {}),
  };
}

export class PointsStore {
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    options: PointsStoreOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoffMs = options.backoffMs ?? 25;
  }

  /**
   * Records a day: every row's day item, and every row's epoch total with this day set to the
   * row's total. Rows must be one day of one epoch with distinct addresses (what `dayPoints`
   * returns). Writing the same rows again leaves the table as it was.
   */
  async applyDay(rows: readonly DayPointsRow[], slice = 100): Promise<WriteStats> {
    const stats: WriteStats = { items: 0, requests: 0, retries: 0 };
    if (!rows.length) return stats;
    const { day, epoch } = rows[0];
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.day !== day || row.epoch !== epoch) throw new RangeError(`rows mix days or epochs: ${row.day}/${row.epoch} and ${day}/${epoch}`);
      if (seen.has(row.address)) throw new RangeError(`address ${row.address} appears twice on ${day}`);
      seen.add(row.address);
    }
    const slices: number[] = [];
    for (let start = 0; start < rows.length; start += slice) slices.push(start);
    await mapConcurrent(slices, Math.max(1, Math.floor(this.concurrency / 2)), async (start) => {
      const part = rows.slice(start, start + slice);
      const current = await this.epochTotals(part.map((r) => r.address), epoch);
      const requests: WriteRequest[] = [];
      for (const row of part) {
        const days = new Map(current.get(row.address)?.days ?? []);
        days.set(day, row.total);
        requests.push({ PutRequest: { Item: dayItem(row) } }, { PutRequest: { Item: epochTotalItem(row.address, epoch, days) } });
      }
      const written = await this.batchWrite(requests, 2);
      stats.items += written.items;
      stats.requests += written.requests;
      stats.retries += written.retries;
    });
    return stats;
  }

  /**
   * Takes a day back for addresses a corrected re-run no longer lists: deletes their day item
   * and removes the day from their epoch total.
   */
  async removeDay(day: Day, epoch: number, addresses: readonly string[]): Promise<WriteStats> {
    const current = await this.epochTotals(addresses, epoch);
    const requests: WriteRequest[] = [];
    for (const address of addresses) {
      requests.push({ DeleteRequest: { Key: { pk: S(userKey(address)), sk: S(dayKey(day)) } } });
      const total = current.get(address);
      if (!total?.days.has(day)) continue;
      const days = new Map(total.days);
      days.delete(day);
      requests.push(
        days.size
          ? { PutRequest: { Item: epochTotalItem(address, epoch, days) } }
          : { DeleteRequest: { Key: { pk: S(userKey(address)), sk: S(epochKey(epoch)) } } },
      );
    }
    return this.batchWrite(requests);
  }

  /**
   * Writes items with BatchWriteItem: 25 per request, `concurrency` requests in flight,
   * unprocessed items retried with exponential backoff and full jitter until `maxAttempts`.
   */
  async batchWrite(requests: readonly WriteRequest[], concurrency = this.concurrency): Promise<WriteStats> {
    const stats: WriteStats = { items: requests.length, requests: 0, retries: 0 };
    const batches: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
    await mapConcurrent(batches, concurrency, async (batch) => {
      let pending = batch;
      for (let attempt = 1; pending.length; attempt++) {
        if (attempt > 1) {
          if (attempt > this.maxAttempts) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed after ${this.maxAttempts} attempts`);
          stats.retries++;
          await sleep(Math.random() * this.backoffMs * 2 ** (attempt - 2));
        }
        const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
        stats.requests++;
        pending = result.UnprocessedItems?.[this.table] ?? [];
      }
    });
    return stats;
  }

  /**
   * BatchGetItem of `keys`, 100 a request, `concurrency` requests in flight, unprocessed keys
   * retried with backoff; each returned item is handed to `onItem` as it arrives.
   */
  private async batchGet(keys: ReadonlyArray<Record<string, AttributeValue>>, read: Omit<KeysAndAttributes, 'Keys'>, onItem: (item: Record<string, AttributeValue>) => void): Promise<void> {
    const batches: Array<Array<Record<string, AttributeValue>>> = [];
    for (let i = 0; i < keys.length; i += 100) batches.push(keys.slice(i, i + 100));
    await mapConcurrent(batches, this.concurrency, async (batch) => {
      let pending: Array<Record<string, AttributeValue>> | undefined = batch;
      for (let attempt = 1; pending?.length; attempt++) {
        if (attempt > 1) {
          if (attempt > this.maxAttempts) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${this.maxAttempts} attempts`);
          await sleep(Math.random() * this.backoffMs * 2 ** (attempt - 2));
        }
        const reply: BatchGetItemCommandOutput = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { ...read, Keys: pending } } }));
        for (const item of reply.Responses?.[this.table] ?? []) onItem(item);
        pending = reply.UnprocessedKeys?.[this.table]?.Keys;
      }
    });
  }

  /** Current epoch totals of some addresses, read strongly consistently (BatchGetItem, 100 keys a request). */
  async epochTotals(addresses: readonly string[], epoch: number): Promise<Map<string, EpochUserTotal>> {
    const result = new Map<string, EpochUserTotal>();
    await this.batchGet(addresses.map((address) => ({ pk: S(userKey(address)), sk: S(epochKey(epoch)) })), { ConsistentRead: true }, (item) => {
      const total = parseEpochTotal(item);
      result.set(total.address, total);
    });
    return result;
  }

  /** A user's day items, newest first, optionally within [from, to]. */
  async history(address: string, options: { from?: Day; to?: Day; limit?: number; cursor?: string } = {}): Promise<Page<DayPointsRow>> {
    const reply = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': S(userKey(address)), ':from': S(dayKey(options.from ?? '0000-00-00')), ':to': S(dayKey(options.to ?? '9999-99-99')) },
        ScanIndexForward: false,
        Limit: options.limit ?? 100,
        ExclusiveStartKey: decodeCursor(options.cursor),
      }),
    );
    return { items: (reply.Items ?? []).map(parseDayItem), cursor: encodeCursor(reply.LastEvaluatedKey) };
  }

  /** A user's epoch totals, newest epoch first. */
  async userEpochs(address: string): Promise<EpochUserTotal[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': S(userKey(address)), ':prefix': S('EPOCH#') },
      ScanIndexForward: false,
    });
    return items.map(parseEpochTotal);
  }

  /** The top `limit` users of an epoch by points (ties: higher address first), from the sharded GSI: one Query per shard, merged. */
  async leaderboard(epoch: number, limit = 100): Promise<LeaderboardEntry[]> {
    const perShard = await Promise.all(
      Array.from({ length: LEADERBOARD_SHARDS }, (_, shard) =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: LEADERBOARD_INDEX,
            KeyConditionExpression: 'lbPk = :pk',
            ExpressionAttributeValues: { ':pk': S(leaderboardPk(epoch, shard)) },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      ),
    );
    const merged = perShard.flatMap((reply) => reply.Items ?? []);
    merged.sort((a, b) => (str(a.lbSk) < str(b.lbSk) ? 1 : str(a.lbSk) > str(b.lbSk) ? -1 : 0));
    return merged.slice(0, limit).map((item, i) => ({ rank: i + 1, address: str(item.address), points: big(item.points) }));
  }

  /** Every user's total of an epoch (for its close), read from the leaderboard index, all shards in parallel. */
  async epochPoints(epoch: number): Promise<Map<string, bigint>> {
    const points = new Map<string, bigint>();
    await Promise.all(
      Array.from({ length: LEADERBOARD_SHARDS }, async (_, shard) => {
        const items = await this.queryAll({
          TableName: this.table,
          IndexName: LEADERBOARD_INDEX,
          KeyConditionExpression: 'lbPk = :pk',
          ExpressionAttributeValues: { ':pk': S(leaderboardPk(epoch, shard)) },
          ProjectionExpression: 'address, points',
        });
        for (const item of items) points.set(str(item.address), big(item.points));
      }),
    );
    return points;
  }

  async putEpoch(record: EpochRecord): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: epochRecordItem(record) }));
  }

  async getEpoch(epoch: number): Promise<EpochRecord | undefined> {
    const reply = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S('EPOCHS'), sk: S(epochKey(epoch)) }, ConsistentRead: true }));
    return reply.Item ? parseEpochRecord(reply.Item) : undefined;
  }

  /** Every epoch record, oldest first. */
  async listEpochs(): Promise<EpochRecord[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': S('EPOCHS') },
    });
    return items.map(parseEpochRecord);
  }

  /**
   * Registers who referred a user: once per user, never replaced (a second registration is a
   * Conflict), no self-referral, at most `limit` users per referrer (Conflict `referral_limit`).
   * Writes the link, the referrer's count and its list entry in one transaction.
   */
  async registerReferral(link: StoredReferral, limit: number): Promise<void> {
    if (link.referred === link.referrer) throw new Conflict('an address cannot refer itself', 'self_referral');
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: S(referralsPk(link.referred)),
                  sk: S(userKey(link.referred)),
                  referred: S(link.referred),
                  referrer: S(link.referrer),
                  since: S(link.since),
                  signature: S(link.signature),
                  registeredAt: S(link.registeredAt),
                  ...(link.nonce ? { nonce: S(link.nonce) } : {}),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              // The referrer's count of referred users, at most `limit`.
              Update: {
                TableName: this.table,
                Key: { pk: S(userKey(link.referrer)), sk: S('REFERRALS') },
                UpdateExpression: 'ADD #count :one',
                ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
                ExpressionAttributeNames: { '#count': 'referredCount' },
                ExpressionAttributeValues: { ':one': N(1), ':limit': N(limit) },
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { pk: S(userKey(link.referrer)), sk: S(`REFERRAL#${link.referred}`), referred: S(link.referred), since: S(link.since) },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
        throw new Conflict(`${link.referred} already has a referrer`, 'already_referred');
      }
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') {
        throw new Conflict(`${link.referrer} has referred the most users one address may (${limit})`, 'referral_limit');
      }
      throw error;
    }
  }

  async referrerOf(referred: string): Promise<StoredReferral | undefined> {
    const reply = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(referralsPk(referred)), sk: S(userKey(referred)) } }));
    const item = reply.Item;
    return item
      ? {
          referred: str(item.referred),
          referrer: str(item.referrer),
          since: str(item.since),
          signature: str(item.signature),
          registeredAt: str(item.registeredAt),
          ...(item.nonce ? { nonce: str(item.nonce) } : {}),
        }
      : undefined;
  }

  /** Users an address referred. */
  async referredBy(referrer: string): Promise<Array<{ referred: string; since: Day }>> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': S(userKey(referrer)), ':prefix': S('REFERRAL#') },
    });
    return items.map((item) => ({ referred: str(item.referred), since: str(item.since) }));
  }

  /**
   * The referral links of some referred users (a snapshot shard's holders), BatchGetItem of 100
   * keys a request: a snapshot reads the links of the users it scores, page by page, and never
   * the whole referral set. Users without a referrer are left out.
   */
  async referralsOf(referred: readonly string[]): Promise<ReferralLink[]> {
    const found: ReferralLink[] = [];
    await this.batchGet(
      referred.map((address) => ({ pk: S(referralsPk(address)), sk: S(userKey(address)) })),
      { ProjectionExpression: '#referred, #referrer, #since', ExpressionAttributeNames: { '#referred': 'referred', '#referrer': 'referrer', '#since': 'since' } },
      (item) => found.push({ referred: str(item.referred), referrer: str(item.referrer), since: str(item.since) }),
    );
    return found.sort((a, b) => (a.referred < b.referred ? -1 : a.referred > b.referred ? 1 : 0));
  }

  /** Stores every account's claim after an epoch's root (deterministic Puts: re-runnable). */
  async putClaims(claims: readonly ClaimRecord[]): Promise<WriteStats> {
    return this.batchWrite(
      claims.map((claim) => ({
        PutRequest: {
          Item: {
            pk: S(userKey(claim.address)),
            sk: S(claimKey(claim.epoch)),
            address: S(claim.address),
            epoch: N(claim.epoch),
            cumulativeAmount: N(claim.cumulativeAmount),
            proof: { L: claim.proof.map(S) },
            root: S(claim.root),
          },
        },
      })),
    );
  }

  /** The latest claim of an account (highest epoch), if any. */
  async latestClaim(address: string): Promise<ClaimRecord | undefined> {
    const reply = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': S(userKey(address)), ':prefix': S('CLAIM#') },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = reply.Items?.[0];
    return item
      ? {
          address: str(item.address),
          epoch: num(item.epoch),
          cumulativeAmount: big(item.cumulativeAmount),
          proof: (item.proof?.L ?? []).map((p) => str(p)),
          root: str(item.root),
        }
      : undefined;
  }

  /** Records that `day`'s snapshot completed (written last, after every user's points of the day). */
  async markDaySnapshotted(day: Day, users: number, totalPoints: bigint): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { pk: S('SNAPSHOTS'), sk: S(dayKey(day)), day: S(day), users: N(users), totalPoints: N(totalPoints), at: S(new Date().toISOString()) },
      }),
    );
  }

  /**
   * Takes the snapshot lease for `holder` until `until` (epoch seconds): succeeds when nobody holds
   * it, its holder's time ran out, or `holder` already holds it; otherwise a Conflict naming the
   * holder. The lease expires by itself, so a run that dies without giving it back blocks others
   * only until then.
   */
  async takeSnapshotLease(holder: string, until: number, now = Math.floor(Date.now() / 1000)): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S('SNAPSHOTS'), sk: S('LEASE'), holder: S(holder), until: N(until) },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR holder = :holder',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': N(now), ':holder': S(holder) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S('SNAPSHOTS'), sk: S('LEASE') }, ConsistentRead: true }));
      const until = num(current.Item?.until);
      throw new Conflict(`another points snapshot run (${str(current.Item?.holder)}) holds the lease until ${new Date(until * 1000).toISOString()}`, 'snapshot_running', { holder: str(current.Item?.holder), until });
    }
  }

  /** Refuses (Conflict `snapshot_lease_lost`) unless `holder` still holds the snapshot lease and its time has not run out. */
  async confirmSnapshotLease(holder: string, now = Math.floor(Date.now() / 1000)): Promise<void> {
    const current = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S('SNAPSHOTS'), sk: S('LEASE') }, ConsistentRead: true }));
    if (str(current.Item?.holder) !== holder || num(current.Item?.until) < now) {
      throw new Conflict(`the snapshot run ${holder} no longer holds the lease`, 'snapshot_lease_lost');
    }
  }

  /** Gives the snapshot lease back if `holder` holds it (a no-op otherwise). */
  async releaseSnapshotLease(holder: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: S('SNAPSHOTS'), sk: S('LEASE') },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': S(holder) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records that shard `shard` of snapshot run `run` of `day` wrote all of its rows (a re-run writes the same item). */
  async markShardWritten(day: Day, run: string, shard: number, users: number, totalPoints: bigint): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { pk: S(`SNAPSHOT#${day}`), sk: S(shardRunKey(run, shard)), shard: N(shard), users: N(users), totalPoints: N(totalPoints) },
      }),
    );
  }

  /** The shards of snapshot run `run` of `day` that recorded their rows, by shard number. */
  async shardsWritten(day: Day, run: string): Promise<Map<number, { users: number; totalPoints: bigint }>> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
      ExpressionAttributeValues: { ':pk': S(`SNAPSHOT#${day}`), ':run': S(`RUN#${run}#`) },
      ConsistentRead: true,
    });
    return new Map(items.map((item) => [num(item.shard), { users: num(item.users), totalPoints: big(item.totalPoints) }]));
  }

  /** Records the indexes' NAVs of a day (a Put per index and day: a re-run of the day writes the same items, a corrected one replaces them). */
  async putIndexNavs(navs: readonly IndexNav[]): Promise<void> {
    await mapConcurrent(navs, 8, async (nav) => {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S(`NAV#${nav.index}`), sk: S(dayKey(nav.day)), index: S(nav.index), day: S(nav.day), block: N(nav.block), navUsd: N(nav.navUsd) },
        }),
      );
    });
  }

  /** An index's recorded NAVs from `from` to `to` (inclusive), oldest first. */
  async indexNavs(index: string, from: Day, to: Day): Promise<IndexNav[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': S(`NAV#${index}`), ':from': S(dayKey(from)), ':to': S(dayKey(to)) },
    });
    return items.map((item) => ({ index: str(item.index), day: str(item.day), block: num(item.block), navUsd: big(item.navUsd) }));
  }

  /** The days from `from` to `to` (inclusive) whose snapshot completed. */
  async snapshottedDays(from: Day, to: Day): Promise<Set<Day>> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': S('SNAPSHOTS'), ':from': S(dayKey(from)), ':to': S(dayKey(to)) },
      ConsistentRead: true,
    });
    return new Set(items.map((item) => str(item.day)));
  }

  private async queryAll(input: QueryCommandInput): Promise<Array<Record<string, AttributeValue>>> {
    const items: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const reply = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(reply.Items ?? []));
      start = reply.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
