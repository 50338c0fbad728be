import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { API_AUTHORIZERS, FUNCTIONS, ROUTES, TABLES, WLP_API_KEY_HEADER, type RouteSpec } from '../../../topology';
import { AuthorizerCache, authorizeRoute, buildAuthorizerEvent } from '../../../infra/local/api-gateway';
import { EXAMPLE_QUOTE_REQUEST, openApiDocument, toJsonSchema } from '../../../lambdas/quotes/openapi';
import { quoteRequestSchema } from '../../../lambdas/quotes/schemas';

const event = (headers: Record<string, string>): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'POST /v1/quotes',
    rawPath: '/v1/quotes',
    rawQueryString: '',
    headers,
    requestContext: { accountId: '000000000000', apiId: 'local', stage: '$default', http: { method: 'POST', path: '/v1/quotes' } },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

describe('the topology of the quote API', () => {
  test('declares its tables, functions, routes and the wlp authorizer', () => {
    expect(TABLES.map((t) => t.name)).toEqual(expect.arrayContaining(['quotes', 'wlp-keys', 'wlp-usage']));
    expect(FUNCTIONS.map((f) => f.name)).toEqual(expect.arrayContaining(['quote-api', 'wlp-authorizer']));
    expect(API_AUTHORIZERS.wlp).toBe('wlp-authorizer');
    expect(ROUTES.filter((r) => r.function === 'quote-api').map((r) => `${r.method} ${r.path} ${r.auth}`)).toEqual([
      'POST /v1/quotes wlp',
      'GET /v1/quotes/{id} wlp',
      'GET /v1/indexes none',
      'GET /v1/indexes/{symbol} none',
      'GET /v1/openapi.json none',
    ]);
  });
});

describe('the local API Gateway runs Lambda authorizers as HTTP APIs do (simple responses)', () => {
  const route: RouteSpec = { method: 'POST', path: '/v1/quotes', function: 'quote-api', auth: 'wlp' };

  test('a missing identity source header is 401 without calling the authorizer', async () => {
    const invoke = jest.fn();
    expect(await authorizeRoute(route, event({}), invoke)).toEqual({ statusCode: 401, body: { message: 'Unauthorized' } });
    expect(invoke).not.toHaveBeenCalled();
  });

  test('isAuthorized false is 403; true passes the context on as requestContext.authorizer.lambda', async () => {
    const refused = await authorizeRoute(route, event({ [WLP_API_KEY_HEADER]: 'k' }), async () => ({ isAuthorized: false }));
    expect(refused).toEqual({ statusCode: 403, body: { message: 'Forbidden' } });
    const allowed = event({ [WLP_API_KEY_HEADER]: 'k' });
    let seen: unknown;
    const passed = await authorizeRoute(route, allowed, async (name, e) => {
      seen = { name, e };
      return { isAuthorized: true, context: { wlp: '0xabc', rateLimit: 5 } };
    });
    expect(passed).toBeUndefined();
    expect((allowed.requestContext as unknown as { authorizer: unknown }).authorizer).toEqual({ lambda: { wlp: '0xabc', rateLimit: 5 } });
    expect(seen).toMatchObject({
      name: 'wlp-authorizer',
      e: { version: '2.0', type: 'REQUEST', identitySource: ['k'], routeKey: 'POST /v1/quotes', routeArn: 'arn:aws:execute-api:us-east-1:000000000000:local/$default/POST/v1/quotes' },
    });
  });

  test('answers are cached per key for the TTL, allow and deny alike; a failing authorizer is asked again', async () => {
    let now = 0;
    const cache = new AuthorizerCache(1000, 10, () => now);
    const invoke = jest.fn(async (_name: string, e: unknown) => {
      const key = (e as { identitySource: string[] }).identitySource[0];
      if (key === 'broken') throw new Error('authorizer failed');
      return { isAuthorized: key === 'good', context: { wlp: key } };
    });
    const ask = (key: string) => authorizeRoute(route, event({ [WLP_API_KEY_HEADER]: key }), invoke, { cache });
    expect(await ask('good')).toBeUndefined();
    expect(await ask('bad')).toEqual({ statusCode: 403, body: { message: 'Forbidden' } });
    now = 999;
    expect(await ask('good')).toBeUndefined();
    expect(await ask('bad')).toMatchObject({ statusCode: 403 });
    expect(invoke).toHaveBeenCalledTimes(2);
    const later = event({ [WLP_API_KEY_HEADER]: 'good' });
    now = 1000;
    expect(await authorizeRoute(route, later, invoke, { cache })).toBeUndefined();
    expect(invoke).toHaveBeenCalledTimes(3);
    expect((later.requestContext as unknown as { authorizer: unknown }).authorizer).toEqual({ lambda: { wlp: 'good' } });
    await expect(ask('broken')).rejects.toThrow('authorizer failed');
    await expect(ask('broken')).rejects.toThrow('authorizer failed');
    expect(invoke).toHaveBeenCalledTimes(5);
  });

  test('the cache holds at most its bound of keys, dropping the oldest', async () => {
    const cache = new AuthorizerCache(60_000, 2);
    cache.set('wlp-authorizer', 'a', { isAuthorized: true });
    cache.set('wlp-authorizer', 'b', { isAuthorized: true });
    cache.set('wlp-authorizer', 'c', { isAuthorized: false });
    expect(cache.get('wlp-authorizer', 'a')).toBeUndefined();
    expect(cache.get('wlp-authorizer', 'b')).toEqual({ isAuthorized: true });
    expect(cache.get('wlp-authorizer', 'c')).toEqual({ isAuthorized: false });
    expect(cache.get('other-authorizer', 'c')).toBeUndefined();
  });

  test('public routes are not authorized at all', async () => {
    const invoke = jest.fn();
    expect(await authorizeRoute({ ...route, auth: 'none' }, event({}), invoke)).toBeUndefined();
    expect(invoke).not.toHaveBeenCalled();
  });

  test('the authorizer event carries headers, path and request context', () => {
    const built = buildAuthorizerEvent(event({ [WLP_API_KEY_HEADER]: 'k', 'user-agent': 'curl' }), ['k']);
    expect(built.headers).toEqual({ [WLP_API_KEY_HEADER]: 'k', 'user-agent': 'curl' });
    expect(built.rawPath).toBe('/v1/quotes');
  });
});

describe('the OpenAPI document', () => {
  const doc = openApiDocument();

  test('is OpenAPI 3.1 and has every declared quote-api route with its method, and the API key on the WLP routes', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ROUTES.filter((r) => r.function === 'quote-api')) {
      const operation = (doc.paths[route.path] as Record<string, { security: unknown[]; responses: Record<string, unknown> }>)[route.method.toLowerCase()];
      expect(operation).toBeDefined();
      expect(operation.security).toEqual(route.auth === 'wlp' ? [{ wlpApiKey: [] }] : []);
      expect(operation.responses['200']).toBeDefined();
    }
    expect(doc.components.securitySchemes.wlpApiKey).toEqual({ type: 'apiKey', in: 'header', name: 'x-api-key' });
  });

  test('describes both answers of POST /v1/quotes: the signed Quote and the AttestedQuote with the AttestedIssuer call it names', () => {
    const post = (doc.paths['/v1/quotes'] as Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>).post;
    expect(post.responses['200'].content['application/json'].schema).toEqual({ oneOf: [{ $ref: '#/components/schemas/Quote' }, { $ref: '#/components/schemas/AttestedQuote' }] });
    const attested = doc.components.schemas.AttestedQuote as { required: string[]; properties: Record<string, { const?: unknown; properties?: Record<string, { enum?: string[]; required?: string[] }> }> };
    expect(attested.required).toEqual(expect.arrayContaining(['id', 'attested', 'index', 'side', 'indexAmount', 'cashToken', 'cashAmount', 'pmm', 'expiresAt', 'submit']));
    expect(attested.required).not.toContain('signature');
    expect(attested.properties.attested.const).toBe(true);
    expect(attested.properties.submit.properties!.method.enum).toEqual(['requestMint', 'requestRedeem']);
    expect(attested.properties.submit.properties!.args.required).toEqual(['index', 'indexAmount', 'cashToken', 'cashAmount', 'pmm']);
  });

  test('refuses to describe a route it has no operation for', () => {
    expect(() => openApiDocument([...ROUTES, { method: 'DELETE', path: '/v1/quotes/{id}', function: 'quote-api', auth: 'wlp' }])).toThrow(/DELETE \/v1\/quotes\/\{id\} has no OpenAPI operation/);
  });

  test('its example request is valid, and its request schema says what the validator checks', () => {
    expect(quoteRequestSchema.safeParse(EXAMPLE_QUOTE_REQUEST).success).toBe(true);
    const schema = doc.components.schemas.QuoteRequest as { required: string[]; additionalProperties: boolean; properties: Record<string, { enum?: string[] }> };
    expect(schema.required).toEqual(['index', 'side']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.side.enum).toEqual(['mint', 'redeem']);
  });

  test('zod schemas convert to JSON Schema with patterns, bounds, optionals and nullables', () => {
    expect(toJsonSchema(z.object({ a: z.string().regex(/^x$/).max(3), b: z.number().int().min(1).optional(), c: z.boolean().nullable() }).strict())).toEqual({
      type: 'object',
      properties: { a: { type: 'string', pattern: '^x$', maxLength: 3 }, b: { type: 'integer', minimum: 1 }, c: { type: ['boolean', 'null'] } },
      required: ['a', 'c'],
      additionalProperties: false,
    });
    // Answers (non-strict objects) may gain fields; exclusive bounds are numbers, as 2020-12 reads them.
    expect(toJsonSchema(z.object({ n: z.number().positive(), s: z.literal('firm') }))).toEqual({
      type: 'object',
      properties: { n: { type: 'number', exclusiveMinimum: 0 }, s: { type: 'string', const: 'firm' } },
      required: ['n', 's'],
    });
  });
});
