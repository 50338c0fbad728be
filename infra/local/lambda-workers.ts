import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { build, version as esbuildVersion } from 'esbuild';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../../topology';
import { FUNCTION_BUNDLING } from '../bundling';
import { LOCAL_REGION } from './credentials';

/*
 * Lambda-shaped workers: each function's handler bundled by esbuild with the CDK app's bundling
 * declaration (infra/bundling.ts), loaded in a worker thread of its own with the function's
 * environment only and its heap capped at the declared memory; one invocation at a time per
 * worker, a pool that grows (a cold start each time) up to the function's reserved concurrency,
 * the declared timeout enforced by stopping the worker, as Lambda stops a container that runs over.
 * The API adapter, the scheduler and the state machines all invoke through here.
 */

const ROOT = resolve(__dirname, '../..');

/**
 * How many workers a function without a reserved concurrency may have at once. Lambda's account
 * pool (1,000 by default) does not fit a development machine; past this many, requests wait for a
 * free worker instead of being throttled.
 */
export const DEFAULT_LOCAL_CONCURRENCY = 64;

/** Where bundles are kept between runs: keyed by the content of every file that went into them. */
export const BUNDLE_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'ssi-lambda-bundles');

export class LambdaTimeout extends Error {
  constructor(readonly functionName: string, readonly timeoutSeconds: number) {
    super(`${functionName} timed out after ${timeoutSeconds} s`);
  }
}

/** A handler's failure as it crossed the worker boundary, with the handler's error name. */
export class LambdaFailure extends Error {
  constructor(readonly functionName: string, name: string, message: string) {
    super(`${functionName}: ${message}`);
    this.name = name || 'Error';
  }
}

/** The Lambda context of one invocation, less its methods (which cannot cross to the worker; the worker adds them). */
export type InvocationContext = Omit<Context, 'getRemainingTimeInMillis' | 'done' | 'fail' | 'succeed'> & { timeoutMs: number };

export function lambdaContext(spec: FunctionSpec, requestId: string = randomUUID()): InvocationContext {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `ssi-${spec.name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:ssi-${spec.name}`,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/ssi-${spec.name}`,
    logStreamName: `local/${requestId}`,
    timeoutMs: spec.timeoutSeconds * 1000,
  };
}

// The worker's side, run as an eval'd CommonJS script: load the bundle (the cold start, timed with
// the CPU it took), then answer one invocation at a time. CPU is this thread's own time from
// /proc/thread-self/schedstat where Linux has it (process.cpuUsage counts every thread of the
// process), else the process's.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const threadCpuNs = () => {
  try { return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]); } catch { return undefined; }
};
const cpuMs = () => { const ns = threadCpuNs(); if (ns !== undefined) return ns / 1e6; const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const startedAt = performance.now();
const startedCpu = cpuMs();
const mod = require(workerData.bundle);
parentPort.postMessage({ type: 'ready', initMs: performance.now() - startedAt, initCpuMs: cpuMs() - startedCpu });
parentPort.on('message', async ({ id, event, context }) => {
  const deadline = Date.now() + context.timeoutMs;
  const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), done() {}, fail() {}, succeed() {} };
  const began = performance.now();
  const cpu = cpuMs();
  const usage = () => ({ durationMs: performance.now() - began, cpuMs: cpuMs() - cpu });
  try {
    const result = await mod.handler(event, ctx);
    parentPort.postMessage({ id, ok: true, result, usage: usage() });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: { name: error && error.name, message: error && error.message ? error.message : String(error) }, usage: usage() });
  }
});
`;

interface Slot {
  worker: Worker;
  busy: boolean;
}

/** What one invocation took inside its worker: wall time and the worker thread's CPU time. */
export interface InvocationUsage {
  durationMs: number;
  cpuMs: number;
}

export interface WorkerStats {
  coldStarts: number;
  invocations: number;
  /** Per cold start: wall time and CPU time of loading the bundle (its module-level init included). */
  initMs: number[];
  initCpuMs: number[];
  /** Per completed invocation, in completion order. */
  usage: InvocationUsage[];
  /** Workers stopped because their invocation ran over the timeout or the worker died. */
  killed: number;
  /** The most workers alive at once. */
  peakWorkers: number;
}

/** One function's warm workers. */
export class LambdaWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<() => void> = [];
  private coldStarting = false;
  readonly stats: WorkerStats = { coldStarts: 0, invocations: 0, initMs: [], initCpuMs: [], usage: [], killed: 0, peakWorkers: 0 };

  constructor(
    readonly spec: FunctionSpec,
    private readonly bundle: Promise<string>,
    private readonly env: Record<string, string>,
    readonly maxWorkers: number,
  ) {}

  /** Workers alive now (warm or busy). */
  get size(): number {
    return this.slots.length;
  }

  private async start(): Promise<Slot> {
    const bundle = await this.bundle;
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { bundle },
      env: this.env,
      resourceLimits: { maxOldGenerationSizeMb: this.spec.memoryMb },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const ready = await new Promise<{ initMs: number; initCpuMs: number }>((resolveReady, reject) => {
      worker.once('message', resolveReady);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`${this.spec.name}: the worker exited (${code}) during its cold start`)));
    });
    worker.removeAllListeners('error').removeAllListeners('exit');
    // A worker dying between invocations (it cannot, short of a crash) is logged by its exit handler below.
    worker.on('error', () => undefined);
    this.stats.coldStarts++;
    this.stats.initMs.push(ready.initMs);
    this.stats.initCpuMs.push(ready.initCpuMs);
    return { worker, busy: false };
  }

  /** A new worker in a place reserved before its cold start, so concurrent callers do not overshoot the pool; busy once started. */
  private async grow(): Promise<Slot> {
    const slot = { worker: undefined as unknown as Worker, busy: true };
    this.slots.push(slot);
    this.stats.peakWorkers = Math.max(this.stats.peakWorkers, this.slots.length);
    try {
      slot.worker = (await this.start()).worker;
      return slot;
    } catch (error) {
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.waiting.shift()?.();
      throw error;
    }
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      const idle = this.slots.find((s) => !s.busy && s.worker);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      // One cold start at a time per function: on a machine with a few shared cores, parallel cold starts
      // slow each other down (Lambda starts them on separate hosts); a request meanwhile takes whichever
      // worker is free first, the warm ones included.
      if (this.slots.length < this.maxWorkers && !this.coldStarting) {
        this.coldStarting = true;
        try {
          return await this.grow();
        } finally {
          this.coldStarting = false;
          this.waiting.shift()?.();
        }
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  /** Cold-starts workers until `count` (at most the pool's cap) are alive, as provisioned concurrency would. */
  async provision(count: number): Promise<void> {
    const starts: Array<Promise<void>> = [];
    while (this.slots.length < Math.min(count, this.maxWorkers)) {
      starts.push(
        this.grow().then((slot) => {
          slot.busy = false;
          this.waiting.shift()?.();
        }),
      );
    }
    await Promise.all(starts);
  }

  private release(slot: Slot, dead: boolean): void {
    if (dead) {
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.stats.killed++;
    } else slot.busy = false;
    this.waiting.shift()?.();
  }

  /** Invokes the function once; resolves with its result and what it took inside the worker. */
  async invokeMeasured(event: unknown): Promise<{ result: unknown; usage: InvocationUsage }> {
    const slot = await this.acquire();
    this.stats.invocations++;
    const context = lambdaContext(this.spec);
    let dead = false;
    try {
      return await new Promise((resolveResult, reject) => {
        const timer = setTimeout(() => {
          dead = true;
          void slot.worker.terminate();
          reject(new LambdaTimeout(this.spec.name, this.spec.timeoutSeconds));
        }, context.timeoutMs);
        const onExit = (code: number) => {
          dead = true;
          clearTimeout(timer);
          reject(new LambdaFailure(this.spec.name, 'Runtime.ExitError', `the worker exited (${code}): out of memory or crashed`));
        };
        slot.worker.once('exit', onExit);
        const onMessage = (m: { id: string; ok: boolean; result?: unknown; error?: { name: string; message: string }; usage: InvocationUsage }) => {
          if (m.id !== context.awsRequestId) return;
          clearTimeout(timer);
          slot.worker.off('message', onMessage);
          slot.worker.off('exit', onExit);
          this.stats.usage.push(m.usage);
          if (m.ok) resolveResult({ result: m.result, usage: m.usage });
          else reject(new LambdaFailure(this.spec.name, m.error!.name, m.error!.message));
        };
        slot.worker.on('message', onMessage);
        slot.worker.postMessage({ id: context.awsRequestId, event, context });
      });
    } finally {
      this.release(slot, dead);
    }
  }

  async invoke(event: unknown): Promise<unknown> {
    return (await this.invokeMeasured(event)).result;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.filter((s) => s.worker).map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

interface BundleManifest {
  /** Hash of the bundling options and of every input file's content. */
  hash: string;
  /** The input files esbuild read, relative to the repository. */
  inputs: string[];
}

function inputsHash(spec: FunctionSpec, inputs: readonly string[]): string | undefined {
  const hash = createHash('sha256').update(JSON.stringify({ esbuildVersion, bundling: FUNCTION_BUNDLING, entry: spec.entry }));
  for (const input of inputs) {
    const path = resolve(ROOT, input);
    if (!existsSync(path)) return undefined;
    hash.update(`\0${input}\0`).update(readFileSync(path));
  }
  return hash.digest('hex');
}

/**
 * Bundles `spec.entry` as the CDK app does; resolves with the bundle's path. A bundle is kept in
 * `cacheDir` with the list of files that went into it and reused while none of them (nor the
 * bundling options) changed, so a stack start costs a hash of the inputs, not a build.
 */
export async function bundleFunction(spec: FunctionSpec, cacheDir: string = BUNDLE_CACHE_DIR): Promise<string> {
  const dir = join(cacheDir, spec.name);
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    try {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BundleManifest;
      const bundle = join(dir, manifest.hash, 'index.js');
      if (existsSync(bundle) && inputsHash(spec, manifest.inputs) === manifest.hash) return bundle;
    } catch {
      // An unreadable manifest: build again.
    }
  }
  const result = await build({
    entryPoints: [resolve(ROOT, spec.entry)],
    bundle: true,
    platform: 'node',
    format: FUNCTION_BUNDLING.format,
    target: FUNCTION_BUNDLING.target,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    external: [...FUNCTION_BUNDLING.externalModules],
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    absWorkingDir: ROOT,
    outfile: join(dir, 'index.js'),
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')).sort();
  const hash = inputsHash(spec, inputs)!;
  const target = join(dir, hash);
  if (!existsSync(join(target, 'index.js'))) {
    // Written aside, then renamed into place: another process bundling the same function sees all or nothing.
    const staging = join(dir, `.${hash}.${process.pid}.${randomUUID()}`);
    mkdirSync(staging, { recursive: true });
    for (const file of result.outputFiles) writeFileSync(join(staging, file.path.endsWith('.map') ? 'index.js.map' : 'index.js'), file.contents);
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const manifestStaging = `${manifestPath}.${process.pid}.${randomUUID()}`;
  writeFileSync(manifestStaging, JSON.stringify({ hash, inputs } satisfies BundleManifest));
  renameSync(manifestStaging, manifestPath);
  return join(target, 'index.js');
}

/** Invokes a declared function by name. */
export type FunctionInvoker = (name: FunctionName, event: unknown) => Promise<unknown>;

/**
 * The Lambda-shaped workers of several functions: a function is bundled (or its bundle taken from
 * the cache) on its first invocation, then each has its own pool.
 */
export class LocalLambdaWorkers {
  private readonly pools = new Map<string, LambdaWorkerPool>();

  constructor(
    private readonly environmentOf: (spec: FunctionSpec) => Record<string, string>,
    private readonly options: { bundleDir?: string; maxWorkersOf?: (spec: FunctionSpec) => number } = {},
  ) {}

  pool(name: FunctionName): LambdaWorkerPool {
    let pool = this.pools.get(name);
    if (!pool) {
      const spec: FunctionSpec | undefined = FUNCTIONS.find((f) => f.name === name);
      if (!spec) throw new Error(`no function ${name} in the topology`);
      const bundle = bundleFunction(spec, this.options.bundleDir);
      bundle.catch(() => undefined); // surfaced by the first invocation
      const maxWorkers = this.options.maxWorkersOf?.(spec) ?? spec.reservedConcurrency ?? DEFAULT_LOCAL_CONCURRENCY;
      pool = new LambdaWorkerPool(spec, bundle, this.environmentOf(spec), maxWorkers);
      this.pools.set(name, pool);
    }
    return pool;
  }

  invoke: FunctionInvoker = (name, event) => this.pool(name).invoke(event);

  /**
   * One invocation in a worker of its own whose environment adds `variables` to the function's, then
   * stopped: for tests that inject faults a handler reads from its environment (a warm worker keeps
   * the environment it started with, as a Lambda container does).
   */
  async invokeWithEnvironment(name: FunctionName, event: unknown, variables: Record<string, string>): Promise<unknown> {
    const spec: FunctionSpec | undefined = FUNCTIONS.find((f) => f.name === name);
    if (!spec) throw new Error(`no function ${name} in the topology`);
    const pool = new LambdaWorkerPool(spec, bundleFunction(spec, this.options.bundleDir), { ...this.environmentOf(spec), ...variables }, 1);
    try {
      return await pool.invoke(event);
    } finally {
      await pool.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}
