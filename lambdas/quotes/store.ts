/**
 * The quotes table: the audit trail of every quote given or refused. A quote is answered only
 * after its record is written. Writes go through a group commit: while one batch is in flight,
 * new records queue and go out together in the next BatchWriteItem (25 at most), so under load
 * a container makes one write per batch instead of one per quote, and alone it writes at once.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchWriteCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One quote record; `id` is the order hash of a given quote or the request id of a refused one.
 * The top-level fields are attributes; `data` (the quote as answered, every PMM answer with its
 * reason) is stored as one gzipped JSON binary attribute: written once, read whole, never
 * queried, and about a third of the size (DynamoDB Local spends a third of the CPU on it).
 */
export interface QuoteRecord {
  id: string;
  requestId: string;
  status: 'firm' | 'refused';
  wlp: string;
  createdAt: string;
  /** Epoch seconds after which DynamoDB may delete the record (TTL). */
  expiresAt: number;
  data: Record<string, unknown>;
}

const toItem = (record: QuoteRecord) => ({ ...record, data: gzipSync(JSON.stringify(record.data), { level: 1 }) });
const fromItem = (item: Record<string, unknown>): QuoteRecord => ({
  ...(item as unknown as QuoteRecord),
  data: JSON.parse(gunzipSync(item.data as Uint8Array).toString('utf8')) as Record<string, unknown>,
});

export interface QuoteStore {
  put(record: QuoteRecord): Promise<void>;
  get(id: string): Promise<QuoteRecord | undefined>;
}

interface Pending {
  record: QuoteRecord;
  resolve(): void;
  reject(error: unknown): void;
}

const BATCH = 25;

export class DynamoQuoteStore implements QuoteStore {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly options: {
      /** Batches written at once at most; the rest wait for one to finish (default 4). */
      maxInFlight?: number;
    } = {},
  ) {}

  put(record: QuoteRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.pump(false);
    });
  }

  async get(id: string): Promise<QuoteRecord | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { id } }));
    return Item ? fromItem(Item) : undefined;
  }

  private pump(flush: boolean): void {
    while (this.queue.length > 0 && this.inFlight < (this.options.maxInFlight ?? 4)) {
      if (!flush && this.queue.length < BATCH) {
        // Whoever queues while a batch is in flight goes out with the next one, when it lands.
        if (this.inFlight > 0) return;
      }
      const batch = this.queue.splice(0, BATCH);
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.pump(true);
      });
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    let items: Array<Record<string, unknown>> = batch.map((p) => toItem(p.record));
    try {
      for (let attempt = 0; items.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(200, 10 * 2 ** attempt)));
        if (attempt >= 6) throw new Error(`DynamoDB left ${items.length} quote records unprocessed after ${attempt} attempts`);
        const { UnprocessedItems } = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.table]: items.map((Item) => ({ PutRequest: { Item } })) } }),
        );
        items = (UnprocessedItems?.[this.table] ?? []).map((r) => r.PutRequest!.Item as Record<string, unknown>);
      }
      for (const p of batch) p.resolve();
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}

/** In-memory store for tests of the quote service. */
export class MemoryQuoteStore implements QuoteStore {
  readonly records = new Map<string, QuoteRecord>();
  async put(record: QuoteRecord): Promise<void> {
    this.records.set(record.id, structuredClone(record));
  }
  async get(id: string): Promise<QuoteRecord | undefined> {
    return this.records.get(id);
  }
}
