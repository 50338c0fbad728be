/**
 * The custodian service on a schedule. Every minute: watches the registered custodian wallets
 * through the custodian adapter and settles the PMM deliveries it sees (lambdas/custody/settle.ts),
 * submitting the custodian-signed legs through the operator relayer (it only pays gas:
 * `attestMint` is open to anyone). Daily (`detail.statements`): signs each chain's balance
 * statement with the custodian key and stores it beside the day's reserve reports, before the
 * reserve publisher reads it.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getAddress, keccak256 } from 'ethers';
import { dynamo, kms, s3 } from '../shared/aws';
import { chainProvider } from '../shared/chain';
import { bucketName, functionSettings, keyId, tableName } from '../shared/config';
import { ConfigError } from '../shared/errors';
import { scheduledHandler } from '../shared/http';
import { logger } from '../shared/observability';
import { relayerFor } from '../relayer';
import { KmsSigner } from '../signing/kms-signer';
import { ReportObjects } from '../reserves/store';
import { utcDay } from '../reserves/report';
import { readCustodianRegistry } from '../reserves/custodian';
import { custodyDomain } from '../domain/custody/attestation';
import { isNativeChain, type NativeChain } from '../domain/custody/addresses';
import { statementKey } from '../domain/custody/statement';
import { attestedIssuerSink, type SendTransaction } from '../custody/attested-issuer';
import { CustodianService } from '../custody/service';
import { DeliverySettler } from '../custody/settle';
import { SimulatorCustodianAdapter } from '../custody/simulator-adapter';

const config = functionSettings('custody-watch');
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);
const { contracts } = config.SSI_DEPLOYMENT;
const opsTable = tableName('ops');
const objects = new ReportObjects(s3(), bucketName('reports'));

const chainTime = async (): Promise<bigint> => {
  const block = await provider.getBlock('latest');
  if (!block) throw new Error('the chain returned no latest block');
  return BigInt(block.timestamp);
};

/** attestMint through the operator relayer, one action per calldata (request, leg and signature): a retry never sends twice. */
const relayed: SendTransaction = async (to, data) => {
  const relayer = relayerFor('operator');
  const key = `custody:attest:${keccak256(data)}`;
  await relayer.submit({ key, to, data });
  const record = await relayer.wait(key);
  if (record.status === 'mined') return { ok: true };
  return { ok: false, reason: record.failure?.reason ?? `ended ${record.status}`, ...(record.failure?.revertData ? { revertData: record.failure.revertData } : {}) };
};

export const handler = scheduledHandler(async (event) => {
  if (!contracts.custodyRegistry || !contracts.attestedIssuer) {
    logger.info('the deployment has no CustodyRegistry and AttestedIssuer: nothing to watch');
    return { skipped: true };
  }
  if (!config.SSI_CUSTODIAN_URL) throw new ConfigError('invalid configuration: SSI_CUSTODIAN_URL is required where custody contracts are deployed');
  const adapter = new SimulatorCustodianAdapter(config.SSI_CUSTODIAN_URL);
  const service = new CustodianService(adapter, new KmsSigner(kms(), keyId('custodian')), config.SSI_CHAIN_ID);
  const view = await readCustodianRegistry(provider, contracts.custodyRegistry, await provider.getBlockNumber());
  const wallets = Object.fromEntries(Object.entries(view.wallets).filter(([chain]) => isNativeChain(chain))) as Partial<Record<NativeChain, string[]>>;

  if (event.detail.statements === true) {
    const day = typeof event.detail.day === 'string' ? event.detail.day : utcDay(new Date(event.time));
    const stored: string[] = [];
    for (const [chain, list] of Object.entries(wallets) as [NativeChain, string[]][]) {
      const statement = await service.statement(chain, day, list);
      // A day's statement is written once: a re-run keeps the first, as the reserve report does.
      if (await objects.putNew(statementKey(day, chain), JSON.stringify(statement))) stored.push(chain);
    }
    logger.info('custodian balance statements', { day, stored });
    return { day, stored };
  }

  const domain = custodyDomain(config.SSI_CHAIN_ID, getAddress(contracts.attestedIssuer));
  const settler = new DeliverySettler(adapter, service, domain, attestedIssuerSink(contracts.attestedIssuer, provider, relayed, chainTime), wallets);
  const settlements = await settler.watch({
    get: async (chain) => {
      const { Item } = await dynamo().send(new GetCommand({ TableName: opsTable, Key: { pk: 'custody', sk: `cursor#${chain}` } }));
      return Item?.height === undefined ? 0n : BigInt(Item.height as string);
    },
    put: async (chain, height) => {
      await dynamo().send(new PutCommand({ TableName: opsTable, Item: { pk: 'custody', sk: `cursor#${chain}`, height: height.toString(), updatedAt: new Date().toISOString() } }));
    },
  });
  for (const s of settlements) logger.info('custody settlement', { ...s, ...('amount' in s ? { amount: s.amount.toString() } : {}) });
  return { settlements: settlements.length, attested: settlements.filter((s) => s.outcome === 'attested').length };
});
