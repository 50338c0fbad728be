/**
 * Lambda-shaped runtime benchmark: `npm run bench:lambda`.
 *
 * Every function's bundle (infra/bundling.ts, as the CDK app builds it) and, on a local stack in
 * this process (data on tmpfs where there is one), what its Lambda-shaped workers take:
 * - bundle size of each function;
 * - cold start (init): wall and CPU time of loading the bundle in a fresh worker (SSI_BENCH_COLD
 *   starts each, default 3), module-level init included;
 * - warm invocations, one after another on one worker (SSI_BENCH_WARM each, default 100): p50/p99 of
 *   the time inside the worker and the worker thread's CPU per invocation, for the functions that can
 *   be invoked again and again without changing the protocol's state (API routes, the authorizer,
 *   heartbeat, relayer-monitor); the others (on-chain publishers, snapshots, the rebalance) only get
 *   bundle size and init;
 * - the quote API under load: POST /v1/quotes from autocannon with 8, 32 and 64 connections
 *   (SSI_BENCH_CONNECTIONS) against a quote-api pool provisioned to as many workers, SSI_BENCH_SECONDS
 *   (default 15) each: quotes/s, p50/p99, CPU per quote inside the workers and for this process.
 * One JSON line per reading; the table in docs/benchmarks.md is rewritten.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FUNCTIONS, SCHEDULES, type FunctionName } from '../../topology';
import { startStack, type RunningStack } from '../../infra/local/stack';
import { bundleFunction, type InvocationUsage } from '../../infra/local/lambda-workers';
import { scheduledEvent } from '../../infra/local/scheduler';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { putApiKey } from '../../lambdas/quotes/api-keys';
import { emit, recordTable, type Measurement } from './measure';
import { autocannon, freePort } from './load';

const BENCH = 'lambda';
const TARGETS = { bundleMb: 1.5, initMs: 250, warmCpuMs: 3, p99At32Ms: 100 };

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** This process's user + system CPU seconds (every thread: the API adapter and all workers). */
function processCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const coldStarts = Number(process.env.SSI_BENCH_COLD ?? 3);
  const warmCount = Number(process.env.SSI_BENCH_WARM ?? 100);
  const seconds = Number(process.env.SSI_BENCH_SECONDS ?? 15);
  const connectionCounts = (process.env.SSI_BENCH_CONNECTIONS ?? '8,32,64').split(',').map(Number);
  const rows: Measurement[] = [];
  const notes: string[] = [];
  const loadAtStart = loadavg()[1];
  const misses: string[] = [];

  process.stderr.write('bundling every function...\n');
  for (const spec of FUNCTIONS) {
    const size = statSync(await bundleFunction(spec)).size;
    rows.push(emit({ bench: BENCH, case: spec.name, metric: 'bundle size', value: round(size / 1024 / 1024, 3), unit: 'MB' }));
    if (spec.name === 'quote-api' && size / 1024 / 1024 > TARGETS.bundleMb) misses.push(`quote-api bundle ${round(size / 1024 / 1024)} MB > ${TARGETS.bundleMb} MB`);
  }

  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, 'ssi-bench-lambda-'));
  const ports = { api: await freePort(), chain: await freePort(), dynamodb: await freePort(), kms: await freePort(), s3: await freePort() };
  process.stderr.write(`starting the local stack (data in ${base})...\n`);
  let stack: RunningStack | undefined;
  try {
    stack = await startStack({ dataDir, ports, scheduler: false, log: (line) => process.stderr.write(`${line}\n`) });
    const { file, lambdas } = stack;

    // Cold starts, one at a time so they do not share the cores with each other.
    for (const spec of FUNCTIONS) {
      process.stderr.write(`cold starts: ${spec.name}\n`);
      const pool = lambdas.pool(spec.name as FunctionName);
      for (let i = 0; i < coldStarts; i++) {
        await pool.close();
        await pool.provision(1);
      }
      await pool.close();
      const init = pool.stats.initMs;
      rows.push(
        emit({ bench: BENCH, case: spec.name, metric: `cold start (init) wall, median of ${init.length}`, value: round(percentile(init, 50), 1), unit: 'ms' }),
        emit({ bench: BENCH, case: spec.name, metric: 'cold start (init) CPU, median', value: round(percentile(pool.stats.initCpuMs, 50), 1), unit: 'ms' }),
      );
      if (spec.name === 'quote-api' && percentile(init, 50) > TARGETS.initMs) misses.push(`quote-api init ${round(percentile(init, 50), 0)} ms > ${TARGETS.initMs} ms`);
    }

    const client = new DynamoDBClient({ endpoint: file.dynamodb, region: LOCAL_REGION, credentials: localCredentials });
    const { key } = await putApiKey(DynamoDBDocumentClient.from(client), file.tables['wlp-keys'], { wlp: file.wlp.address, name: 'bench', rateLimit: 1_000_000, quota: 1_000_000_000 });
    client.destroy();
    const quoteBody = JSON.stringify({ index: 'MAG7.ssi', side: 'mint', amount: '1.5' });
    const http = (method: string, path: string, body?: string) => async () => {
      const answer = await fetch(`${file.api}${path}`, { method, headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
      if (answer.status !== 200) throw new Error(`${method} ${path}: HTTP ${answer.status} ${await answer.text()}`);
    };
    const direct = (fn: FunctionName, event: () => unknown) => () => lambdas.invoke(fn, event()).then(() => undefined);
    const schedule = (fn: FunctionName) => SCHEDULES.find((s) => 'function' in s && s.function === fn)!;
    const warmCases: Array<{ fn: FunctionName; what: string; call: () => Promise<void> }> = [
      { fn: 'quote-api', what: 'POST /v1/quotes (MAG7.ssi mint: RFQ, signature check, audit record)', call: http('POST', '/v1/quotes', quoteBody) },
      { fn: 'quote-api', what: 'GET /v1/indexes', call: http('GET', '/v1/indexes') },
      { fn: 'read-api', what: 'GET /v1/protocol', call: http('GET', '/v1/protocol') },
      { fn: 'points-api', what: 'GET /v1/points/{address}', call: http('GET', `/v1/points/${file.wlp.address}`) },
      { fn: 'ussi-api', what: 'POST /v1/ussi/quotes (USDC mint)', call: http('POST', '/v1/ussi/quotes', JSON.stringify({ side: 'mint', asset: 'USDC', amount: '100' })) },
      { fn: 'wlp-authorizer', what: 'authorizer event (API Gateway caches its answers; invoked directly)', call: direct('wlp-authorizer', () => ({ type: 'REQUEST', identitySource: [key], headers: { 'x-api-key': key } })) },
      { fn: 'heartbeat', what: 'scheduled event', call: direct('heartbeat', () => scheduledEvent(schedule('heartbeat'))) },
      { fn: 'relayer-monitor', what: 'scheduled event', call: direct('relayer-monitor', () => scheduledEvent(schedule('relayer-monitor'))) },
    ];
    let quoteWarmCpu = NaN;
    let quoteWarm: InvocationUsage[] = [];
    for (const c of warmCases) {
      process.stderr.write(`warm invocations: ${c.fn} ${c.what}\n`);
      const pool = lambdas.pool(c.fn);
      await pool.provision(1);
      try {
        for (let i = 0; i < 5; i++) await c.call();
      } catch (error) {
        notes.push(`${c.fn} (${c.what}) not measured: ${(error as Error).message.slice(0, 200)}`);
        continue;
      }
      const from = pool.stats.usage.length;
      for (let i = 0; i < warmCount; i++) await c.call();
      const usage: InvocationUsage[] = pool.stats.usage.slice(from);
      const label = `${c.fn}: ${c.what}`;
      const cpu = usage.map((u) => u.cpuMs);
      rows.push(
        emit({ bench: BENCH, case: label, metric: `warm invocation p50 (${usage.length} one after another)`, value: round(percentile(usage.map((u) => u.durationMs), 50)), unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'warm invocation p99', value: round(percentile(usage.map((u) => u.durationMs), 99)), unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'CPU per invocation (worker thread), mean', value: round(mean(cpu)), unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'CPU per invocation (worker thread), p50', value: round(percentile(cpu, 50)), unit: 'ms' }),
      );
      if (c.what.startsWith('POST /v1/quotes')) {
        quoteWarmCpu = mean(cpu);
        quoteWarm = usage;
      }
    }
    if (!(quoteWarmCpu <= TARGETS.warmCpuMs)) misses.push(`quote-api warm CPU ${round(quoteWarmCpu)} ms per quote > ${TARGETS.warmCpuMs} ms`);

    // The quote API under load: as many warm workers as connections (API Gateway + Lambda scale out per request in flight).
    const quotes = lambdas.pool('quote-api');
    for (const connections of connectionCounts) {
      process.stderr.write(`load: ${connections} connections for ${seconds} s (provisioning ${connections} quote-api workers)...\n`);
      await quotes.provision(connections);
      await autocannon(`${file.api}/v1/quotes`, key, quoteBody, connections, 3);
      const from = quotes.stats.usage.length;
      const killedBefore = quotes.stats.killed;
      const workers = quotes.size;
      const cpuBefore = processCpuSeconds();
      const result = await autocannon(`${file.api}/v1/quotes`, key, quoteBody, connections, seconds);
      const processCpu = processCpuSeconds() - cpuBefore;
      const usage = quotes.stats.usage.slice(from);
      const answered = result['2xx'];
      const label = `POST /v1/quotes, ${connections} connections, ${workers} warm quote-api workers at the start, ${seconds} s`;
      rows.push(
        emit({ bench: BENCH, case: label, metric: 'throughput', value: Math.round(result.requests.average), unit: 'quotes/s' }),
        emit({ bench: BENCH, case: label, metric: 'p50 latency', value: result.latency.p50, unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'p99 latency', value: result.latency.p99, unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'quotes answered 200', value: answered, unit: 'requests' }),
        emit({ bench: BENCH, case: label, metric: 'non-2xx answers and errors', value: result.non2xx + result.errors + result.timeouts, unit: 'requests' }),
        emit({ bench: BENCH, case: label, metric: 'workers stopped (function timeout or crash)', value: quotes.stats.killed - killedBefore, unit: 'workers' }),
        emit({ bench: BENCH, case: label, metric: 'time inside the worker, p50', value: round(percentile(usage.map((u) => u.durationMs), 50)), unit: 'ms' }),
        emit({ bench: BENCH, case: label, metric: 'CPU per quote (worker thread), mean', value: round(mean(usage.map((u) => u.cpuMs))), unit: 'ms' }),
      );
      if (answered > 0) rows.push(emit({ bench: BENCH, case: label, metric: 'CPU per quote (this process: adapter, authorizer, workers, GC)', value: round((processCpu * 1000) / answered), unit: 'ms' }));
      if (connections === 32 && result.latency.p99 > TARGETS.p99At32Ms) misses.push(`p99 at 32 workers ${result.latency.p99} ms > ${TARGETS.p99At32Ms} ms`);
    }
    // What Lambda would do: each worker there has its own share of a core, so N workers each serve
    // one quote after another in the service time measured warm and alone above, whatever N is, as
    // long as DynamoDB and the PMMs keep up.
    if (quoteWarm.length) {
      const service = quoteWarm.map((u) => u.durationMs);
      for (const workers of connectionCounts) {
        const label = `quote-api, ${workers} workers with a core share each (estimate from the warm service time of one worker, not measured under load)`;
        rows.push(
          emit({ bench: BENCH, case: label, metric: 'throughput', value: Math.round((workers * 1000) / mean(service)), unit: 'quotes/s' }),
          emit({ bench: BENCH, case: label, metric: 'p99 time inside the worker', value: round(percentile(service, 99)), unit: 'ms' }),
        );
      }
    }
  } finally {
    if (stack) await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  recordTable(BENCH, 'npm run bench:lambda', rows, [
    `Targets: quote-api bundle <= ${TARGETS.bundleMb} MB, init <= ${TARGETS.initMs} ms, warm CPU <= ${TARGETS.warmCpuMs} ms per quote, p99 <= ${TARGETS.p99At32Ms} ms at 32 workers: ${misses.length ? `missed in this run: ${misses.join('; ')}` : 'all met in this run'}.`,
    `This machine has ${cpus().length} cores, shared by every worker, the API adapter, the PMM simulator, DynamoDB Local, anvil and autocannon (and by other work on the machine while it ran):`,
    'a Lambda gives each worker its own share of a core, so figures under load here are bounded by the 2 cores, not by the function.',
    `Machine load (5-minute load average) while this ran: ${round(loadAtStart, 1)} at the start, ${round(loadavg()[1], 1)} at the end, on ${cpus().length} cores: wall times here are inflated by that much contention; CPU times much less.`,
    'Under load a quote that the cores cannot finish within the function timeout (10 s) is stopped with its worker, as Lambda stops a container, and the next request pays a cold start:',
    'once the cores are saturated this feeds on itself (see "workers stopped"), which is why the load rows degrade sharply instead of gradually.',
    'CPU per invocation is the worker thread\'s own time (/proc/thread-self/schedstat around the handler call); process.cpuUsage would count every thread of the process.',
    'Init is loading the bundle in a fresh worker thread (parse, compile, module-level setup of the SDK clients and settings), measured inside the worker.',
    'A worker thread does not apply the function\'s NODE_OPTIONS (--enable-source-maps): a Lambda container also reads and indexes the bundle\'s source map at init (`npm run bench:lambda:profile` runs the bundle in a process of its own, source maps on, and breaks init and a warm quote down by package).',
    'The "core share each" rows are what Lambda would give: the warm one-after-another service time of a single worker (above), times the number of workers; p99 there is the single worker\'s.',
    ...notes,
  ]);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:lambda failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
