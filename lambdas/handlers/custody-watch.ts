/**
 * The custodian service on a schedule. Every minute: releases what newly accepted redeems owe the
 * PMM (RedeemAccepted since the redeem cursor) and, with an AttestedRebalancer deployed, the custodian
 * sells of accepted rebalances whose buys are all attested (RebalanceAccepted since the rebalance
 * cursor), then watches the registered custodian wallets through the custodian adapter and settles the
 * final transfers it sees (lambdas/custody/settle.ts): PMM deliveries as Received legs, its own
 * releases as Released legs, of mints, redeems and rebalances alike, submitted through the operator
 * relayer (it only pays gas: `attestMint`, `attestRedeem` and `attest` are open to anyone). Daily (`detail.statements`): signs each chain's balance
 * statement with the custodian key and stores it beside the day's reserve reports, before the
 * reserve publisher reads it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getAddress, keccak256 } from 'ethers';
import { dynamo, kms, s3 } from '../shared/aws';
import { chainProvider, chainTime as latestBlockTime } from '../shared/chain';
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
import { acceptedRedeems, attestedIssuerSink, type SendTransaction } from '../custody/attested-issuer';
import { acceptedRebalances, attestedRebalancerSink } from '../custody/attested-rebalancer';
import { CustodianService } from '../custody/service';
import { DeliverySettler, type ReleaseJournal, type Settlement } from '../custody/settle';
import { SimulatorCustodianAdapter } from '../custody/simulator-adapter';

const config = functionSettings('custody-watch');
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);
const { contracts } = config.SSI_DEPLOYMENT;
const opsTable = tableName('ops');
const objects = new ReportObjects(s3(), bucketName('reports'));

const chainTime = () => latestBlockTime(provider);

/** attestMint, attestRedeem and the AttestedRebalancer's attest through the operator relayer, one action per calldata (request, leg and signature): a retry never sends twice. */
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
  // Declared required for this function (REQUIRED_FOR): a deploy without it does not synthesize.
  if (!config.SSI_CUSTODIAN_URL) throw new ConfigError('invalid configuration: SSI_CUSTODIAN_URL has no value');
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
  const sink = attestedIssuerSink(contracts.attestedIssuer, provider, relayed, chainTime);
  const rebalances = contracts.attestedRebalancer ? attestedRebalancerSink(contracts.attestedRebalancer, provider, relayed, chainTime) : undefined;
  const settler = new DeliverySettler(adapter, service, domain, sink, wallets, sink, rebalances);
  const released = [
    ...(await releaseAccepted(settler, contracts.attestedIssuer, view.assets)),
    ...(contracts.attestedRebalancer ? await releaseRebalanceSells(settler, contracts.attestedRebalancer, view.assets) : []),
  ];
  const settlements = await settler.watch({
    get: async (chain) => BigInt((await readCursor(`cursor#${chain}`)) ?? '0'),
    put: (chain, height) => writeCursor(`cursor#${chain}`, height),
  });
  for (const s of [...released, ...settlements]) logger.info('custody settlement', { ...s, ...('amount' in s ? { amount: s.amount.toString() } : {}) });
  return { released: released.filter((s) => s.outcome === 'waiting').length, settlements: settlements.length, attested: settlements.filter((s) => s.outcome === 'attested').length };
});

async function readCursor(sk: string): Promise<string | undefined> {
  const { Item } = await dynamo().send(new GetCommand({ TableName: opsTable, Key: { pk: 'custody', sk } }));
  return Item?.height as string | undefined;
}

async function writeCursor(sk: string, height: bigint | number): Promise<void> {
  await dynamo().send(new PutCommand({ TableName: opsTable, Item: { pk: 'custody', sk, height: height.toString(), updatedAt: new Date().toISOString() } }));
}

/** One release per (request, chain, asset), ever: a conditional put in the ops table. */
const journal: ReleaseJournal = {
  async claim(requestId, chain, asset) {
    try {
      await dynamo().send(
        new PutCommand({
          TableName: opsTable,
          Item: { pk: 'custody', sk: `release#${requestId}#${chain}#${asset}`, at: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  },
};

/**
 * Releases what the events `accepted` finds since the cursor `cursorKey` owe. `release` settles one and says
 * whether it still owes a release; the cursor stops below the first that does, so a refusal (an unlisted
 * destination, a short wallet, buys not attested yet) is tried again on the next run. The journal keeps a
 * retry from paying twice.
 */
async function releaseSince<E extends { blockNumber: number }>(
  cursorKey: string,
  accepted: (fromBlock: number, toBlock: number) => Promise<E[]>,
  release: (event: E) => Promise<{ settlements: Settlement[]; outstanding: boolean }>,
): Promise<Settlement[]> {
  const from = Number((await readCursor(cursorKey)) ?? '0');
  const head = await provider.getBlockNumber();
  const out: Settlement[] = [];
  let next = head;
  for (const event of await accepted(from + 1, head)) {
    const { settlements, outstanding } = await release(event);
    if (outstanding && event.blockNumber - 1 < next) next = event.blockNumber - 1;
    out.push(...settlements);
  }
  await writeCursor(cursorKey, next);
  return out;
}

/** What the redeems accepted since the redeem cursor owe the PMM. */
const releaseAccepted = (settler: DeliverySettler, attestedIssuer: string, custodian: Parameters<DeliverySettler['releaseAccepted']>[2]) =>
  releaseSince(
    'redeem-cursor',
    (from, to) => acceptedRedeems(provider, attestedIssuer, from, to),
    async ({ requestId, assets }) => {
      const settlements = await settler.releaseAccepted(requestId, assets, custodian, journal);
      return { settlements, outstanding: settlements.some((s) => s.outcome === 'refused' && !s.reason.includes('already released')) };
    },
  );

/** The custodian sells of the rebalances accepted since the rebalance cursor, once each has every custodian buy attested. */
const releaseRebalanceSells = (settler: DeliverySettler, attestedRebalancer: string, custodian: Parameters<DeliverySettler['releaseAcceptedRebalance']>[2]) =>
  releaseSince(
    'rebalance-cursor',
    (from, to) => acceptedRebalances(provider, attestedRebalancer, from, to),
    ({ rebalanceId, sellAssets }) => settler.releaseAcceptedRebalance(rebalanceId, sellAssets, custodian, journal),
  );
