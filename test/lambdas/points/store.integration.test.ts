import { QueryCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PointsStore, LEADERBOARD_SHARDS, shardOf } from '../../../lambdas/points/store';
import { Conflict } from '../../../lambdas/shared/errors';
import type { DayPointsRow } from '../../../lambdas/domain/points';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';

const address = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`;

function row(n: number, day: string, total: bigint, epoch = 2): DayPointsRow {
  return { address: address(n), day, epoch, base: total, boost: 1_000_000n, own: total, referral: 0n, total };
}

/** Every item of some users' partitions, for before/after comparisons. */
async function partitions(dynamo: TestDynamo, table: string, users: number[]) {
  const items = [];
  for (const n of users) {
    const reply = await dynamo.client.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `USER#${address(n)}` } }, ConsistentRead: true }),
    );
    items.push(...(reply.Items ?? []));
  }
  return items;
}

describe('points store on DynamoDB Local', () => {
  let dynamo: TestDynamo;
  let store: PointsStore;
  let table: string;
  let commands: string[];

  beforeAll(async () => {
    dynamo = await startTestDynamo('points');
    table = dynamo.tables.points;
    store = new PointsStore(dynamo.client, table);
    const send = dynamo.client.send.bind(dynamo.client) as (command: unknown) => Promise<unknown>;
    commands = [];
    jest.spyOn(dynamo.client, 'send').mockImplementation(((command: { constructor: { name: string } }) => {
      commands.push(command.constructor.name);
      return send(command);
    }) as DynamoDBClient['send']);
  });
  afterAll(() => dynamo?.stop());

  test('a day writes day items and epoch totals, and running the day again changes nothing', async () => {
    const rows = [row(1, '2025-01-13', 5_000_000n), row(2, '2025-01-13', 7_000_000n)];
    await store.applyDay(rows);
    const before = await partitions(dynamo, table, [1, 2]);

    await store.applyDay(rows);
    await store.applyDay([...rows].reverse());

    expect(await partitions(dynamo, table, [1, 2])).toEqual(before);
    const totals = await store.epochTotals([address(1), address(2)], 2);
    expect(totals.get(address(1))?.points).toBe(5_000_000n);
    expect(totals.get(address(2))?.days).toEqual(new Map([['2025-01-13', 7_000_000n]]));
  });

  test('epoch totals are the sum of the days, whatever order days are re-run in, and a corrected day replaces its old value', async () => {
    await store.applyDay([row(11, '2025-01-13', 1n)]);
    await store.applyDay([row(11, '2025-01-14', 10n)]);
    await store.applyDay([row(11, '2025-01-15', 100n)]);
    // Re-run of an older day, then a correction of the middle day.
    await store.applyDay([row(11, '2025-01-13', 1n)]);
    await store.applyDay([row(11, '2025-01-14', 20n)]);

    const total = (await store.epochTotals([address(11)], 2)).get(address(11));

    expect(total?.points).toBe(121n);
    expect((await store.history(address(11))).items.map((r) => r.total)).toEqual([100n, 20n, 1n]);
  });

  test('a corrected run that drops an address takes the day back from it', async () => {
    await store.applyDay([row(12, '2025-01-13', 3n)]);
    await store.applyDay([row(12, '2025-01-14', 4n)]);

    await store.removeDay('2025-01-14', 2, [address(12)]);

    expect((await store.epochTotals([address(12)], 2)).get(address(12))?.points).toBe(3n);
    expect((await store.history(address(12))).items.map((r) => r.day)).toEqual(['2025-01-13']);
  });

  test('a user history comes newest first, within a range, in pages', async () => {
    const days = ['2025-01-06', '2025-01-07', '2025-01-08', '2025-01-09', '2025-01-10'];
    for (const [i, day] of days.entries()) await store.applyDay([row(21, day, BigInt(i + 1), 1)]);

    const first = await store.history(address(21), { limit: 2 });
    const second = await store.history(address(21), { limit: 2, cursor: first.cursor });
    const ranged = await store.history(address(21), { from: '2025-01-07', to: '2025-01-08' });

    expect(first.items.map((r) => r.day)).toEqual(['2025-01-10', '2025-01-09']);
    expect(second.items.map((r) => r.day)).toEqual(['2025-01-08', '2025-01-07']);
    expect(ranged.items.map((r) => r.day)).toEqual(['2025-01-08', '2025-01-07']);
    expect(first.items[0]).toEqual(row(21, '2025-01-10', 5n, 1));
    expect((await store.userEpochs(address(21))).map((e) => [e.epoch, e.points])).toEqual([[1, 15n]]);
  });

  test('the leaderboard lists an epoch top users across shards in descending order, with Query and no Scan', async () => {
    // 40 users in epoch 7 across every shard, points not in address order.
    const rows = Array.from({ length: 40 }, (_, i) => row(100 + i, '2025-02-10', BigInt(((i * 37) % 40) + 1) * 1000n, 7));
    await store.applyDay(rows);
    commands.length = 0;

    const top = await store.leaderboard(7, 10);

    const expected = [...rows].sort((a, b) => Number(b.total - a.total)).slice(0, 10);
    expect(top.map((e) => e.address)).toEqual(expected.map((r) => r.address));
    expect(top.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(top[0].points).toBe(40_000n);
    expect(new Set(rows.map((r) => shardOf(r.address))).size).toBe(LEADERBOARD_SHARDS);
    expect(commands).not.toContain(ScanCommand.name);
    expect(commands.every((c) => c === QueryCommand.name)).toBe(true);

    const all = await store.epochPoints(7);
    expect(all.size).toBe(40);
    expect(all.get(address(100))).toBe(1000n);
  });

  test('a referral is registered once per user, never to oneself, and is listed for its referrer and the snapshot', async () => {
    const link = { referred: address(31), referrer: address(30), since: '2025-01-13', signature: '0xsig', registeredAt: '2025-01-13T10:00:00Z' };
    await store.registerReferral(link, 100);

    await expect(store.registerReferral({ ...link, referrer: address(32) }, 100)).rejects.toThrow(Conflict);
    await expect(store.registerReferral({ ...link, referred: address(33), referrer: address(33) }, 100)).rejects.toThrow('cannot refer itself');
    expect(await store.referrerOf(address(31))).toEqual(link);
    expect(await store.referrerOf(address(34))).toBeUndefined();
    expect(await store.referredBy(address(30))).toEqual([{ referred: address(31), since: '2025-01-13' }]);
    expect(await store.referralsOf([address(34), address(31)])).toEqual([{ referred: address(31), referrer: address(30), since: '2025-01-13' }]);
  });

  test('public referrals: one address refers at most the declared number of users, and a refused link leaves nothing behind', async () => {
    const referrer = address(40);
    const link = (n: number) => ({ referred: address(n), referrer, since: '2025-01-13', signature: '0xsig', registeredAt: '2025-01-13T10:00:00Z' });
    await store.registerReferral(link(41), 2);
    await store.registerReferral(link(42), 2);

    await expect(store.registerReferral(link(43), 2)).rejects.toMatchObject({ status: 409, code: 'referral_limit' });
    // a link refused for another reason does not spend the referrer's allowance
    await expect(store.registerReferral(link(41), 3)).rejects.toMatchObject({ code: 'already_referred' });
    await store.registerReferral(link(44), 3);

    expect(await store.referrerOf(address(43))).toBeUndefined();
    expect((await store.referredBy(referrer)).map((r) => r.referred).sort()).toEqual([address(41), address(42), address(44)]);
    expect(await store.referralsOf(Array.from({ length: 250 }, (_, i) => address(i)))).toHaveLength(4);
  });

  test('epoch records and the latest claim of an account read back as written', async () => {
    await store.putEpoch({ epoch: 1, start: '2025-01-06', end: '2025-01-12', status: 'published', pool: 10n ** 24n, root: '0xroot1', participants: 3 });
    await store.putEpoch({ epoch: 2, start: '2025-01-13', end: '2025-01-19', status: 'open' });
    await store.putClaims([
      { address: address(41), epoch: 1, cumulativeAmount: 5n, proof: ['0xa'], root: '0xroot1' },
      { address: address(41), epoch: 3, cumulativeAmount: 9n, proof: ['0xb', '0xc'], root: '0xroot3' },
    ]);

    expect((await store.listEpochs()).map((e) => [e.epoch, e.status])).toEqual([
      [1, 'published'],
      [2, 'open'],
    ]);
    expect((await store.getEpoch(1))?.pool).toBe(10n ** 24n);
    expect(await store.latestClaim(address(41))).toEqual({ address: address(41), epoch: 3, cumulativeAmount: 9n, proof: ['0xb', '0xc'], root: '0xroot3' });
    expect(await store.latestClaim(address(42))).toBeUndefined();
  });

  test('index NAVs read back per index and day range, oldest first; writing a day again replaces it', async () => {
    const nav = (index: string, day: string, block: number, navUsd: bigint) => ({ index, day, block, navUsd });
    await store.putIndexNavs([nav('MAG7.ssi', '2025-02-02', 20, 105n * 10n ** 18n), nav('MAG7.ssi', '2025-02-01', 10, 100n * 10n ** 18n), nav('DEFI.ssi', '2025-02-01', 10, 7n)]);
    await store.putIndexNavs([nav('MAG7.ssi', '2025-02-01', 10, 100n * 10n ** 18n)]);
    await store.putIndexNavs([nav('MAG7.ssi', '2025-02-03', 30, 1n)]);
    await store.putIndexNavs([nav('MAG7.ssi', '2025-02-03', 31, 99n * 10n ** 18n)]);

    expect(await store.indexNavs('MAG7.ssi', '2025-02-01', '2025-02-03')).toEqual([
      nav('MAG7.ssi', '2025-02-01', 10, 100n * 10n ** 18n),
      nav('MAG7.ssi', '2025-02-02', 20, 105n * 10n ** 18n),
      nav('MAG7.ssi', '2025-02-03', 31, 99n * 10n ** 18n),
    ]);
    expect((await store.indexNavs('MAG7.ssi', '2025-02-02', '2025-02-02')).map((n) => n.day)).toEqual(['2025-02-02']);
    expect(await store.indexNavs('DEFI.ssi', '2025-01-01', '2025-12-31')).toEqual([nav('DEFI.ssi', '2025-02-01', 10, 7n)]);
    expect(await store.indexNavs('USSI', '2025-01-01', '2025-12-31')).toEqual([]);
  });

  test('rows mixing days or repeating an address are refused before anything is written', async () => {
    await expect(store.applyDay([row(51, '2025-01-13', 1n), row(52, '2025-01-14', 1n)])).rejects.toThrow('mix days');
    await expect(store.applyDay([row(51, '2025-01-13', 1n), row(51, '2025-01-13', 2n)])).rejects.toThrow('appears twice');
    expect(await partitions(dynamo, table, [51, 52])).toEqual([]);
  });
});

describe('batch writes', () => {
  test('unprocessed items are sent again until DynamoDB takes them', async () => {
    const sent: number[] = [];
    const client = {
      send: jest.fn(async (command: { input: { RequestItems: Record<string, unknown[]> } }) => {
        const items = command.input.RequestItems.t;
        sent.push(items.length);
        // Takes all but the last two items of the first two calls.
        return sent.length <= 2 ? { UnprocessedItems: { t: items.slice(-2) } } : {};
      }),
    } as unknown as DynamoDBClient;
    const store = new PointsStore(client, 't', { backoffMs: 1, concurrency: 1 });
    const requests = Array.from({ length: 30 }, (_, i) => ({ PutRequest: { Item: { pk: { S: `p${i}` }, sk: { S: 's' } } } }));

    const stats = await store.batchWrite(requests);

    expect(sent).toEqual([25, 2, 2, 5]);
    expect(stats).toEqual({ items: 30, requests: 4, retries: 2 });
  });

  test('items still unprocessed after the last attempt fail the write', async () => {
    const client = { send: jest.fn(async () => ({ UnprocessedItems: { t: [{ PutRequest: { Item: {} } }] } })) } as unknown as DynamoDBClient;
    const store = new PointsStore(client, 't', { backoffMs: 1, maxAttempts: 3 });

    await expect(store.batchWrite([{ PutRequest: { Item: {} } }])).rejects.toThrow('unprocessed after 3 attempts');
    expect(client.send).toHaveBeenCalledTimes(3);
  });
});
