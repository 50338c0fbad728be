import hre from 'hardhat';
import { Wallet, type Signer } from 'ethers';
import { deployIndexFixture, send, type IndexFixture } from '../../helpers/index-protocol';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';
import { publishReserves, type RelayerPort } from '../../../lambdas/reserves/publisher';
import { parseSignedReport } from '../../../lambdas/reserves/report';
import { ReserveRecords, reportKey } from '../../../lambdas/reserves/store';
import type { ActionRecord, RelayRequest } from '../../../lambdas/relayer';
import { powertoolsDeficitSink } from '../../../lambdas/reserves/metrics';
import { ALARM_METRICS } from '../../../topology';

/**
 * The reserve publisher on the in-process Hardhat chain, with its day pins in DynamoDB Local.
 * The relayers send from a funded signer (or fail on purpose), S3 is a map: what is under test is
 * which block is pinned, and what happens around the registry post.
 */

/** A relayer that sends each action once from `signer`, or one whose posts all fail. */
function signerRelayer(signer: Signer): RelayerPort & { keys: string[] } {
  const records = new Map<string, ActionRecord>();
  const keys: string[] = [];
  return {
    keys,
    async submit(request: RelayRequest) {
      keys.push(request.key);
      if (!records.has(request.key)) {
        const receipt = await (await signer.sendTransaction({ to: request.to, data: request.data })).wait();
        records.set(request.key, { actionKey: request.key, status: 'mined', txHash: receipt!.hash } as unknown as ActionRecord);
      }
      return records.get(request.key)!;
    },
    wait: async (key: string) => records.get(key)!,
  };
}

function failingRelayer(reason: string): RelayerPort & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    submit: async (request: RelayRequest) => {
      keys.push(request.key);
      throw new Error(reason);
    },
    wait: async () => {
      throw new Error(reason);
    },
  };
}

class MemoryObjects {
  readonly map = new Map<string, string>();
  get = async (key: string) => this.map.get(key);
  putNew = async (key: string, body: string) => {
    if (this.map.has(key)) return false;
    this.map.set(key, body);
    return true;
  };
  replace = async (key: string, body: string) => void this.map.set(key, body);
}

describe('reserve publisher: pinned block and deficit handling', () => {
  let fx: IndexFixture;
  let dynamo: TestDynamo;
  let records: ReserveRecords;
  let registry: string;
  let symbolIndex: Record<string, string>;

  beforeAll(async () => {
    dynamo = await startTestDynamo(`pub${process.pid}`);
    records = new ReserveRecords(dynamo.doc, dynamo.tables.ops);
    fx = await deployIndexFixture(hre);
    registry = Wallet.createRandom().address;
    symbolIndex = { 'TEST.ssi': await fx.index.getAddress() };
  }, 120_000);
  afterAll(async () => {
    await dynamo?.stop();
  });

  const deps = async (over: { reserveRelayer: RelayerPort; operatorRelayer: RelayerPort; objects: MemoryObjects; deficit?: (s: string, n: number) => void; feeBasket?: bigint[] }) => ({
    provider: hre.ethers.provider,
    chainId: Number((await hre.ethers.provider.getNetwork()).chainId),
    contracts: { custodyVault: await fx.custodyVault.getAddress(), reserveRegistry: registry, issuer: await fx.issuer.getAddress() },
    indexes: symbolIndex,
    signer: Wallet.createRandom(),
    objects: over.objects,
    records,
    reserveRelayer: over.reserveRelayer,
    operatorRelayer: over.operatorRelayer,
    deficit: over.deficit ?? (() => undefined),
    reader: over.feeBasket ? { feeBasket: async () => over.feeBasket } : undefined,
    confirmations: 2,
  });

  test('proof of reserve under a reorg: a retry after the pinned block is reorged away re-pins a confirmed block and publishes', async () => {
    const day = '2099-03-01';
    const objects = new MemoryObjects();
    const snapshot = await send(hre, 'evm_snapshot');
    await send(hre, 'hardhat_mine', ['0x3']);
    const head = await hre.ethers.provider.getBlockNumber();

    // The first run pins a confirmed block (head - 2), stores its report, and its post fails.
    await expect(publishReserves(await deps({ reserveRelayer: failingRelayer('rpc down'), operatorRelayer: failingRelayer('unused'), objects }), day)).rejects.toThrow(/registry post of TEST.ssi: rpc down/);
    const first = parseSignedReport(objects.map.get(reportKey(day, 'TEST.ssi'))!).report.block;
    expect(first.number).toBe(head - 2);

    // A reorg: the pinned block and everything after it are replaced by other blocks.
    await send(hre, 'evm_revert', [snapshot]);
    await (await fx.admin.sendTransaction({ to: Wallet.createRandom().address, value: 1n })).wait();
    await send(hre, 'hardhat_mine', ['0x5']);
    const replaced = await hre.ethers.provider.getBlock(first.number);
    expect(replaced!.hash).not.toBe(first.hash);

    // The retry re-pins, rebuilds the report at the canonical block and posts it.
    const relayer = signerRelayer(fx.admin);
    const headBefore = await hre.ethers.provider.getBlockNumber();
    const published = await publishReserves(await deps({ reserveRelayer: relayer, operatorRelayer: failingRelayer('unused'), objects }), day);

    expect(published.map((p) => p.blockNumber)).toEqual([headBefore - 2]);
    const stored = parseSignedReport(objects.map.get(reportKey(day, 'TEST.ssi'))!).report.block;
    expect(stored.number).toBe(headBefore - 2);
    expect(stored.hash).toBe((await hre.ethers.provider.getBlock(headBefore - 2))!.hash);
    expect(relayer.keys).toEqual([`reserve:${day}:TEST.ssi:${stored.hash}`]);
    expect(await records.pinBlock(day, { number: 0, hash: '0x00' })).toEqual({ number: stored.number, hash: stored.hash });

    // A retry on the same canonical chain reuses the pin and the stored report.
    await send(hre, 'hardhat_mine', ['0x2']);
    const again = await publishReserves(await deps({ reserveRelayer: relayer, operatorRelayer: failingRelayer('unused'), objects }), day);
    expect(again[0]).toMatchObject({ blockNumber: stored.number, created: false, reportHash: published[0]!.reportHash });
  });

  test('a failing registry post still emits the deficit metric and trips the mint breaker', async () => {
    const day = '2099-03-02';
    const index = symbolIndex['TEST.ssi']!;
    const metric: Array<[string, number]> = [];
    const operator = signerRelayer(fx.admin);
    // The vault holds none of the index's assets while its fee basket owes some of the first: a deficit.
    const feeBasket = fx.tokenset.assets.map((_, i) => (i === 0 ? 1_000n : 0n));
    await send(hre, 'hardhat_mine', ['0x3']);

    await expect(
      publishReserves(await deps({ reserveRelayer: failingRelayer('registry unreachable'), operatorRelayer: operator, objects: new MemoryObjects(), deficit: (s, n) => void metric.push([s, n]), feeBasket }), day),
    ).rejects.toThrow(/registry post of TEST.ssi: registry unreachable/);

    expect(metric).toEqual([['TEST.ssi', 1]]);
    expect(operator.keys).toEqual([`breaker:trip:TEST.ssi:${day}`]);
    expect(await fx.issuer.isMintPaused(index)).toBe(true);
    expect(await records.breaker('TEST.ssi')).toMatchObject({ state: 'tripped', day, index });
  });

  test('the deficit alarm counts assets while its threshold and docs say USD: the metric is the number of assets in deficit (unit Count), 0 when fully reserved', async () => {
    const emitted: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => void emitted.push(String(chunk))) as never);
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void emitted.push(args.map(String).join(' ')));
    try {
      const metric: Array<[string, number]> = [];
      const feeBasket = fx.tokenset.assets.map(() => 1_000n);
      await send(hre, 'hardhat_mine', ['0x3']);
      await publishReserves(
        await deps({ reserveRelayer: signerRelayer(fx.admin), operatorRelayer: signerRelayer(fx.admin), objects: new MemoryObjects(), deficit: (s, n) => void metric.push([s, n]), feeBasket }),
        '2099-03-03',
      );
      // Every asset of the index is owed and the vault holds none: as many assets in deficit as the index has.
      expect(metric).toEqual([['TEST.ssi', fx.tokenset.assets.length]]);
      powertoolsDeficitSink('TEST.ssi', metric[0]![1]);
      powertoolsDeficitSink('OTHER.ssi', 0);
    } finally {
      stdout.mockRestore();
      log.mockRestore();
    }
    const emf = emitted.flatMap((t) => t.split('\n')).filter((t) => t.includes(ALARM_METRICS.reserveDeficit.name)).map((t) => JSON.parse(t));
    expect(emf.map((e) => [e.Index, e[ALARM_METRICS.reserveDeficit.name]])).toEqual([
      ['TEST.ssi', fx.tokenset.assets.length],
      ['OTHER.ssi', 0],
    ]);
    expect(emf[0]._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: ALARM_METRICS.reserveDeficit.name, Unit: 'Count' }]);
  });
});
