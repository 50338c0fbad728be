import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { basketOf } from '../domain/fees';
import type { CustodianSection } from './custodian';
import { ZeroHash, getAddress, getBytes, keccak256, toUtf8Bytes, verifyMessage } from 'ethers';

/**
 * The proof-of-reserve report: pure functions that build it from what was read on chain at one
 * pinned block, serialise it canonically, hash it and check it. Shared by the publisher, the read
 * API and the auditor CLI, so all three agree on every byte.
 *
 * Reconciliation with one shared custody vault: every index's assets sit in the same CustodyVault,
 * so a per-index balance does not exist on chain. Each report carries, per asset of the index,
 * the index's own liabilities, the vault's balance and the SUM of every index's liabilities in that
 * asset (the honest comparison: `surplus = custodyBalance - totalLiabilities`, `ratioBps`), plus the
 * index's pro-rata allocation `floor(custodyBalance * liabilities / totalLiabilities)`. An asset is
 * in deficit when the vault holds less than all indexes owe in it, which is exactly when every
 * allocation falls short of its liability.
 */

/** Format version of the report body. */
export const REPORT_VERSION = 1;

/** Leaves of the per-holder liabilities tree: OpenZeppelin StandardMerkleTree over (holder, balance). */
export const HOLDER_LEAF_ENCODING: readonly ['address', 'uint256'] = ['address', 'uint256'];

export const INDEX_UNIT = 10n ** 18n;
const BPS = 10_000n;

export type HolderLeaf = [holder: string, balance: bigint];
export type HolderTree = StandardMerkleTree<HolderLeaf>;

/** One index as read at the pinned block. */
export interface IndexSnapshot {
  readonly symbol: string;
  readonly address: string;
  readonly assets: readonly string[];
  /** Per 1e18 index units, at the same positions as `assets`. */
  readonly unitAmounts: readonly bigint[];
  readonly totalSupply: bigint;
  /** `basket()` of the token: ceil(totalSupply * base * feeFactor / 1e45). */
  readonly basket: readonly bigint[];
  /** The tokenset before the management fee and the fee factor (1e27 = none taken), when the token has a fee. */
  readonly baseTokenset?: { readonly unitAmounts: readonly bigint[]; readonly feeFactor: bigint };
  /** Accrued fee basket when the token exposes one (management fee); zeros otherwise. */
  readonly feeBasket: readonly bigint[];
  /** Non-zero balances at the pinned block. */
  readonly holders: ReadonlyArray<{ readonly holder: string; readonly balance: bigint }>;
}

/** Everything one publisher run read, all at `blockNumber`. */
export interface ChainSnapshot {
  readonly chainId: number;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly blockTimestamp: number;
  readonly custody: string;
  readonly registry: string;
  readonly indexes: readonly IndexSnapshot[];
  /** Vault balance per asset (checksummed address). */
  readonly custodyBalances: ReadonlyMap<string, bigint>;
}

export interface AssetLine {
  readonly asset: string;
  readonly unitAmount: bigint;
  readonly basket: bigint;
  readonly feeBasket: bigint;
  /** basket + feeBasket: what this index owes in the asset. */
  readonly liabilities: bigint;
  /** ceil(unitAmount * totalSupply / 1e18), the cross-check of `basket` from supply x tokenset. */
  readonly supplyTimesUnit: bigint;
  /** Vault balance of the asset (shared by every index). */
  readonly custodyBalance: bigint;
  /** Sum of every index's liabilities in the asset. */
  readonly totalLiabilities: bigint;
  /** custodyBalance - totalLiabilities (negative: deficit). */
  readonly surplus: bigint;
  /** custodyBalance * 10000 / totalLiabilities (floor); null when nothing is owed. */
  readonly ratioBps: bigint | null;
  /** This index's pro-rata share of the vault balance. */
  readonly allocatedReserves: bigint;
}

/** The signed body. Amounts are bigints here and decimal strings in the canonical JSON. */
export interface ReserveReport {
  readonly version: number;
  readonly chainId: number;
  /** UTC day, yyyy-mm-dd. */
  readonly day: string;
  readonly index: { readonly symbol: string; readonly address: string };
  readonly block: { readonly number: number; readonly hash: string; readonly timestamp: number };
  readonly custody: readonly string[];
  readonly registry: string;
  readonly signer: string;
  readonly totalSupply: bigint;
  readonly holders: { readonly count: number; readonly totalBalance: bigint; readonly leafEncoding: readonly string[] };
  readonly liabilitiesRoot: string;
  readonly assets: readonly AssetLine[];
  /** basket == supplyTimesUnit for every asset and the holders' balances sum to the supply. */
  readonly supplyCrossCheck: boolean;
  readonly deficit: boolean;
  readonly deficitAssets: readonly string[];
  /**
   * Present when the index holds custodian assets: the custodian's signed balance statements and
   * what they prove. For those assets `custodyBalance` is the statements' holding, not the vault's.
   */
  readonly custodian?: CustodianSection;
}

/** What is stored (S3) and served (API): the body, its hash and the signature over the hash. */
export interface SignedReport {
  readonly report: ReserveReport;
  /** keccak256 of canonicalJson(report). */
  readonly reportHash: string;
  /** EIP-191 personal_sign of the 32 hash bytes by `report.signer`. */
  readonly signature: string;
}

/**
 * Canonical JSON: object keys sorted (UTF-16 code unit order), no whitespace, bigints as decimal
 * strings, arrays kept in order. Undefined values, functions and non-finite numbers are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`canonical JSON cannot hold ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>);
      for (const [key, v] of entries) if (v === undefined) throw new Error(`canonical JSON cannot hold undefined (key ${key})`);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new Error(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** keccak256 of the report's canonical bytes. */
export function reportHash(report: ReserveReport): string {
  return keccak256(toUtf8Bytes(canonicalJson(report)));
}

/** The address that signed `hash` (EIP-191 over the 32 hash bytes). */
export function reportSigner(hash: string, signature: string): string {
  return verifyMessage(getBytes(hash), signature);
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a === 0n ? 0n : (a - 1n) / b + 1n);

/** The per-holder liabilities tree (OZ StandardMerkleTree, leaves sorted); undefined when nobody holds the index. */
export function buildHolderTree(holders: IndexSnapshot['holders']): HolderTree | undefined {
  if (holders.length === 0) return undefined;
  const seen = new Set<string>();
  const values: HolderLeaf[] = holders.map(({ holder, balance }) => {
    const address = getAddress(holder);
    if (seen.has(address)) throw new Error(`duplicate holder ${address}`);
    seen.add(address);
    if (balance <= 0n) throw new Error(`holder ${address} has a non-positive balance ${balance}`);
    return [address, balance];
  });
  return StandardMerkleTree.of(values, [...HOLDER_LEAF_ENCODING]);
}

/** Root of the holder tree, zero hash for an index nobody holds. */
export const holderRoot = (tree: HolderTree | undefined): string => tree?.root ?? ZeroHash;

/** A holder's liability per asset: floor(balance * unitAmount / 1e18) (redeem rounding). */
export function holderLiabilities(balance: bigint, unitAmounts: readonly bigint[]): bigint[] {
  return unitAmounts.map((unit) => (balance * unit) / INDEX_UNIT);
}

/** Sum of every index's liabilities per asset. */
export function totalLiabilitiesByAsset(indexes: readonly IndexSnapshot[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const index of indexes) {
    index.assets.forEach((asset, i) => {
      const key = getAddress(asset);
      totals.set(key, (totals.get(key) ?? 0n) + index.basket[i]! + index.feeBasket[i]!);
    });
  }
  return totals;
}

/**
 * Builds one index's report body (unsigned) and its holder tree from the run's snapshot.
 * Deterministic: the same snapshot always gives the same bytes.
 */
export function buildReport(
  snapshot: ChainSnapshot,
  index: IndexSnapshot,
  options: { day: string; signer: string; totals?: ReadonlyMap<string, bigint>; custodian?: CustodianSection },
): { report: ReserveReport; tree: HolderTree | undefined } {
  const custodianHeld = new Map((options.custodian?.holdings ?? []).map((h) => [h.asset, h.held]));
  const holdsCustodian = index.assets.some((a) => custodianHeld.has(getAddress(a)));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.day)) throw new Error(`day must be yyyy-mm-dd, got ${options.day}`);
  const totals = options.totals ?? totalLiabilitiesByAsset(snapshot.indexes);
  const assets: AssetLine[] = index.assets.map((raw, i) => {
    const asset = getAddress(raw);
    const unitAmount = index.unitAmounts[i]!;
    const basket = index.basket[i]!;
    const feeBasket = index.feeBasket[i]!;
    const liabilities = basket + feeBasket;
    const custodyBalance = custodianHeld.get(asset) ?? snapshot.custodyBalances.get(asset) ?? 0n;
    const totalLiabilities = totals.get(asset) ?? liabilities;
    return {
      asset,
      unitAmount,
      basket,
      feeBasket,
      liabilities,
      supplyTimesUnit: index.baseTokenset
        ? basketOf(index.totalSupply, [index.baseTokenset.unitAmounts[i]!], index.baseTokenset.feeFactor)[0]!
        : ceilDiv(unitAmount * index.totalSupply, INDEX_UNIT),
      custodyBalance,
      totalLiabilities,
      surplus: custodyBalance - totalLiabilities,
      ratioBps: totalLiabilities === 0n ? null : (custodyBalance * BPS) / totalLiabilities,
      allocatedReserves: totalLiabilities === 0n ? custodyBalance : (custodyBalance * liabilities) / totalLiabilities,
    };
  });
  const tree = buildHolderTree(index.holders);
  const totalBalance = index.holders.reduce((sum, h) => sum + h.balance, 0n);
  const deficitAssets = assets.filter((a) => a.surplus < 0n).map((a) => a.asset);
  const report: ReserveReport = {
    version: REPORT_VERSION,
    chainId: snapshot.chainId,
    day: options.day,
    index: { symbol: index.symbol, address: getAddress(index.address) },
    block: { number: snapshot.blockNumber, hash: snapshot.blockHash, timestamp: snapshot.blockTimestamp },
    custody: [getAddress(snapshot.custody)],
    registry: getAddress(snapshot.registry),
    signer: getAddress(options.signer),
    totalSupply: index.totalSupply,
    holders: { count: index.holders.length, totalBalance, leafEncoding: [...HOLDER_LEAF_ENCODING] },
    liabilitiesRoot: holderRoot(tree),
    assets,
    supplyCrossCheck: totalBalance === index.totalSupply && assets.every((a) => a.basket === a.supplyTimesUnit),
    deficit: deficitAssets.length > 0,
    deficitAssets,
    ...(holdsCustodian ? { custodian: options.custodian } : {}),
  };
  return { report, tree };
}

/** yyyy-mm-dd -> the registry's yyyymmdd. */
export const dayNumber = (day: string): number => Number(day.replace(/-/g, ''));

/** The UTC day of an instant, yyyy-mm-dd. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** Parses a report body back from its JSON form (decimal strings -> bigints). */
export function parseReport(json: unknown): ReserveReport {
  const r = json as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const big = (v: unknown): bigint => BigInt(v as string);
  return {
    ...(r as unknown as ReserveReport),
    totalSupply: big(r.totalSupply),
    holders: { ...r.holders, totalBalance: big(r.holders.totalBalance) },
    assets: (r.assets as Array<Record<string, unknown>>).map((a) => ({
      asset: a.asset as string,
      unitAmount: big(a.unitAmount),
      basket: big(a.basket),
      feeBasket: big(a.feeBasket),
      liabilities: big(a.liabilities),
      supplyTimesUnit: big(a.supplyTimesUnit),
      custodyBalance: big(a.custodyBalance),
      totalLiabilities: big(a.totalLiabilities),
      surplus: big(a.surplus),
      ratioBps: a.ratioBps === null ? null : big(a.ratioBps),
      allocatedReserves: big(a.allocatedReserves),
    })),
    ...(r.custodian === undefined
      ? {}
      : { custodian: { ...r.custodian, holdings: (r.custodian.holdings as Array<Record<string, unknown>>).map((h) => ({ ...h, held: big(h.held) })) } }),
  };
}

/** The stored/served JSON of a signed report (bigints as decimal strings). */
export function signedReportJson(signed: SignedReport): string {
  return canonicalJson(signed);
}

export function parseSignedReport(text: string): SignedReport {
  const raw = JSON.parse(text) as { report: unknown; reportHash: string; signature: string };
  return { report: parseReport(raw.report), reportHash: raw.reportHash, signature: raw.signature };
}
