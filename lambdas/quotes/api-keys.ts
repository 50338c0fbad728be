/**
 * WLP API keys. A key is `ssi_` + 32 random bytes in base64url; the table keeps only its sha256
 * (hex), with the WLP it belongs to and its limits. Whoever reads the table cannot call the API.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getAddress } from 'ethers';
import { z } from 'zod';
import type { APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { addressSchema } from '../domain/address';

export const API_KEY_PATTERN = /^ssi_[A-Za-z0-9_-]{43}$/;

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export function newApiKey(): string {
  return `ssi_${randomBytes(32).toString('base64url')}`;
}

export const wlpKeySchema = z.object({
  keyHash: z.string().regex(/^[0-9a-f]{64}$/),
  wlp: addressSchema,
  name: z.string().min(1).max(64),
  /** Requests per second. */
  rateLimit: z.number().int().nonnegative(),
  /** Requests per UTC day. */
  quota: z.number().int().nonnegative(),
  enabled: z.boolean(),
  createdAt: z.string(),
});
export type WlpKey = z.infer<typeof wlpKeySchema>;

/** Defaults for a new key: 50 quotes per second, 1,000,000 per day. */
export const DEFAULT_LIMITS = { rateLimit: 50, quota: 1_000_000 } as const;

/** Stores a key's hash for `wlp` and returns the record; `key` defaults to a fresh random key. */
export async function putApiKey(
  doc: DynamoDBDocumentClient,
  table: string,
  params: { wlp: string; name: string; key?: string; rateLimit?: number; quota?: number; enabled?: boolean },
): Promise<{ key: string; record: WlpKey }> {
  const key = params.key ?? newApiKey();
  if (!API_KEY_PATTERN.test(key)) throw new Error('an API key is ssi_ followed by 43 base64url characters');
  const record = wlpKeySchema.parse({
    keyHash: hashApiKey(key),
    wlp: getAddress(params.wlp),
    name: params.name,
    rateLimit: params.rateLimit ?? DEFAULT_LIMITS.rateLimit,
    quota: params.quota ?? DEFAULT_LIMITS.quota,
    enabled: params.enabled ?? true,
    createdAt: new Date().toISOString(),
  });
  await doc.send(new PutCommand({ TableName: table, Item: record }));
  return { key, record };
}

/** The id a key is named by in logs and in `ssi admin wlp`: the first 12 hex digits of its hash. */
export const keyIdOf = (record: Pick<WlpKey, 'keyHash'>): string => record.keyHash.slice(0, 12);

/** Every key record (hashes only), oldest first. The table holds one item per key: one Scan. */
export async function listApiKeys(doc: DynamoDBDocumentClient, table: string): Promise<WlpKey[]> {
  const records: WlpKey[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) records.push(wlpKeySchema.parse(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Turns keys off (or on again); the authorizer refuses a disabled key once cached answers expire (API Gateway's, then the directory's 30 s). */
export async function setApiKeysEnabled(doc: DynamoDBDocumentClient, table: string, keyHashes: readonly string[], enabled: boolean): Promise<void> {
  for (const keyHash of keyHashes) {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { keyHash },
        UpdateExpression: 'SET enabled = :enabled',
        ConditionExpression: 'attribute_exists(keyHash)',
        ExpressionAttributeValues: { ':enabled': enabled },
      }),
    );
  }
}

/**
 * Looks keys up by hash, remembering answers (found or not) for `ttlMs` per container, at most
 * `maxEntries` of them, so a flood of random keys costs memory only up to that bound.
 */
export class ApiKeyDirectory {
  private readonly cache = new Map<string, { record: WlpKey | undefined; at: number }>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(key: string): Promise<WlpKey | undefined> {
    if (!API_KEY_PATTERN.test(key)) return undefined;
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && this.now() - cached.at <= this.ttlMs) return cached.record;
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { keyHash: hash } }));
    const parsed = Item ? wlpKeySchema.safeParse(Item) : undefined;
    const record = parsed?.success ? parsed.data : undefined;
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(hash, { record, at: this.now() });
    return record;
  }
}

/** What the quote API finds in `event.requestContext.authorizer.lambda`. */
export interface WlpAuthorizerContext {
  [key: string]: string | number | boolean;
  wlp: string;
  name: string;
  /** First 12 hex digits of the key's hash: names the key in logs without revealing it. */
  keyId: string;
  rateLimit: number;
  quota: number;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<WlpAuthorizerContext | Record<string, never>>;

/** The decision for one key record (or none): allowed only when it exists and is enabled. */
export function authorize(record: WlpKey | undefined): AuthorizerResult {
  if (!record || !record.enabled) return { isAuthorized: false, context: {} };
  return {
    isAuthorized: true,
    context: { wlp: record.wlp, name: record.name, keyId: keyIdOf(record), rateLimit: record.rateLimit, quota: record.quota },
  };
}

