import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startTestStack } from '../../helpers/stack';
import { openApiDocument } from '../../../lambdas/quotes/openapi';

/** One hostile request and whether it could, by chance, be a valid quote request. */
interface Case {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  mayBeValid?: boolean;
}

const REQUESTS = Number(process.env.SSI_FUZZ_REQUESTS ?? 3000);
const CONCURRENCY = 16;

/** Raw HTTP, so bodies, headers and paths go out exactly as generated (fetch would normalise some). */
function send(base: URL, c: Case): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method: c.method, path: c.path, headers: { ...c.headers, ...(c.body ? { 'content-length': c.body.length } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(c.body);
  });
}

describe('the quote API under thousands of malformed and hostile requests', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  beforeAll(async () => {
    // DynamoDB in memory: the stack option the load benchmark uses, proven here under load.
    stack = await startTestStack({ dynamodbInMemory: true });
  }, 300_000);
  afterAll(() => stack?.stop());

  function cases(apiKey: string): Case[] {
    const json = 'application/json';
    const post = (kind: string, body: Buffer | string, headers: Record<string, string> = {}, mayBeValid = false): Case => ({
      kind,
      method: 'POST',
      path: '/v1/quotes',
      headers: { 'content-type': json, 'x-api-key': apiKey, ...headers },
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
      mayBeValid,
    });
    const weirdString = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.constantFrom('', ' ', '\u0000', 'DEFI.ssi\u0000', '../../etc/passwd', '%00', '${jndi:ldap://x}', "'; DROP TABLE quotes;--", '<script>', 'DEFI.ssi '.repeat(20), '１２３', '١٢٣', '💥'),
    );
    const badNumber = fc.oneof(
      fc.constantFrom('0', '-1', '-0', '0.0', '1e18', '1E3', '1e-7', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '1,5', '.5', '5.', '00.1', '+1', ' 1', '1 ', '9'.repeat(40), `0.${'0'.repeat(30)}1`, `1.${'1'.repeat(19)}`),
      fc.constantFrom(0, -1, -0.5, 1e400, Number.MAX_VALUE, 1e16, 5e-324),
      fc.string({ maxLength: 20 }),
      fc.integer().map(String),
      fc.double().map(String),
    );
    const badAddress = fc.oneof(
      fc.constantFrom('0x', '0x123', `0x${'g'.repeat(40)}`, `0x${'1'.repeat(41)}`, '70997970C51812dc3A010C7d01b50e0d17dc79C8', `0X${'a'.repeat(40)}`, 'vitalik.eth', ''),
      fc.string({ maxLength: 50 }),
      fc.integer(),
    );
    const anyValue = fc.oneof(fc.jsonValue(), fc.constantFrom(null, true, [], {}, [1, 2], { nested: { deep: [] } }));
    const validBase = { index: 'DEFI.ssi', side: 'mint', amount: '1' };

    const arbitraries: Array<fc.Arbitrary<Case>> = [
      fc.string({ maxLength: 200 }).map((text) => post('not JSON', text)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => post('random bytes', Buffer.from(bytes))),
      anyValue.map((v) => post('JSON that is not a request', JSON.stringify(v))),
      fc.record({ index: fc.oneof(anyValue, weirdString) }).map((o) => post('bad index', JSON.stringify({ ...validBase, ...o }))),
      fc.oneof(weirdString, anyValue).map((side) => post('bad side', JSON.stringify({ ...validBase, side }))),
      badNumber.map((amount) => post('bad amount', JSON.stringify({ ...validBase, amount }), {}, true)),
      badNumber.map((cashAmount) => post('bad cash amount', JSON.stringify({ index: 'DEFI.ssi', side: 'redeem', cashAmount }), {}, true)),
      badAddress.map((wlp) => post('bad wlp address', JSON.stringify({ ...validBase, wlp }))),
      fc.subarray(['index', 'side', 'amount']).map((keep) => post('missing fields', JSON.stringify(Object.fromEntries(Object.entries(validBase).filter(([k]) => keep.includes(k)))), {}, true)),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), anyValue, { minKeys: 1, maxKeys: 5 }).map((extra) => post('extra fields', JSON.stringify({ ...extra, ...validBase, ...(Object.keys(extra).some((k) => !(k in validBase)) ? {} : { surprise: 1 }) }))),
      fc.constant(post('both amounts', JSON.stringify({ ...validBase, cashAmount: '100' }))),
      fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonp', 'json', '', 'text/json', 'application/*')
        .map((type) => ({ ...post('wrong content type', JSON.stringify(validBase)), headers: { 'x-api-key': apiKey, ...(type ? { 'content-type': type } : {}) } })),
      fc.integer({ min: 4097, max: 200_000 }).map((size) => post('oversized body', JSON.stringify({ ...validBase, pad: 'x'.repeat(size) }))),
      fc.nat({ max: 4000 }).map((depth) => post('deep nesting', `${'['.repeat(depth)}${']'.repeat(depth)}`)),
      fc.oneof(weirdString, fc.string({ maxLength: 300 })).map((key) => ({ ...post('invalid API key', JSON.stringify(validBase)), headers: { 'content-type': json, 'x-api-key': key.replace(/[^\x20-\x7e]/g, 'x') || 'x' } })),
      fc.constant(0).map(() => ({ ...post('no API key', JSON.stringify(validBase)), headers: { 'content-type': json } })),
      fc.oneof(weirdString, fc.string({ maxLength: 100 })).map((segment) => ({ kind: 'bad index symbol in path', method: 'GET', path: `/v1/indexes/${encodeURIComponent(segment) || '%20'}`, headers: {} })),
      fc.constantFrom('%', '%E0%A4%A', '%ZZ', '..%2F..%2F', 'DEFI.ssi%00', '%F0%9F%92%A5', 'a'.repeat(300)).map((raw) => ({ kind: 'malformed escapes in path', method: 'GET', path: `/v1/indexes/${raw}`, headers: {} })),
      fc.oneof(fc.string({ maxLength: 80 }), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`), fc.uuid()).map((id) => ({
        kind: 'unknown or malformed quote id',
        method: 'GET',
        path: `/v1/quotes/${encodeURIComponent(id) || 'x'}`,
        headers: { 'x-api-key': apiKey },
      })),
      fc.tuple(fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.constantFrom('/v1/quotes', '/v1/openapi.json', '/v1/indexes')).filter(([m, p]) => !(m === 'GET' && p !== '/v1/quotes')).map(([method, path]) => ({ kind: 'wrong method', method, path, headers: { 'x-api-key': apiKey } })),
      fc.webPath().map((path) => ({ kind: 'unknown path', method: 'GET', path: `/v2${path.startsWith('/') ? path : `/${path}`}`.replace(/[^\x21-\x7e]/g, '_'), headers: {} })),
    ];
    return fc.sample(fc.oneof(...arbitraries), { numRuns: REQUESTS, seed: 4242 });
  }

  test('every answer is a 4xx with a reason (or, by chance, a valid quote), never a 5xx, and the service stays up', async () => {
    const base = new URL(stack.file.api);
    const all = cases(stack.file.wlp.apiKey);
    // One valid quote first, as a client would: the cold start is not what this test is about.
    expect((await send(base, { kind: 'warm-up', method: 'POST', path: '/v1/quotes', headers: { 'content-type': 'application/json', 'x-api-key': stack.file.wlp.apiKey }, body: Buffer.from('{"index":"DEFI.ssi","side":"mint","amount":"1"}') })).status).toBe(200);
    // A body over API Gateway's own 10 MB limit, once.
    all.push({ kind: 'body over 10 MB', method: 'POST', path: '/v1/quotes', headers: { 'content-type': 'application/json', 'x-api-key': stack.file.wlp.apiKey }, body: Buffer.alloc(10 * 1024 * 1024 + 10, 0x20) });
    const failures: string[] = [];
    const byStatus: Record<number, number> = {};
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < all.length) {
          const c = all[next++];
          let answer;
          try {
            answer = await send(base, c);
          } catch (error) {
            // A server that hangs up on an oversized body is answering too; nothing else may fail.
            if (c.kind === 'body over 10 MB') continue;
            failures.push(`${c.kind}: transport error ${(error as Error).message}`);
            continue;
          }
          byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
          const describe = `${c.kind} ${c.method} ${c.path.slice(0, 80)} ${c.body?.subarray(0, 120).toString() ?? ''} -> ${answer.status} ${answer.body.slice(0, 200)}`;
          // A request that happens to be valid gets a quote, or 503 when the PMM was too slow under this load.
          if (c.mayBeValid && (answer.status === 200 || (answer.status === 503 && answer.body.includes('"no_quote"')))) continue;
          if (answer.status < 400 || answer.status >= 500) {
            failures.push(describe);
            continue;
          }
          let reason: unknown;
          try {
            reason = (JSON.parse(answer.body) as { message?: unknown }).message;
          } catch {
            reason = undefined;
          }
          if (typeof reason !== 'string' || reason.length === 0) failures.push(`no reason: ${describe}`);
          if (answer.status === 429 && !answer.headers['retry-after']) failures.push(`429 without retry-after: ${describe}`);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`fuzz: ${all.length} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(byStatus)}\n`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(Object.keys(byStatus).filter((s) => Number(s) >= 500 && s !== '503')).toEqual([]);
    expect(byStatus[400]).toBeGreaterThan(REQUESTS / 4);
    for (const status of [401, 403, 404, 405, 413, 415]) expect(byStatus[status]).toBeGreaterThan(0);

    expect((await stack.health()).ok).toBe(true);
    const quote = await stack.api('/v1/quotes', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack.file.wlp.apiKey },
      body: JSON.stringify({ index: 'DEFI.ssi', side: 'mint', amount: '1' }),
    });
    expect(quote.status).toBe(200);
  }, 600_000);

  test('keeps DynamoDB in memory when asked: quotes are recorded and read back, no tables in the data folder', async () => {
    const headers = { 'content-type': 'application/json', 'x-api-key': stack.file.wlp.apiKey };
    const given = await stack.api('/v1/quotes', { method: 'POST', headers, body: JSON.stringify({ index: 'DEFI.ssi', side: 'redeem', amount: '2' }) });
    expect(given.status).toBe(200);
    const { id } = (await given.json()) as { id: string };
    const stored = await stack.api(`/v1/quotes/${id}`, { headers });
    expect(stored.status).toBe(200);
    expect(await stored.json()).toMatchObject({ id, status: 'open', quote: { side: 'redeem', indexAmount: '2' } });
    expect(existsSync(join(stack.file.dataDir, 'dynamodb'))).toBe(false);
  });

  test('serves its OpenAPI document', async () => {
    const answer = await stack.api('/v1/openapi.json');
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });
});
