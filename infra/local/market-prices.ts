import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReplayPriceSource, type IsoDate } from '../../lambdas/domain/market';
import { loadMarketData, marketDataDir } from '../../lambdas/adapters/market-files';
import type { PriceDocument, ReferencePriceSource } from '../../lambdas/quotes/prices';
import { universeKey } from '../../lambdas/rebalance/universe';
import { LOCAL_INDEXES } from '../../scripts/deploy/index-protocol';
import { SETTINGS } from '../../topology/settings';

/*
 * The market data on this machine (../shared/data/market), for the local stack and tools only: the
 * stack publishes it into the reports bucket, where the deployed functions read prices and universe
 * snapshots as they would in AWS. No function imports this module.
 */

/** Prices of `symbols` on `date` (default: the last date with daily closes), looked up once. */
export function replayPrices(options: { symbols: readonly string[]; date?: IsoDate; maxCarryDays?: number; dataDir?: string }): ReferencePriceSource {
  const data = loadMarketData(options.dataDir ?? marketDataDir());
  const date = options.date ?? data.coverage().lastDaily;
  if (!date) throw new Error('the market data has no daily prices');
  const source = new ReplayPriceSource(data, { maxCarryDays: options.maxCarryDays ?? 45 });
  const prices = new Map<string, ReturnType<ReferencePriceSource['priceOf']>>();
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

const hasMarketData = (dir: string): boolean => existsSync(join(dir, 'coinbase-daily-ohlc-2020-2025.csv'));

/**
 * The reference prices the local functions read: the market data on `date` (default: its last
 * daily close), or the deploy's illustrative prices when the data set is absent.
 */
export function localPriceDocument(symbols: readonly string[], date: IsoDate | undefined, log: (line: string) => void): PriceDocument {
  const dir = marketDataDir();
  if (hasMarketData(dir)) {
    const replay = replayPrices({ symbols, date });
    const prices: Record<string, number> = {};
    for (const symbol of symbols) {
      const price = replay.priceOf(symbol);
      if (price) prices[symbol] = price.priceUsd;
    }
    return { observedOn: replay.description.date!, prices };
  }
  const prices: Record<string, number> = { USDC: 1 };
  for (const index of LOCAL_INDEXES) for (const c of index.constituents) prices[c.symbol] = c.priceUsd;
  log(`market data not found at ${dir}: quoting at the deploy's fixed prices`);
  return { observedOn: new Date().toISOString().slice(0, 10), prices };
}

/**
 * Publishes what the functions read from the reports bucket: the price document (SSI_PRICE_KEY)
 * and, when the market data is here, every monthly universe snapshot the rebalance compiles
 * targets from (SSI_UNIVERSE_PREFIX). Returns how many snapshots it wrote.
 */
export async function publishMarketData(client: S3Client, bucket: string, prices: PriceDocument): Promise<number> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: SETTINGS.SSI_PRICE_KEY.schema.parse(undefined), Body: JSON.stringify(prices), ContentType: 'application/json' }));
  const dir = marketDataDir();
  if (!hasMarketData(dir)) return 0;
  const data = loadMarketData(dir);
  const prefix = SETTINGS.SSI_UNIVERSE_PREFIX.schema.parse(undefined);
  for (const date of data.snapshotDates()) {
    const snapshot = data.snapshot(date)!;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: universeKey(prefix, date), Body: JSON.stringify({ date: snapshot.date, assets: snapshot.assets }), ContentType: 'application/json' }));
  }
  return data.snapshotDates().length;
}
