import { id } from 'ethers';
import { DEFAULT_POINTS_CONFIG, EpochCalendar, dayPoints, type AccountPositions, type Prices, type ReferralLink } from '../../../lambdas/domain/points';
import { PointsStore } from '../../../lambdas/points/store';
import { MemorySnapshotFiles, listedSources, planDay, runSnapshot, shardOf, shardOwnPoints, shardTotals, type SnapshotSources } from '../../../lambdas/points/snapshot';
import { runShardTask, runSnapshotTask, shardTask, snapshotTask, type SnapshotDeps } from '../../../lambdas/points/snapshot-tasks';
import { ensureTables } from '../../../infra/local/dynamodb';
import { LocalStateMachines } from '../../../infra/local/state-machine';
import { STATE_MACHINES } from '../../../topology';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';

const E18 = 10n ** 18n;
const config = DEFAULT_POINTS_CONFIG;
const calendar = new EpochCalendar(config.epochs);
const [DAY] = calendar.days(1);
const PRICES: Prices = new Map([
  ['MAG7', { usd: 100n * E18, decimals: 18, index: true }],
  ['DEFI', { usd: 30n * E18, decimals: 18, index: true }],
  ['SOSO', { usd: E18 / 2n, decimals: 18 }],
]);

/** 240 holders from a fixed sequence, and referral links that cross shards (and some referrers that hold nothing). */
function population(): { positions: AccountPositions[]; links: ReferralLink[] } {
  const positions: AccountPositions[] = [];
  const links: ReferralLink[] = [];
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let i = 0; i < 240; i++) {
    const address = id(`holder ${i}`).slice(0, 42);
    const lines: AccountPositions['lines'] = [{ kind: i % 3 === 0 ? 'stake' : 'hold', token: i % 2 ? 'MAG7' : 'DEFI', amount: BigInt(1 + (next() % 50)) * E18 }];
    positions.push({ address, lines, sosoStaked: i % 5 === 0 ? BigInt(next() % 5000) * E18 : 0n });
    if (i > 0 && i % 4 === 0) links.push({ referred: address, referrer: positions[next() % i]!.address, since: DAY! });
  }
  for (let i = 0; i < 6; i++) links.push({ referred: positions[i * 8 + 1]!.address, referrer: `0x${'e'.repeat(39)}${i}`, since: DAY! });
  return { positions, links };
}

describe('the fanned-out points snapshot on DynamoDB Local', () => {
  const { positions, links } = population();
  const sources: SnapshotSources = listedSources({ positions: async () => positions, prices: async () => PRICES });
  const expected = dayPoints(DAY!, positions, PRICES, links, config);
  let dynamo: TestDynamo;
  let tablesSeen = 0;

  /** A store on fresh tables of the one DynamoDB Local, with the population's referral links. */
  const freshStore = async (make: (table: string) => PointsStore = (table) => new PointsStore(dynamo.client, table)): Promise<PointsStore> => {
    const tables = await ensureTables(dynamo.endpoint, `fan${tablesSeen++}`);
    const store = make(tables.points);
    for (const link of links) await store.registerReferral({ ...link, signature: '0x', registeredAt: `${DAY}T00:00:00Z` }, 1_000);
    return store;
  };
  const totalsOf = async (store: PointsStore) => {
    const totals = await store.epochTotals(expected.map((r) => r.address), 1);
    return new Map([...totals].map(([address, t]) => [address, { points: t.points, days: [...t.days] }]));
  };

  beforeAll(async () => {
    dynamo = await startTestDynamo('fanout');
  });
  afterAll(() => dynamo?.stop());

  test('every snapshot loads the whole referral set in memory: it reads only its holders\' links, by key, never a referral partition', async () => {
    // 300 more links whose referred users hold nothing: no snapshot needs them.
    const store = await freshStore();
    for (let i = 0; i < 300; i++) {
      await store.registerReferral({ referred: id(`bystander ${i}`).slice(0, 42), referrer: positions[i % 50]!.address, since: DAY!, signature: '0x', registeredAt: `${DAY}T00:00:00Z` }, 1_000);
    }
    const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
    const send = dynamo.client.send.bind(dynamo.client);
    const spy = jest.spyOn(dynamo.client, 'send').mockImplementation(((command: { constructor: { name: string }; input: Record<string, unknown> }, ...rest: unknown[]) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return (send as (...args: unknown[]) => unknown)(command, ...rest);
    }) as never);
    try {
      await runSnapshot(DAY!, { store, sources, config, shardSize: 25 });
    } finally {
      spy.mockRestore();
    }

    const referralQueries = sent.filter((c) => c.name === 'QueryCommand' && JSON.stringify(c.input).includes('REFERRALS#'));
    expect(referralQueries).toEqual([]);
    const askedKeys = sent
      .filter((c) => c.name === 'BatchGetItemCommand')
      .flatMap((c) => Object.values(c.input.RequestItems as Record<string, { Keys: Array<{ pk: { S: string }; sk: { S: string } }> }>).flatMap((r) => r.Keys))
      .filter((k) => k.pk.S.startsWith('REFERRALS#'))
      .map((k) => k.sk.S.replace('USER#', ''));
    expect(askedKeys.sort()).toEqual(positions.map((p) => p.address.toLowerCase()).sort());
    const totals = await totalsOf(store);
    for (const row of expected) expect(totals.get(row.address)).toEqual({ points: row.total, days: [[DAY, row.total]] });
  });

  test('shards of 25 holders (10 shards, referrals across them) record exactly what the one-process day computes', async () => {
    expect(new Set(positions.map((p) => shardOf(p.address, 10))).size).toBe(10);
    const crossing = links.filter((l) => shardOf(l.referred, 10) !== shardOf(l.referrer, 10));
    expect(crossing.length).toBeGreaterThan(20);
    const store = await freshStore();

    const result = await runSnapshot(DAY!, { store, sources, config, shardSize: 25 });

    expect(result).toMatchObject({ day: DAY, epoch: 1, users: expected.length, totalPoints: expected.reduce((s, r) => s + r.total, 0n) });
    const totals = await totalsOf(store);
    for (const row of expected) expect(totals.get(row.address)).toEqual({ points: row.total, days: [[DAY, row.total]] });
    // Referrers holding nothing still get their bonus row.
    expect(expected.filter((r) => r.own === 0n && r.referral > 0n)).toHaveLength(6);
    expect(await store.snapshottedDays(DAY!, DAY!)).toEqual(new Set([DAY]));
    // The indexes' NAVs of the day are kept as their history (SOSO is no index: not recorded).
    expect(await store.indexNavs('MAG7', DAY!, DAY!)).toEqual([{ index: 'MAG7', day: DAY, block: 0, navUsd: 100n * E18 }]);
    expect(await store.indexNavs('DEFI', DAY!, DAY!)).toEqual([{ index: 'DEFI', day: DAY, block: 0, navUsd: 30n * E18 }]);
    expect(await store.indexNavs('SOSO', DAY!, DAY!)).toEqual([]);
  });

  test('a shard killed midway through its writes leaves the day unmarked; re-running the day gives the clean totals, nothing counted twice', async () => {
    const clean = await freshStore();
    await runSnapshot(DAY!, { store: clean, sources, config, shardSize: 25 });

    // The crash: the fourth shard dies after its first BatchWriteItem round.
    let shardsWriting = 0;
    let killed = false;
    class CrashingStore extends PointsStore {
      override async applyDay(...args: Parameters<PointsStore['applyDay']>) {
        if (++shardsWriting !== 4) return super.applyDay(...args);
        await super.applyDay(args[0].slice(0, 10));
        killed = true;
        throw new Error('Runtime.ExitError: the shard worker was killed');
      }
    }
    const table = await ensureTables(dynamo.endpoint, `fan${tablesSeen++}`);
    const crashing = new CrashingStore(dynamo.client, table.points);
    for (const link of links) await crashing.registerReferral({ ...link, signature: '0x', registeredAt: `${DAY}T00:00:00Z` }, 1_000);
    await expect(runSnapshot(DAY!, { store: crashing, sources, config, shardSize: 25 })).rejects.toThrow('killed');
    expect(killed).toBe(true);
    expect(await crashing.snapshottedDays(DAY!, DAY!)).toEqual(new Set());

    // The re-run, on the very table the crash left half-written.
    const rerun = new PointsStore(dynamo.client, table.points);
    await runSnapshot(DAY!, { store: rerun, sources, config, shardSize: 25 });
    await runSnapshot(DAY!, { store: rerun, sources, config, shardSize: 25 });

    expect(await totalsOf(rerun)).toEqual(await totalsOf(clean));
    expect(await rerun.leaderboard(1, 500)).toEqual(await clean.leaderboard(1, 500));
    expect(await rerun.snapshottedDays(DAY!, DAY!)).toEqual(new Set([DAY]));
  });

  describe('the declared state machine run by the local runner', () => {
    const spec = STATE_MACHINES.find((m) => m.name === 'points-snapshot')!;
    const event = { version: '0', id: 'e1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '0', time: '2026-01-01T00:10:00Z', region: 'local', resources: ['r'], detail: { day: DAY } };

    /** Invokes the two functions' task code, as their handlers do; `fail` may refuse an invocation first. */
    const runner = (deps: SnapshotDeps, fail: (fn: string, payload: any) => boolean = () => false) => {
      const inFlight = { now: 0, max: 0 };
      const invoke = async (fn: string, payload: unknown) => {
        if (fail(fn, payload)) throw new Error(`${fn} failed`);
        if (fn === 'points-snapshot') return runSnapshotTask(snapshotTask.parse(payload), deps);
        inFlight.max = Math.max(inFlight.max, ++inFlight.now);
        try {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return await runShardTask(shardTask.parse(payload), deps);
        } finally {
          inFlight.now--;
        }
      };
      return { machines: new LocalStateMachines(invoke, { retryIntervalScale: 0 }), inFlight };
    };

    test('runs plan, both shard maps within the declared concurrency, and reduce: the day equals the one-process run', async () => {
      const store = await freshStore();
      const maxConcurrency = Math.max(...spec.steps.map((s) => ('map' in s ? s.map.maxConcurrency : 0)));
      const { machines, inFlight } = runner({ store, sources, config, files: new MemorySnapshotFiles(), shardSize: 10 });

      const execution = await machines.execute('points-snapshot', event);

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { day: DAY, epoch: 1, users: expected.length } });
      expect(inFlight.max).toBe(maxConcurrency); // 24 shards, at most the declared number at once
      const totals = await totalsOf(store);
      for (const row of expected) expect(totals.get(row.address)?.points).toBe(row.total);
    });

    test("a shard's failed attempt is retried as declared; one that keeps failing fails the execution and leaves the day unmarked", async () => {
      const store = await freshStore();
      const attempts = new Map<number, number>();
      const countAttempt = (fn: string, payload: any) => fn === 'points-shard' && payload.phase === 'total' && attempts.set(payload.item.shard, (attempts.get(payload.item.shard) ?? 0) + 1);
      const once = runner({ store, sources, config, files: new MemorySnapshotFiles(), shardSize: 25 }, (fn, payload) => {
        countAttempt(fn, payload);
        return fn === 'points-shard' && payload.phase === 'total' && payload.item.shard === 3 && attempts.get(3) === 1;
      });
      expect(await once.machines.execute('points-snapshot', event)).toMatchObject({ status: 'SUCCEEDED' });
      expect(attempts.get(3)).toBe(2);

      const broken = await freshStore();
      const always = runner({ store: broken, sources, config, files: new MemorySnapshotFiles(), shardSize: 25 }, (fn, payload) => fn === 'points-shard' && payload.phase === 'total' && payload.item.shard === 5);
      const failed = await always.machines.execute('points-snapshot', event);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toContain('TotalsItem');
      expect(await broken.snapshottedDays(DAY!, DAY!)).toEqual(new Set());
      // The failure step gave the lease back: the next run does not wait for it to expire.
      expect(await runner({ store: broken, sources, config, files: new MemorySnapshotFiles(), shardSize: 25 }).machines.execute('points-snapshot', event)).toMatchObject({ status: 'SUCCEEDED' });
    });

    test('one run writes at a time: a run while another holds the snapshot lease fails without writing; an expired lease is taken over', async () => {
      const store = await freshStore();
      const now = Math.floor(Date.now() / 1000);
      await store.takeSnapshotLease('arn:other-execution', now + 600);

      const blocked = await runner({ store, sources, config, files: new MemorySnapshotFiles(), shardSize: 25 }).machines.execute('points-snapshot', event);
      expect(blocked.status).toBe('FAILED');
      expect(blocked.error).toContain('another points snapshot run (arn:other-execution) holds the lease');
      expect(await store.epochTotals(expected.map((r) => r.address), 1)).toEqual(new Map());
      await expect(runSnapshot(DAY!, { store, sources, config })).rejects.toThrow('holds the lease');

      // A shard still running after its run failed and gave the lease back writes nothing.
      await store.takeSnapshotLease('arn:other-execution', now - 1); // its time ran out
      const files = new MemorySnapshotFiles();
      const zombie = await planDay(DAY!, { store, sources, config, files, shardSize: 1000, lease: 'arn:failed-execution', leaseSeconds: 600 });
      await shardOwnPoints(zombie.shards[0]!, { store, sources, config, files });
      await store.releaseSnapshotLease('arn:failed-execution');
      await expect(shardTotals(zombie.shards[0]!, { store, config, files })).rejects.toThrow('the snapshot run arn:failed-execution no longer holds the lease');
      expect(await store.epochTotals(expected.map((r) => r.address), 1)).toEqual(new Map());

      expect(await runner({ store, sources, config, files: new MemorySnapshotFiles(), shardSize: 25 }).machines.execute('points-snapshot', event)).toMatchObject({ status: 'SUCCEEDED' });
    });
  });
});
