import { startTestStack, type TestStack } from '../../helpers/stack';
import { FUNCTIONS } from '../../../topology';
import { DEFAULT_LOCAL_CONCURRENCY } from '../../../infra/local/lambda-workers';

/*
 * The local stack's API runs the functions' bundles in Lambda-shaped workers: the quote route's
 * first request is a cold start of quote-api (and of the WLP authorizer), concurrent requests are
 * served by distinct workers, each one request at a time, and a warm worker serves the next.
 */
describe('the stack serves its routes from Lambda-shaped workers', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const quote = () =>
    stack.api('/v1/quotes', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.file.wlp.apiKey }, body: JSON.stringify({ index: 'DEFI.ssi', side: 'mint', amount: '1' }) });

  test('the first quote cold-starts quote-api from its bundle; the next one is served by the warm worker', async () => {
    const pool = stack.lambdas.pool('quote-api');
    expect(pool.stats.coldStarts).toBe(0);

    expect((await quote()).status).toBe(200);
    expect(pool.stats).toMatchObject({ coldStarts: 1, invocations: 1 });
    expect(pool.stats.initMs[0]).toBeGreaterThan(0);
    expect(stack.lambdas.pool('wlp-authorizer').stats.coldStarts).toBe(1);

    expect((await quote()).status).toBe(200);
    expect(pool.stats).toMatchObject({ coldStarts: 1, invocations: 2 });
    expect(pool.size).toBe(1);
  }, 120_000);

  test('concurrent quotes are served by distinct workers, one request each at a time, within the declared cap', async () => {
    const pool = stack.lambdas.pool('quote-api');
    const spec = FUNCTIONS.find((f) => f.name === 'quote-api')!;
    expect(pool.maxWorkers).toBe(('reservedConcurrency' in spec ? (spec.reservedConcurrency as number) : undefined) ?? DEFAULT_LOCAL_CONCURRENCY);

    const answers = await Promise.all(Array.from({ length: 4 }, () => quote()));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    // One warm worker could not take four requests at once: the pool grew by cold starts.
    expect(pool.stats.coldStarts).toBeGreaterThan(1);
    expect(pool.stats.peakWorkers).toBeGreaterThan(1);
    expect(pool.stats.peakWorkers).toBeLessThanOrEqual(4);
    expect(pool.stats.usage.every((u) => u.cpuMs > 0 && u.durationMs >= u.cpuMs * 0)).toBe(true);
  }, 120_000);
});
