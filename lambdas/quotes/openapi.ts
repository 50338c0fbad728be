/**
 * The OpenAPI 3.1 document of the quote API, generated from the zod schemas the handler validates
 * with and from the routes declared in topology/index.ts, and served at GET /v1/openapi.json.
 */
import type { ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { ROUTES, WLP_API_KEY_HEADER, type RouteSpec } from '../../topology';
import {
  attestedQuoteSchema,
  errorSchema,
  indexDetailSchema,
  indexListSchema,
  quoteIdPathSchema,
  quoteRequestSchema,
  quoteSchema,
  storedQuoteSchema,
  symbolPathSchema,
} from './schemas';

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema of a zod schema for the OpenAPI 3.1 document, by zod-to-json-schema: draft 7
 * keywords (numeric exclusiveMinimum, const), which 2020-12 reads the same way; every schema
 * inlined; `additionalProperties: false` only where the zod object is strict (requests refuse
 * unknown fields, answers may gain fields).
 */
export function toJsonSchema(schema: ZodTypeAny): JsonSchema {
  // Typed loosely on purpose: the library's generic options type is too deep for tsc on our schemas (TS2589).
  const convert = zodToJsonSchema as unknown as (schema: ZodTypeAny, options: Record<string, unknown>) => JsonSchema;
  const { $schema: _dialect, ...converted } = convert(schema, {
    target: 'jsonSchema7',
    $refStrategy: 'none',
    removeAdditionalStrategy: 'strict',
    allowedAdditionalProperties: undefined,
  });
  return converted;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

/** An example quote request, also checked against the schema by the tests. */
export const EXAMPLE_QUOTE_REQUEST = { index: 'MAG7.ssi', side: 'mint', amount: '1.5' } as const;

interface Operation {
  summary: string;
  description: string;
  operationId: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** Every route of the quote-api function, by route key; a declared route without one is an error. */
const OPERATIONS: Record<string, Operation> = {
  'POST /v1/quotes': {
    summary: 'Get a firm quote',
    description:
      'Asks the registered PMMs for a price (RFQ), rejects prices too far from the reference NAV, verifies the winning ' +
      'signature and returns the signed EIP-712 order, ready to submit to the Issuer by the WLP before its deadline. ' +
      'For an index the AttestedIssuer allows (custodian assets on their native chains) the PMMs are asked for an attested ' +
      'price (POST <rfq url>/attested) instead; the answer (AttestedQuote, attested: true) names the cash and the PMM to pass ' +
      'to AttestedIssuer.requestMint / requestRedeem, and carries no signature: the PMM agrees by delivering or accepting.',
    operationId: 'createQuote',
    requestBody: { required: true, content: { 'application/json': { schema: ref('QuoteRequest'), example: EXAMPLE_QUOTE_REQUEST } } },
    responses: {
      '200': { description: 'A firm quote: a signed order (Quote), or for an attested index an AttestedQuote', content: json({ oneOf: [ref('Quote'), ref('AttestedQuote')] }) },
      '400': errorResponse('Invalid request: malformed JSON, unknown index, bad amount or address, unknown field'),
      '401': { description: 'No API key (x-api-key header missing)', content: json({ type: 'object', properties: { message: { type: 'string' } } }) },
      '403': errorResponse('API key unknown or disabled, or the wlp field names another WLP'),
      '409': errorResponse('The index is rebalancing (index_rebalancing), or neither the Issuer nor the AttestedIssuer issues it (not_quote_issued)'),
      '413': errorResponse('Body larger than 4 KiB'),
      '415': errorResponse('Content type is not application/json'),
      '429': errorResponse('Rate limit or daily quota reached; see the retry-after header'),
      '503': errorResponse('No PMM gave a usable quote, or a dependency is not answering'),
    },
  },
  'GET /v1/quotes/{id}': {
    summary: 'A quote given to this WLP',
    description: 'The stored quote and whether it is still open, expired or used on chain (an attested quote is open until its expiresAt, then expired).',
    operationId: 'getQuote',
    parameters: [{ name: 'id', in: 'path', required: true, schema: toJsonSchema(quoteIdPathSchema.shape.id) }],
    responses: {
      '200': { description: 'The quote', content: json(ref('StoredQuote')) },
      '400': errorResponse('Malformed id'),
      '404': errorResponse('No such quote for this WLP'),
    },
  },
  'GET /v1/indexes': {
    summary: 'Indexes',
    description: 'Every index with its tokenset, supply and NAV at the reference prices.',
    operationId: 'listIndexes',
    responses: { '200': { description: 'The indexes', content: json(ref('IndexList')) } },
  },
  'GET /v1/indexes/{symbol}': {
    summary: 'One index',
    description: 'An index with its tokenset, aggregate basket, supply and NAV.',
    operationId: 'getIndex',
    parameters: [{ name: 'symbol', in: 'path', required: true, schema: toJsonSchema(symbolPathSchema.shape.symbol), example: 'MAG7.ssi' }],
    responses: {
      '200': { description: 'The index', content: json(ref('IndexDetail')) },
      '400': errorResponse('Malformed symbol'),
      '404': errorResponse('Unknown index'),
    },
  },
  'GET /v1/openapi.json': {
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of the quote API.',
    operationId: 'openApi',
    responses: { '200': { description: 'OpenAPI document', content: json({ type: 'object' }) } },
  },
};

export function openApiDocument(routes: readonly RouteSpec[] = ROUTES, serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes.filter((r) => r.function === 'quote-api')) {
    const key = `${route.method} ${route.path}`;
    const operation = OPERATIONS[key];
    if (!operation) throw new Error(`route ${key} has no OpenAPI operation`);
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = { ...operation, ...(route.auth === 'wlp' ? { security: [{ wlpApiKey: [] }] } : { security: [] }) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SSI quote API',
      version: '1.0.0',
      description:
        'Quotes for minting and redeeming SSI index tokens. WLPs authenticate with an API key in the x-api-key header; ' +
        'amounts are decimal strings in whole tokens; every error is JSON {error, message}.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { wlpApiKey: { type: 'apiKey', in: 'header', name: WLP_API_KEY_HEADER } },
      schemas: {
        QuoteRequest: toJsonSchema(quoteRequestSchema),
        Quote: toJsonSchema(quoteSchema),
        AttestedQuote: toJsonSchema(attestedQuoteSchema),
        StoredQuote: toJsonSchema(storedQuoteSchema),
        IndexList: toJsonSchema(indexListSchema),
        IndexDetail: toJsonSchema(indexDetailSchema),
        Error: toJsonSchema(errorSchema),
      },
    },
  };
}
