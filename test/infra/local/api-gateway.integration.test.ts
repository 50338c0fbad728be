import { createServer, request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { buildHttpEvent, compileRoute, matchRoute, toHttpReply } from '../../../infra/local/api-gateway';
import type { RouteSpec } from '../../../topology';

const compileRoutes = (routes: RouteSpec[]) => routes.map(compileRoute);

describe('the local API Gateway adapter', () => {
  const routes: RouteSpec[] = [
    { method: 'GET', path: '/v1/indexes', function: 'read-api', auth: 'none' },
    { method: 'GET', path: '/v1/indexes/{symbol}', function: 'read-api', auth: 'none' },
    { method: 'POST', path: '/v1/indexes/{symbol}/quotes', function: 'read-api', auth: 'none' },
  ];

  test('matches a templated route and decodes its path parameters', () => {
    const { match } = matchRoute(compileRoutes(routes), 'GET', '/v1/indexes/MAG7.ssi');
    expect(match?.route.path).toBe('/v1/indexes/{symbol}');
    expect(match?.params).toEqual({ symbol: 'MAG7.ssi' });
  });

  test('tells a wrong method (405) from an unknown path (404)', () => {
    expect(matchRoute(compileRoutes(routes), 'POST', '/v1/indexes')).toMatchObject({ match: undefined, pathMatched: true });
    expect(matchRoute(compileRoutes(routes), 'GET', '/v2/indexes')).toMatchObject({ match: undefined, pathMatched: false });
  });

  test('builds a payload 2.0 event with lower-cased headers, query, path parameters and body', async () => {
    let event: APIGatewayProxyEventV2 | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        event = buildHttpEvent(req, Buffer.concat(chunks), routes[2], { symbol: 'MAG7.ssi' });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/indexes/MAG7.ssi/quotes?at=1&at=2', method: 'POST', headers: { 'X-Api-Key': 'k', 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.end('{"a":1}');
    });
    server.close();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/indexes/{symbol}/quotes',
      rawPath: '/v1/indexes/MAG7.ssi/quotes',
      rawQueryString: 'at=1&at=2',
      queryStringParameters: { at: '1,2' },
      pathParameters: { symbol: 'MAG7.ssi' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: { stage: '$default', http: { method: 'POST', path: '/v1/indexes/MAG7.ssi/quotes' } },
    });
    expect(event?.headers['x-api-key']).toBe('k');
  });

  test('sends a structured result as given and a bare value as 200 JSON', () => {
    const structured = toHttpReply({ statusCode: 429, headers: { 'Retry-After': '1' }, body: '{"error":"throttled"}' });
    expect(structured).toMatchObject({ statusCode: 429, headers: { 'retry-after': '1' } });
    expect(structured.body.toString()).toBe('{"error":"throttled"}');
    const bare = toHttpReply({ ok: true });
    expect(bare.statusCode).toBe(200);
    expect(JSON.parse(bare.body.toString())).toEqual({ ok: true });
  });
});
