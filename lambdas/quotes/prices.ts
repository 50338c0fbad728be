/**
 * Reference prices for NAV and the tolerance check, behind one small interface:
 * - `bucket` (the default): the price document `SSI_PRICE_KEY` in the reports bucket, re-read
 *   every minute. The document is `{"observedOn": "YYYY-MM-DD", "prices": {symbol: usd}}`
 *   (`priceDocumentSchema`); an operator's feed job (or `ssi admin prices publish`) writes it, and
 *   the local stack writes it from the market data at start;
 * - `http`: a provider answering GET <url> with the same document or a bare {symbol: usd} map,
 *   polled in the background;
 * - `replay`: the public market history on one date, read from the repository's market-data files:
 *   for tools and tests on this machine only (no function bundle carries the files).
 * Lookups are synchronous: the hot path never waits for a price.
 */
import { z } from 'zod';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReplayPriceSource, type IsoDate } from '../domain/market';
import { loadMarketData, marketDataDir } from '../adapters/market-files';
import { s3 } from '../shared/aws';
import { bucketName, loadSettings } from '../shared/config';
import { PRICE_SETTINGS } from '../../topology/settings';
import { ConfigError } from '../shared/errors';
import type { ReferencePrice } from '../domain/quotes/nav';

export interface ReferencePriceSource {
  /** What the prices are: shown in every quote. */
  readonly description: { kind: 'replay' | 'fixed' | 'bucket' | 'http'; date?: string; detail?: string };
  priceOf(symbol: string): ReferencePrice | undefined;
  /** Resolves once prices are available (immediately for replay and file). */
  ready(): Promise<void>;
}

/** Prices of `symbols` on `date` (default: the last date with daily closes), looked up once. */
export function replayPrices(options: { symbols: readonly string[]; date?: IsoDate; maxCarryDays?: number; dataDir?: string }): ReferencePriceSource {
  const data = loadMarketData(options.dataDir ?? marketDataDir());
  const date = options.date ?? data.coverage().lastDaily;
  if (!date) throw new Error('the market data has no daily prices');
  const source = new ReplayPriceSource(data, { maxCarryDays: options.maxCarryDays ?? 45 });
  const prices = new Map<string, ReferencePrice>();
  for (const symbol of options.symbols) {
    const point = source.priceAt(symbol, date);
    if (point) prices.set(symbol, { symbol, priceUsd: point.priceUsd, source: point.source, observedOn: point.observedOn, ageDays: point.ageDays });
  }
  return {
    description: { kind: 'replay', date, detail: `market history replayed on ${date}, prices carried at most ${options.maxCarryDays ?? 45} days` },
    priceOf: (symbol) => prices.get(symbol),
    ready: async () => undefined,
  };
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
 * `ready()` rejects when the first read fails, so a function without prices says why.
 */
export function polledPrices(
  kind: 'bucket' | 'http',
  detail: string,
  read: () => Promise<unknown>,
  refreshMs: number,
): ReferencePriceSource & { stop(): void } {
  let document: PriceDocument = { observedOn: '', prices: {} };
  const load = async (): Promise<void> => {
    const body = await read();
    const parsed = priceDocumentSchema.safeParse(body);
    document = parsed.success ? parsed.data : { observedOn: new Date().toISOString().slice(0, 10), prices: priceMapSchema.parse(body) };
  };
  const first = load();
  first.catch(() => undefined); // answered by ready(); a function that never asks must not crash on it
  const timer = setInterval(() => void load().catch(() => undefined), refreshMs);
  timer.unref();
  return {
    description: { kind, detail },
    priceOf: (symbol) => {
      const usd = document.prices[symbol];
      return usd === undefined ? undefined : { symbol, priceUsd: usd, source: kind === 'http' ? 'provider' : 'document', observedOn: document.observedOn, ageDays: 0 };
    },
    ready: () => first,
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

/** The one factory of reference-price sources: the source the settings name, for `symbols` (replay only). */
export function priceSourceFromSettings(settings: PriceSettings, symbols: readonly string[], env: NodeJS.ProcessEnv = process.env): ReferencePriceSource {
  if (settings.SSI_PRICE_SOURCE === 'http') {
    if (!settings.SSI_PRICE_URL) throw new ConfigError('invalid configuration: SSI_PRICE_URL is needed with SSI_PRICE_SOURCE=http');
    return httpPrices(settings.SSI_PRICE_URL);
  }
  if (settings.SSI_PRICE_SOURCE === 'bucket') return bucketPrices(bucketName('reports', env), settings.SSI_PRICE_KEY);
  return replayPrices({ symbols, date: settings.SSI_PRICE_DATE as IsoDate | undefined, maxCarryDays: settings.SSI_PRICE_MAX_CARRY_DAYS });
}
