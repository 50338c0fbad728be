/**
 * Reference prices for NAV, the tolerance check, the rebalance and points, behind one small
 * interface (ReferencePriceSource). What a deployed function can use (SSI_PRICE_SOURCE):
 * - `bucket` (the default): the price document `SSI_PRICE_KEY` in the reports bucket, re-read
 *   every minute. The document is `{"observedOn": "YYYY-MM-DD", "prices": {symbol: usd}}`
 *   (`priceDocumentSchema`); an operator's feed job writes it, and the local stack writes it from
 *   the market data at start;
 * - `http`, the price-feed adapter: a provider answering `GET <SSI_PRICE_URL>` with HTTP 200 and the
 *   same document (or a bare {symbol: usd} map, observed today), polled in the background.
 * No function reads the repository's market-data files; tools on this machine replay them
 * through infra/local/market-prices.ts. Lookups are synchronous once `ready()` has resolved.
 */
import { z } from 'zod';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3 } from '../shared/aws';
import { bucketName, loadSettings } from '../shared/config';
import { PRICE_SETTINGS } from '../../topology/settings';
import { ConfigError, Unavailable } from '../shared/errors';
import type { ReferencePrice } from '../domain/quotes/nav';

export interface ReferencePriceSource {
  /** What the prices are: shown in every quote. */
  readonly description: { kind: 'replay' | 'fixed' | 'bucket' | 'http'; date?: string; detail?: string };
  priceOf(symbol: string): ReferencePrice | undefined;
  /** Resolves once prices are available (at once for fixed prices); a source that failed its first read reads again. */
  ready(): Promise<void>;
}

/**
 * Waits for a source's prices before pricing anything: a cold container's polled source may still
 * be reading its first document. Only a source that cannot be read (after a fresh try) refuses,
 * as a 503 price_unavailable with the reason.
 */
export async function pricesReady(source: ReferencePriceSource): Promise<void> {
  try {
    await source.ready();
  } catch (error) {
    throw new Unavailable(`reference prices are unavailable: ${(error as Error).message}`, 'price_unavailable', error);
  }
}

const priceMapSchema = z.record(z.number().positive().finite());

/** The price document a `bucket` or `http` source reads. */
export const priceDocumentSchema = z.object({ observedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), prices: priceMapSchema }).strict();
export type PriceDocument = z.infer<typeof priceDocumentSchema>;

/** Fixed prices from a map, observed on `observedOn` (tests and the PMM simulator). */
export function fixedPrices(map: Record<string, number>, observedOn: string, detail = 'fixed prices'): ReferencePriceSource {
  const parsed = priceMapSchema.parse(map);
  return {
    description: { kind: 'fixed', date: observedOn, detail },
    priceOf: (symbol) => (parsed[symbol] === undefined ? undefined : { symbol, priceUsd: parsed[symbol], source: 'fixed', observedOn, ageDays: 0 }),
    ready: async () => undefined,
  };
}

/**
 * Prices from a document read now and every `refreshMs`: a failed refresh keeps the last prices.
 * Until one read has succeeded, `ready()` reads again (one read at a time, shared by every caller)
 * and rejects with the reason when that read fails too, so a cold start that met a missing or
 * broken document recovers as soon as the document is there.
 */
export function polledPrices(
  kind: 'bucket' | 'http',
  detail: string,
  read: () => Promise<unknown>,
  refreshMs: number,
): ReferencePriceSource & { stop(): void } {
  let document: PriceDocument = { observedOn: '', prices: {} };
  let loaded = false;
  let reading: Promise<void> | undefined;
  const load = (): Promise<void> =>
    (reading ??= (async () => {
      const body = await read();
      const parsed = priceDocumentSchema.safeParse(body);
      document = parsed.success ? parsed.data : { observedOn: new Date().toISOString().slice(0, 10), prices: priceMapSchema.parse(body) };
      loaded = true;
    })().finally(() => {
      reading = undefined;
    }));
  load().catch(() => undefined); // answered by ready(); a function that never asks must not crash on it
  const timer = setInterval(() => void load().catch(() => undefined), refreshMs);
  timer.unref();
  return {
    description: { kind, detail },
    priceOf: (symbol) => {
      const usd = document.prices[symbol];
      return usd === undefined ? undefined : { symbol, priceUsd: usd, source: kind === 'http' ? 'provider' : 'document', observedOn: document.observedOn, ageDays: 0 };
    },
    ready: () => (loaded ? Promise.resolve() : load()),
    stop: () => clearInterval(timer),
  };
}

/** A provider's prices over HTTP (the documented price-feed interface: GET <url> -> a price document). */
export function httpPrices(url: string, refreshMs = 15_000, fetchImpl: typeof fetch = fetch): ReferencePriceSource & { stop(): void } {
  return polledPrices('http', `provider ${new URL(url).host}`, async () => {
    const answer = await fetchImpl(url, { signal: AbortSignal.timeout(5_000) });
    if (!answer.ok) throw new Error(`price provider answered HTTP ${answer.status}`);
    return answer.json();
  }, refreshMs);
}

/** The price document in the reports bucket (the offline default). */
export function bucketPrices(bucket: string, key: string, refreshMs = 60_000, client: S3Client = s3()): ReferencePriceSource & { stop(): void } {
  return polledPrices('bucket', `s3://${bucket}/${key}`, async () => {
    const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!reply.Body) throw new Error(`empty price document s3://${bucket}/${key}`);
    return JSON.parse(await reply.Body.transformToString('utf8'));
  }, refreshMs);
}

export type PriceSettings = ReturnType<typeof loadPriceSettings>;

/** The reference-price settings of the running function (topology/settings.ts PRICE_SETTINGS). */
export function loadPriceSettings(env: NodeJS.ProcessEnv = process.env) {
  return loadSettings(PRICE_SETTINGS, env);
}

/** The one factory of reference-price sources: the source the function's settings name. */
export function priceSourceFromSettings(settings: PriceSettings, env: NodeJS.ProcessEnv = process.env): ReferencePriceSource {
  if (settings.SSI_PRICE_SOURCE === 'http') {
    if (!settings.SSI_PRICE_URL) throw new ConfigError('invalid configuration: SSI_PRICE_URL is needed with SSI_PRICE_SOURCE=http');
    return httpPrices(settings.SSI_PRICE_URL);
  }
  return bucketPrices(bucketName('reports', env), settings.SSI_PRICE_KEY);
}
