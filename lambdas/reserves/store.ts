import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** S3 key of one index's signed report for a day. */
export const reportKey = (day: string, symbol: string): string => `reserves/${day}/${symbol}.json`;
/** S3 key of the holder tree (OZ StandardMerkleTree dump) the report's liabilitiesRoot commits to. */
export const treeKey = (day: string, symbol: string): string => `reserves/${day}/${symbol}.tree.json`;

const isMissing = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

/**
 * Report objects in the reports bucket: written once, overwritten only when the block they were
 * read at was reorged away (`replace`). Puts carry
 * `If-None-Match: *` (S3 refuses with 412 when the key exists); s3rver ignores that header, so the
 * writer also checks for the key first. The AWS bucket is versioned, so even a racing overwrite
 * would keep the first version.
 */
export class ReportObjects {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {}

  async get(key: string): Promise<string | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await out.Body!.transformToString('utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /**
   * Overwrites a report whose block was reorged away (the only overwrite: a report of a canonical
   * block is never replaced). The AWS bucket is versioned, so the orphaned report stays readable.
   */
  async replace(key: string, body: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }));
  }

  /** Writes `body` unless the key exists; false when it did. */
  async putNew(key: string, body: string): Promise<boolean> {
    if (await this.exists(key)) return false;
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json', IfNoneMatch: '*' }));
      return true;
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412) return false;
      throw error;
    }
  }
}

/** Index of published reports in the ops table: pk `reserves`, sk `report#<day>#<symbol>`. */
export interface ReportEntry {
  readonly day: string;
  readonly symbol: string;
  readonly index: string;
  readonly key: string;
  readonly treeKey: string;
  readonly reportHash: string;
  readonly liabilitiesRoot: string;
  readonly blockNumber: number;
  readonly deficit: boolean;
  readonly txHash?: string;
  readonly publishedAt: string;
}

/** Breaker state of one index in the ops table: pk `breaker`, sk `<symbol>`. */
export interface BreakerState {
  readonly symbol: string;
  readonly index: string;
  readonly state: 'tripped' | 'cleared';
  readonly day?: string;
  readonly deficitAssets?: readonly string[];
  readonly trippedAt?: string;
  readonly clearedAt?: string;
  readonly clearedBy?: string;
  readonly txHash?: string;
}

export class ReserveRecords {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly table: string) {}

  /** The block the day's run reads at: the first run pins it, retries reuse it. */
  async pinBlock(day: string, candidate: { number: number; hash: string }): Promise<{ number: number; hash: string }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: 'reserves', sk: `run#${day}`, blockNumber: candidate.number, blockHash: candidate.hash, pinnedAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return candidate;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'reserves', sk: `run#${day}` }, ConsistentRead: true }));
      return { number: Item!.blockNumber as number, hash: Item!.blockHash as string };
    }
  }

  /**
   * Moves the day's pin from `stale` (a block no longer on the canonical chain) to `candidate`.
   * Conditional on the stale hash, so two racing retries agree on one pin: the loser reads it.
   */
  async repinBlock(day: string, stale: { number: number; hash: string }, candidate: { number: number; hash: string }): Promise<{ number: number; hash: string }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: 'reserves', sk: `run#${day}`, blockNumber: candidate.number, blockHash: candidate.hash, pinnedAt: new Date().toISOString(), replaced: stale.hash },
          ConditionExpression: 'blockHash = :stale',
          ExpressionAttributeValues: { ':stale': stale.hash },
        }),
      );
      return candidate;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'reserves', sk: `run#${day}` }, ConsistentRead: true }));
      return { number: Item!.blockNumber as number, hash: Item!.blockHash as string };
    }
  }

  async putReport(entry: ReportEntry): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: 'reserves', sk: `report#${entry.day}#${entry.symbol}`, ...entry } }));
  }

  /** The reports of `day`, or of the latest day published when `day` is undefined. */
  async reports(day?: string): Promise<ReportEntry[]> {
    if (day) {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': 'reserves', ':prefix': `report#${day}#` },
        }),
      );
      return (out.Items ?? []) as ReportEntry[];
    }
    const latest = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': 'reserves', ':prefix': 'report#' },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const top = latest.Items?.[0] as ReportEntry | undefined;
    return top ? this.reports(top.day) : [];
  }

  async breaker(symbol: string): Promise<BreakerState | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'breaker', sk: symbol }, ConsistentRead: true }));
    return Item as BreakerState | undefined;
  }

  async putBreaker(state: BreakerState): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: 'breaker', sk: state.symbol, ...state } }));
  }
}
