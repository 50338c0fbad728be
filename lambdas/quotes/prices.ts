/**
 * Reference prices for NAV and the tolerance check, behind one small interface:
 * - `replay`: the public market history (lambdas/domain/market) on one date, the local stack's
 *   default (the latest date in the data unless SSI_PRICE_DATE says otherwise). Prices carried
 *   from an earlier observation keep their `source` and `ageDays`, so a quote shows them;
 * - `file`: a fixed JSON file {symbol: usd};
 * - `http`: a provider answering GET <url> with {symbol: usd}, polled in the background.
 * Lookups are synchronous: the hot path never waits for a price.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ReplayPriceSource, isIsoDate, loadMarketData, marketDataDir, type IsoDate } from '../domain/market';
import { ConfigError } from '../shared/errors';
import type { ReferencePrice } from '../domain/quotes/nav';

export interface ReferencePriceSource {
  /** What the prices are: shown in every quote. */
  readonly description: { kind: 'replay' | 'file' | 'http'; date?: string; detail?: string };
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

/** Fixed prices from a map (a file's content), observed on `observedOn`. */
export function fixedPrices(map: Record<string, number>, observedOn: string, detail = 'fixed prices'): ReferencePriceSource {
  const parsed = priceMapSchema.parse(map);
  return {
    description: { kind: 'file', date: observedOn, detail },
    priceOf: (symbol) => (parsed[symbol] === undefined ? undefined : { symbol, priceUsd: parsed[symbol], source: 'fixed', observedOn, ageDays: 0 }),
    ready: async () => undefined,
  };
}

export function filePrices(path: string): ReferencePriceSource {
  const map = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
  return fixedPrices(map, new Date().toISOString().slice(0, 10), `fixed prices from ${path}`);
}

/** A provider's prices, fetched now and every `refreshMs`; a failed refresh keeps the last prices. */
export function httpPrices(url: string, refreshMs = 15_000, fetchImpl: typeof fetch = fetch): ReferencePriceSource & { stop(): void } {
  let prices: Record<string, number> = {};
  let fetchedAt = '';
  const load = async (): Promise<void> => {
    const answer = await fetchImpl(url, { signal: AbortSignal.timeout(5_000) });
    if (!answer.ok) throw new Error(`price provider answered HTTP ${answer.status}`);
    prices = priceMapSchema.parse(await answer.json());
    fetchedAt = new Date().toISOString();
  };
  const first = load();
  const timer = setInterval(() => void load().catch(() => undefined), refreshMs);
  timer.unref();
  return {
    description: { kind: 'http', detail: `provider ${new URL(url).host}` },
    priceOf: (symbol) =>
      prices[symbol] === undefined ? undefined : { symbol, priceUsd: prices[symbol], source: 'provider', observedOn: fetchedAt.slice(0, 10), ageDays: 0 },
    ready: () => first,
    stop: () => clearInterval(timer),
  };
}

/** The reference-price settings, the same in every function that prices assets (spread into its config shape). */
export const priceSettings = {
  /** replay (market history, the local default), file (fixed JSON prices) or http (a provider). */
  SSI_PRICE_SOURCE: z.enum(['replay', 'file', 'http']).default('replay'),
  /** Replay date (YYYY-MM-DD); default the latest date in the data. */
  SSI_PRICE_DATE: z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date').optional(),
  SSI_PRICE_MAX_CARRY_DAYS: z.coerce.number().int().min(0).max(366).default(45),
  SSI_PRICE_FILE: z.string().min(1).optional(),
  SSI_PRICE_URL: z.string().url().optional(),
};
export type PriceSettings = z.infer<z.ZodObject<typeof priceSettings>>;

/** The one factory of reference-price sources: the source the settings name, for `symbols` (replay only). */
export function priceSourceFromSettings(settings: PriceSettings, symbols: readonly string[]): ReferencePriceSource {
  if (settings.SSI_PRICE_SOURCE === 'file') {
    if (!settings.SSI_PRICE_FILE) throw new ConfigError('invalid configuration: SSI_PRICE_FILE is needed with SSI_PRICE_SOURCE=file');
    return filePrices(settings.SSI_PRICE_FILE);
  }
  if (settings.SSI_PRICE_SOURCE === 'http') {
    if (!settings.SSI_PRICE_URL) throw new ConfigError('invalid configuration: SSI_PRICE_URL is needed with SSI_PRICE_SOURCE=http');
    return httpPrices(settings.SSI_PRICE_URL);
  }
  return replayPrices({ symbols, date: settings.SSI_PRICE_DATE as IsoDate | undefined, maxCarryDays: settings.SSI_PRICE_MAX_CARRY_DAYS });
}
