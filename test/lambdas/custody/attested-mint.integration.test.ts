/**
 * Attested mint of an index of native-chain assets, end to end over real parts: the Hardhat
 * network (CustodyRegistry, AttestedIssuer, IndexToken), the local KMS endpoint holding the
 * custodian key, the native-chain ledger simulators over HTTP, the simulator custodian adapter,
 * and the PMM simulator's native wallets delivering with the request id as memo.
 */
import hre from 'hardhat';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { startKmsServer, type RunningKms } from '../../../infra/local/kms-server';
import { startLedgerSimulators, type RunningLedgers, type SimulatedChain, type XrpLedgerSimulator } from '../../../infra/local/ledger-simulators';
import { PmmNativeWallets, type NativeAsset } from '../../../infra/local/pmm-native-wallets';
import { KmsSigner } from '../../../lambdas/signing/kms-signer';
import { CustodianService } from '../../../lambdas/custody/service';
import { SimulatorCustodianAdapter } from '../../../lambdas/custody/simulator-adapter';
import { DeliverySettler, type Settlement, type WatchCursor } from '../../../lambdas/custody/settle';
import { attestedIssuerSink, sendWithSigner } from '../../../lambdas/custody/attested-issuer';
import { assessCustodian, custodianChecks, readCustodianRegistry } from '../../../lambdas/reserves/custodian';
import { custodyDomain } from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';
import { verifyStatement } from '../../../lambdas/domain/custody/statement';
import type { NativeChain } from '../../../lambdas/domain/custody/addresses';
import { by, deployTestToken, eventArgs, increaseTime, HOUR } from '../../helpers/staking';
import { expectRevert } from '../../helpers/revert';

const CUSTODIAN = 1;
const ONE = 10n ** 18n;
/** The five MAG7.ssi constituents that live on non-EVM chains, with their per-token units (as deployed locally). */
const NATIVE: ReadonlyArray<NativeAsset & { decimals: number; unit: bigint }> = [
  { chain: 'bitcoin', asset: 'BTC', decimals: 8, unit: 321_959n },
  { chain: 'solana', asset: 'SOL', decimals: 9, unit: 579_473_684n },
  { chain: 'xrpl', asset: 'XRP', decimals: 6, unit: 50_888_889n },
  { chain: 'dogecoin', asset: 'DOGE', decimals: 8, unit: 31_939_393_939n },
  { chain: 'cardano', asset: 'ADA', decimals: 6, unit: 111_304_348n },
];
const CASH = 10_000n * 10n ** 6n;

let kmsServer: RunningKms;
let kms: KMSClient;
let ledgers: RunningLedgers;
let admin: HardhatEthersSigner;
let wlp: HardhatEthersSigner;
let pmmAccount: HardhatEthersSigner;
let submitter: HardhatEthersSigner;
let registry: Contract;
let attested: Contract;
let index: Contract;
let cash: Contract;
let custodyWallets: Record<SimulatedChain, string>;
let pmm: PmmNativeWallets;
let adapter: SimulatorCustodianAdapter;
let custodian: CustodianService;
let settler: DeliverySettler;
let custodianAddress: string;
const cursors = new Map<NativeChain, bigint>();
const cursor: WatchCursor = { get: async (chain) => cursors.get(chain) ?? 0n, put: async (chain, height) => void cursors.set(chain, height) };

async function newKmsSigner(): Promise<KmsSigner> {
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'custodian' }));
  return new KmsSigner(kms, created.KeyMetadata!.KeyId!);
}

const chainTime = async (): Promise<bigint> => BigInt((await hre.ethers.provider.getBlock('latest'))!.timestamp);

async function settlerFor(service: CustodianService): Promise<DeliverySettler> {
  const address = await attested.getAddress();
  const sink = attestedIssuerSink(address, hre.ethers.provider, sendWithSigner(submitter), chainTime);
  const { wallets } = await readCustodianRegistry(hre.ethers.provider, await registry.getAddress(), await hre.ethers.provider.getBlockNumber());
  const domain = custodyDomain((await hre.ethers.provider.getNetwork()).chainId, address);
  return new DeliverySettler(adapter, service, domain, sink, wallets as Partial<Record<NativeChain, string[]>>);
}

async function requestMint(indexAmount: bigint): Promise<string> {
  const args = await eventArgs(by(attested, wlp).requestMint(await index.getAddress(), indexAmount, await cash.getAddress(), CASH, pmmAccount.address), attested, 'MintRequested');
  return args.requestId as string;
}

/** Blocks pass on every simulated chain until the deliveries are final. */
function finalizeAll(): void {
  for (const ledger of Object.values(ledgers.ledgers)) ledger.mine(ledger.finality);
}

beforeAll(async () => {
  [admin, wlp, pmmAccount, submitter] = (await hre.ethers.getSigners()) as HardhatEthersSigner[];
  kmsServer = await startKmsServer({ port: 0 });
  kms = new KMSClient({ endpoint: kmsServer.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  ledgers = await startLedgerSimulators();
  adapter = new SimulatorCustodianAdapter(ledgers.url);
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  const custodianKey = await newKmsSigner();
  custodian = new CustodianService(adapter, custodianKey, chainId);

  registry = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('CustodyRegistry'), [admin.address], { kind: 'uups' })) as unknown as Contract;
  await (await registry.grantRole(await registry.OPERATOR_ROLE(), admin.address)).wait();
  custodyWallets = {} as Record<SimulatedChain, string>;
  for (const a of NATIVE) {
    await (await registry.registerAsset(a.chain, a.asset, a.decimals, CUSTODIAN, custodianPlaceholder(a.chain, a.asset))).wait();
    const ledger = ledgers.ledgers[a.chain];
    // The XRP custodian wallet is a shared account told apart by its destination tag.
    custodyWallets[a.chain] = a.chain === 'xrpl' ? (ledger as XrpLedgerSimulator).taggedAddress(ledger.newAddress(), 1001) : ledger.newAddress();
    await (await registry.setWallet(a.chain, custodyWallets[a.chain], true)).wait();
  }
  custodianAddress = await custodianKey.getAddress();
  await (await registry.setSigner(custodianAddress, true)).wait();

  attested = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('AttestedIssuer'), [admin.address, await registry.getAddress(), HOUR], { kind: 'uups' })) as unknown as Contract;
  await (await attested.grantRole(await attested.OPERATOR_ROLE(), admin.address)).wait();
  const placeholders = NATIVE.map((a) => ({ asset: custodianPlaceholder(a.chain, a.asset), unit: a.unit })).sort((x, y) => (BigInt(x.asset) < BigInt(y.asset) ? -1 : 1));
  const implementation = await (await hre.ethers.getContractFactory('IndexToken')).deploy();
  const proxy = await (await hre.ethers.getContractFactory('ERC1967Proxy')).deploy(
    await implementation.getAddress(),
    implementation.interface.encodeFunctionData('initialize', [
      'Native Five',
      'NAT5.ssi',
      { admin: admin.address, issuer: admin.address, manager: admin.address, rebalancer: hre.ethers.ZeroAddress },
      placeholders.map((p) => p.asset),
      placeholders.map((p) => p.unit),
      0,
      0,
    ]),
  );
  index = (await hre.ethers.getContractAt('IndexToken', await proxy.getAddress())) as unknown as Contract;
  await (await index.grantRole(await index.ISSUER_ROLE(), await attested.getAddress())).wait();
  cash = await deployTestToken('USD Coin', 'USDC', 6);
  await (await cash.mint(wlp.address, 100n * CASH)).wait();
  await (await by(cash, wlp).approve(await attested.getAddress(), hre.ethers.MaxUint256)).wait();
  await (await attested.setIndex(await index.getAddress(), true)).wait();
  await (await attested.setCashToken(await cash.getAddress(), true)).wait();

  pmm = await PmmNativeWallets.open(ledgers.url, NATIVE.map((a) => ({ chain: a.chain, asset: a.asset, amount: a.unit * 100n })));
  settler = await settlerFor(custodian);
});

afterAll(async () => {
  kms?.destroy();
  await kmsServer?.close();
  await ledgers?.close();
});

const outcomes = (settlements: Settlement[], requestId: string) => settlements.filter((s) => s.requestId === requestId).map((s) => s.outcome);

describe('attested mint with native-chain legs (ledger simulators, KMS custodian key, Hardhat)', () => {
  let firstDelivery: Array<{ chain: SimulatedChain; txId: string }>;

  it('mints once the custodian has attested every final delivery the PMM made on five chains', async () => {
    const indexAmount = 2n * ONE;
    const requestId = await requestMint(indexAmount);
    const legs = await PmmNativeWallets.mintLegs(index, indexAmount, NATIVE, custodyWallets);
    firstDelivery = await pmm.deliver(requestId, legs);
    expect(firstDelivery.map((d) => d.chain).sort()).toEqual(['bitcoin', 'cardano', 'dogecoin', 'solana', 'xrpl']);

    // Not final yet: nothing is attested, and the cursors wait below the deliveries.
    const early = await settler.watch(cursor);
    expect(outcomes(early, requestId)).toEqual(['waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
    expect(await index.balanceOf(wlp.address)).toBe(0n);

    finalizeAll();
    const settled = await settler.watch(cursor);
    expect(outcomes(settled, requestId)).toEqual(['attested', 'attested', 'attested', 'attested', 'attested']);
    expect(settled.filter((s) => s.outcome === 'attested' && s.completed)).toHaveLength(1);
    expect(await index.balanceOf(wlp.address)).toBe(indexAmount);
    expect(await cash.balanceOf(pmmAccount.address)).toBe(CASH);
    for (const leg of legs) expect(await attested.attestedCustody(await index.getAddress(), custodianPlaceholder(leg.chain, leg.asset))).toBe(leg.amount);

    // A second pass sees the same transfers and attests nothing twice.
    const again = await settler.watch(cursor);
    expect(again.filter((s) => s.outcome === 'attested')).toEqual([]);

    // The custodian's daily statements show what arrived, signed by its registered key.
    for (const leg of legs) {
      const statement = await custodian.statement(leg.chain, '2026-12-05', [custodyWallets[leg.chain]]);
      expect(verifyStatement(statement, custodianAddress)).toEqual([]);
      expect(statement.statement.balances).toEqual([{ wallet: custodyWallets[leg.chain], asset: leg.asset, amount: leg.amount.toString() }]);
    }
  });

  it('proof of reserve: the statements cover basket x supply until the custodian lets one satoshi go', async () => {
    const day = '2026-12-05';
    const view = await readCustodianRegistry(hre.ethers.provider, await registry.getAddress(), await hre.ethers.provider.getBlockNumber());
    expect(view.signers).toEqual(new Set([custodianAddress]));
    const [assets, owed] = (await index.basket()) as [string[], bigint[]];
    const lines = assets.map((asset, i) => ({ asset, totalLiabilities: owed[i]! }));
    const judge = async () => {
      const statements = await Promise.all(NATIVE.map((a) => custodian.statement(a.chain, day, view.wallets[a.chain]!)));
      const section = assessCustodian(view, statements, day, assets);
      return custodianChecks({ index: { symbol: 'NAT5.ssi' }, assets: lines, custodian: section }, view, section);
    };
    expect((await judge()).map((c) => [c.name, c.ok])).toEqual([
      ['custodian-statements', true],
      ['custodian-wallets', true],
      ['custodian-coverage', true],
    ]);
    await adapter.release({ chain: 'bitcoin', asset: 'BTC', wallet: custodyWallets.bitcoin, to: pmm.addresses.bitcoin, amount: 1n, reference: 'leak' });
    const coverage = (await judge()).find((c) => c.name === 'custodian-coverage')!;
    expect(coverage.ok).toBe(false);
    expect(coverage.reason).toMatch(/^DEFICIT: BTC on bitcoin: statements show \d+, owed \d+$/);
  });

  it('refuses a replayed transaction id: the service will not attest it again, and the contract refuses the attestation', async () => {
    const requestId = await requestMint(ONE);
    const old = firstDelivery.find((d) => d.chain === 'bitcoin')!;
    const claimed = await settler.claim(requestId, 'bitcoin', old.txId);
    expect(claimed).toEqual(expect.objectContaining({ outcome: 'refused', reason: 'transaction id already used by an accepted leg' }));
    // A custodian signature over the replayed delivery (a buggy or compromised service) does not pass the contract either.
    const transfer = (await adapter.transaction('bitcoin', old.txId, [custodyWallets.bitcoin]))!;
    const { leg, signature } = await custodian.attest(custodyDomain((await hre.ethers.provider.getNetwork()).chainId, await attested.getAddress()), requestId, transfer);
    await expectRevert(by(attested, submitter).attestMint(requestId, [leg], [signature]), attested, 'TxIdAlreadyUsed', [leg.chain, leg.txId]);
    expect((await attested.getMintRequest(requestId)).legsAttested).toBe(0n);
  });

  it('refuses attestations signed by a key the registry does not hold', async () => {
    const requestId = await requestMint(ONE);
    const impostor = await settlerFor(new CustodianService(adapter, await newKmsSigner(), Number((await hre.ethers.provider.getNetwork()).chainId)));
    await pmm.deliver(requestId, await PmmNativeWallets.mintLegs(index, ONE, NATIVE, custodyWallets));
    finalizeAll();
    const settled = (await impostor.watch({ get: async () => 0n, put: async () => undefined })).filter((s) => s.requestId === requestId);
    expect(settled).toHaveLength(5);
    for (const s of settled) expect(s).toEqual(expect.objectContaining({ outcome: 'refused', reason: expect.stringMatching(/^NotCustodianSigner\(0x/) }));
    expect((await attested.getMintRequest(requestId)).legsAttested).toBe(0n);
  });

  it('refuses a delivery short of the basket amount and keeps the request open for the rest', async () => {
    const requestId = await requestMint(ONE);
    const legs = await PmmNativeWallets.mintLegs(index, ONE, NATIVE, custodyWallets);
    const btc = legs.find((l) => l.chain === 'bitcoin')!;
    await pmm.deliver(requestId, [{ ...btc, amount: btc.amount - 1n }, ...legs.filter((l) => l !== btc)]);
    finalizeAll();
    const settled = (await settler.watch(cursor)).filter((s) => s.requestId === requestId);
    const short = settled.find((s) => s.chain === 'bitcoin')!;
    expect(short).toEqual(
      expect.objectContaining({ outcome: 'refused', reason: `ShortDelivery(${custodianPlaceholder('bitcoin', 'BTC')}, ${btc.amount - 1n}, ${btc.amount})` }),
    );
    expect(settled.filter((s) => s.outcome === 'attested')).toHaveLength(4);
    const request = await attested.getMintRequest(requestId);
    expect(request.legsAttested).toBe(4n);
    expect(request.status).toBe(1n);
  });

  it('refunds the WLP when the PMM never delivers, and attests no late delivery', async () => {
    const requestId = await requestMint(ONE);
    const before = await cash.balanceOf(wlp.address);
    await increaseTime(HOUR + 1n);
    await (await by(attested, submitter).refundMint(requestId)).wait();
    expect(await cash.balanceOf(wlp.address)).toBe(before + CASH);
    // A delivery after the deadline: the custodian sees it, the service signs nothing for it.
    await pmm.deliver(requestId, (await PmmNativeWallets.mintLegs(index, ONE, NATIVE, custodyWallets)).slice(0, 1));
    finalizeAll();
    const late = (await settler.watch(cursor)).filter((s) => s.requestId === requestId);
    expect(late).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'no pending mint request with this id' })]);
    expect((await attested.getMintRequest(requestId)).status).toBe(3n);
  });
});
