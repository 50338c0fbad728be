import { z } from 'zod';
import { functionSettings, keyId, bucketName, tableName } from '../shared/config';
import { httpHandler } from '../shared/http';
import { byRoute } from '../shared/router';
import { chainProvider } from '../shared/chain';
import { dynamo, kms, s3 } from '../shared/aws';
import { kmsAddress } from '../signing/kms-public-key';
import { protocolInfo } from '../read-api/protocol';
import { holderProofs, reportsOf } from '../reserves/api';
import { ReportObjects, ReserveRecords } from '../reserves/store';
import { RunStore } from '../rebalance/store';
import { getRun, listRuns } from '../rebalance/api';

const config = functionSettings('read-api');
const operatorKey = keyId('operator');
const reserveKey = keyId('reserve');
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);
const reserves = { objects: new ReportObjects(s3(), bucketName('reports')), records: new ReserveRecords(dynamo(), tableName('ops')) };
const runs = new RunStore(dynamo(), tableName('rebalance-runs'));
const indexQuery = z.object({ index: z.string().min(1).optional() });

export const handler = byRoute({
  'GET /v1/protocol': httpHandler({}, () =>
    protocolInfo({
      provider,
      deployment: config.SSI_DEPLOYMENT,
      operatorAddress: () => kmsAddress(kms(), operatorKey),
      reserveAddress: () => kmsAddress(kms(), reserveKey),
    }),
  ),
  'GET /v1/reserves/latest': httpHandler({ query: indexQuery }, ({ query }) => reportsOf(reserves, undefined, query.index)),
  'GET /v1/reserves/{date}': httpHandler({ path: z.object({ date: z.string() }), query: indexQuery }, ({ path, query }) => reportsOf(reserves, path.date, query.index)),
  'GET /v1/reserves/{date}/proof/{holder}': httpHandler({ path: z.object({ date: z.string(), holder: z.string() }), query: indexQuery }, ({ path, query }) =>
    holderProofs(reserves, path.date, path.holder, query.index),
  ),
  'GET /v1/rebalances/{index}': httpHandler({ path: z.object({ index: z.string().min(1).max(64) }) }, ({ path }) => listRuns(runs, path.index)),
  'GET /v1/rebalances/{index}/{runId}': httpHandler({ path: z.object({ index: z.string().min(1).max(64), runId: z.string().min(1).max(100) }) }, ({ path }) =>
    getRun(runs, path.index, path.runId),
  ),
});
