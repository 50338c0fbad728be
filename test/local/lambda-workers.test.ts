import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaWorkerPool, LambdaFailure, bundleFunction } from '../../infra/local/lambda-workers';
import { LambdaTimeout } from '../../infra/local/lambda-runtime';
import type { FunctionSpec } from '../../topology';

const spec = (name: string, timeoutSeconds = 2, memoryMb = 64): FunctionSpec => ({
  name,
  entry: 'test/fixtures/worker-handler.ts',
  description: 'test handler',
  timeoutSeconds,
  memoryMb,
  tables: {},
  keys: [],
  buckets: {},
});

describe('Lambda-shaped workers (bundled handler, own environment, one invocation per worker)', () => {
  let dir: string;
  let bundle: Promise<string>;
  const pools: LambdaWorkerPool[] = [];
  const pool = (s: FunctionSpec, maxWorkers: number) => {
    const p = new LambdaWorkerPool(s, bundle, { WORKER_MARKER: 'declared' }, maxWorkers);
    pools.push(p);
    return p;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ssi-workers-'));
    bundle = bundleFunction(spec('echo'), dir);
    process.env.PARENT_ONLY = 'must not reach the worker';
  });
  afterAll(async () => {
    delete process.env.PARENT_ONLY;
    await Promise.all(pools.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs the bundle with only the given environment and a Lambda context; a warm worker keeps its module state', async () => {
    const echo = pool(spec('echo'), 1);
    const first = (await echo.invoke({ action: 'echo' })) as Record<string, unknown>;
    const second = (await echo.invoke({ action: 'echo' })) as Record<string, unknown>;

    expect(first).toMatchObject({ calls: 1, fn: 'ssi-echo', memory: '64', marker: 'declared', leaked: null });
    expect(first.remainingMs).toBeGreaterThan(1000);
    expect(second).toMatchObject({ calls: 2, loadedAt: first.loadedAt });
    expect(echo.stats).toMatchObject({ coldStarts: 1, invocations: 2 });
  });

  test('one invocation at a time per worker: concurrent calls grow the pool (cold starts) up to its limit, then wait', async () => {
    const busy = pool(spec('busy'), 2);
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => busy.invoke({ action: 'sleep', ms: 400 })));

    expect(busy.stats.coldStarts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800); // the third waited for a free worker
  });

  test('a run over the timeout is stopped (LambdaTimeout) and the next call cold-starts a new worker', async () => {
    const slow = pool(spec('slow', 1), 1);
    await expect(slow.invoke({ action: 'sleep', ms: 3000 })).rejects.toBeInstanceOf(LambdaTimeout);
    expect(await slow.invoke({ action: 'echo' })).toMatchObject({ calls: 1 });
    expect(slow.stats.coldStarts).toBe(2);
  });

  test("a handler's error comes back with its name; a run past the declared memory kills the worker", async () => {
    const failing = pool(spec('failing'), 1);
    await expect(failing.invoke({ action: 'fail' })).rejects.toMatchObject({ name: 'Refused', message: 'failing: refused on purpose' });
    expect(await failing.invoke({ action: 'echo' })).toMatchObject({ calls: 2 });

    const small = pool(spec('small', 10, 32), 1);
    await expect(small.invoke({ action: 'allocate', mb: 200 })).rejects.toBeInstanceOf(LambdaFailure);
  });
});
