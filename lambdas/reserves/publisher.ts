import { Interface, getBytes, type Provider } from 'ethers';
import type { ActionRecord, RelayRequest } from '../relayer';
import { buildReport, dayNumber, parseSignedReport, reportHash, signedReportJson, totalLiabilitiesByAsset, type ReserveReport, type SignedReport } from './report';
import { readChainSnapshot, type ReaderOptions } from './chain-reader';
import { reportKey, treeKey, type ReportObjects, type ReserveRecords, type ReportEntry } from './store';
import { tripBreaker } from './breaker';
import { assessCustodian, readCustodianRegistry, type CustodianSection } from './custodian';
import type { SignedBalanceStatement } from '../domain/custody/statement';

export const REGISTRY_INTERFACE = new Interface([
  'function publish((address index,uint32 day,bytes32 reportHash,bytes32 liabilitiesRoot,uint64 blockNumber,address[] assets,uint256[] reserves,uint256[] liabilities) report)',
  'function reportAt(address index,uint32 day) view returns ((address index,uint32 day,bytes32 reportHash,bytes32 liabilitiesRoot,uint64 blockNumber,address[] assets,uint256[] reserves,uint256[] liabilities))',
  'function hasReport(address index,uint32 day) view returns (bool)',
  'function OPERATOR_ROLE() view returns (bytes32)',
  'function hasRole(bytes32 role,address account) view returns (bool)',
]);

/** What the publisher needs of a relayer (lambdas/relayer Relayer). */
export interface RelayerPort {
  submit(request: RelayRequest): Promise<ActionRecord>;
  wait(key: string, options?: { timeoutMs?: number }): Promise<ActionRecord>;
}

/** What the publisher needs of a signer (KmsSigner): EIP-191 over raw bytes. */
export interface ReportSigner {
  getAddress(): Promise<string>;
  signMessage(message: Uint8Array): Promise<string>;
}

/** Receives the deficit alarm metric (Powertools metrics in the Lambda, a recorder in tests). */
export type DeficitSink = (symbol: string, deficitAssets: number) => void;

export interface PublisherDeps {
  readonly provider: Provider;
  readonly chainId: number;
  readonly contracts: { readonly custodyVault: string; readonly reserveRegistry: string; readonly issuer: string };
  readonly indexes: Readonly<Record<string, string>>;
  readonly signer: ReportSigner;
  readonly objects: ReportObjects;
  readonly records: ReserveRecords;
  readonly reserveRelayer: RelayerPort;
  readonly operatorRelayer: RelayerPort;
  readonly deficit: DeficitSink;
  readonly reader?: ReaderOptions;
  /** Blocks behind the head the run pins (default 0: the head). */
  readonly confirmations?: number;
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
  /**
   * Custodian assets: the CustodyRegistry, the custodian's signed statements of a day (the reports
   * bucket's custody/<day>/<chain>.json) and the AttestedIssuer, whose attested mints of an index
   * the breaker stops too.
   */
  readonly custodian?: {
    readonly registry: string;
    readonly attestedIssuer?: string;
    statements(day: string): Promise<SignedBalanceStatement[]>;
  };
}

export interface PublishedIndex {
  readonly symbol: string;
  readonly key: string;
  readonly reportHash: string;
  readonly liabilitiesRoot: string;
  readonly blockNumber: number;
  readonly deficit: boolean;
  /** False when an earlier run had already stored this (day, index). */
  readonly created: boolean;
  readonly breakerTripped: boolean;
  readonly txHash?: string;
}

/** Registry calldata for a report: reserves are the index's allocation of the shared vault. */
export function publishCalldata(report: ReserveReport, hash: string): string {
  return REGISTRY_INTERFACE.encodeFunctionData('publish', [
    {
      index: report.index.address,
      day: dayNumber(report.day),
      reportHash: hash,
      liabilitiesRoot: report.liabilitiesRoot,
      blockNumber: report.block.number,
      assets: report.assets.map((a) => a.asset),
      reserves: report.assets.map((a) => a.allocatedReserves),
      liabilities: report.assets.map((a) => a.liabilities),
    },
  ]);
}

/**
 * Publishes the day's reserve report of every index. Idempotent per (day, index): the run pins
 * one block per day (retries reuse it), a report already in S3 is reused as it is, and the
 * registry post goes through the relayer under `reserve:<day>:<symbol>`, sent at most once.
 * A deficit emits the alarm metric and trips the index's mint breaker.
 */
export async function publishReserves(deps: PublisherDeps, day: string): Promise<PublishedIndex[]> {
  const log = deps.log ?? (() => undefined);
  const head = await deps.provider.getBlock(-(deps.confirmations ?? 0) || 'latest');
  if (!head?.hash) throw new Error('the chain returned no block to pin');
  const pinned = await deps.records.pinBlock(day, { number: head.number, hash: head.hash });
  const signerAddress = await deps.signer.getAddress();
  const custodianView = deps.custodian ? await readCustodianRegistry(deps.provider, deps.custodian.registry, pinned.number) : undefined;
  const snapshot = await readChainSnapshot(
    deps.provider,
    {
      chainId: deps.chainId,
      blockNumber: pinned.number,
      custody: deps.contracts.custodyVault,
      registry: deps.contracts.reserveRegistry,
      indexes: { ...deps.indexes },
      custodianAssets: new Set(custodianView?.assets.keys()),
    },
    deps.reader,
  );
  if (snapshot.blockHash !== pinned.hash) throw new Error(`block ${pinned.number} is now ${snapshot.blockHash}, was ${pinned.hash} when pinned (reorg)`);
  let custodian: CustodianSection | undefined;
  if (custodianView && deps.custodian) {
    const needed = [...new Set(snapshot.indexes.flatMap((i) => i.assets))].filter((a) => custodianView.assets.has(a));
    if (needed.length) custodian = assessCustodian(custodianView, await deps.custodian.statements(day), day, needed);
    if (custodian?.problems.length) log('custodian statement problems', { day, problems: custodian.problems });
  }
  const totals = totalLiabilitiesByAsset(snapshot.indexes);
  const results: PublishedIndex[] = [];
  for (const index of snapshot.indexes) {
    const key = reportKey(day, index.symbol);
    let signed: SignedReport;
    let created = false;
    const existing = await deps.objects.get(key);
    if (existing) {
      signed = parseSignedReport(existing);
    } else {
      const { report, tree } = buildReport(snapshot, index, { day, signer: signerAddress, totals, custodian });
      const hash = reportHash(report);
      signed = { report, reportHash: hash, signature: await deps.signer.signMessage(getBytes(hash)) };
      // The tree first: a stored report always has its tree.
      await deps.objects.putNew(treeKey(day, index.symbol), JSON.stringify(tree ? tree.dump() : null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      created = await deps.objects.putNew(key, signedReportJson(signed));
      if (!created) signed = parseSignedReport((await deps.objects.get(key))!);
    }
    const { report } = signed;
    const action = `reserve:${day}:${index.symbol}`;
    await deps.reserveRelayer.submit({ key: action, to: deps.contracts.reserveRegistry, data: publishCalldata(report, signed.reportHash) });
    const record = await deps.reserveRelayer.wait(action);
    if (record.status !== 'mined') {
      throw new Error(`registry publish ${action} ended ${record.status}: ${record.failure?.reason ?? 'no reason recorded'}`);
    }
    const entry: ReportEntry = {
      day,
      symbol: index.symbol,
      index: report.index.address,
      key,
      treeKey: treeKey(day, index.symbol),
      reportHash: signed.reportHash,
      liabilitiesRoot: report.liabilitiesRoot,
      blockNumber: report.block.number,
      deficit: report.deficit,
      txHash: record.txHash,
      publishedAt: new Date().toISOString(),
    };
    await deps.records.putReport(entry);
    let breakerTripped = false;
    if (report.deficit) {
      deps.deficit(index.symbol, report.deficitAssets.length);
      log('reserve deficit', { index: index.symbol, day, assets: report.deficitAssets });
      await tripBreaker({ relayer: deps.operatorRelayer, records: deps.records, issuer: deps.contracts.issuer, attestedIssuer: report.custodian ? deps.custodian?.attestedIssuer : undefined }, { symbol: index.symbol, index: report.index.address, day, deficitAssets: report.deficitAssets });
      breakerTripped = true;
    }
    results.push({ symbol: index.symbol, key, reportHash: signed.reportHash, liabilitiesRoot: report.liabilitiesRoot, blockNumber: report.block.number, deficit: report.deficit, created, breakerTripped, txHash: record.txHash });
    log('reserve report published', { index: index.symbol, day, reportHash: signed.reportHash, created });
  }
  return results;
}
