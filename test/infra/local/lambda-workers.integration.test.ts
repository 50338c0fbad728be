import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaWorkerPool, LambdaFailure, LambdaTimeout, bundleFunction } from '../../../infra/local/lambda-workers';
import type { FunctionSpec, RouteSpec } from '../../../topology';
import { startApi } from '../../../infra/local/api-gateway';

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

  describe('behind the local API adapter', () => {
    const route = (fn: string): RouteSpec => ({ method: 'GET', path: `/${fn}`, function: fn as never, auth: 'none' }) as unknown as RouteSpec;
    const serve = async (p: LambdaWorkerPool, integrationTimeoutMs?: number) => {
      const api = await startApi(0, (_name, event) => p.invoke(event), async () => undefined, () => undefined, [route(p.spec.name)], integrationTimeoutMs);
      return { api, get: () => fetch(`${api.url}/${p.spec.name}`) };
    };

    test("a function run over its timeout stops its worker and the client gets API Gateway's 500; the next request cold-starts", async () => {
      const slow = pool(spec('slowroute', 1), 2);
      const { api, get } = await serve(slow);
      try {
        const original = slow.invoke.bind(slow);
        slow.invoke = (event) => original({ ...(event as object), action: 'sleep', ms: 3000 });
        const answer = await get();
        expect(answer.status).toBe(500);
        expect(await answer.json()).toEqual({ message: 'Internal Server Error' });
        expect(slow.stats).toMatchObject({ killed: 1, coldStarts: 1 });
        expect(slow.size).toBe(0);

        slow.invoke = (event) => original({ ...(event as object), action: 'echo' });
        expect((await get()).status).toBe(200);
        expect(slow.stats.coldStarts).toBe(2);
      } finally {
        await api.close();
      }
    });

    test('an answer later than the integration timeout is a 504 from the gateway', async () => {
      const late = pool(spec('lateroute', 10), 1);
      const { api, get } = await serve(late, 500);
      try {
        const original = late.invoke.bind(late);
        late.invoke = (event) => original({ ...(event as object), action: 'sleep', ms: 1500 });
        const answer = await get();
        expect(answer.status).toBe(504);
      } finally {
        await api.close();
      }
    });
  });
});
