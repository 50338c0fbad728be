import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { httpHandler, scheduledHandler } from '../../../lambdas/shared/http';
import { NotFound, TooManyRequests, Unavailable } from '../../../lambdas/shared/errors';
import { kmsFailure } from '../../../lambdas/signing/kms-signer';
import { logger } from '../../../lambdas/shared/observability';
import { loadSettings } from '../../../lambdas/shared/config';

const context = { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

function event(overrides: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/things/{id}',
    rawPath: '/v1/things/1',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    ...overrides,
  };
}

const handler = httpHandler(
  {
    path: z.object({ id: z.string().regex(/^\d+$/, 'must be digits') }),
    body: z.object({ amount: z.string().regex(/^[1-9]\d*$/, 'must be a positive integer') }).strict(),
    maxBodyBytes: 64,
  },
  async ({ path, body }) => {
    if (path.id === '404') throw new NotFound('no such thing', 'unknown_thing');
    if (path.id === '429') throw new TooManyRequests('slow down', 3);
    if (path.id === '500') throw new Error('database exploded with secrets');
    if (path.id === '503') throw new Unavailable('the chain RPC is not answering', 'chain_unavailable', new Error('ECONNREFUSED 10.0.0.7'));
    if (path.id === '530') {
      const sdk = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform kms:Sign'), { name: 'AccessDeniedException' });
      throw kmsFailure(sdk, 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c', 'Sign');
    }
    return { id: path.id, amount: BigInt(body.amount) * 2n };
  },
);

async function call(e: APIGatewayProxyEventV2) {
  const reply = (await handler(e, context)) as { statusCode: number; headers: Record<string, string>; body: string };
  return { ...reply, json: JSON.parse(reply.body) };
}

describe('the HTTP handler wrapper', () => {
  test('a valid request reaches the business function and bigints come back as strings', async () => {
    const reply = await call(event({ pathParameters: { id: '7' }, body: '{"amount":"21"}' }));
    expect(reply.statusCode).toBe(200);
    expect(reply.json).toEqual({ id: '7', amount: '42' });
  });

  test.each([
    ['a path parameter that fails its schema', { pathParameters: { id: 'x' }, body: '{"amount":"1"}' }, 400, /path\.id: must be digits/],
    ['a body field that fails its schema', { pathParameters: { id: '1' }, body: '{"amount":"-1"}' }, 400, /body\.amount: must be a positive integer/],
    ['an unknown body field', { pathParameters: { id: '1' }, body: '{"amount":"1","x":1}' }, 400, /Unrecognized key/],
    ['a body that is not JSON', { pathParameters: { id: '1' }, body: '{amount' }, 400, /not valid JSON/],
    ['a missing body', { pathParameters: { id: '1' } }, 400, /not valid JSON/],
    ['the wrong content type', { pathParameters: { id: '1' }, body: '{"amount":"1"}', headers: { 'content-type': 'text/plain' } }, 415, /application\/json/],
    ['an oversized body', { pathParameters: { id: '1' }, body: `{"amount":"${'1'.repeat(100)}"}` }, 413, /larger than 64 bytes/],
  ])('%s is a %s-class answer with a reason', async (_what, overrides, status, reason) => {
    const reply = await call(event(overrides as Partial<APIGatewayProxyEventV2>));
    expect(reply.statusCode).toBe(status);
    expect(reply.json.message).toMatch(reason);
  });

  test('domain errors keep their status and code; throttling says when to retry', async () => {
    const notFound = await call(event({ pathParameters: { id: '404' }, body: '{"amount":"1"}' }));
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json.error).toBe('unknown_thing');
    const throttled = await call(event({ pathParameters: { id: '429' }, body: '{"amount":"1"}' }));
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
  });

  test('an unexpected error is a 500 that reveals nothing of its message', async () => {
    const reply = await call(event({ pathParameters: { id: '500' }, body: '{"amount":"1"}' }));
    expect(reply.statusCode).toBe(500);
    expect(reply.body).not.toMatch(/secrets/);
  });

  test('a scheduled handler refuses an event that is not a scheduled event', async () => {
    const scheduled = scheduledHandler(async (e) => e.detail);
    await expect(scheduled({ source: 'aws.s3' }, context)).rejects.toThrow(/not a scheduled event/);
    await expect(
      scheduled({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: 't', id: 'i', resources: [], detail: { index: 'MAG7.ssi' } }, context),
    ).resolves.toEqual({ index: 'MAG7.ssi' });
  });
});

describe('5xx replies (issue 19 item 12)', () => {
  afterEach(() => jest.restoreAllMocks());

  test('kms errors leak key ids: a KMS failure reaches the client as a generic 503 and the log keeps the cause', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const reply = await call(event({ pathParameters: { id: '530' }, body: '{"amount":"1"}' }));
    expect(reply.statusCode).toBe(503);
    expect(reply.json).toEqual({ error: 'signing_unavailable', message: 'signing is unavailable; retry shortly' });
    expect(reply.body).not.toMatch(/arn:|0f1e2d3c|AccessDenied|kms:Sign/);
    const [, fields] = logged.mock.calls[0] as [string, { error?: Error }];
    expect(fields.error?.message).toMatch(/0f1e2d3c/);
  });

  test('ssi 503 leaves no log line: an SsiError 5xx is logged with its cause', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const reply = await call(event({ pathParameters: { id: '503' }, body: '{"amount":"1"}' }));
    expect(reply.statusCode).toBe(503);
    expect(reply.json.error).toBe('chain_unavailable');
    expect(logged).toHaveBeenCalledTimes(1);
    const [, fields] = logged.mock.calls[0] as [string, { cause?: Error; status?: number }];
    expect(fields.status).toBe(503);
    expect(fields.cause?.message).toBe('ECONNREFUSED 10.0.0.7');
  });
});

describe('configuration at cold start', () => {
  test('names every missing or malformed variable at once', () => {
    expect(() => loadSettings(['SSI_RPC_URL', 'SSI_CHAIN_ID'], { SSI_CHAIN_ID: 'x' })).toThrow(
      /SSI_RPC_URL: Required.*SSI_CHAIN_ID: Expected number/,
    );
  });

  test('parses a deployment record and rejects one that is not', () => {
    const deployment = { network: 'localhost', chainId: 31337, contracts: {}, tokens: {}, indexes: { 'MAG7.ssi': '0x1' } };
    expect(loadSettings(['SSI_DEPLOYMENT'], { SSI_DEPLOYMENT: JSON.stringify(deployment) }).SSI_DEPLOYMENT.indexes).toEqual({ 'MAG7.ssi': '0x1' });
    expect(() => loadSettings(['SSI_DEPLOYMENT'], { SSI_DEPLOYMENT: '{"network":1}' })).toThrow(/not a deployment record/);
  });

  test('a function reading a setting it does not declare is refused, naming both', () => {
    const env = { POWERTOOLS_SERVICE_NAME: 'ssi-heartbeat', SSI_RPC_URL: 'http://127.0.0.1:8545', SSI_CHAIN_ID: '1' };
    expect(loadSettings(['SSI_RPC_URL', 'SSI_CHAIN_ID'], env)).toEqual({ SSI_RPC_URL: 'http://127.0.0.1:8545', SSI_CHAIN_ID: 1 });
    expect(() => loadSettings(['SSI_RPC_URL', 'SSI_QUOTE_TTL_SECONDS'], env)).toThrow('function heartbeat reads SSI_QUOTE_TTL_SECONDS, which topology/settings.ts does not declare for it');
  });
});
