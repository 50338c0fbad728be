import { z } from 'zod';
import { DEFAULT_POINTS_CONFIG, parsePointsConfig, type PointsConfig } from '../domain/points/config';
import { referencePrices, type ReferencePrices } from './chain-sources';
import type { ReferencePriceSource } from '../quotes/prices';

/*
 * Configuration shared by the points functions (snapshot, epoch close, API), read once at cold start:
 * - SSI_POINTS_CONFIG: the rules as JSON (multipliers, boost tiers, referral share, epoch calendar);
 *   default DEFAULT_POINTS_CONFIG.
 * - SSI_EPOCH_POOL: reward token base units allocated per epoch (decimal string).
 * - SSI_REFERENCE_PRICES: JSON { symbol: usd } of reference prices, checked first ($SOSO must be
 *   here: no price document lists it); then the function's reference-price source (SSI_PRICE_SOURCE,
 *   the reports-bucket document by default), whose latest prices value every day.
 */


export function pointsRules(text: string | undefined): PointsConfig {
  return text ? parsePointsConfig(JSON.parse(text)) : DEFAULT_POINTS_CONFIG;
}

const pricesSchema = z.record(z.number().nonnegative());

/** Configured reference prices, then the declared price source's latest ones (await `source.ready()` first). */
export function configuredPrices(text: string | undefined, source: ReferencePriceSource): ReferencePrices {
  const configured = text ? pricesSchema.parse(JSON.parse(text)) : {};
  return referencePrices(configured, source);
}
