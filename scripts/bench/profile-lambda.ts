/**
 * Where a quote-api container spends its CPU: `npm run bench:lambda:profile`.
 *
 * Starts the local stack, captures one POST /v1/quotes event as the API adapter hands it to the
 * function (authorizer context included) and the function's environment, then runs the quote-api
 * bundle (infra/bundling.ts, as the CDK app builds it) in a child Node process of its own, one
 * invocation at a time, as a Lambda container would:
 * - init: `require` of the bundle, CPU time of the process's main thread, and the CPU of the
 *   container's first quote, without a profiler (median of SSI_PROFILE_COLD fresh processes,
 *   default 5), then once more under the V8 CPU profiler;
 * - warm: SSI_PROFILE_WARM quotes (default 300) after 30 unmeasured ones, CPU per quote without a
 *   profiler, then the same again under the profiler.
 * Each profile's self time is attributed, through the bundle's source map, to the npm package or
 * project file it came from; the breakdown is printed (stderr) and written as JSON lines
 * (`{"bench":"lambda-profile",...}`, stdout). The profiles stay in SSI_PROFILE_DIR (default a
 * temporary folder) for Chrome DevTools or speedscope. SSI_PROFILE_BASELINE=<bundle> measures another
 * build of the function (an older commit's) alternately with this one, for before/after figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startStack, type RunningStack } from '../../infra/local/stack';
import { LambdaWorkerPool } from '../../infra/local/lambda-workers';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import { putApiKey } from '../../lambdas/quotes/api-keys';
import { emit } from './measure';
import { freePort } from './load';

const BENCH = 'lambda-profile';

// The child: plain Node, the bundle and nothing else, like a Lambda container's runtime.
const RUNNER = `
const { readFileSync, writeFileSync } = require('node:fs');
const { Session } = require('node:inspector/promises');
const [bundle, eventFile, out, mode, warm] = process.argv.slice(2);
const threadCpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const context = { callbackWaitsForEmptyEventLoop: false, functionName: 'ssi-quote-api', awsRequestId: 'profile', getRemainingTimeInMillis: () => 10000 };
(async () => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.enable');
  const profile = async (name, fn) => {
    await session.post('Profiler.start');
    await fn();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(out + '/' + name + '.cpuprofile', JSON.stringify(profile));
  };
  const load = () => require(bundle);
  let mod;
  const result = {};
  if (mode === 'init') {
    const cpu = threadCpuMs(); const wall = performance.now();
    mod = load();
    result.initCpuMs = threadCpuMs() - cpu; result.initWallMs = performance.now() - wall;
    // The container's first quote: what the cold start left for it (the maker's first recovery, lazy tables, JIT).
    const event = JSON.parse(readFileSync(eventFile, 'utf8'));
    const first = threadCpuMs();
    const reply = await mod.handler(event, context);
    if (reply.statusCode !== 200) throw new Error('first quote answered ' + reply.statusCode + ': ' + reply.body);
    result.firstQuoteCpuMs = threadCpuMs() - first;
  } else if (mode === 'init-profile') {
    await profile('init', async () => { mod = load(); });
  } else {
    mod = load();
    const event = JSON.parse(readFileSync(eventFile, 'utf8'));
    const quote = async () => {
      const reply = await mod.handler(structuredClone(event), context);
      if (reply.statusCode !== 200) throw new Error('quote answered ' + reply.statusCode + ': ' + reply.body);
    };
    for (let i = 0; i < 30; i++) await quote();
    await new Promise((r) => setTimeout(r, 50));
    const n = Number(warm);
    const cpus = [];
    for (let i = 0; i < n; i++) { const c = threadCpuMs(); await quote(); cpus.push(threadCpuMs() - c); }
    cpus.sort((a, b) => a - b);
    result.warmCpuMeanMs = cpus.reduce((a, b) => a + b, 0) / n;
    result.warmCpuP50Ms = cpus[Math.floor(n / 2)];
    if (mode === 'warm-profile') await profile('warm', async () => { for (let i = 0; i < n; i++) await quote(); });
  }
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

function runChild(runner: string, args: string[], env: Record<string, string>): Promise<Record<string, number>> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [runner, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(out) as Record<string, number>) : fail(new Error(`runner exited ${code}: ${err.slice(0, 2000)}`))));
  });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time of a V8 CPU profile by where the code came from: an npm package, a project file, or V8's own buckets (GC, program). */
export function attribute(profilePath: string, bundle: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const map = existsSync(`${bundle}.map`) ? new TraceMap(readFileSync(`${bundle}.map`, 'utf8')) : undefined;
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const msByNode = new Map<number, number>();
  profile.samples.forEach((id, i) => msByNode.set(id, (msByNode.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000));
  const totals = new Map<string, number>();
  for (const [id, ms] of msByNode) {
    const { callFrame } = byNode.get(id)!;
    let where: string;
    if (callFrame.url.endsWith(bundle) || callFrame.url === `file://${bundle}`) {
      const source = map ? originalPositionFor(map, { line: callFrame.lineNumber + 1, column: callFrame.columnNumber }).source : null;
      where = source ? sourceGroup(source) : 'bundle (unmapped)';
    } else if (callFrame.url.startsWith('node:') || callFrame.url === '') where = callFrame.url ? 'Node.js internals' : `(${callFrame.functionName.replace(/[()]/g, '')})`;
    else where = callFrame.url;
    totals.set(where, (totals.get(where) ?? 0) + ms);
  }
  return totals;
}

function sourceGroup(source: string): string {
  const modules = source.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = source.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return source.replace(/^(\.\.\/)+/, '');
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const coldRuns = Number(process.env.SSI_PROFILE_COLD ?? 5);
  const warm = Number(process.env.SSI_PROFILE_WARM ?? 300);
  const out = resolve(process.env.SSI_PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'ssi-profile-')));
  mkdirSync(out, { recursive: true });
  const dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ssi-profile-stack-'));
  const ports = { api: await freePort(), chain: await freePort(), dynamodb: await freePort(), kms: await freePort(), s3: await freePort() };
  let stack: RunningStack | undefined;
  // The event and environment the quote-api workers receive, taken as the API adapter invokes them.
  let captured: { event: unknown; env: Record<string, string>; bundle: string } | undefined;
  const invokeMeasured = LambdaWorkerPool.prototype.invokeMeasured;
  LambdaWorkerPool.prototype.invokeMeasured = async function (this: LambdaWorkerPool, event: unknown) {
    const self = this as unknown as { env: Record<string, string>; bundle: Promise<string> };
    if (this.spec.name === 'quote-api' && !captured) captured = { event: structuredClone(event), env: self.env, bundle: await self.bundle };
    return invokeMeasured.call(this, event);
  };
  try {
    process.stderr.write('starting the local stack...\n');
    stack = await startStack({ dataDir, ports, scheduler: false, dynamodbInMemory: true, log: () => undefined });
    const { file } = stack;
    const client = new DynamoDBClient({ endpoint: file.dynamodb, region: LOCAL_REGION, credentials: localCredentials });
    const { key } = await putApiKey(DynamoDBDocumentClient.from(client), file.tables['wlp-keys'], { wlp: file.wlp.address, name: 'profile', rateLimit: 1_000_000, quota: 1_000_000_000 });
    client.destroy();
    const answer = await fetch(`${file.api}/v1/quotes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ index: 'MAG7.ssi', side: 'mint', amount: '1.5' }),
    });
    if (answer.status !== 200 || !captured) throw new Error(`the first quote answered ${answer.status}: ${await answer.text()}`);
    await stack.lambdas.pool('quote-api').close();
    const { event, env, bundle } = captured;
    writeFileSync(join(out, 'event.json'), JSON.stringify(event));
    writeFileSync(join(out, 'env.json'), JSON.stringify(env));
    const runner = join(out, 'runner.cjs');
    writeFileSync(runner, RUNNER);
    const childEnv = { ...env, POWERTOOLS_LOG_LEVEL: env.POWERTOOLS_LOG_LEVEL ?? 'ERROR' };
    const loadStart = loadavg()[0];

    // SSI_PROFILE_BASELINE=<bundle>: another build of quote-api (say, from an older commit), run
    // alternately with this one against the same stack, so load weighs on both alike.
    const bundles: Array<[string, string]> = [['this build', bundle]];
    if (process.env.SSI_PROFILE_BASELINE) bundles.unshift(['baseline', resolve(process.env.SSI_PROFILE_BASELINE)]);
    const argsOf = (file: string, mode: string) => [file, join(out, 'event.json'), out, mode, String(warm)];
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const inits = new Map<string, Array<Record<string, number>>>(bundles.map(([name]) => [name, []]));
    for (let i = 0; i < coldRuns; i++) for (const [name, file] of bundles) inits.get(name)!.push(await runChild(runner, argsOf(file, 'init'), childEnv));
    for (const [name] of bundles) {
      const runs = inits.get(name)!;
      const label = `quote-api cold start, ${name}, no profiler`;
      emit({ bench: BENCH, case: label, metric: `init (require of the bundle) CPU, median of ${coldRuns}`, value: +median(runs.map((r) => r.initCpuMs)).toFixed(1), unit: 'ms' });
      emit({ bench: BENCH, case: label, metric: `init wall, median of ${coldRuns}`, value: +median(runs.map((r) => r.initWallMs)).toFixed(1), unit: 'ms' });
      emit({ bench: BENCH, case: label, metric: `first quote CPU, median of ${coldRuns}`, value: +median(runs.map((r) => r.firstQuoteCpuMs)).toFixed(1), unit: 'ms' });
    }
    for (const [name, file] of bundles) {
      const warmRun = await runChild(runner, argsOf(file, 'warm'), childEnv);
      const label = `quote-api warm POST /v1/quotes, ${name}, ${warm} one after another, no profiler`;
      emit({ bench: BENCH, case: label, metric: 'CPU per quote, mean', value: +warmRun.warmCpuMeanMs.toFixed(2), unit: 'ms' });
      emit({ bench: BENCH, case: label, metric: 'CPU per quote, p50', value: +warmRun.warmCpuP50Ms.toFixed(2), unit: 'ms' });
    }
    const args = (mode: string) => argsOf(bundle, mode);
    await runChild(runner, args('init-profile'), childEnv);
    await runChild(runner, args('warm-profile'), childEnv);

    for (const [name, per] of [['init', 1], ['warm', warm]] as const) {
      const totals = [...attribute(join(out, `${name}.cpuprofile`), bundle)].sort((a, b) => b[1] - a[1]);
      const sum = totals.reduce((a, [, ms]) => a + ms, 0);
      process.stderr.write(`\n${name} profile (${(sum / per).toFixed(2)} ms sampled${per > 1 ? ' per quote' : ''}), self time by origin:\n`);
      for (const [where, ms] of totals.slice(0, 25)) {
        process.stderr.write(`  ${(ms / per).toFixed(3).padStart(9)} ms  ${((100 * ms) / sum).toFixed(1).padStart(5)}%  ${where}\n`);
        emit({ bench: BENCH, case: `${name}: ${where}`, metric: `self time under the profiler${per > 1 ? ', per quote' : ''}`, value: +(ms / per).toFixed(3), unit: 'ms' });
      }
    }
    process.stderr.write(`\nprofiles in ${out}; 1-minute load ${loadStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end\n`);
  } finally {
    LambdaWorkerPool.prototype.invokeMeasured = invokeMeasured;
    if (stack) await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`profile failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
