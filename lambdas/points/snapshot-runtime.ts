import { loadSettings, tableName, bucketName } from '../shared/config';
import { POINTS_SETTINGS } from '../../topology/settings';
import { chainProvider } from '../shared/chain';
import { dynamoClient, s3 } from '../shared/aws';
import { PointsStore } from './store';
import { ChainSnapshotSources } from './chain-sources';
import { S3SnapshotFiles } from './snapshot-files';
import { configuredPrices, pointsRules } from './settings';
import type { PhaseDeps, SnapshotSources } from './snapshot';

/** What both snapshot functions (points-snapshot: plan and reduce; points-shard: a shard) run with, built once per container. */
export function snapshotRuntime(): PhaseDeps & { sources: SnapshotSources } {
  const config = loadSettings(['SSI_RPC_URL', 'SSI_CHAIN_ID', 'SSI_DEPLOYMENT', ...POINTS_SETTINGS]);
  const rules = pointsRules(config.SSI_POINTS_CONFIG);
  return {
    config: rules,
    store: new PointsStore(dynamoClient(), tableName('points')),
    files: new S3SnapshotFiles(s3(), bucketName('points-work')),
    sources: new ChainSnapshotSources({
      provider: chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID),
      deployment: config.SSI_DEPLOYMENT,
      prices: configuredPrices(config.SSI_REFERENCE_PRICES),
      sosoSymbol: rules.sosoToken,
    }),
  };
}
