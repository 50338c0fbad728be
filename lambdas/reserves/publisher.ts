import { Interface, getBytes, type Provider } from 'ethers';
import { sendAndWait } from '../relayer/port';
import { buildReport, dayNumber, parseSignedReport, reportHash, signedReportJson, totalLiabilitiesByAsset, type ReserveReport, type SignedReport } from './report';
import { readChainSnapshot, type ReaderOptions } from './chain-reader';
import { reportKey, treeKey, type ReportObjects, type ReserveRecords, type ReportEntry } from './store';
import { tripBreaker } from './breaker';
import { RESERVE_REGISTRY_ABI } from '../shared/abi';
import type { DeficitSink, RelayerPort, ReportSigner } from './ports';
import { assessCustodian, readCustodianRegistry, type CustodianSection } from './custodian';
import type { SignedBalanceStatement } from '../domain/custody/statement';

export type { DeficitSink, RelayerPort, ReportSigner } from './ports';

/** A block the day's run reads at. */
export interface PinnedBlock {
  readonly number: number;
  readonly hash: string;
}

export const REGISTRY_INTERFACE = new Interface(RESERVE_REGISTRY_ABI);

export interface PublisherDeps {
  readonly provider: Provider;
  readonly chainId: number;
  readonly contracts: { readonly custodyVault: string; readonly reserveRegistry: string; readonly issuer: string };
  readonly indexes: Readonly<Record<string, string>>;
  readonly signer: ReportSigner;
  readonly objects: Pick<ReportObjects, 'get' | 'putNew' | 'replace'>;
  readonly records: Pick<ReserveRecords, 'pinBlock' | 'repinBlock' | 'putReport' | 'breaker' | 'putBreaker'>;
  readonly reserveRelayer: RelayerPort;
  readonly operatorRelayer: RelayerPort;
  readonly deficit: DeficitSink;
  readonly reader?: ReaderOptions;
  /** Blocks behind the head the run pins (RESERVES_CONFIRMATIONS): a block this deep is not expected to be reorged. */
  readonly confirmations: number;
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

/** The block `confirmations` behind the head. */
async function confirmedBlock(provider: Provider, confirmations: number): Promise<PinnedBlock> {
  const head = await provider.getBlockNumber();
  const block = await provider.getBlock(Math.max(0, head - confirmations));
  if (!block?.hash) throw new Error(`the chain returned no block ${Math.max(0, head - confirmations)} to pin`);
  return { number: block.number, hash: block.hash };
}

/**
 * The day's block: the first run pins a confirmed block, retries reuse it while it is canonical.
 * When the pinned block was reorged away (its number now has another hash), the pin moves to the
 * current confirmed block, so a retry after a reorg succeeds instead of failing every time.
 */
export async function pinConfirmedBlock(deps: Pick<PublisherDeps, 'provider' | 'records' | 'confirmations' | 'log'>, day: string): Promise<PinnedBlock> {
  const candidate = await confirmedBlock(deps.provider, deps.confirmations);
  const pinned = await deps.records.pinBlock(day, candidate);
  if (pinned.hash === candidate.hash) return pinned;
  const canonical = await deps.provider.getBlock(pinned.number);
  if (canonical?.hash === pinned.hash) return pinned;
  deps.log?.('pinned block reorged away: re-pinning', { day, stale: pinned, canonical: canonical?.hash ?? null, candidate });
  return deps.records.repinBlock(day, pinned, candidate);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Publishes the day's reserve report of every index. Idempotent per (day, index): the run pins
 * one confirmed block per day (retries reuse it; a reorg of it re-pins), a report already in S3
 * is reused when it was read at the pinned block (else rebuilt and replaced), and the registry
 * post goes through the relayer under `reserve:<day>:<symbol>:<block hash>`, sent at most once.
 * A deficit emits the alarm metric and trips the index's mint breaker BEFORE the registry post,
 * whatever becomes of the post. Every index is attempted; the run then fails if any post or
 * breaker trip failed, naming them, so the schedule's retry finishes the rest.
 */
export async function publishReserves(deps: PublisherDeps, day: string): Promise<PublishedIndex[]> {
  const log = deps.log ?? (() => undefined);
  const pinned = await pinConfirmedBlock(deps, day);
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
  if (snapshot.blockHash !== pinned.hash) throw new Error(`block ${pinned.number} is now ${snapshot.blockHash}, was ${pinned.hash} when pinned (reorg during the run: the retry re-pins)`);
  let custodian: CustodianSection | undefined;
  if (custodianView && deps.custodian) {
    const needed = [...new Set(snapshot.indexes.flatMap((i) => i.assets))].filter((a) => custodianView.assets.has(a));
    if (needed.length) custodian = assessCustodian(custodianView, await deps.custodian.statements(day), day, needed);
    if (custodian?.problems.length) log('custodian statement problems', { day, problems: custodian.problems });
  }
  const totals = totalLiabilitiesByAsset(snapshot.indexes);
  const results: PublishedIndex[] = [];
  const failures: string[] = [];
  for (const index of snapshot.indexes) {
    const key = reportKey(day, index.symbol);
    let signed: SignedReport | undefined;
    let created = false;
    const existing = await deps.objects.get(key);
    if (existing) {
      signed = parseSignedReport(existing);
      // A report read at a block that was reorged away is rebuilt at the new pin.
      if (signed.report.block.hash !== pinned.hash) signed = undefined;
    }
    if (!signed) {
      const { report, tree } = buildReport(snapshot, index, { day, signer: signerAddress, totals, custodian });
      const hash = reportHash(report);
      const fresh: SignedReport = { report, reportHash: hash, signature: await deps.signer.signMessage(getBytes(hash)) };
      const treeJson = JSON.stringify(tree ? tree.dump() : null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      // The tree first: a stored report always has its tree.
      if (existing) {
        await deps.objects.replace(treeKey(day, index.symbol), treeJson);
        await deps.objects.replace(key, signedReportJson(fresh));
        log('reserve report replaced: its block was reorged away', { index: index.symbol, day, block: pinned });
        signed = fresh;
        created = true;
      } else {
        await deps.objects.putNew(treeKey(day, index.symbol), treeJson);
        created = await deps.objects.putNew(key, signedReportJson(fresh));
        signed = created ? fresh : parseSignedReport((await deps.objects.get(key))!);
      }
    }
    const { report } = signed;
    let breakerTripped = false;
    deps.deficit(index.symbol, report.deficitAssets.length);
    if (report.deficit) {
      log('reserve deficit', { index: index.symbol, day, assets: report.deficitAssets });
      try {
        await tripBreaker({ relayer: deps.operatorRelayer, records: deps.records, issuer: deps.contracts.issuer, attestedIssuer: report.custodian ? deps.custodian?.attestedIssuer : undefined }, { symbol: index.symbol, index: report.index.address, day, deficitAssets: report.deficitAssets });
        breakerTripped = true;
      } catch (error) {
        failures.push(`mint breaker of ${index.symbol}: ${message(error)}`);
        log('mint breaker trip failed', { index: index.symbol, day, error: message(error) });
      }
    }
    const action = `reserve:${day}:${index.symbol}:${report.block.hash}`;
    let record;
    try {
      record = await sendAndWait(deps.reserveRelayer, { key: action, to: deps.contracts.reserveRegistry, data: publishCalldata(report, signed.reportHash) });
    } catch (error) {
      failures.push(`registry post of ${index.symbol}: ${message(error)}`);
      log('reserve registry post failed', { index: index.symbol, day, error: message(error) });
      continue;
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
    results.push({ symbol: index.symbol, key, reportHash: signed.reportHash, liabilitiesRoot: report.liabilitiesRoot, blockNumber: report.block.number, deficit: report.deficit, created, breakerTripped, txHash: record.txHash });
    log('reserve report published', { index: index.symbol, day, reportHash: signed.reportHash, created });
  }
  if (failures.length) throw new Error(`reserve run of ${day} did not finish: ${failures.join('; ')}`);
  return results;
}
