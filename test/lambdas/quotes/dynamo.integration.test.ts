import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';
import { DynamoLeaseStore, LeaseLimiter, rateBlock, quotaBlock, type LeaseStore } from '../../../lambdas/quotes/rate-limit';
import { DynamoQuoteStore, type QuoteRecord } from '../../../lambdas/quotes/store';
import { ApiKeyDirectory, authorize, hashApiKey, newApiKey, putApiKey, API_KEY_PATTERN } from '../../../lambdas/quotes/api-keys';

describe('quote API storage on DynamoDB Local', () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo('quotes');
  }, 120_000);
  afterAll(() => dynamo?.stop());

  describe('the lease rate limiter', () => {
    test('block sizes scale with the limit within bounds', () => {
      expect([rateBlock(1), rateBlock(100), rateBlock(5000), rateBlock(1e6)]).toEqual([1, 5, 100, 100]);
      expect([quotaBlock(10), quotaBlock(1e6), quotaBlock(1e9)]).toEqual([1, 1000, 1000]);
    });

    test('containers sharing the table never admit more than the limit in a window, together', async () => {
      // One fixed second, in the future: DynamoDB Local deletes items whose TTL has passed.
      const now = () => 4_100_000_000_500;
      const store = new DynamoLeaseStore(dynamo.doc, dynamo.tables['wlp-usage']);
      const containers = Array.from({ length: 4 }, () => new LeaseLimiter(store, now));
      const limits = { ratePerSecond: 203, quotaPerDay: 1_000_000 };
      const decisions = await Promise.all(Array.from({ length: 400 }, (_, i) => containers[i % 4].take('key-a', limits)));
      const admitted = decisions.filter((d) => d.ok).length;
      expect(admitted).toBeLessThanOrEqual(203);
      // Unused leases are lost, by at most one block per container.
      expect(admitted).toBeGreaterThanOrEqual(203 - 4 * rateBlock(203));
      const { Item } = await dynamo.doc.send(new GetCommand({ TableName: dynamo.tables['wlp-usage'], Key: { pk: 'rate#key-a#4100000000' } }));
      expect(Item?.used).toBeLessThanOrEqual(203);
      expect(Item?.expiresAt).toBe(4_100_000_060);
      const refused = decisions.find((d) => !d.ok);
      expect(refused).toMatchObject({ ok: false, limit: 'rate', retryAfterSeconds: 1 });
    });

    test('the daily quota refuses until midnight UTC once spent, and a new window starts afresh', async () => {
      let now = Date.UTC(2099, 0, 1, 23, 0, 0);
      const limiter = new LeaseLimiter(new DynamoLeaseStore(dynamo.doc, dynamo.tables['wlp-usage']), () => now);
      const limits = { ratePerSecond: 1000, quotaPerDay: 5 };
      const decisions = [];
      for (let i = 0; i < 7; i++) decisions.push(await limiter.take('key-b', limits));
      expect(decisions.filter((d) => d.ok)).toHaveLength(5);
      expect(decisions[6]).toMatchObject({ ok: false, limit: 'quota', retryAfterSeconds: 3600 });
      now = Date.UTC(2099, 0, 2, 0, 0, 1);
      expect(await limiter.take('key-b', limits)).toEqual({ ok: true });
    });

    test('a failing store is an error, not a silent pass', async () => {
      const broken: LeaseStore = { lease: async () => Promise.reject(new Error('ProvisionedThroughputExceeded')) };
      await expect(new LeaseLimiter(broken).take('k', { ratePerSecond: 10, quotaPerDay: 10 })).rejects.toThrow(/ProvisionedThroughputExceeded/);
    });
  });

  describe('the quote store', () => {
    const record = (i: number): QuoteRecord => ({
      id: `0x${i.toString(16).padStart(64, '0')}`,
      requestId: `r${i}`,
      status: 'firm',
      wlp: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: 1_800_000_000,
      data: { quote: { legs: Array.from({ length: 7 }, (_, j) => ({ j, amount: `${i}.${j}` })) } },
    });

    test('group-commits concurrent records and reads each back whole', async () => {
      const store = new DynamoQuoteStore(dynamo.doc, dynamo.tables.quotes);
      await Promise.all(Array.from({ length: 60 }, (_, i) => store.put(record(i))));
      for (const i of [0, 31, 59]) expect(await store.get(record(i).id)).toEqual(record(i));
      expect(await store.get('0xmissing')).toBeUndefined();
    });

    test('a write that DynamoDB refuses rejects every record of its batch', async () => {
      const store = new DynamoQuoteStore(dynamo.doc, 'no-such-table');
      await expect(store.put(record(1))).rejects.toThrow();
    });
  });

  describe('API keys', () => {
    test('only the hash is stored; lookups find enabled and disabled keys, and malformed keys never reach the table', async () => {
      const { key, record } = await putApiKey(dynamo.doc, dynamo.tables['wlp-keys'], { wlp: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', name: 'w1', rateLimit: 7, quota: 70 });
      expect(key).toMatch(API_KEY_PATTERN);
      expect(record.keyHash).toBe(hashApiKey(key));
      const { Item } = await dynamo.doc.send(new GetCommand({ TableName: dynamo.tables['wlp-keys'], Key: { keyHash: hashApiKey(key) } }));
      expect(JSON.stringify(Item)).not.toContain(key);
      const directory = new ApiKeyDirectory(dynamo.doc, dynamo.tables['wlp-keys']);
      expect(await directory.lookup(key)).toMatchObject({ wlp: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', rateLimit: 7, quota: 70, enabled: true });
      expect(await directory.lookup(newApiKey())).toBeUndefined();
      const offline = new ApiKeyDirectory(dynamo.doc, 'no-such-table');
      expect(await offline.lookup('not a key')).toBeUndefined();
    });

    test('the authorizer allows an enabled key with the WLP and its limits as context, and refuses the rest', () => {
      const record = { keyHash: 'ab'.repeat(32), wlp: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', name: 'w', rateLimit: 5, quota: 9, enabled: true, createdAt: '' };
      expect(authorize(record)).toEqual({
        isAuthorized: true,
        context: { wlp: record.wlp, name: 'w', keyId: 'abababababab', rateLimit: 5, quota: 9 },
      });
      expect(authorize({ ...record, enabled: false })).toEqual({ isAuthorized: false, context: {} });
      expect(authorize(undefined)).toEqual({ isAuthorized: false, context: {} });
    });
  });
});
