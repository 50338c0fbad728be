import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { startDynamo, ensureTables } from '../../infra/local/dynamodb';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { LocalStateMachines } from '../../infra/local/state-machine';
import { freePort } from '../../test/helpers/dynamo';
import { DEFAULT_POINTS_CONFIG, type AccountPositions, type ReferralLink } from '../../lambdas/domain/points';
import { PointsStore } from '../../lambdas/points/store';
import { mapConcurrent } from '../../lambdas/shared/concurrency';
import { MemorySnapshotFiles, listedSources, planDay, shardOwnPoints, shardTotals } from '../../lambdas/points/snapshot';
import { settleEpoch } from '../../lambdas/domain/points/settle';
import { keccakReady } from '../../lambdas/domain/crypto/keccak';
import type { ClaimRecord } from '../../lambdas/points/store';
import { runShardTask, runSnapshotTask, shardTask, snapshotTask } from '../../lambdas/points/snapshot-tasks';
import { FUNCTIONS, POINTS_SHARD_SIZE, STATE_MACHINES } from '../../topology';
import { emit, recordTable, type Measurement } from './measure';
import { PRICES, synthesize } from './points-population';

/*
 * bench:points (fan-out) — the daily snapshot as the points-snapshot state machine runs it:
 *   1. one shard worker, POINTS_SHARD_SIZE holders, in a child process whose heap is capped at
 *      points-shard's declared memory (--max-old-space-size): its time and peak RSS against the
 *      declared memory and timeout (targets: < 60% of memory, < 30% of the timeout);
 *   2. a whole day of POINTS_FANOUT_HOLDERS (default 1,000,000) holders through the local state
 *      machine runner with the declared Map concurrency, on one DynamoDB Local: wall time and
 *      items/s;
 *   3. the same items (each holder's day item and epoch total) written by a bare BatchWriteItem
 *      loop with the same number of requests in flight, in the same run;
 *   4. the epoch close at POINTS_FANOUT_HOLDERS accounts in one function: allocation, claim tree,
 *      the tree document and every account's proof, in a child process whose heap is capped at
 *      epoch-close's declared memory; and the claim-record write rate, from which the time to
 *      write every account's claim follows.
 * Shard workers run in this process here (the invoker calls the task code the handlers call);
 * on 2 cores DynamoDB Local, not the workers, bounds the rate.
 */

const BENCH = 'points-fanout';
const HOLDERS = Number(process.env.POINTS_FANOUT_HOLDERS ?? 1_000_000);
const DAY = '2025-01-15';
const rows: Measurement[] = [];
const notes: string[] = [];
const record = (m: Omit<Measurement, 'bench'>) => rows.push(emit({ bench: BENCH, ...m }));
const seconds = (ms: number) => Math.round(ms) / 1000;
const shardSpec = FUNCTIONS.find((f) => f.name === 'points-shard')!;
const closeSpec = FUNCTIONS.find((f) => f.name === 'epoch-close')!;
const machine = STATE_MACHINES.find((m) => m.name === 'points-snapshot')!;
const mapConcurrency = Math.max(...machine.steps.map((s) => ('map' in s ? s.map.maxConcurrency : 1)));
/** Requests one shard's store keeps in flight (PointsStore's default concurrency). */
const STORE_REQUESTS = 8;

async function registerLinks(store: PointsStore, links: readonly ReferralLink[]): Promise<void> {
  await mapConcurrent(links, 16, (link) => store.registerReferral({ ...link, signature: '0x', registeredAt: `${DAY}T00:00:00Z` }, 1_000_000_000));
}

/** Child mode: one shard of POINTS_SHARD_SIZE holders against the parent's DynamoDB Local; prints its readings. */
async function shardWorker(endpoint: string, table: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: localCredentials });
  const store = new PointsStore(client, table);
  const { positions, links } = synthesize(POINTS_SHARD_SIZE);
  await registerLinks(store, links);
  const files = new MemorySnapshotFiles();
  const deps = { store, files, config: DEFAULT_POINTS_CONFIG, sources: listedSources({ positions: async () => positions, prices: async () => PRICES }) };
  const plan = await planDay(DAY, { ...deps, shardSize: POINTS_SHARD_SIZE, lease: 'bench', leaseSeconds: 3600 });
  if (plan.shards.length !== 1) throw new Error(`expected one shard, planned ${plan.shards.length}`);
  const started = performance.now();
  await shardOwnPoints(plan.shards[0]!, deps);
  const ownMs = performance.now() - started;
  const totals = await shardTotals(plan.shards[0]!, deps);
  const ms = performance.now() - started;
  client.destroy();
  process.stdout.write(`${JSON.stringify({ ownMs, ms, items: totals.writes.items, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

/** Child mode: epoch close's computation over `accounts` accounts (each with points and a previous cumulative amount); prints its readings. */
async function closeWorker(accounts: number): Promise<void> {
  await keccakReady;
  const points = new Map<string, bigint>();
  const previous = new Map<string, bigint>();
  for (let i = 0; i < accounts; i++) {
    const account = `0x${(i * 2_654_435_761).toString(16).padStart(40, '0').slice(-40)}`;
    points.set(account, BigInt(1 + ((i * 7919) % 1_000_003)) * 1_000_000n);
    previous.set(account, BigInt(1 + ((i * 104_729) % 999_983)) * 10n ** 15n);
  }
  const started = performance.now();
  const { tree } = settleEpoch(2, 1_000_000n * 10n ** 18n, points, previous);
  const settleMs = performance.now() - started;
  let documentChars = 0;
  for (const chunk of tree!.dumpJson()) documentChars += chunk.length;
  let proofHashes = 0;
  for (let i = 0; i < tree!.length; i++) proofHashes += tree!.getProof(i).length;
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ settleMs, ms, documentChars, proofHashes, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

async function bareLoop(client: DynamoDBClient, table: string, positions: readonly AccountPositions[], inFlight: number): Promise<{ ms: number; items: number }> {
  const requests: WriteRequest[] = [];
  for (const p of positions) {
    const base = { address: { S: p.address }, epoch: { N: '1' }, total: { N: '1000000' } };
    requests.push({ PutRequest: { Item: { pk: { S: `USER#${p.address}` }, sk: { S: `DAY#${DAY}` }, day: { S: DAY }, ...base } } });
    requests.push({ PutRequest: { Item: { pk: { S: `USER#${p.address}` }, sk: { S: 'EPOCH#000001' }, lbPk: { S: 'EPOCH#000001#0' }, lbSk: { S: `1000000#${p.address}` }, ...base } } });
  }
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
  const started = performance.now();
  await mapConcurrent(batches, inFlight, async (batch) => {
    let pending = batch;
    while (pending.length) pending = (await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))).UnprocessedItems?.[table] ?? [];
  });
  return { ms: performance.now() - started, items: requests.length };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const dynamo = await startDynamo(await freePort());
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: localCredentials });
  try {
    // 1. One shard under the declared memory.
    const shardTables = await ensureTables(dynamo.endpoint, 'shard');
    const { stdout } = await promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), __filename, '--shard-worker', dynamo.endpoint, shardTables.points], {
      env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${shardSpec.memoryMb}` },
      maxBuffer: 1 << 20,
    });
    const shard = JSON.parse(stdout.trim().split('\n').pop() as string) as { ownMs: number; ms: number; items: number; maxRssBytes: number };
    const size = POINTS_SHARD_SIZE.toLocaleString('en-US');
    record({ case: `points-shard, one shard of ${size} holders (own points, then totals written), heap capped at ${shardSpec.memoryMb} MB`, metric: 'time', value: seconds(shard.ms), unit: 's' });
    record({ case: 'points-shard', metric: `time / declared timeout (${shardSpec.timeoutSeconds} s; target < 30%)`, value: Math.round((shard.ms / 1000 / shardSpec.timeoutSeconds) * 1000) / 10, unit: '%' });
    record({ case: 'points-shard', metric: 'peak RSS', value: Math.round(shard.maxRssBytes / 2 ** 20), unit: 'MiB' });
    record({ case: 'points-shard', metric: `peak RSS / declared memory (${shardSpec.memoryMb} MB; target < 60%)`, value: Math.round((shard.maxRssBytes / (shardSpec.memoryMb * 2 ** 20)) * 1000) / 10, unit: '%' });

    // 2. The whole day through the local state machine.
    const { positions, links } = synthesize(HOLDERS);
    const dayTables = await ensureTables(dynamo.endpoint, 'day');
    const store = new PointsStore(client, dayTables.points, { concurrency: STORE_REQUESTS });
    await registerLinks(store, links);
    const deps = { store, files: new MemorySnapshotFiles(), config: DEFAULT_POINTS_CONFIG, sources: listedSources({ positions: async () => positions, prices: async () => PRICES }) };
    const machines = new LocalStateMachines(async (fn, payload) => (fn === 'points-snapshot' ? runSnapshotTask(snapshotTask.parse(payload), deps) : runShardTask(shardTask.parse(payload), deps)));
    const event = { version: '0', id: 'bench', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '0', time: `${DAY}T00:10:00Z`, region: LOCAL_REGION, resources: ['bench'], detail: { day: DAY } };
    const started = performance.now();
    const execution = await machines.execute('points-snapshot', event);
    const dayMs = performance.now() - started;
    if (execution.status !== 'SUCCEEDED') throw new Error(`the day failed: ${execution.error}`);
    const users = (execution.output as { users: number }).users;
    const items = users * 2;
    const holders = HOLDERS.toLocaleString('en-US');
    const shards = Math.ceil(HOLDERS / POINTS_SHARD_SIZE);
    record({ case: `whole day, ${holders} holders in ${shards} shards through the local points-snapshot state machine (Map concurrency ${mapConcurrency})`, metric: 'wall time', value: seconds(dayMs), unit: 's' });
    record({ case: 'whole day through the state machine', metric: 'DynamoDB write rate', value: Math.round((items / dayMs) * 1000), unit: 'items/s' });

    // 3. The same items by a bare loop, as many requests in flight as the shards had.
    const inFlight = mapConcurrency * STORE_REQUESTS;
    const bareTables = await ensureTables(dynamo.endpoint, 'bare');
    const bare = await bareLoop(client, bareTables.points, positions.slice(0, users), inFlight);
    record({ case: `bare BatchWriteItem loop, the same ${items.toLocaleString('en-US')} items, ${inFlight} requests in flight`, metric: 'DynamoDB write rate', value: Math.round((bare.items / bare.ms) * 1000), unit: 'items/s' });
    record({ case: 'state machine day vs bare loop', metric: 'write rate ratio', value: Math.round(((items / dayMs) / (bare.items / bare.ms)) * 1000) / 10, unit: '%' });
    // 4. Epoch close at the same number of accounts, in one function.
    const { stdout: closeOut } = await promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), __filename, '--close-worker', String(HOLDERS)], {
      env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${closeSpec.memoryMb}` },
      maxBuffer: 1 << 20,
    });
    const close = JSON.parse(closeOut.trim().split('\n').pop() as string) as { settleMs: number; ms: number; documentChars: number; proofHashes: number; maxRssBytes: number };
    record({ case: `epoch-close, ${holders} accounts: allocation and claim tree, heap capped at ${closeSpec.memoryMb} MB`, metric: 'time', value: seconds(close.settleMs), unit: 's' });
    record({ case: `epoch-close, ${holders} accounts: with the tree document (${Math.round(close.documentChars / 2 ** 20)} MiB) and every proof`, metric: 'time', value: seconds(close.ms), unit: 's' });
    record({ case: 'epoch-close computation', metric: `peak RSS / declared memory (${closeSpec.memoryMb} MB)`, value: Math.round((close.maxRssBytes / (closeSpec.memoryMb * 2 ** 20)) * 1000) / 10, unit: '%' });
    const claimTables = await ensureTables(dynamo.endpoint, 'claims');
    const claimStore = new PointsStore(client, claimTables.points);
    const proof = Array.from({ length: Math.ceil(Math.log2(HOLDERS)) }, (_, i) => `0x${i.toString(16).padStart(64, '0')}`);
    const claims: ClaimRecord[] = positions.slice(0, 20_000).map((p) => ({ address: p.address, epoch: 2, cumulativeAmount: 10n ** 18n, proof, root: proof[0]! }));
    const claimStarted = performance.now();
    await claimStore.putClaims(claims);
    const claimRate = (claims.length / (performance.now() - claimStarted)) * 1000;
    record({ case: `claim records (${proof.length}-hash proofs), PointsStore.putClaims of ${claims.length.toLocaleString('en-US')}`, metric: 'write rate', value: Math.round(claimRate), unit: 'items/s' });
    const closeSeconds = close.ms / 1000 + HOLDERS / claimRate;
    record({ case: `epoch-close, ${holders} accounts end to end at these rates (computation + every claim written)`, metric: `time / declared timeout (${closeSpec.timeoutSeconds} s)`, value: Math.round((closeSeconds / closeSpec.timeoutSeconds) * 1000) / 10, unit: '%' });

    notes.push(
      `Shard workers run in the bench process (the invoker calls the task code the two handlers call); the shard-size reading runs in a child process with --max-old-space-size=${shardSpec.memoryMb}. ` +
        `The state machine's ${mapConcurrency} concurrent shards each keep up to ${STORE_REQUESTS} DynamoDB requests in flight, so the bare loop keeps ${inFlight}. ` +
        'The day also reads every epoch total before writing it; the bare loop only writes. ' +
        `One DynamoDB Local on this machine bounds both rates; in AWS each shard is its own Lambda against DynamoDB. Referral links: ${links.length.toLocaleString('en-US')}.`,
    );
    notes.push(`1-minute load average ${loadAtStart.toFixed(1)} at the start of the run, ${loadavg()[0].toFixed(1)} at the end (2 cores, shared).`);
    recordTable(BENCH, `npm run bench:points${HOLDERS === 1_000_000 ? '' : ` (POINTS_FANOUT_HOLDERS=${HOLDERS})`}`, rows, notes);
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

if (process.argv[2] === '--shard-worker') {
  shardWorker(process.argv[3]!, process.argv[4]!).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else if (process.argv[2] === '--close-worker') {
  closeWorker(Number(process.argv[3])).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
