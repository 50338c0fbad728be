/**
 * The PMM registry (table `pmms`): which market makers the quote API and the rebalance ask, by
 * maker address. Operational data, managed with `ssi admin pmm add|list|disable` against any
 * stage; the functions read it with a short cache, so a change reaches them within the cache time.
 */
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getAddress } from 'ethers';
import { z } from 'zod';
import type { PmmEndpoint } from '../domain/quotes/rfq';
import { addressSchema } from '../domain/address';

export const pmmRecordSchema = z.object({
  /** The PMM's signing address (checksummed): the key. */
  maker: addressSchema.transform((a) => getAddress(a)),
  name: z.string().min(1).max(64),
  /** Where quote RFQs are posted; a rebalance RFQ goes to `<rfqUrl>/rebalance`. */
  rfqUrl: z.string().url(),
  /** Where several RFQs go in one request, if the PMM takes batches. */
  batchUrl: z.string().url().optional(),
  enabled: z.boolean(),
  updatedAt: z.string(),
});
export type PmmRecord = z.infer<typeof pmmRecordSchema>;

export class PmmRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Registers a PMM, or replaces its record (enabled again). */
  async add(pmm: { maker: string; name: string; rfqUrl: string; batchUrl?: string }): Promise<PmmRecord> {
    const record = pmmRecordSchema.parse({ ...pmm, enabled: true, updatedAt: new Date().toISOString() });
    await this.doc.send(new PutCommand({ TableName: this.table, Item: record }));
    return record;
  }

  /** Stops asking a PMM; refuses (RangeError) a maker that is not registered. */
  async disable(maker: string): Promise<PmmRecord> {
    const key = { maker: getAddress(maker) };
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    if (!Item) throw new RangeError(`no PMM ${key.maker} is registered`);
    const { Attributes } = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key,
        UpdateExpression: 'SET enabled = :false, updatedAt = :at',
        ExpressionAttributeValues: { ':false': false, ':at': new Date().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return pmmRecordSchema.parse(Attributes);
  }

  /** Every registered PMM, in maker order (the table holds a handful: one Scan). */
  async list(): Promise<PmmRecord[]> {
    const records: PmmRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of page.Items ?? []) records.push(pmmRecordSchema.parse(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return records.sort((a, b) => a.maker.localeCompare(b.maker));
  }
}

/** The enabled PMMs as RFQ endpoints, read at most every `ttlMs` (a failed read keeps the last list once there is one). */
export function cachedPmms(registry: Pick<PmmRegistry, 'list'>, ttlMs: number, now: () => number = Date.now): () => Promise<PmmEndpoint[]> {
  let cached: { at: number; pmms: PmmEndpoint[] } | undefined;
  return async () => {
    if (cached && now() - cached.at < ttlMs) return cached.pmms;
    try {
      const pmms = (await registry.list()).filter((p) => p.enabled).map((p) => ({ name: p.name, url: p.rfqUrl, maker: p.maker, ...(p.batchUrl ? { batchUrl: p.batchUrl } : {}) }));
      cached = { at: now(), pmms };
      return pmms;
    } catch (error) {
      if (cached) return cached.pmms;
      throw error;
    }
  };
}
