import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { getAddress, isAddress } from 'ethers';
import { BadRequest, NotFound } from '../shared/errors';
import { HOLDER_LEAF_ENCODING, holderLiabilities, parseSignedReport, type HolderLeaf } from './report';
import type { ReportObjects, ReserveRecords } from './store';

export interface ReservesReadDeps {
  readonly objects: ReportObjects;
  readonly records: ReserveRecords;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The signed reports of a day (or the latest day), optionally of one index, as stored. */
export async function reportsOf(deps: ReservesReadDeps, day: string | undefined, symbol?: string): Promise<{ day: string; reports: unknown[] }> {
  if (day !== undefined && !DAY.test(day)) throw new BadRequest(`date must be yyyy-mm-dd, got ${day}`, 'invalid_date');
  const entries = (await deps.records.reports(day)).filter((e) => symbol === undefined || e.symbol === symbol);
  if (entries.length === 0) throw new NotFound(day ? `no reserve report for ${day}${symbol ? ` and ${symbol}` : ''}` : 'no reserve report published yet', 'report_not_found');
  const reports = await Promise.all(
    entries
      .sort((a, b) => (a.symbol < b.symbol ? -1 : 1))
      .map(async (e) => {
        const text = await deps.objects.get(e.key);
        if (!text) throw new NotFound(`report object ${e.key} is missing`, 'report_not_found');
        return JSON.parse(text) as unknown;
      }),
  );
  return { day: entries[0]!.day, reports };
}

export interface HolderProof {
  readonly symbol: string;
  readonly index: string;
  readonly reportHash: string;
  readonly root: string;
  readonly leafEncoding: readonly string[];
  readonly leaf: [string, string];
  readonly proof: string[];
  /** Per asset, floor(balance * unitAmount / 1e18). */
  readonly liabilities: Array<{ asset: string; amount: string }>;
}

/** Inclusion proofs of `holder` in every index tree of `day` that holds it (or one index). */
export async function holderProofs(deps: ReservesReadDeps, day: string, holder: string, symbol?: string): Promise<{ day: string; holder: string; proofs: HolderProof[] }> {
  if (!DAY.test(day)) throw new BadRequest(`date must be yyyy-mm-dd, got ${day}`, 'invalid_date');
  if (!isAddress(holder)) throw new BadRequest(`holder must be an address, got ${holder}`, 'invalid_holder');
  const account = getAddress(holder);
  const entries = (await deps.records.reports(day)).filter((e) => symbol === undefined || e.symbol === symbol);
  if (entries.length === 0) throw new NotFound(`no reserve report for ${day}`, 'report_not_found');
  const proofs: HolderProof[] = [];
  for (const entry of entries.sort((a, b) => (a.symbol < b.symbol ? -1 : 1))) {
    const dump = await deps.objects.get(entry.treeKey);
    const parsed = dump ? (JSON.parse(dump) as Parameters<typeof StandardMerkleTree.load<HolderLeaf>>[0] | null) : null;
    if (!parsed) continue;
    const tree = StandardMerkleTree.load<HolderLeaf>(parsed);
    for (const [i, value] of tree.entries()) {
      if (getAddress(value[0]) !== account) continue;
      const report = parseSignedReport((await deps.objects.get(entry.key))!).report;
      const balance = BigInt(value[1]);
      proofs.push({
        symbol: entry.symbol,
        index: entry.index,
        reportHash: entry.reportHash,
        root: tree.root,
        leafEncoding: [...HOLDER_LEAF_ENCODING],
        leaf: [account, balance.toString()],
        proof: tree.getProof(i),
        liabilities: holderLiabilities(balance, report.assets.map((a) => a.unitAmount)).map((amount, k) => ({ asset: report.assets[k]!.asset, amount: amount.toString() })),
      });
      break;
    }
  }
  if (proofs.length === 0) throw new NotFound(`${account} holds no index in the reports of ${day}`, 'holder_not_found');
  return { day, holder: account, proofs };
}
