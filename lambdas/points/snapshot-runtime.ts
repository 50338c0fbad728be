import { loadSettings, tableName, bucketName } from '../shared/config';
import { POINTS_SETTINGS, PRICE_SETTINGS } from '../../topology/settings';
import { priceSourceFromSettings } from '../quotes/prices';
import { chainProvider } from '../shared/chain';
import { dynamoClient, s3 } from '../shared/aws';
import { PointsStore } from './store';
import { ChainSnapshotSources } from './chain-sources';
import { S3SnapshotFiles } from './snapshot-files';
import { configuredPrices, pointsRules } from './settings';
import type { PhaseDeps, SnapshotSources } from './snapshot';

/**
 * What both snapshot functions (points-snapshot: plan and reduce; points-shard: a shard) run with,
 * built once per container; `ready()` waits for the reference prices (call it before a task).
 */
export function snapshotRuntime(): PhaseDeps & { sources: SnapshotSources; ready(): Promise<void> } {
  const config = loadSettings(['SSI_RPC_URL', 'SSI_CHAIN_ID', 'SSI_DEPLOYMENT', ...PRICE_SETTINGS, ...POINTS_SETTINGS]);
  const rules = pointsRules(config.SSI_POINTS_CONFIG);
  const prices = priceSourceFromSettings(config);
  return {
    ready: () => prices.ready(),
    config: rules,
    store: new PointsStore(dynamoClient(), tableName('points')),
    files: new S3SnapshotFiles(s3(), bucketName('points-work')),
    sources: new ChainSnapshotSources({
      provider: chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID),
      deployment: config.SSI_DEPLOYMENT,
      prices: configuredPrices(config.SSI_REFERENCE_PRICES, prices),
      sosoSymbol: rules.sosoToken,
    }),
  };
}
