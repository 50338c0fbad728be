import { z } from 'zod';
import { DEFAULT_POINTS_CONFIG, parsePointsConfig, type PointsConfig } from '../domain/points/config';
import { ReplayPriceSource } from '../domain/market';
import { loadMarketData, marketDataDir } from '../adapters/market-files';
import { referencePrices, type ReferencePrices } from './chain-sources';
import { existsSync } from 'node:fs';

/*
 * Configuration shared by the points functions (snapshot, epoch close, API), read once at cold start:
 * - SSI_POINTS_CONFIG: the rules as JSON (multipliers, boost tiers, referral share, epoch calendar);
 *   default DEFAULT_POINTS_CONFIG.
 * - SSI_EPOCH_POOL: reward token base units allocated per epoch (decimal string).
 * - SSI_REFERENCE_PRICES: JSON { symbol: usd } of reference prices, checked first ($SOSO must be
 *   here: no market file lists it); then the market-data replay source (SSI_MARKET_DATA_DIR).
 */


export function pointsRules(text: string | undefined): PointsConfig {
  return text ? parsePointsConfig(JSON.parse(text)) : DEFAULT_POINTS_CONFIG;
}

const pricesSchema = z.record(z.number().nonnegative());

/** Configured reference prices, backed by the market-data replay when its files are present. */
export function configuredPrices(text: string | undefined, env: NodeJS.ProcessEnv = process.env): ReferencePrices {
  const configured = text ? pricesSchema.parse(JSON.parse(text)) : {};
  const dir = marketDataDir(env);
  let market: ReplayPriceSource | undefined;
  return referencePrices(configured, {
    priceAt(symbol, date) {
      if (!market && existsSync(dir)) market = new ReplayPriceSource(loadMarketData(dir));
      return market?.priceAt(symbol, date);
    },
  });
}
