/**
 * Quote API load benchmark: `npm run bench:quotes`.
 *
 * Starts the whole local stack in this process (API adapter as under
 * `npm start`, the authorizer and quote-api in Lambda-shaped workers; the PMM simulator as its sibling process; DynamoDB Local; the anvil chain) on free
 * ports, once for each DynamoDB Local storage in SSI_BENCH_DYNAMODB (default `files,memory`: SQLite
 * files as `npm start`, in memory as `npm start -- --dynamodb-in-memory`), or uses a running one with
 * SSI_BENCH_STACK=<data dir>. Creates a bench API key with limits high enough not to refuse, then
 * runs autocannon in a child process (so the load generator does not share this event loop) against
 * POST /v1/quotes for SSI_BENCH_SECONDS (default 20) with each of SSI_BENCH_CONNECTIONS connection
 * counts (default 48,32), after a warm-up. Every request is a real firm quote: limiter, RFQ to the
 * PMM (which signs), signature check, DynamoDB audit record.
 * Prints quotes/s, p50/p99 latency and errors as JSON lines and records them in docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SigningKey } from 'ethers';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startStack, type RunningStack, type StackFile } from '../../infra/local/stack';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { putApiKey } from '../../lambdas/quotes/api-keys';
import { keccakReady, keccak256 as hashWasmKeccak } from '../../lambdas/domain/crypto/keccak';
import * as shipped from '../../lambdas/domain/crypto/secp256k1';
import * as removed from './removed-baseline/secp256k1';
import { emit, recordTable, type Measurement } from './measure';
import { autocannon, freePort } from './load';

const BENCH = 'quotes';

/** The stack's processes: this one (API adapter, authorizer, handler) and the children its lock file lists. */
function processes(dataDir: string): Record<string, number> {
  const pids: Record<string, number> = { 'API + authorizer + handler': process.pid };
  if (!stackIsLocal) return pids;
  const lock = JSON.parse(readFileSync(join(dataDir, 'stack.pid'), 'utf8')) as { children: number[] };
  for (const pid of lock.children) {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const name = /DynamoDBLocal/.test(cmd) ? 'DynamoDB Local' : /pmm-simulator/.test(cmd) ? 'PMM simulator' : /anvil/.test(cmd) ? 'anvil (chain)' : `pid ${pid}`;
    pids[name] = pid;
    // DynamoDB Local's launcher is a node wrapper around java: count its children too.
    for (const child of childPids(pid)) pids[`${name} (java)`] = child;
  }
  return pids;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** User + system CPU seconds of each process so far (from /proc, Linux). */
function cpuSeconds(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out[name] = (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // gone or not Linux: left out
    }
  }
  return out;
}

let stackIsLocal = false;

/**
 * SSI_BENCH_PROFILE=<file>: a V8 CPU profile of this process during the measurement only (the PMM
 * simulator's own: SSI_PMM_CPU_PROF_DIR=<dir>, whole run).
 */
async function startProfile(): Promise<(path: string) => Promise<void>> {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((done, fail) => session.post(method, params ?? {}, (error, result) => (error ? fail(error) : done(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async (path) => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  };
}

/** Where DynamoDB Local keeps its tables in a stack the bench starts. */
type Storage = 'files' | 'memory';
const STORAGE: Record<Storage, string> = { files: 'DynamoDB Local on SQLite files', memory: 'DynamoDB Local in memory' };

interface StackRun {
  rows: Measurement[];
  summaries: string[];
  /** Cases that met the target. */
  met: string[];
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const seconds = Number(process.env.SSI_BENCH_SECONDS ?? 20);
  const connectionCounts = (process.env.SSI_BENCH_CONNECTIONS ?? '48,32').split(',').map(Number);
  if (connectionCounts.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('SSI_BENCH_CONNECTIONS is a comma-separated list of connection counts');
  const storages = (process.env.SSI_BENCH_DYNAMODB ?? 'files,memory').split(',') as Storage[];
  if (storages.some((s) => !(s in STORAGE))) throw new Error('SSI_BENCH_DYNAMODB is a comma-separated list of files and memory');
  if (process.env.SSI_BENCH_RESULT) {
    // A child of the run below: one stack, its readings handed back through the file.
    writeFileSync(process.env.SSI_BENCH_RESULT, JSON.stringify(await measureStack(storages[0], seconds, connectionCounts)));
    return;
  }
  const loadAtStart = loadavg()[0];
  const crypto = await cryptoBeforeAfter();
  const runs: StackRun[] = [];
  if (process.env.SSI_BENCH_STACK) runs.push(await measureStack(undefined, seconds, connectionCounts));
  // The handlers read their configuration once per process, as in a Lambda container: each stack gets a process of its own.
  else for (const storage of storages) runs.push(await measureInChild(storage));
  const met = runs.flatMap((r) => r.met);
  recordTable(BENCH, 'npm run bench:quotes', [...crypto.rows, ...runs.flatMap((r) => r.rows)], [
    ...crypto.notes,
    `This run: ${seconds} s per case, ${connectionCounts.join(' and ')} connections, ${storages.map((st) => STORAGE[st]).join(' and ')}; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (${cpus().length} cores, shared with other work).`,
    `Target: >= 1,000 quotes/s with p99 <= 100 ms on this ${cpus().length}-core machine: ${met.length ? `met in this run by ${met.join('; ')}` : 'NOT met by any case of this run'}.`,
    'Everything shares the cores: autocannon (child process), this process (the API adapter, the WLP authorizer and quote-api in',
    "Lambda-shaped workers: the deployed bundles, one request at a time per worker, as many workers as requests in flight up to the pool's cap),",
    'the PMM simulator (sibling Node process, signs every quote), DynamoDB Local (Java; every quote\'s audit record, and the rate-limit leases) and the idle anvil chain.',
    'Each request is a complete firm quote: rate limit, RFQ over HTTP, EIP-712 hash, signature check, maker check (cached), record written before the answer.',
    `Each storage is a stack of its own, measured one after the other in this run: \`npm start\` keeps DynamoDB Local's tables in SQLite files in the`,
    'data folder (here on tmpfs: on this machine\'s disk SQLite syncs every item, about 25 ms, and the stack managed 38-76 quotes/s);',
    '`npm start -- --dynamodb-in-memory` keeps them in memory, which costs DynamoDB Local about half the CPU per written item.',
    ...runs.flatMap((r) => r.summaries),
    'No batching across requests, as in Lambda: each worker sends its own RFQ, checks its own signature and writes its own audit record;',
    'the local API adapter caches authorizer answers per key as API Gateway does (AUTHORIZER_CACHE_TTL_SECONDS).',
    'SSI_BENCH_PROFILE=file profiles this process\'s main thread only (the API adapter), not the workers. Per-function figures: `npm run bench:lambda`.',
    'Run to run, the same configuration varies by up to 20% on this machine (CPU per quote included): compare cases within one run.',
  ]);
}

/**
 * The quote path's cryptography before and after issue 21, side by side in this process: the
 * removed hand-written secp256k1 (scripts/bench/removed-baseline, not shipped) against the shipped
 * @noble/curves module, and the removed js-sha3 order-digest keccak against hash-wasm. Rounds
 * alternate between the two so machine load weighs on both alike; each figure is the median round.
 */
async function cryptoBeforeAfter(): Promise<{ rows: Measurement[]; notes: string[] }> {
  await keccakReady;
  const rounds = Number(process.env.SSI_BENCH_CRYPTO_ROUNDS ?? 7);
  const perRound = 300;
  const privateKey = `0x${'5a'.repeat(31)}01`;
  const digests = Array.from({ length: perRound }, (_, i) => `0x${Buffer.from(hashWasmKeccak(Buffer.from(`digest ${i}`))).toString('hex')}`);
  const publicKey = new SigningKey(privateKey).publicKey;
  const signatures = shipped.signMany(privateKey, digests);
  const cpuMicros = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  /** Median over alternating rounds of CPU microseconds per call of each implementation. */
  const sideBySide = (runs: Record<'removed' | 'shipped', (i: number) => unknown>, calls = perRound) => {
    const per: Record<string, number[]> = { removed: [], shipped: [] };
    for (let round = 0; round < rounds + 1; round++) {
      for (const which of round % 2 ? (['shipped', 'removed'] as const) : (['removed', 'shipped'] as const)) {
        const started = cpuMicros();
        for (let i = 0; i < calls; i++) runs[which](i);
        if (round > 0) per[which].push((cpuMicros() - started) / calls); // round 0 warms the JIT
      }
    }
    return { removed: median(per.removed), shipped: median(per.shipped) };
  };
  const removedTable = removed.FixedBaseTable.build(removed.publicKeyPoint(publicKey));
  const shippedTable = shipped.FixedBaseTable.build(shipped.publicKeyPoint(publicKey));
  for (let i = 0; i < perRound; i++) {
    if (!removed.verifyWithTable(removedTable, digests[i], signatures[i]) || !shipped.verifyWithTable(shippedTable, digests[i], signatures[i])) throw new Error('a signature check disagrees');
    if (removed.sign(privateKey, digests[i]) !== signatures[i]) throw new Error('the two signers disagree');
  }
  const cases: Array<[string, ReturnType<typeof sideBySide>, string]> = [
    ['maker signature check against its precomputed table (the quote API, every quote)', sideBySide({ removed: (i) => removed.verifyWithTable(removedTable, digests[i], signatures[i]), shipped: (i) => shipped.verifyWithTable(shippedTable, digests[i], signatures[i]) }), 'µs'],
    ['RFC 6979 low-s signature (the PMM simulator, KMS-free signers)', sideBySide({ removed: (i) => removed.sign(privateKey, digests[i]), shipped: (i) => shipped.sign(privateKey, digests[i]) }), 'µs'],
    [
      "a maker's precomputed table, built once per container and maker",
      sideBySide({ removed: () => removed.FixedBaseTable.build(removed.publicKeyPoint(publicKey)), shipped: () => shipped.FixedBaseTable.build(shipped.publicKeyPoint(publicKey)) }, 3),
      'µs',
    ],
  ];
  const struct = Buffer.alloc(384, 7);
  let sha3: { arrayBuffer(data: Uint8Array): ArrayBuffer } | undefined;
  try {
    // js-sha3 left the quote path with issue 21; it is still installed as a dependency of other packages.
    sha3 = (require('js-sha3') as { keccak256: { arrayBuffer(data: Uint8Array): ArrayBuffer } }).keccak256;
  } catch {
    sha3 = undefined;
  }
  if (sha3) {
    const removedKeccak = sha3;
    cases.push(['keccak256 of the 384-byte order struct (every EIP-712 order digest)', sideBySide({ removed: () => removedKeccak.arrayBuffer(struct), shipped: () => hashWasmKeccak(struct) }, 3000), 'µs']);
  }
  const rows: Measurement[] = [];
  for (const [what, figures] of cases) {
    rows.push(
      emit({ bench: BENCH, case: `${what}: removed baseline (${what.startsWith('keccak') ? 'js-sha3' : 'hand-written'}, not shipped)`, metric: 'CPU per call', value: Math.round(figures.removed * 10) / 10, unit: 'µs' }),
      emit({ bench: BENCH, case: `${what}: shipped (${what.startsWith('keccak') ? 'hash-wasm' : '@noble/curves'})`, metric: 'CPU per call', value: Math.round(figures.shipped * 10) / 10, unit: 'µs' }),
    );
  }
  return {
    rows,
    notes: [
      `Crypto rows: the removed hand-written secp256k1 (scripts/bench/removed-baseline/, a copy kept for this comparison only, not shipped) against the shipped @noble/curves module,`,
      `and for the order digest js-sha3 against hash-wasm, in this process, ${rounds} alternating rounds of ${perRound} calls, median round; both signers give identical signatures and both checks accept them (checked before timing).`,
    ],
  };
}

/** Runs this script for one storage in a child process (its lines go to this one's stdout) and returns its readings. */
async function measureInChild(storage: Storage): Promise<StackRun> {
  const result = join(mkdtempSync(join(tmpdir(), 'ssi-bench-run-')), 'run.json');
  try {
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), __filename], {
        env: { ...process.env, SSI_BENCH_DYNAMODB: storage, SSI_BENCH_RESULT: result },
        stdio: 'inherit',
      });
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`the ${STORAGE[storage]} run exited with ${code}`))));
    });
    return JSON.parse(readFileSync(result, 'utf8')) as StackRun;
  } finally {
    rmSync(dirname(result), { recursive: true, force: true });
  }
}

/** Starts a stack with `storage` (or uses SSI_BENCH_STACK when undefined) and measures it at each connection count. */
async function measureStack(storage: Storage | undefined, seconds: number, connectionCounts: number[]): Promise<StackRun> {
  let stack: RunningStack | undefined;
  let file: StackFile;
  let dataDir: string | undefined;
  if (!storage) {
    file = JSON.parse(readFileSync(resolve(process.env.SSI_BENCH_STACK!, 'stack.json'), 'utf8')) as StackFile;
  } else {
    // On disk, DynamoDB Local's SQLite syncs every item (about 25 ms each here): a local artefact real
    // DynamoDB does not have. The bench keeps the stack's data in RAM (tmpfs) when it can; SSI_BENCH_DATA_DIR overrides.
    const base = process.env.SSI_BENCH_DATA_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
    dataDir = mkdtempSync(join(base, 'ssi-bench-quotes-'));
    const ports = { api: await freePort(), chain: await freePort(), dynamodb: await freePort(), kms: await freePort(), s3: await freePort() };
    process.stderr.write(`starting the local stack (${STORAGE[storage]}, data in ${base})...\n`);
    stack = await startStack({ dataDir, ports, scheduler: false, dynamodbInMemory: storage === 'memory', log: (line) => process.stderr.write(`${line}\n`) });
    file = stack.file;
  }
  stackIsLocal = stack !== undefined;
  const where = storage ? STORAGE[storage] : 'a running stack';
  try {
    const client = new DynamoDBClient({ endpoint: file.dynamodb, region: LOCAL_REGION, credentials: localCredentials });
    const { key } = await putApiKey(DynamoDBDocumentClient.from(client), file.tables['wlp-keys'], {
      wlp: file.wlp.address,
      name: 'bench',
      rateLimit: 1_000_000,
      quota: 1_000_000_000,
    });
    client.destroy();
    const url = `${file.api}/v1/quotes`;
    const body = JSON.stringify({ index: 'MAG7.ssi', side: 'mint', amount: '1.5' });
    const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    if (probe.status !== 200) throw new Error(`a probe quote failed: HTTP ${probe.status} ${await probe.text()}`);

    // Long enough for DynamoDB Local's JVM to compile its hot paths.
    process.stderr.write('warming up (10 s)...\n');
    await autocannon(url, key, body, connectionCounts[0], 10);
    const pids = processes(file.dataDir);
    const rows: Measurement[] = [];
    const summaries: string[] = [];
    const met: string[] = [];
    for (const connections of connectionCounts) {
      process.stderr.write(`measuring: ${where}, ${connections} connections for ${seconds} s...\n`);
      const cpuBefore = cpuSeconds(pids);
      const profile = process.env.SSI_BENCH_PROFILE ? await startProfile() : undefined;
      const result = await autocannon(url, key, body, connections, seconds);
      if (profile) await profile(process.env.SSI_BENCH_PROFILE!);
      const cpuAfter = cpuSeconds(pids);
      const label = `POST /v1/quotes, MAG7.ssi mint, ${where}, ${connections} connections, ${seconds} s`;
      rows.push(
        emit({ bench: BENCH, case: label, metric: 'throughput', value: Math.round(result.requests.average), unit: 'quotes/s' }),
        emit({ bench: BENCH, case: label, metric: 'p50 latency', value: result.latency.p50, unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'p90 latency', value: result.latency.p90, unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'p99 latency', value: result.latency.p99, unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'max latency', value: result.latency.max, unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'quotes answered 200', value: result['2xx'], unit: 'requests' }),
        emit({ bench: BENCH, case: label, metric: 'non-2xx answers', value: result.non2xx, unit: 'requests' }),
        emit({ bench: BENCH, case: label, metric: 'errors and timeouts', value: result.errors + result.timeouts, unit: 'requests' }),
      );
      const answered = Math.max(1, result['2xx']);
      const tag = `(${where}, ${connections} connections)`;
      let totalCpu = 0;
      let apiCpu = 0;
      for (const [name, after] of Object.entries(cpuAfter)) {
        const perQuote = ((after - (cpuBefore[name] ?? 0)) * 1000) / answered;
        totalCpu += perQuote;
        if (name === 'API + authorizer + handler') apiCpu = perQuote;
        rows.push(emit({ bench: BENCH, case: `CPU per quote: ${name} ${tag}`, metric: 'cpu time', value: Math.round(perQuote * 1000) / 1000, unit: 'ms' }));
      }
      const capacity = Math.round((cpus().length * 1000) / totalCpu);
      rows.push(
        emit({ bench: BENCH, case: `CPU per quote: all stack processes ${tag}`, metric: 'cpu time', value: Math.round(totalCpu * 1000) / 1000, unit: 'ms' }),
        emit({ bench: BENCH, case: `capacity implied by CPU per quote on ${cpus().length} idle cores ${tag}`, metric: 'throughput', value: capacity, unit: 'quotes/s' }),
      );
      if (result.requests.average >= 1000 && result.latency.p99 <= 100) met.push(`${where} at ${connections} connections`);
      summaries.push(
        `${where}, ${connections} connections: ` +
          `ceilings from CPU per quote: the API process alone (adapter and workers, every thread) ${Math.round((cpus().length * 1000) / Math.max(0.001, apiCpu))} quotes/s on ${cpus().length} idle cores, the whole stack ${capacity} quotes/s before autocannon's share.`,
      );
    }
    return { rows, summaries, met };
  } finally {
    if (stack) await stack.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:quotes failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
