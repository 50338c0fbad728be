import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { API_AUTHORIZERS, AUTHORIZER_CACHE_TTL_SECONDS, ROUTES, WLP_API_KEY_HEADER, type FunctionName, type RouteSpec } from '../topology';
import { LambdaTimeout, type FunctionInvoker } from './lambda-workers';
import { listen } from './net';

/** API Gateway's own limit on a request body (HTTP APIs: 10 MB). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** HTTP APIs wait at most this long for an integration, then answer 504 themselves. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

class IntegrationTimeout extends Error {}

/** The reply API Gateway gives when the Lambda integration fails: 504 past its own wait, else 500 (a function error, a function timeout included). */
export function integrationFailureReply(error: unknown): { statusCode: number; body: { message: string } } {
  return error instanceof IntegrationTimeout ? { statusCode: 504, body: { message: 'Gateway Timeout' } } : { statusCode: 500, body: { message: 'Internal Server Error' } };
}

/** One invocation as API Gateway makes it: abandoned (the function may go on) after INTEGRATION_TIMEOUT_MS. */
async function integrate(invoke: FunctionInvoker, name: FunctionName, event: unknown, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IntegrationTimeout(`${name}: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([invoke(name, event), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

interface CompiledRoute {
  route: RouteSpec;
  pattern: RegExp;
  names: string[];
}

export function compileRoute(route: RouteSpec): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy) {
        names.push(greedy[1]);
        return '(.+)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        names.push(param[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** Percent-decoding that leaves a malformed escape as it is (the handler then refuses the value). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Matches like API Gateway: the most specific route wins (fewest parameters). */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string) {
  let best: { route: RouteSpec; params: Record<string, string> } | undefined;
  let bestParams = Infinity;
  let pathMatched = false;
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (candidate.route.method !== method) continue;
    if (candidate.names.length < bestParams) {
      bestParams = candidate.names.length;
      best = { route: candidate.route, params: Object.fromEntries(candidate.names.map((n, i) => [n, safeDecode(match[i + 1])])) };
    }
  }
  return { match: best, pathMatched };
}

/** Builds the payload-2.0 event API Gateway HTTP APIs hand to a Lambda integration. */
export function buildHttpEvent(request: IncomingMessage, body: Buffer, route: RouteSpec, pathParameters: Record<string, string>): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const textual = body.length === 0 || /^(application\/(json|x-www-form-urlencoded|xml)|text\/)/i.test(contentType);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: headers.cookie?.split(';').map((c) => c.trim()),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/** Turns a handler's answer into the HTTP reply, as API Gateway does for payload 2.0. */
export function toHttpReply(result: unknown): Required<Pick<APIGatewayProxyStructuredResultV2, 'statusCode'>> & { headers: Record<string, string>; body: Buffer } {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const structured = result as APIGatewayProxyStructuredResultV2;
    const headers = Object.fromEntries(Object.entries(structured.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const raw = structured.body ?? '';
    return { statusCode: structured.statusCode ?? 200, headers, body: structured.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw) };
  }
  // A bare value is sent as JSON with status 200.
  const text = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
}

/** The REQUEST authorizer event (payload 2.0) API Gateway sends a Lambda authorizer for `event`. */
export function buildAuthorizerEvent(event: APIGatewayProxyEventV2, identitySource: string[]): APIGatewayRequestAuthorizerEventV2 {
  const { method } = event.requestContext.http;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:${event.requestContext.accountId}:${event.requestContext.apiId}/${event.requestContext.stage}/${method}${event.rawPath}`,
    identitySource,
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    queryStringParameters: event.queryStringParameters ?? {},
    requestContext: event.requestContext,
    pathParameters: event.pathParameters ?? {},
    stageVariables: event.stageVariables ?? {},
  };
}

type AuthorizerAnswer = { isAuthorized?: unknown; context?: Record<string, unknown> } | undefined;

/**
 * API Gateway's authorizer cache: an authorizer's answer (allow or deny) reused for the same
 * authorizer and identity source until `ttlMs` has passed. At most `maxEntries` answers are kept,
 * so a flood of random keys costs bounded memory.
 */
export class AuthorizerCache {
  private readonly answers = new Map<string, { answer: AuthorizerAnswer; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(authorizer: string, identity: string): AuthorizerAnswer | undefined {
    const key = `${authorizer}\n${identity}`;
    const hit = this.answers.get(key);
    if (hit && hit.until > this.now()) return hit.answer;
    if (hit) this.answers.delete(key);
    return undefined;
  }

  set(authorizer: string, identity: string, answer: AuthorizerAnswer): void {
    if (this.ttlMs <= 0) return;
    if (this.answers.size >= this.maxEntries) this.answers.delete(this.answers.keys().next().value as string);
    this.answers.set(`${authorizer}\n${identity}`, { answer, until: this.now() + this.ttlMs });
  }
}

/**
 * What API Gateway does for a route with a Lambda authorizer (simple responses): 401 when the
 * identity source header is missing, the authorizer's answer otherwise (from `cache` while it
 * holds one for the key): 403 when not authorized, else the event goes on with
 * `requestContext.authorizer.lambda` = the authorizer's context. A failing authorizer is not cached.
 * Returns the reply to send instead of invoking the route, or undefined to go on.
 */
export async function authorizeRoute(
  route: RouteSpec,
  event: APIGatewayProxyEventV2,
  invoke: (name: FunctionName, event: unknown) => Promise<unknown>,
  options: { authorizers?: Readonly<Partial<Record<'wlp', FunctionName>>>; cache?: AuthorizerCache } = {},
): Promise<{ statusCode: number; body: unknown } | undefined> {
  if (route.auth === 'none') return undefined;
  const authorizer = (options.authorizers ?? API_AUTHORIZERS)[route.auth];
  if (!authorizer) throw new Error(`route ${route.method} ${route.path} needs the ${route.auth} authorizer, which the topology does not declare`);
  const key = event.headers[WLP_API_KEY_HEADER];
  if (key === undefined || key === '') return { statusCode: 401, body: { message: 'Unauthorized' } };
  let answer = options.cache?.get(authorizer, key);
  if (!answer) {
    answer = (await invoke(authorizer, buildAuthorizerEvent(event, [key]))) as AuthorizerAnswer;
    options.cache?.set(authorizer, key, answer);
  }
  if (answer?.isAuthorized !== true) return { statusCode: 403, body: { message: 'Forbidden' } };
  (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: answer.context ?? {} };
  return undefined;
}

/** The stack's own answer: a JSON `body`, or a `raw` reply sent with its headers as it is (the web app's files). */
export type LocalReply = { statusCode: number; body: unknown } | { statusCode: number; headers: Record<string, string>; raw: Buffer };

export type LocalRoute = (request: IncomingMessage, body: Buffer) => Promise<LocalReply | undefined>;

function reply(response: ServerResponse, statusCode: number, headers: Record<string, string>, body: Buffer): void {
  response.writeHead(statusCode, { ...headers, 'content-length': body.length });
  response.end(body);
}

function replyJson(response: ServerResponse, statusCode: number, value: unknown): void {
  reply(response, statusCode, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(value)));
}

export interface RunningApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * The local API Gateway: requests on the declared routes become payload-2.0 events for the
 * functions, invoked through `invoke` (the stack's Lambda-shaped workers). `local` answers the
 * stack's own paths (/health, /_local/..., the web app) before route matching.
 */
export async function startApi(
  port: number,
  invoke: FunctionInvoker,
  local: LocalRoute,
  log: (line: string) => void,
  routes: readonly RouteSpec[] = ROUTES,
  integrationTimeoutMs = INTEGRATION_TIMEOUT_MS,
): Promise<RunningApi> {
  const compiled = routes.map(compileRoute);
  const authorizerCache = new AuthorizerCache(AUTHORIZER_CACHE_TTL_SECONDS * 1000);
  const server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) return replyJson(response, 413, { message: 'Request Entity Too Large' });
        chunks.push(chunk as Buffer);
      }
      const body = Buffer.concat(chunks);
      try {
        const own = await local(request, body);
        if (own) return 'raw' in own ? reply(response, own.statusCode, own.headers, own.raw) : replyJson(response, own.statusCode, own.body);
        const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
        const { match, pathMatched } = matchRoute(compiled, request.method ?? 'GET', path);
        // API Gateway answers unknown routes itself, without calling any function.
        if (!match) return replyJson(response, pathMatched ? 405 : 404, { message: pathMatched ? 'Method Not Allowed' : 'Not Found' });
        const event = buildHttpEvent(request, body, match.route, match.params);
        const refused = await authorizeRoute(match.route, event, (name, e) => integrate(invoke, name, e, integrationTimeoutMs), { cache: authorizerCache });
        if (refused) return replyJson(response, refused.statusCode, refused.body);
        const result = toHttpReply(await integrate(invoke, match.route.function, event, integrationTimeoutMs));
        reply(response, result.statusCode, result.headers, result.body);
      } catch (error) {
        log(`api: ${request.method} ${request.url} failed${error instanceof LambdaTimeout ? ' (function timeout, its worker stopped)' : ''}: ${(error as Error).message}`);
        const failed = integrationFailureReply(error);
        replyJson(response, failed.statusCode, failed.body);
      }
    })();
  });
  await listen(server, port, 'HTTP API');
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
