import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Wallet, ZeroHash, getAddress, getBytes, keccak256, toUtf8Bytes } from 'ethers';
import {
  HOLDER_LEAF_ENCODING,
  buildReport,
  canonicalJson,
  dayNumber,
  parseSignedReport,
  reportHash,
  reportSigner,
  signedReportJson,
  type ChainSnapshot,
  type IndexSnapshot,
} from '../../../lambdas/reserves/report';

const ONE = 10n ** 18n;
const A = getAddress('0x00000000000000000000000000000000000000a1');
const B = getAddress('0x00000000000000000000000000000000000000b2');
const H1 = getAddress('0x1000000000000000000000000000000000000001');
const H2 = getAddress('0x2000000000000000000000000000000000000002');

function index(symbol: string, address: string, supply: bigint, holders: IndexSnapshot['holders'], feeBasket = [0n, 0n]): IndexSnapshot {
  const unitAmounts = [3_000n, 7n * ONE];
  return {
    symbol,
    address,
    assets: [A, B],
    unitAmounts,
    totalSupply: supply,
    basket: unitAmounts.map((u) => (u * supply + ONE - 1n) / ONE),
    feeBasket,
    holders,
  };
}

function snapshot(indexes: IndexSnapshot[], balances: [bigint, bigint]): ChainSnapshot {
  return {
    chainId: 31337,
    blockNumber: 42,
    blockHash: `0x${'ab'.repeat(32)}`,
    blockTimestamp: 1_700_000_000,
    custody: getAddress('0x00000000000000000000000000000000000000c0'),
    registry: getAddress('0x00000000000000000000000000000000000000d0'),
    indexes,
    custodyBalances: new Map([
      [A, balances[0]],
      [B, balances[1]],
    ]),
  };
}

const signer = Wallet.createRandom();
const X = index('X.ssi', '0x00000000000000000000000000000000000000e1', 3n * ONE, [
  { holder: H1, balance: ONE },
  { holder: H2, balance: 2n * ONE },
]);
const Y = index('Y.ssi', '0x00000000000000000000000000000000000000e2', ONE, [{ holder: H1, balance: ONE }]);

describe('reserve report', () => {
  test('canonical JSON sorts keys at every depth, drops whitespace and writes bigints as decimal strings', () => {
    expect(canonicalJson({ b: 1, a: { d: [3n, 'x'], c: null } })).toBe('{"a":{"c":null,"d":["3","x"]},"b":1}');
    expect(() => canonicalJson({ a: undefined })).toThrow(/undefined/);
  });

  test('the report hash is keccak256 of the canonical bytes and changes with any field', () => {
    const { report } = buildReport(snapshot([X, Y], [4n * 3_000n, 28n * ONE]), X, { day: '2025-01-31', signer: signer.address });
    expect(reportHash(report)).toBe(keccak256(toUtf8Bytes(canonicalJson(report))));
    expect(reportHash({ ...report, totalSupply: report.totalSupply + 1n })).not.toBe(reportHash(report));
  });

  test('a fully reserved vault gives per-index liabilities, the sum over indexes, surplus, ratio and a pro-rata allocation', () => {
    const { report } = buildReport(snapshot([X, Y], [4n * 3_000n + 10n, 28n * ONE]), X, { day: '2025-01-31', signer: signer.address });
    const [a, b] = report.assets;
    expect(a).toMatchObject({ liabilities: 9_000n, totalLiabilities: 12_000n, custodyBalance: 12_010n, surplus: 10n, ratioBps: 10_008n, allocatedReserves: (12_010n * 9_000n) / 12_000n });
    expect(b).toMatchObject({ liabilities: 21n * ONE, totalLiabilities: 28n * ONE, surplus: 0n, ratioBps: 10_000n });
    expect(report.deficit).toBe(false);
    expect(report.supplyCrossCheck).toBe(true);
  });

  test('custody below the sum of all indexes\' liabilities in one asset is a deficit of that asset', () => {
    const { report } = buildReport(snapshot([X, Y], [4n * 3_000n - 1n, 28n * ONE]), Y, { day: '2025-01-31', signer: signer.address });
    expect(report.deficit).toBe(true);
    expect(report.deficitAssets).toEqual([A]);
    expect(report.assets[0]!.allocatedReserves).toBeLessThan(report.assets[0]!.liabilities);
  });

  test('a fee basket adds to the liabilities', () => {
    const withFee = index('X.ssi', X.address, 3n * ONE, X.holders, [5n, 0n]);
    const { report } = buildReport(snapshot([withFee], [9_005n, 21n * ONE]), withFee, { day: '2025-01-31', signer: signer.address });
    expect(report.assets[0]).toMatchObject({ basket: 9_000n, feeBasket: 5n, liabilities: 9_005n, surplus: 0n });
  });

  test('the liabilities root is an OpenZeppelin tree over (holder, balance) and proves each holder', () => {
    const { report, tree } = buildReport(snapshot([X], [9_000n, 21n * ONE]), X, { day: '2025-01-31', signer: signer.address });
    expect(report.liabilitiesRoot).toBe(StandardMerkleTree.of([[H1, ONE], [H2, 2n * ONE]], [...HOLDER_LEAF_ENCODING]).root);
    for (const [i, [holder, balance]] of tree!.entries()) {
      expect(StandardMerkleTree.verify(report.liabilitiesRoot, [...HOLDER_LEAF_ENCODING], [holder, balance], tree!.getProof(i))).toBe(true);
      expect(StandardMerkleTree.verify(report.liabilitiesRoot, [...HOLDER_LEAF_ENCODING], [holder, balance + 1n], tree!.getProof(i))).toBe(false);
    }
    const empty = buildReport(snapshot([index('Z.ssi', X.address, 0n, [])], [0n, 0n]), index('Z.ssi', X.address, 0n, []), { day: '2025-01-31', signer: signer.address });
    expect(empty.report.liabilitiesRoot).toBe(ZeroHash);
  });

  test('holder balances that do not add up to the supply fail the cross-check', () => {
    const short = index('X.ssi', X.address, 3n * ONE, [{ holder: H1, balance: ONE }]);
    expect(buildReport(snapshot([short], [9_000n, 21n * ONE]), short, { day: '2025-01-31', signer: signer.address }).report.supplyCrossCheck).toBe(false);
  });

  test('a signed report survives its JSON form byte for byte and its EIP-191 signature recovers the signer', async () => {
    const { report } = buildReport(snapshot([X, Y], [12_000n, 28n * ONE]), X, { day: '2025-01-31', signer: signer.address });
    const hash = reportHash(report);
    const signed = { report, reportHash: hash, signature: await signer.signMessage(getBytes(hash)) };
    const back = parseSignedReport(signedReportJson(signed));
    expect(reportHash(back.report)).toBe(hash);
    expect(reportSigner(back.reportHash, back.signature)).toBe(signer.address);
    expect(dayNumber('2025-01-31')).toBe(20250131);
  });
});
