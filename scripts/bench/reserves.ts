import { performance } from 'node:perf_hooks';
import { Wallet, getAddress, getBytes, hexlify, randomBytes } from 'ethers';
import { buildHolderTree, buildReport, reportHash, signedReportJson, totalLiabilitiesByAsset, type ChainSnapshot, type IndexSnapshot } from '../../lambdas/reserves/report';
import { emit, recordTable, type Measurement } from './measure';

/**
 * Proof-of-reserve publisher benchmark, in process on synthetic chain data (chain reads, S3, KMS
 * and the registry transaction are not timed): building, hashing and signing the reports of
 * 4 indexes x 10 assets, and the per-holder liabilities tree (OpenZeppelin StandardMerkleTree)
 * for 100k holders.
 */
const ONE = 10n ** 18n;
const address = (): string => getAddress(hexlify(randomBytes(20)));
const holders = (n: number): IndexSnapshot['holders'] => Array.from({ length: n }, (_, i) => ({ holder: address(), balance: ONE + BigInt(i) }));

function index(symbol: string, assets: string[], n: number): IndexSnapshot {
  const hs = holders(n);
  const supply = hs.reduce((s, h) => s + h.balance, 0n);
  const unitAmounts = assets.map((_, i) => 1_000_000n * BigInt(i + 1));
  return { symbol, address: address(), assets, unitAmounts, totalSupply: supply, basket: unitAmounts.map((u) => (u * supply + ONE - 1n) / ONE), feeBasket: assets.map(() => 0n), holders: hs };
}

async function main(): Promise<void> {
  const rows: Measurement[] = [];
  const signer = Wallet.createRandom();
  const assets = Array.from({ length: 10 }, address).sort();
  const holdersPerIndex = 1_000;
  const indexes = ['A.ssi', 'B.ssi', 'C.ssi', 'D.ssi'].map((s) => index(s, assets, holdersPerIndex));
  const totals = totalLiabilitiesByAsset(indexes);
  const snapshot: ChainSnapshot = {
    chainId: 1,
    blockNumber: 1,
    blockHash: hexlify(randomBytes(32)),
    blockTimestamp: 0,
    custody: address(),
    registry: address(),
    indexes,
    custodyBalances: new Map([...totals].map(([a, t]) => [a, t + 1n])),
  };
  let start = performance.now();
  let bytes = 0;
  for (const i of indexes) {
    const { report } = buildReport(snapshot, i, { day: '2025-01-31', signer: signer.address, totals });
    const hash = reportHash(report);
    bytes += signedReportJson({ report, reportHash: hash, signature: await signer.signMessage(getBytes(hash)) }).length;
  }
  const total = performance.now() - start;
  rows.push(emit({ bench: 'reserves', case: `4 indexes x 10 assets, ${holdersPerIndex} holders each`, metric: 'build+hash+sign all reports', value: Math.round(total), unit: 'ms' }));
  rows.push(emit({ bench: 'reserves', case: '4 indexes x 10 assets', metric: 'report size (signed JSON, one index)', value: Math.round(bytes / 4), unit: 'bytes' }));

  const big = holders(100_000);
  start = performance.now();
  const tree = buildHolderTree(big)!;
  rows.push(emit({ bench: 'reserves', case: '100k holders', metric: 'liabilities tree build (OZ StandardMerkleTree)', value: Math.round(performance.now() - start), unit: 'ms' }));
  start = performance.now();
  for (let i = 0; i < 1_000; i++) tree.getProof(i * 100);
  rows.push(emit({ bench: 'reserves', case: '100k holders', metric: 'proof (mean of 1,000)', value: Number(((performance.now() - start) / 1_000).toFixed(3)), unit: 'ms' }));
  start = performance.now();
  const dump = JSON.stringify(tree.dump(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  rows.push(emit({ bench: 'reserves', case: '100k holders', metric: 'tree dump (S3 object) serialise', value: Math.round(performance.now() - start), unit: 'ms' }));
  rows.push(emit({ bench: 'reserves', case: '100k holders', metric: 'tree dump size', value: Math.round(dump.length / 1024), unit: 'KiB' }));
  recordTable('reserves', 'npm run bench:reserves', rows, [
    'In process, synthetic data: chain reads (Transfer logs, balances at the pinned block), S3 puts, KMS signing and the registry transaction are not timed; the signer is a local wallet.',
    'The tree uses @openzeppelin/merkle-tree; a faster builder (lambdas/domain/merkle) can replace it once it is on main.',
  ]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
