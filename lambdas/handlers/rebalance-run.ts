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
import { FEE_SALE_PREFIX, RunStore, STEPS } from '../rebalance/store';
import { BucketUniverse } from '../rebalance/universe';
import { runScheduled, type SagaDeps, type SagaFaults } from '../rebalance/saga';
import { FEE_SALE_STEPS, runFeeSale, runScheduledFeeSales, type FeeSaleDeps, type FeeSaleFaults, type FeeSaleRecord } from '../rebalance/fee-sale';

const config = functionSettings('rebalance-run');

const { contracts, tokens, indexes, custodianAssets } = config.SSI_DEPLOYMENT;
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
/** The registry's enabled PMMs, each at its RFQ endpoint for `path` (rebalance orders, fee-sale bids). */
const pmmsAt = (path: string) => async () => (await pmms()).map((p) => ({ name: p.name, url: `${p.url.replace(/\/$/, '')}/${path}`, maker: p.maker }));

const sagaSettings = {
  orderTtlSeconds: config.SSI_REBALANCE_ORDER_TTL_SECONDS,
  rfqTimeoutMs: config.SSI_REBALANCE_RFQ_TIMEOUT_MS,
  waitTimeoutMs: config.SSI_REBALANCE_WAIT_TIMEOUT_MS,
};
const priceAttester = new KmsSigner(kms(), keyId('price'));

const feeSaleDeps: FeeSaleDeps = {
  store: new RunStore<FeeSaleRecord>(dynamo(), tableName('rebalance-runs'), FEE_SALE_PREFIX),
  provider: chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID),
  chainId: config.SSI_CHAIN_ID,
  rebalancer: contracts.rebalancer!,
  indexes,
  sTokenOf: (index) => contracts[`s${index}`],
  tokens,
  cashSymbol: config.SSI_CASH_TOKEN,
  operator: relayerFor('operator'),
  // Every index's fee vault is the operator key's account (scripts/deploy/index-protocol.ts): it pays the stakers' share.
  feeVault: relayerFor('operator'),
  priceAttester,
  priceOf: (symbol) => prices.priceOf(symbol),
  pmms: pmmsAt('fee-sale'),
  settings: sagaSettings,
  log: (message, details) => logger.info(message, details ?? {}),
};

const deps: SagaDeps = {
  store: new RunStore(dynamo(), tableName('rebalance-runs')),
  provider: chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID),
  chainId: config.SSI_CHAIN_ID,
  rebalancer: contracts.rebalancer!,
  indexes,
  tokens,
  cashSymbol: config.SSI_CASH_TOKEN,
  custodianAssets,
  ...(contracts.attestedRebalancer && contracts.attestedIssuer ? { attested: { rebalancer: contracts.attestedRebalancer, issuer: contracts.attestedIssuer } } : {}),
  relayer: relayerFor('operator'),
  priceAttester,
  methodologyOf: (index) => getMethodology(index),
  snapshotFor,
  priceOf: (symbol) => prices.priceOf(symbol),
  priceSource: prices.description.detail ?? prices.description.kind,
  pmms: pmmsAt('rebalance'),
  sellFeeFirst: (index, runDate) => runFeeSale({ ...feeSaleDeps, faults: faults()?.feeSale }, index, runDate, 'rebalance'),
  settings: { weightToleranceBps: config.SSI_REBALANCE_WEIGHT_TOLERANCE_BPS, ...sagaSettings },
  log: (message, details) => logger.info(message, details ?? {}),
};

/**
 * Test-only fault injection, read on every invocation: SSI_REBALANCE_FAULTS =
 * {"crashAfter": "<step>"} or {"crashAfterSubmit": "open"|"settle"|"close"} for rebalance runs,
 * {"feeSale": {"crashAfter": "<fee-sale step>"} | {"crashAfterSubmit": "accrue"|"sell"|"approve"|"distribute"}}
 * for fee sales. Never set in AWS.
 */
const faults = (): (SagaFaults & { feeSale?: FeeSaleFaults }) | undefined => {
  const raw = process.env.SSI_REBALANCE_FAULTS;
  if (!raw) return undefined;
  const parsed = z
    .object({
      crashAfter: z.enum(STEPS).optional(),
      crashAfterSubmit: z.enum(['open', 'settle', 'close']).optional(),
      feeSale: z
        .object({ crashAfter: z.enum(FEE_SALE_STEPS).optional(), crashAfterSubmit: z.enum(['accrue', 'sell', 'approve', 'distribute']).optional() })
        .strict()
        .optional(),
    })
    .strict()
    .parse(JSON.parse(raw));
  return parsed;
};

const detailSchema = z.object({
  /** The index of this schedule; absent with `resume`. */
  index: z.string().optional(),
  /** Only finish unfinished runs (rebalances and fee sales) of every index. */
  resume: z.boolean().optional(),
  /** The index's fee sale (its daily schedule) instead of its rebalance. */
  task: z.enum(['rebalance', 'fee-sale']).default('rebalance'),
  /** The run's day (yyyy-mm-dd) instead of the event time's UTC day: an on-demand or back-dated run. */
  date: z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date').optional(),
});

/**
 * One invocation: first finishes every unfinished run of the index (or, with `detail.resume`,
 * every unfinished fee sale and rebalance of all indexes), then runs this tick's run (index + UTC
 * day of the event, `detail.date` overrides): the rebalance, or the fee sale with
 * `detail.task = 'fee-sale'`. The same event delivered twice resumes the same run.
 */
export const handler = scheduledHandler(async (event) => {
  const detail = detailSchema.parse(event.detail);
  // Polled sources (the reports-bucket document, a provider) load after start: wait for the first prices.
  await prices.ready();
  const targets = detail.resume ? Object.keys(indexes) : detail.index ? [detail.index] : [];
  if (!targets.length) throw new Error('a rebalance event names an index (detail.index) or asks to resume (detail.resume)');
  const runDate = detail.date ?? event.time.slice(0, 10);
  const injected = faults();
  const feeSales = { ...feeSaleDeps, faults: injected?.feeSale };
  if (detail.resume) return [...(await runScheduledFeeSales(feeSales, targets)), ...(await runScheduled({ ...deps, faults: injected }, targets))];
  if (detail.task === 'fee-sale') return runScheduledFeeSales(feeSales, targets, runDate);
  return runScheduled({ ...deps, faults: injected }, targets, runDate);
});
