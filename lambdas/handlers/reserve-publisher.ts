import { dynamo, kms, s3 } from '../shared/aws';
import { chainProvider } from '../shared/chain';
import { bucketName, functionSettings, keyId, tableName } from '../shared/config';
import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { KmsSigner } from '../signing/kms-signer';
import { publishReserves } from '../reserves/publisher';
import { utcDay } from '../reserves/report';
import { ReportObjects, ReserveRecords } from '../reserves/store';
import { powertoolsDeficitSink } from '../reserves/metrics';
import { NATIVE_CHAINS } from '../domain/custody/addresses';
import { statementKey, type SignedBalanceStatement } from '../domain/custody/statement';

const config = functionSettings('reserve-publisher');
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);
const signer = new KmsSigner(kms(), keyId('reserve'));
const objects = new ReportObjects(s3(), bucketName('reports'));
const records = new ReserveRecords(dynamo(), tableName('ops'));
const { contracts, indexes } = config.SSI_DEPLOYMENT;

/** The custodian's statements of `day`, one object per chain where the custodian service stored one. */
async function custodianStatements(day: string): Promise<SignedBalanceStatement[]> {
  const found = await Promise.all(NATIVE_CHAINS.map((chain) => objects.get(statementKey(day, chain))));
  return found.filter((text): text is string => text !== undefined).map((text) => JSON.parse(text) as SignedBalanceStatement);
}

/**
 * Daily proof-of-reserve run (and on demand): publishes every index's report for the UTC day of
 * the event (`detail.day` overrides it, yyyy-mm-dd, for a back-fill).
 */
export const handler = scheduledHandler(async (event) => {
  const day = typeof event.detail.day === 'string' ? event.detail.day : utcDay(new Date(event.time));
  const published = await publishReserves(
    {
      provider,
      chainId: config.SSI_CHAIN_ID,
      contracts: { custodyVault: contracts.custodyVault!, reserveRegistry: contracts.reserveRegistry!, issuer: contracts.issuer! },
      indexes,
      signer,
      objects,
      records,
      reserveRelayer: relayerFor('reserve'),
      operatorRelayer: relayerFor('operator'),
      deficit: powertoolsDeficitSink,
      reader: { fromBlock: config.RESERVES_FROM_BLOCK },
      confirmations: config.RESERVES_CONFIRMATIONS,
      log: (message, details) => logger.info(message, details ?? {}),
      ...(contracts.custodyRegistry
        ? { custodian: { registry: contracts.custodyRegistry, attestedIssuer: contracts.attestedIssuer, statements: custodianStatements } }
        : {}),
    },
    day,
  );
  return { day, published };
});
