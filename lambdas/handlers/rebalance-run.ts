import { z } from 'zod';
import { isIsoDate } from '../domain/market/dates';
import { getMethodology, type UniverseSnapshot } from '../domain/methodology';
import { priceSourceFromSettings, type ReferencePriceSource } from '../quotes/prices';
import { PmmRegistry, cachedPmms } from '../quotes/pmm-registry';
import { dynamo, kms, s3 } from '../shared/aws';
import { chainProvider } from '../shared/chain';
import { bucketName, functionSettings, keyId, tableName } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { KmsSigner } from '../signing/kms-signer';
import { RunStore, STEPS } from '../rebalance/store';
import { BucketUniverse } from '../rebalance/universe';
import { runScheduled, type SagaDeps, type SagaFaults } from '../rebalance/saga';

const config = functionSettings('rebalance-run');

const { contracts, tokens, indexes } = config.SSI_DEPLOYMENT;
const prices: ReferencePriceSource = priceSourceFromSettings(config);
const universe = new BucketUniverse(s3(), bucketName('reports'), config.SSI_UNIVERSE_PREFIX);

/**
 * The snapshot targets come from: the latest monthly snapshot in the reports bucket on or before
 * the run's day, and never after SSI_PRICE_DATE when that pins the market date (so targets and prices agree).
 */
function snapshotFor(runDate: string): Promise<UniverseSnapshot> {
  const cap = config.SSI_PRICE_DATE && config.SSI_PRICE_DATE < runDate ? config.SSI_PRICE_DATE : runDate;
  return universe.snapshotOnOrBefore(cap);
}

const pmms = cachedPmms(new PmmRegistry(dynamo(), tableName('pmms')), config.SSI_PMM_CACHE_SECONDS * 1000);

const deps: SagaDeps = {
  store: new RunStore(dynamo(), tableName('rebalance-runs')),
  provider: chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID),
  chainId: config.SSI_CHAIN_ID,
  rebalancer: contracts.rebalancer!,
  indexes,
  tokens,
  cashSymbol: config.SSI_CASH_TOKEN,
  relayer: relayerFor('operator'),
  priceAttester: new KmsSigner(kms(), keyId('price')),
  methodologyOf: (index) => getMethodology(index),
  snapshotFor,
  priceOf: (symbol) => prices.priceOf(symbol),
  priceSource: prices.description.detail ?? prices.description.kind,
  pmms: async () => (await pmms()).map((p) => ({ name: p.name, url: `${p.url.replace(/\/$/, '')}/rebalance`, maker: p.maker })),
  settings: {
    weightToleranceBps: config.SSI_REBALANCE_WEIGHT_TOLERANCE_BPS,
    orderTtlSeconds: config.SSI_REBALANCE_ORDER_TTL_SECONDS,
    rfqTimeoutMs: config.SSI_REBALANCE_RFQ_TIMEOUT_MS,
    waitTimeoutMs: config.SSI_REBALANCE_WAIT_TIMEOUT_MS,
  },
  log: (message, details) => logger.info(message, details ?? {}),
};

/**
 * Test-only fault injection, read on every invocation: SSI_REBALANCE_FAULTS =
 * {"crashAfter": "<step>"} or {"crashAfterSubmit": "open"|"settle"|"close"}. Never set in AWS.
 */
const faults = (): SagaFaults | undefined => {
  const raw = process.env.SSI_REBALANCE_FAULTS;
  if (!raw) return undefined;
  const parsed = z
    .object({ crashAfter: z.enum(STEPS).optional(), crashAfterSubmit: z.enum(['open', 'settle', 'close']).optional() })
    .strict()
    .parse(JSON.parse(raw));
  return parsed;
};

const detailSchema = z.object({
  /** The index of this schedule; absent with `resume`. */
  index: z.string().optional(),
  /** Only finish unfinished runs of every index. */
  resume: z.boolean().optional(),
  /** The run's day (yyyy-mm-dd) instead of the event time's UTC day: an on-demand or back-dated run. */
  date: z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date').optional(),
});

/**
 * One invocation: first finishes every unfinished run of the index (or of all indexes with
 * `detail.resume`), then runs this tick's run (index + UTC day of the event, `detail.date`
 * overrides). The same event delivered twice resumes the same run.
 */
export const handler = scheduledHandler(async (event) => {
  const detail = detailSchema.parse(event.detail);
  // Polled sources (the reports-bucket document, a provider) load after start: wait for the first prices.
  await prices.ready();
  const targets = detail.resume ? Object.keys(indexes) : detail.index ? [detail.index] : [];
  if (!targets.length) throw new Error('a rebalance event names an index (detail.index) or asks to resume (detail.resume)');
  const runDate = detail.date ?? event.time.slice(0, 10);
  return runScheduled({ ...deps, faults: faults() }, targets, detail.resume ? undefined : runDate);
});
