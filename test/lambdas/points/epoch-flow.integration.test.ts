import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { DEFAULT_POINTS_CONFIG, EpochCalendar, type AccountPositions, type Prices } from '../../../lambdas/domain/points';
import type { StandardTreeDump } from '../../../lambdas/domain/merkle/reward-tree';
import { PointsStore } from '../../../lambdas/points/store';
import { listedSources, runSnapshot, type SnapshotSources } from '../../../lambdas/points/snapshot';
import { closeEpoch, type RootPublisher, type TreeStorage } from '../../../lambdas/points/epoch-close';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';

const E18 = 10n ** 18n;
const HOLDER = '0x1000000000000000000000000000000000000001';
const STAKER = '0x2000000000000000000000000000000000000002';
const REFERRER = '0x3000000000000000000000000000000000000003';
const PRICES: Prices = new Map([
  ['MAG7', { usd: 100n * E18, decimals: 18 }],
  ['SOSO', { usd: E18, decimals: 18 }],
]);
const POSITIONS: AccountPositions[] = [
  { address: HOLDER, lines: [{ kind: 'hold', token: 'MAG7', amount: 10n * E18 }], sosoStaked: 0n },
  { address: STAKER, lines: [{ kind: 'stake', token: 'MAG7', amount: 10n * E18 }], sosoStaked: 0n },
];
const config = DEFAULT_POINTS_CONFIG;
const calendar = new EpochCalendar(config.epochs);

const sources: SnapshotSources = listedSources({ positions: async () => POSITIONS, prices: async () => PRICES });

class MemoryTrees implements TreeStorage {
  readonly files = new Map<string, string>();
  async save(epoch: number, root: string, json: Iterable<string>): Promise<string> {
    const key = `rewards/epoch-${epoch}/${root}.json`;
    this.files.set(key, [...json].join(''));
    return key;
  }
  async load(key: string): Promise<StandardTreeDump> {
    return JSON.parse(this.files.get(key) as string);
  }
}

describe('daily snapshots and epoch close on DynamoDB Local', () => {
  let dynamo: TestDynamo;
  let store: PointsStore;
  const trees = new MemoryTrees();
  const published: Array<[number, string]> = [];
  const publisher: RootPublisher = {
    publish: async (epoch, root) => {
      published.push([epoch, root]);
      return `0x${'ab'.repeat(32)}`;
    },
  };

  beforeAll(async () => {
    dynamo = await startTestDynamo('flow');
    store = new PointsStore(dynamo.client, dynamo.tables.points);
    await store.registerReferral({ referred: STAKER, referrer: REFERRER, since: '2025-01-06', signature: '0x', registeredAt: '2025-01-06T00:00:00Z' }, 100);
  });
  afterAll(() => dynamo?.stop());

  test('each day of epoch 1 records points, and re-running a day changes nothing', async () => {
    for (const day of calendar.days(1)) await runSnapshot(day, { store, sources, config });
    const before = await store.leaderboard(1);

    const rerun = await runSnapshot('2025-01-08', { store, sources, config });

    expect(rerun).toMatchObject({ epoch: 1, users: 3 });
    expect(await store.leaderboard(1)).toEqual(before);
    // 7 days: staker 15,000/day, holder 3,000/day, referrer 10% of the staker's 15,000.
    expect(before.map((e) => [e.address, e.points])).toEqual([
      [STAKER, 105_000_000_000n],
      [HOLDER, 21_000_000_000n],
      [REFERRER, 10_500_000_000n],
    ]);
    expect(await store.getEpoch(1)).toEqual({ epoch: 1, start: '2025-01-06', end: '2025-01-12', status: 'open' });
  });

  test('a day outside every epoch records nothing', async () => {
    expect(await runSnapshot('2025-01-05', { store, sources, config })).toEqual({ day: '2025-01-05', users: 0, totalPoints: 0n });
  });

  test('an epoch cannot close before its last day is over', async () => {
    await expect(closeEpoch(1, 1000n, { store, trees, publisher, calendar, today: '2025-01-12' })).rejects.toThrow('cannot close before');
  });

  test('closing epoch 1 allocates the whole pool by points, stores a loadable tree, writes verifiable claims and publishes the root once', async () => {
    const pool = 1_000_000n * E18 + 1n;

    const { record, unallocated } = await closeEpoch(1, pool, { store, trees, publisher, calendar, today: '2025-01-13' });

    expect(unallocated).toBe(0n);
    expect(record).toMatchObject({ epoch: 1, status: 'published', pool, participants: 3 });
    expect(published).toEqual([[1, record.root]]);
    const loaded = StandardMerkleTree.load(await trees.load(record.treeKey as string));
    expect(loaded.root).toBe(record.root);
    let sum = 0n;
    for (const account of [STAKER, HOLDER, REFERRER]) {
      const claim = await store.latestClaim(account);
      expect(claim?.root).toBe(record.root);
      expect(StandardMerkleTree.verify(record.root as string, ['address', 'uint256'], [account, claim?.cumulativeAmount.toString()], claim?.proof as string[])).toBe(true);
      sum += claim?.cumulativeAmount ?? 0n;
    }
    expect(sum).toBe(pool);
    // 105,000 : 21,000 : 10,500 of 136,500 points.
    expect((await store.latestClaim(STAKER))?.cumulativeAmount).toBe((pool * 105_000n) / 136_500n + 1n);

    const again = await closeEpoch(1, pool, { store, trees, publisher, calendar, today: '2025-01-14' });
    expect(again.record).toEqual(record);
    expect(published).toHaveLength(1);
  });

  test('days of a closed epoch can no longer change', async () => {
    await expect(runSnapshot('2025-01-10', { store, sources, config })).rejects.toThrow('epoch 1 is published');
  });

  test('epoch 2 claims are cumulative: epoch 1 amounts plus epoch 2 allocation', async () => {
    const epoch1 = new Map<string, bigint>();
    for (const account of [STAKER, HOLDER, REFERRER]) epoch1.set(account, (await store.latestClaim(account))?.cumulativeAmount ?? 0n);
    for (const day of calendar.days(2)) await runSnapshot(day, { store, sources: listedSources({ positions: async () => [POSITIONS[0]], prices: async () => PRICES }), config });

    const { record } = await closeEpoch(2, 500n, { store, trees, publisher, calendar, today: '2025-01-20' });

    const holder = await store.latestClaim(HOLDER);
    expect(holder).toMatchObject({ epoch: 2, cumulativeAmount: (epoch1.get(HOLDER) as bigint) + 500n, root: record.root });
    expect((await store.latestClaim(STAKER))?.cumulativeAmount).toBe(epoch1.get(STAKER));
    expect(StandardMerkleTree.verify(record.root as string, ['address', 'uint256'], [STAKER, String(epoch1.get(STAKER))], (await store.latestClaim(STAKER))?.proof as string[])).toBe(true);
  });

  test('epoch close with a missing daily snapshot: it waits, naming the days, and closes once they are snapshotted', async () => {
    // prepare: epoch 3 is over, but only its first two days were snapshotted
    const days = calendar.days(3);
    const holderOnly = listedSources({ positions: async () => [POSITIONS[0]], prices: async () => PRICES });
    for (const day of days.slice(0, 2)) await runSnapshot(day, { store, sources: holderOnly, config });
    const today = calendar.range(4).start;
    // act
    const waiting = await closeEpoch(3, 500n, { store, trees, publisher, calendar, today }).catch((error: { status: number; code: string; details: unknown }) => error);
    // assert: nothing allocated or published for the epoch
    expect(waiting).toMatchObject({ status: 409, code: 'snapshots_missing', details: { epoch: 3, missing: days.slice(2) } });
    expect((await store.getEpoch(3))?.status).toBe('open');
    expect(published.some(([epoch]) => epoch === 3)).toBe(false);
    // act: the missing days are snapshotted (a re-run of points-snapshot with detail.day)
    for (const day of days.slice(2)) await runSnapshot(day, { store, sources: holderOnly, config });
    const { record } = await closeEpoch(3, 500n, { store, trees, publisher, calendar, today });
    // assert
    expect(record.status).toBe('published');
    expect(await store.snapshottedDays(days[0], days[days.length - 1])).toEqual(new Set(days));
  });
});
