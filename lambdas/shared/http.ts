import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z, type ZodType, type ZodTypeDef } from 'zod';
import { BadRequest, PayloadTooLarge, SsiError, UnsupportedMediaType, TooManyRequests } from './errors';
import { logger } from './observability';

export type HttpReply = APIGatewayProxyStructuredResultV2;

/** JSON reply; bigints are written as decimal strings so token amounts never lose precision. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)),
  };
}

/** Maps an error to its reply; every 5xx is logged with its cause, since the client sees only a summary. */
export function errorReply(error: unknown): HttpReply {
  if (error instanceof SsiError) {
    if (error.status >= 500) logger.error('request failed', { error, code: error.code, status: error.status, cause: error.cause as Error | undefined });
    if (error.reply) return json(error.status, { error: error.reply.code, message: error.reply.message });
    const headers: Record<string, string> =
      error instanceof TooManyRequests && error.retryAfterSeconds !== undefined ? { 'retry-after': String(error.retryAfterSeconds) } : {};
    return json(error.status, { error: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) }, headers);
  }
  logger.error('unhandled error', { error: error as Error });
  return json(500, { error: 'internal', message: 'internal error' });
}

/** A request as a handler's business function sees it: already parsed and validated. */
export interface HttpRequest<P, Q, B> {
  path: P;
  query: Q;
  body: B;
  headers: Record<string, string | undefined>;
  event: APIGatewayProxyEventV2;
  context: Context;
}

type Schema<T> = ZodType<T, ZodTypeDef, unknown>;

export interface HttpSpec<P, Q, B> {
  path?: Schema<P>;
  query?: Schema<Q>;
  body?: Schema<B>;
  /** Largest accepted body, in bytes (default 16 KiB). */
  maxBodyBytes?: number;
}

function describe(error: z.ZodError, where: string): string {
  return error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`).join('; ');
}

function parsePart<T>(schema: Schema<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new BadRequest(describe(parsed.error, where), 'invalid_request');
  return parsed.data;
}

function parseBody<B>(spec: HttpSpec<unknown, unknown, B>, event: APIGatewayProxyEventV2): B {
  if (!spec.body) return undefined as B;
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const limit = spec.maxBodyBytes ?? 16 * 1024;
  if (Buffer.byteLength(text) > limit) throw new PayloadTooLarge(`body is larger than ${limit} bytes`);
  const contentType = event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '';
  if (!/^application\/json\b/i.test(contentType)) throw new UnsupportedMediaType('content-type must be application/json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequest('body is not valid JSON', 'invalid_json');
  }
  return parsePart(spec.body, value, 'body');
}

/**
 * Wraps an API business function as a Lambda handler for API Gateway HTTP APIs (payload 2.0):
 * validates path, query and body with zod, maps domain errors to 4xx/5xx replies with a reason,
 * and logs with the Lambda context. The business function returns a reply or a value sent as
 * 200 JSON.
 */
export function httpHandler<P = undefined, Q = undefined, B = undefined>(
  spec: HttpSpec<P, Q, B>,
  business: (request: HttpRequest<P, Q, B>) => Promise<HttpReply | object>,
) {
  const base = async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpReply> => {
    try {
      const request: HttpRequest<P, Q, B> = {
        path: parsePart(spec.path, event.pathParameters, 'path'),
        query: parsePart(spec.query, event.queryStringParameters, 'query'),
        body: parseBody(spec, event),
        headers: event.headers ?? {},
        event,
        context,
      };
      const result = await business(request);
      return 'statusCode' in result && typeof (result as HttpReply).statusCode === 'number' ? (result as HttpReply) : json(200, result);
    } catch (error) {
      return errorReply(error);
    }
  };
  return middy(base).use(injectLambdaContext(logger, { resetKeys: true }));
}

/** EventBridge scheduled event, with the `detail` a schedule declares in the topology. */
export const scheduledEventSchema = z.object({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.string(),
  id: z.string(),
  resources: z.array(z.string()),
  detail: z.record(z.unknown()).default({}),
});
export type ScheduledEvent = z.infer<typeof scheduledEventSchema>;

/** Wraps a scheduled business function: checks the event shape, logs, and lets failures throw so the DLQ sees them. */
export function scheduledHandler<R>(business: (event: ScheduledEvent, context: Context) => Promise<R>) {
  const base = async (event: unknown, context: Context): Promise<R> => {
    const parsed = scheduledEventSchema.safeParse(event);
    if (!parsed.success) throw new BadRequest(`not a scheduled event: ${describe(parsed.error, 'event')}`);
    return business(parsed.data, context);
  };
  return middy(base).use(injectLambdaContext(logger, { resetKeys: true }));
}

/**
 * Wraps a state machine task's business function: checks the payload against `schema` (the
 * declared step payload plus `input` or `item`), logs, and lets failures throw so the state
 * machine's Retry and failure handling see them.
 */
export function taskHandler<S extends ZodType<unknown, ZodTypeDef, unknown>, R>(schema: S, business: (payload: z.infer<S>, context: Context) => Promise<R>) {
  const base = async (event: unknown, context: Context): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) throw new BadRequest(`not a task payload: ${describe(parsed.error, 'payload')}`);
    return business(parsed.data as z.infer<S>, context);
  };
  return middy(base).use(injectLambdaContext(logger, { resetKeys: true }));
}
