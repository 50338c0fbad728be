import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { by, eventArgs, snapshotFixture } from '../../helpers/staking';

interface Report {
  index: string;
  day: number;
  reportHash: string;
  liabilitiesRoot: string;
  blockNumber: bigint;
  assets: string[];
  reserves: bigint[];
  liabilities: bigint[];
}

interface Fixture {
  admin: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  registry: Contract;
}

const MAG7 = '0x9E6A46f294bB67c20F1D1E7AfB0bBEf614403B55';
const DEFI = '0x164ffdaE2fe3891714bc2968f1875ca4fA1079D0';
const WBTC = hre.ethers.getAddress('0x00000000000000000000000000000000000000b1');
const WETH = hre.ethers.getAddress('0x00000000000000000000000000000000000000e1');

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, operator, alice] = await hre.ethers.getSigners();
  const registry = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('ReserveRegistry'), [admin.address], {
    kind: 'uups',
  })) as unknown as Contract;
  await (await registry.grantRole(await registry.OPERATOR_ROLE(), operator.address)).wait();
  await hre.network.provider.send('hardhat_mine', ['0x10']);
  return { admin, operator, alice, registry };
});

function report(overrides: Partial<Report> = {}): Report {
  return {
    index: MAG7,
    day: 20250131,
    reportHash: hre.ethers.id('report 2025-01-31'),
    liabilitiesRoot: hre.ethers.id('liabilities 2025-01-31'),
    blockNumber: 5n,
    assets: [WBTC, WETH],
    reserves: [1_000_000n, 2_000_000n],
    liabilities: [990_000n, 1_999_000n],
    ...overrides,
  };
}

/** A stored report as plain values, comparable with a Report. */
function plain(stored: unknown[]): Report {
  const [index, day, reportHash, liabilitiesRoot, blockNumber, assets, reserves, liabilities] = stored as [
    string,
    bigint,
    string,
    string,
    bigint,
    string[],
    bigint[],
    bigint[],
  ];
  return { index, day: Number(day), reportHash, liabilitiesRoot, blockNumber, assets: [...assets], reserves: [...reserves], liabilities: [...liabilities] };
}

describe('ReserveRegistry publication', () => {
  it('stores a report, emits its full data and serves it as latest and by day', async () => {
    const { operator, registry } = await fixture();
    const r = report();

    const published = await eventArgs(by(registry, operator).publish(r), registry, 'ReportPublished');

    expect(published.index).toBe(r.index);
    expect(published.day).toBe(BigInt(r.day));
    expect([published.reportHash, published.liabilitiesRoot, published.blockNumber]).toEqual([r.reportHash, r.liabilitiesRoot, r.blockNumber]);
    expect([...(published.assets as string[])]).toEqual(r.assets);
    expect([...(published.reserves as bigint[])]).toEqual(r.reserves);
    expect([...(published.liabilities as bigint[])]).toEqual(r.liabilities);
    expect(plain(await registry.latest(MAG7))).toEqual(r);
    expect(plain(await registry.reportAt(MAG7, r.day))).toEqual(r);
    expect(await registry.hasReport(MAG7, r.day)).toBe(true);
    expect(await registry.reportCount(MAG7)).toBe(1n);
    expect(await registry.latestDay(MAG7)).toBe(BigInt(r.day));
    expect(await registry.reportedIndexes()).toEqual([MAG7]);
  });

  it('reverts when the same index and day is published again', async () => {
    const { operator, registry } = await fixture();
    await (await by(registry, operator).publish(report())).wait();

    await expectRevert(by(registry, operator).publish(report({ reportHash: hre.ethers.id('other') })), registry, 'ReportAlreadyPublished', [
      MAG7,
      20250131n,
    ]);
  });

  it('keeps a history per index, accepts a back-filled day and keeps the highest day as latest', async () => {
    const { operator, registry } = await fixture();
    const op = by(registry, operator);
    for (const day of [20250130, 20250201, 20250129]) {
      await (await op.publish(report({ day, reportHash: hre.ethers.id(`mag7 ${day}`) }))).wait();
    }
    await (await op.publish(report({ index: DEFI, day: 20250131 }))).wait();

    expect(await registry.reportCount(MAG7)).toBe(3n);
    expect((await registry.reportDays(MAG7, 0, 10)).map(Number)).toEqual([20250130, 20250201, 20250129]);
    expect((await registry.reportDays(MAG7, 1, 1)).map(Number)).toEqual([20250201]);
    expect((await registry.reportDays(MAG7, 2, 5)).map(Number)).toEqual([20250129]);
    expect(await registry.reportDays(MAG7, 3, 5)).toEqual([]);
    expect((await registry.latest(MAG7)).day).toBe(20250201n);
    expect((await registry.reportAt(MAG7, 20250129)).reportHash).toBe(hre.ethers.id('mag7 20250129'));
    expect((await registry.latest(DEFI)).day).toBe(20250131n);
    expect(await registry.reportedIndexes()).toEqual([MAG7, DEFI]);
  });

  it('reverts reads of missing reports', async () => {
    const { operator, registry } = await fixture();
    await (await by(registry, operator).publish(report())).wait();

    await expectRevert(registry.latest(DEFI), registry, 'NoReports', [DEFI]);
    await expectRevert(registry.reportAt(MAG7, 20250101), registry, 'ReportNotFound', [MAG7, 20250101n]);
    expect(await registry.hasReport(MAG7, 20250101)).toBe(false);
    expect(await registry.latestDay(DEFI)).toBe(0n);
  });
});

describe('ReserveRegistry validation', () => {
  it('accepts real calendar days only, leap days included', async () => {
    const { operator, registry } = await fixture();
    const op = by(registry, operator);

    for (const day of [20240229, 20000229, 20251231, 20250430]) {
      await (await op.publish(report({ day }))).wait();
    }
    for (const day of [20230229, 21000229, 20250431, 20251301, 20250001, 20250100, 19991231, 0, 202501311]) {
      await expectRevert(op.publish(report({ day })), registry, 'InvalidDay', [BigInt(day)]);
    }
  });

  it('rejects a zero index or asset, a zero hash, empty or uneven asset lists and a bad block number', async () => {
    const { operator, registry } = await fixture();
    const op = by(registry, operator);

    await expectRevert(op.publish(report({ index: hre.ethers.ZeroAddress })), registry, 'ZeroAddress');
    await expectRevert(op.publish(report({ assets: [WBTC, hre.ethers.ZeroAddress] })), registry, 'ZeroAddress');
    await expectRevert(op.publish(report({ reportHash: hre.ethers.ZeroHash })), registry, 'ZeroReportHash');
    await expectRevert(op.publish(report({ assets: [], reserves: [], liabilities: [] })), registry, 'NoAssets');
    await expectRevert(op.publish(report({ reserves: [1n] })), registry, 'ReportLengthMismatch', [2n, 1n, 2n]);
    await expectRevert(op.publish(report({ liabilities: [1n, 2n, 3n] })), registry, 'ReportLengthMismatch', [2n, 2n, 3n]);
    // Hardhat mines reverted transactions too, so the block a call runs in is read just before it.
    let next = BigInt(await hre.ethers.provider.getBlockNumber()) + 1n;
    await expectRevert(op.publish(report({ blockNumber: 0n })), registry, 'InvalidBlockNumber', [0n, next]);
    next = BigInt(await hre.ethers.provider.getBlockNumber()) + 1n;
    await expectRevert(op.publish(report({ blockNumber: next + 1n })), registry, 'InvalidBlockNumber', [next + 1n, next]);
    next = BigInt(await hre.ethers.provider.getBlockNumber()) + 1n;
    await (await op.publish(report({ blockNumber: next }))).wait();
  });

  it('lets only the operator publish, and not while paused', async () => {
    const { admin, operator, alice, registry } = await fixture();
    const operatorRole = await registry.OPERATOR_ROLE();

    await expectRevert(by(registry, alice).publish(report()), registry, 'AccessControlUnauthorizedAccount', [alice.address, operatorRole]);
    await (await by(registry, admin).pause()).wait();
    await expectRevert(by(registry, operator).publish(report()), registry, 'EnforcedPause');
  });
});
