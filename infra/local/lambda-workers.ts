import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../../topology';
import { FUNCTION_BUNDLING } from '../bundling';
import { LambdaTimeout } from './lambda-runtime';
import { LOCAL_REGION } from './credentials';

/*
 * Lambda-shaped workers: each function's handler bundled by esbuild with the CDK app's bundling
 * declaration (infra/bundling.ts), loaded in a worker thread of its own with the function's
 * environment only and its heap capped at the declared memory; one invocation at a time per
 * worker, a pool that grows (a cold start each time) up to `maxWorkers`, the declared timeout
 * enforced by stopping the worker, as Lambda stops a container that runs over.
 */

const ROOT = resolve(__dirname, '../..');

// The worker's side, run as an eval'd CommonJS script: load the bundle (the cold start), then
// answer one invocation at a time.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const started = Date.now();
const mod = require(workerData.bundle);
parentPort.postMessage({ type: 'ready', initMs: Date.now() - started });
parentPort.on('message', async ({ id, event, context }) => {
  const deadline = Date.now() + context.timeoutMs;
  const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), done() {}, fail() {}, succeed() {} };
  try {
    parentPort.postMessage({ id, ok: true, result: await mod.handler(event, ctx) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: { name: error && error.name, message: error && error.message ? error.message : String(error) } });
  }
});
`;

/** A handler's failure as it crossed the worker boundary, with the handler's error name. */
export class LambdaFailure extends Error {
  constructor(readonly functionName: string, name: string, message: string) {
    super(`${functionName}: ${message}`);
    this.name = name || 'Error';
  }
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

export interface WorkerStats {
  coldStarts: number;
  invocations: number;
  initMs: number[];
}

/** One function's warm workers. */
export class LambdaWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<() => void> = [];
  readonly stats: WorkerStats = { coldStarts: 0, invocations: 0, initMs: [] };

  constructor(
    readonly spec: FunctionSpec,
    private readonly bundle: Promise<string>,
    private readonly env: Record<string, string>,
    private readonly maxWorkers: number,
  ) {}

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
    const initMs = await new Promise<number>((resolveReady, reject) => {
      worker.once('message', (m: { type: string; initMs: number }) => resolveReady(m.initMs));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`${this.spec.name}: the worker exited (${code}) during its cold start`)));
    });
    this.stats.coldStarts++;
    this.stats.initMs.push(initMs);
    const slot = { worker, busy: false };
    this.slots.push(slot);
    return slot;
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      const idle = this.slots.find((s) => !s.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.slots.length < this.maxWorkers) {
        // Reserve the place before the cold start, so concurrent callers do not overshoot the pool.
        const placeholder = { worker: undefined as unknown as Worker, busy: true };
        this.slots.push(placeholder);
        try {
          const slot = await this.start();
          this.slots.splice(this.slots.indexOf(placeholder), 1);
          slot.busy = true;
          return slot;
        } catch (error) {
          this.slots.splice(this.slots.indexOf(placeholder), 1);
          throw error;
        }
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  private release(slot: Slot, dead: boolean): void {
    if (dead) this.slots.splice(this.slots.indexOf(slot), 1);
    else slot.busy = false;
    this.waiting.shift()?.();
  }

  async invoke(event: unknown): Promise<unknown> {
    const slot = await this.acquire();
    this.stats.invocations++;
    const id = randomUUID();
    const context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: `ssi-${this.spec.name}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:ssi-${this.spec.name}`,
      memoryLimitInMB: String(this.spec.memoryMb),
      awsRequestId: id,
      logGroupName: `/aws/lambda/ssi-${this.spec.name}`,
      logStreamName: `local/${id}`,
      timeoutMs: this.spec.timeoutSeconds * 1000,
    };
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
        const onMessage = (m: { id: string; ok: boolean; result?: unknown; error?: { name: string; message: string } }) => {
          if (m.id !== id) return;
          clearTimeout(timer);
          slot.worker.off('message', onMessage);
          slot.worker.off('exit', onExit);
          if (m.ok) resolveResult(m.result);
          else reject(new LambdaFailure(this.spec.name, m.error!.name, m.error!.message));
        };
        slot.worker.on('message', onMessage);
        slot.worker.postMessage({ id, event, context });
      });
    } finally {
      this.release(slot, dead);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.filter((s) => s.worker).map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

/** Bundles `spec.entry` as the CDK app does, into `dir`; resolves with the bundle's path. */
export async function bundleFunction(spec: FunctionSpec, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${spec.name}.js`);
  await build({
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
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** The Lambda-shaped workers of several functions: bundles made once, a pool per function. */
export class LocalLambdaWorkers {
  private readonly pools = new Map<string, LambdaWorkerPool>();

  constructor(
    private readonly bundleDir: string,
    private readonly environmentOf: (spec: FunctionSpec) => Record<string, string>,
    private readonly maxWorkersOf: (spec: FunctionSpec) => number = (spec) => spec.reservedConcurrency ?? 16,
  ) {}

  pool(name: FunctionName): LambdaWorkerPool {
    let pool = this.pools.get(name);
    if (!pool) {
      const spec = FUNCTIONS.find((f) => f.name === name);
      if (!spec) throw new Error(`no function ${name} in the topology`);
      pool = new LambdaWorkerPool(spec, bundleFunction(spec, this.bundleDir), this.environmentOf(spec), this.maxWorkersOf(spec));
      this.pools.set(name, pool);
    }
    return pool;
  }

  invoke(name: FunctionName, event: unknown): Promise<unknown> {
    return this.pool(name).invoke(event);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}
