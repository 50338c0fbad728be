/**
 * Attested rebalance of a mixed basket driven by the custodian service, end to end over real parts: the
 * Hardhat network (CustodyRegistry, AttestedIssuer, Rebalancer, AttestedRebalancer, IndexToken), the local
 * KMS endpoint holding the custodian key, the native-chain ledger simulators over HTTP, the simulator
 * custodian adapter, and the PMM simulator's native wallets delivering with the rebalance id as memo.
 */
import hre from 'hardhat';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { startKmsServer, type RunningKms } from '../../../infra/local/kms-server';
import { startLedgerSimulators, type RunningLedgers, type SimulatedChain } from '../../../infra/local/ledger-simulators';
import { PmmNativeWallets } from '../../../infra/local/pmm-native-wallets';
import { KmsSigner } from '../../../lambdas/signing/kms-signer';
import { CustodianService } from '../../../lambdas/custody/service';
import { SimulatorCustodianAdapter } from '../../../lambdas/custody/simulator-adapter';
import { DeliverySettler, type Settlement, type WatchCursor } from '../../../lambdas/custody/settle';
import { attestedIssuerSink, requestsHoldingRebalance, sendWithSigner } from '../../../lambdas/custody/attested-issuer';
import { attestedRebalancerSink } from '../../../lambdas/custody/attested-rebalancer';
import { custodyDomain, nativeKey } from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';
import { PRICE_ATTESTATION_TYPES, REBALANCE_ORDER_TYPES, rebalancerDomain, sortedLegs, type PriceAttestation, type RebalanceOrder } from '../../../lambdas/domain/rebalance-orders';
import type { NativeChain } from '../../../lambdas/domain/custody/addresses';
import { deployIndexCore } from '../../../scripts/deploy/index-protocol';
import { CustodyMode, deployAttestedIssuer, deployAttestedRebalancer, deployIndexToken } from '../../helpers/custody';
import { expectRevert } from '../../helpers/revert';
import { HOUR, by, deployTestToken, eventArgs, increaseTime, now } from '../../helpers/staking';

const ONE = 10n ** 18n;
const USD = 10n ** 18n;
const NATIVE = [
  { chain: 'bitcoin', asset: 'BTC', decimals: 8, unit: 1_000_000n, price: 100_000n * USD },
  { chain: 'solana', asset: 'SOL', decimals: 9, unit: 5_000_000_000n, price: 200n * USD },
  { chain: 'dogecoin', asset: 'DOGE', decimals: 8, unit: 1_000_000_000_000n, price: USD / 5n },
] as const;
const BTC = custodianPlaceholder('bitcoin', 'BTC');
const SOL = custodianPlaceholder('solana', 'SOL');
const DOGE = custodianPlaceholder('dogecoin', 'DOGE');
const SUPPLY = 2n * ONE;
const CASH = 250_000n * 10n ** 6n;

let kmsServer: RunningKms;
let kms: KMSClient;
let ledgers: RunningLedgers;
let admin: HardhatEthersSigner;
let wlp: HardhatEthersSigner;
let maker: HardhatEthersSigner;
let submitter: HardhatEthersSigner;
let attested: Contract;
let arb: Contract;
let index: Contract;
let weth: Contract;
let vault: Contract;
let wethAddress: string;
let custodyWallets: Record<SimulatedChain, string>;
let pmm: PmmNativeWallets;
let settler: DeliverySettler;
let nonce = 1n;
const cursors = new Map<NativeChain, bigint>();
const cursor: WatchCursor = { get: async (chain) => cursors.get(chain) ?? 0n, put: async (chain, height) => void cursors.set(chain, height) };
const chainTime = async (): Promise<bigint> => BigInt((await hre.ethers.provider.getBlock('latest'))!.timestamp);
const finalizeAll = (): void => {
  for (const ledger of Object.values(ledgers.ledgers)) ledger.mine(ledger.finality);
};
const balanceOn = (chain: SimulatedChain, address: string, asset: string): bigint => ledgers.ledgers[chain].balance(address, asset);
const of = (settlements: Settlement[], id: string) => settlements.filter((s) => s.requestId === id);

/** The operator opens `order` (signed by the maker, prices by the price attester) and the maker accepts it, naming its native addresses. */
async function openAndAccept(order: RebalanceOrder): Promise<string> {
  const domain = rebalancerDomain((await hre.ethers.provider.getNetwork()).chainId, await arb.getAddress());
  const priced = sortedLegs([...NATIVE.map((a) => ({ asset: custodianPlaceholder(a.chain, a.asset), amount: a.price })), { asset: wethAddress, amount: 4_000n * USD }]);
  const prices: PriceAttestation = { index: order.index, assets: priced.assets, prices: priced.amounts, validUntil: (await now()) + HOUR, nonce: nonce++ };
  const { rebalanceId } = await eventArgs(
    arb.open(order, await maker.signTypedData(domain, REBALANCE_ORDER_TYPES, order), prices, await admin.signTypedData(domain, PRICE_ATTESTATION_TYPES, prices)),
    arb,
    'RebalanceOpened',
  );
  const byPlaceholder = new Map(NATIVE.map((a) => [custodianPlaceholder(a.chain, a.asset), a.chain]));
  const destinations = order.sellAssets.map((asset) => (byPlaceholder.has(asset) ? nativeKey(pmm.addresses[byPlaceholder.get(asset)!]) : hre.ethers.ZeroHash));
  await (await by(arb, maker).accept(rebalanceId, order, destinations)).wait();
  return rebalanceId as string;
}

async function orderOf(sells: Array<{ asset: string; amount: bigint }>, buys: Array<{ asset: string; amount: bigint }>): Promise<RebalanceOrder> {
  const s = sortedLegs(sells);
  const b = sortedLegs(buys);
  return {
    index: await index.getAddress(),
    sellAssets: s.assets,
    sellAmounts: s.amounts,
    buyAssets: b.assets,
    buyAmounts: b.amounts,
    maker: maker.address,
    deadline: (await now()) + HOUR,
    nonce: nonce++,
  };
}

beforeAll(async () => {
  [admin, wlp, maker, submitter] = (await hre.ethers.getSigners()) as HardhatEthersSigner[];
  kmsServer = await startKmsServer({ port: 0 });
  kms = new KMSClient({ endpoint: kmsServer.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  ledgers = await startLedgerSimulators();
  const adapter = new SimulatorCustodianAdapter(ledgers.url);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'custodian' }));
  const custodianKey = new KmsSigner(kms, created.KeyMetadata!.KeyId!);

  const core = await deployIndexCore(hre, admin);
  const deployed = await deployAttestedIssuer(hre, admin, HOUR);
  attested = deployed.attested;
  vault = core.custodyVault;
  await (await vault.grantRole(await vault.RELEASER_ROLE(), await attested.getAddress())).wait();
  await (await attested.setCustodyVault(await vault.getAddress())).wait();
  custodyWallets = {} as Record<SimulatedChain, string>;
  for (const a of NATIVE) {
    await (await deployed.registry.registerAsset(a.chain, a.asset, a.decimals, CustodyMode.Custodian, custodianPlaceholder(a.chain, a.asset))).wait();
    custodyWallets[a.chain] = ledgers.ledgers[a.chain].newAddress();
    await (await deployed.registry.setWallet(a.chain, custodyWallets[a.chain], true)).wait();
  }
  await (await deployed.registry.setSigner(await custodianKey.getAddress(), true)).wait();
  weth = await deployTestToken('Wrapped Ether', 'WETH', 18);
  wethAddress = await weth.getAddress();
  await (await deployed.registry.registerAsset('ethereum', 'ETH', 18, CustodyMode.Onchain, wethAddress)).wait();
  index = await deployIndexToken(hre, admin, {
    name: 'Mixed',
    symbol: 'MIX.ssi',
    constituents: [...NATIVE.map((a) => ({ asset: custodianPlaceholder(a.chain, a.asset), unitAmount: a.unit })), { asset: wethAddress, unitAmount: ONE }],
  });
  await (await index.grantRole(await index.ISSUER_ROLE(), await attested.getAddress())).wait();
  await (await attested.setIndex(await index.getAddress(), true)).wait();
  const cash = await deployTestToken('USD Coin', 'USDC', 6);
  await (await attested.setCashToken(await cash.getAddress(), true)).wait();
  await (await cash.mint(wlp.address, CASH)).wait();
  await (await by(cash, wlp).approve(await attested.getAddress(), CASH)).wait();
  await (await weth.mint(maker.address, 100n * ONE)).wait();
  await (await by(weth, maker).approve(await attested.getAddress(), hre.ethers.MaxUint256)).wait();

  arb = await deployAttestedRebalancer(hre, admin, core.rebalancer, attested);
  await (await index.grantRole(await index.REBALANCER_ROLE(), await arb.getAddress())).wait();
  await (await core.rebalancer.grantRole(await core.rebalancer.MAKER_ROLE(), maker.address)).wait();
  for (const asset of [BTC, SOL]) await (await core.rebalancer.setBuyAssetAllowed(asset, true)).wait();
  await (await by(weth, maker).approve(await arb.getAddress(), hre.ethers.MaxUint256)).wait();

  const provider = hre.ethers.provider;
  const send = sendWithSigner(submitter);
  settler = new DeliverySettler(
    adapter,
    new CustodianService(adapter, custodianKey, Number(chainId)),
    custodyDomain(chainId, await attested.getAddress()),
    // A mixed basket's mint completes only on the PMM's own submission (its WETH leg comes from its allowance),
    // so the fixture's mint legs go through the maker's account; the rebalance legs through any submitter.
    attestedIssuerSink(await attested.getAddress(), provider, sendWithSigner(maker), chainTime),
    Object.fromEntries(NATIVE.map((a) => [a.chain, [custodyWallets[a.chain]]])),
    undefined,
    attestedRebalancerSink(await arb.getAddress(), provider, send, chainTime),
  );
  pmm = await PmmNativeWallets.open(ledgers.url, NATIVE.map((a) => ({ chain: a.chain, asset: a.asset, amount: a.unit * 100n })));

  // Two index tokens minted through the service: custody holds 0.02 BTC, 10 SOL, 20,000 DOGE (attested) and 2 WETH (vault).
  const { requestId } = await eventArgs(
    by(attested, wlp).requestMint(await index.getAddress(), SUPPLY, await cash.getAddress(), CASH, maker.address),
    attested,
    'MintRequested',
  );
  await pmm.deliver(requestId as string, NATIVE.map((a) => ({ chain: a.chain, asset: a.asset, to: custodyWallets[a.chain], amount: 2n * a.unit })));
  finalizeAll();
  const minted = of(await settler.watch(cursor), requestId as string);
  expect(minted.map((s) => s.outcome)).toEqual(['attested', 'attested', 'attested']);
  expect(await index.balanceOf(wlp.address)).toBe(SUPPLY);
});

afterAll(async () => {
  kms?.destroy();
  await kmsServer?.close();
  await ledgers?.close();
});

describe('attested rebalance driven by the custodian service (ledger simulators, KMS custodian key, Hardhat)', () => {
  it('attests the PMM buys on Bitcoin and Solana, then releases and attests the DOGE sell, completing the rebalance', async () => {
    // Sell 15,000 DOGE ($3,000, custodian) and 0.5 WETH ($2,000, on-chain) for 0.01 BTC ($1,000) and 20 SOL ($4,000).
    const order = await orderOf(
      [
        { asset: DOGE, amount: 1_500_000_000_000n },
        { asset: wethAddress, amount: ONE / 2n },
      ],
      [
        { asset: BTC, amount: 1_000_000n },
        { asset: SOL, amount: 20_000_000_000n },
      ],
    );
    const id = await openAndAccept(order);
    const sell = [{ chain: 'dogecoin' as const, asset: 'DOGE', to: pmm.addresses.dogecoin }];
    const makerDogeBefore = balanceOn('dogecoin', pmm.addresses.dogecoin, 'DOGE');
    const makerWethBefore = (await weth.balanceOf(maker.address)) as bigint;

    // The index gives nothing before it has received.
    expect(await settler.releaseRebalance(id, sell)).toEqual([
      expect.objectContaining({ outcome: 'refused', reason: '2 custodian buy(s) not attested yet: the index gives only after it has received' }),
    ]);

    await pmm.deliver(id, [
      { chain: 'bitcoin', asset: 'BTC', to: custodyWallets.bitcoin, amount: 1_000_000n },
      { chain: 'solana', asset: 'SOL', to: custodyWallets.solana, amount: 20_000_000_000n },
    ]);
    expect(of(await settler.watch(cursor), id).map((s) => s.outcome)).toEqual(['waiting', 'waiting']);
    finalizeAll();
    const bought = of(await settler.watch(cursor), id);
    expect(bought.map((s) => [s.chain, s.outcome, s.outcome === 'attested' && s.completed])).toEqual([
      ['bitcoin', 'attested', false],
      ['solana', 'attested', false],
    ]);
    expect(await arb.isLegAttested(id, BTC)).toBe(true);
    expect(await arb.isLegAttested(id, SOL)).toBe(true);

    const released = await settler.releaseRebalance(id, sell);
    expect(released).toEqual([expect.objectContaining({ outcome: 'waiting', chain: 'dogecoin', reason: 'released; attested once final' })]);
    // Asked again before finality, the service points at the same release instead of sending a second one.
    expect(await settler.releaseRebalance(id, sell)).toEqual([expect.objectContaining({ outcome: 'waiting', txId: released[0]!.txId, reason: 'already released; attested once final' })]);
    expect(balanceOn('dogecoin', pmm.addresses.dogecoin, 'DOGE')).toBe(makerDogeBefore + 1_500_000_000_000n);
    expect((await arb.getRebalance(id)).status).toBe(1n);

    finalizeAll();
    const sold = of(await settler.watch(cursor), id);
    expect(sold).toEqual([expect.objectContaining({ outcome: 'attested', chain: 'dogecoin', txId: released[0]!.txId, amount: 1_500_000_000_000n, completed: true })]);
    expect((await arb.getRebalance(id)).status).toBe(2n);

    // Basket, attested custody and the native wallets agree on the new composition.
    const indexAddress = await index.getAddress();
    const [assets, amounts] = (await index.basket()) as [string[], bigint[]];
    const basket = new Map(assets.map((a, i) => [a, amounts[i]!]));
    const expected: Array<[SimulatedChain, string, string, bigint]> = [
      ['bitcoin', 'BTC', BTC, 3_000_000n],
      ['solana', 'SOL', SOL, 30_000_000_000n],
      ['dogecoin', 'DOGE', DOGE, 500_000_000_000n],
    ];
    for (const [chain, asset, placeholder, amount] of expected) {
      expect(basket.get(placeholder)).toBe(amount);
      expect(await attested.attestedCustody(indexAddress, placeholder)).toBe(amount);
      expect(balanceOn(chain, custodyWallets[chain], asset)).toBe(amount);
    }
    expect(basket.get(wethAddress)).toBe((3n * ONE) / 2n);
    expect(await weth.balanceOf(await vault.getAddress())).toBe((3n * ONE) / 2n);
    expect(await weth.balanceOf(maker.address)).toBe(makerWethBefore + ONE / 2n);

    // Nothing is attested or released twice.
    expect(of(await settler.watch({ get: async () => 0n, put: async () => undefined }), id).filter((s) => s.outcome === 'attested')).toEqual([]);
    expect(await settler.releaseRebalance(id, sell)).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'the rebalance is completed' })]);
  });

  it('does not attest a short delivery as the buy, releases nothing while the buy is owed, and releases the sell only to the maker', async () => {
    // Sell 0.01 BTC ($1,000) for 5 SOL ($1,000); the PMM delivers one lamport short.
    const order = await orderOf([{ asset: BTC, amount: 1_000_000n }], [{ asset: SOL, amount: 5_000_000_000n }]);
    const id = await openAndAccept(order);
    await pmm.deliver(id, [{ chain: 'solana', asset: 'SOL', to: custodyWallets.solana, amount: 4_999_999_999n }]);
    finalizeAll();
    expect(of(await settler.watch(cursor), id)).toEqual([
      expect.objectContaining({ outcome: 'refused', chain: 'solana', reason: `ShortDelivery(${SOL}, 4999999999, 5000000000)` }),
    ]);
    expect(await arb.isLegAttested(id, SOL)).toBe(false);
    const custodyBtc = balanceOn('bitcoin', custodyWallets.bitcoin, 'BTC');
    expect(await settler.releaseRebalance(id, [{ chain: 'bitcoin', asset: 'BTC', to: pmm.addresses.bitcoin }])).toEqual([
      expect.objectContaining({ outcome: 'refused', reason: '1 custodian buy(s) not attested yet: the index gives only after it has received' }),
    ]);
    expect(balanceOn('bitcoin', custodyWallets.bitcoin, 'BTC')).toBe(custodyBtc);
    expect(await attested.attestedCustody(await index.getAddress(), SOL)).toBe(30_000_000_000n);
    const r = await arb.getRebalance(id);
    expect([r.status, r.buysAttested]).toEqual([1n, 0n]);

    // The full delivery is attested; the sell then goes only to the address the maker named, and only what is sold.
    await pmm.deliver(id, [{ chain: 'solana', asset: 'SOL', to: custodyWallets.solana, amount: 5_000_000_000n }]);
    finalizeAll();
    expect(of(await settler.watch(cursor), id)).toEqual([expect.objectContaining({ outcome: 'attested', chain: 'solana', completed: false })]);
    const stranger = ledgers.ledgers.bitcoin.newAddress();
    expect(
      await settler.releaseRebalance(id, [
        { chain: 'bitcoin', asset: 'BTC', to: stranger },
        { chain: 'dogecoin', asset: 'DOGE', to: pmm.addresses.dogecoin },
      ]),
    ).toEqual([
      expect.objectContaining({ outcome: 'refused', reason: `${stranger} is not the destination the maker named on acceptance` }),
      expect.objectContaining({ outcome: 'refused', reason: 'DOGE on dogecoin is not sold by the rebalance' }),
    ]);
    expect(balanceOn('bitcoin', custodyWallets.bitcoin, 'BTC')).toBe(custodyBtc);
    expect(await settler.releaseRebalance(id, [{ chain: 'bitcoin', asset: 'BTC', to: pmm.addresses.bitcoin }])).toEqual([expect.objectContaining({ outcome: 'waiting' })]);
    finalizeAll();
    expect(of(await settler.watch(cursor), id)).toEqual([expect.objectContaining({ outcome: 'attested', chain: 'bitcoin', completed: true })]);
    expect(balanceOn('bitcoin', custodyWallets.bitcoin, 'BTC')).toBe(custodyBtc - 1_000_000n);
    expect(await attested.attestedCustody(await index.getAddress(), BTC)).toBe(custodyBtc - 1_000_000n);
    // The short delivery stays in the wallet outside attested custody: the custodian owes it back to the maker.
    expect(balanceOn('solana', custodyWallets.solana, 'SOL')).toBe(35_000_000_000n + 4_999_999_999n);
    expect(await attested.attestedCustody(await index.getAddress(), SOL)).toBe(35_000_000_000n);
  });
  it('releases the sells while a redeem of the index awaits acceptance, which the AttestedIssuer takes only once the rebalance completed', async () => {
    // Sell 0.005 BTC ($500) for 2.5 SOL ($500).
    const order = await orderOf([{ asset: BTC, amount: 500_000n }], [{ asset: SOL, amount: 2_500_000_000n }]);
    const id = await openAndAccept(order);
    const indexAddress = await index.getAddress();
    const cash = await deployTestToken('Cash', 'CSH', 6);
    await (await attested.setCashToken(await cash.getAddress(), true)).wait();
    await (await cash.mint(maker.address, 1n)).wait();
    await (await by(cash, maker).approve(await attested.getAddress(), 1n)).wait();
    await (await by(index, wlp).approve(await attested.getAddress(), ONE / 10n)).wait();
    const { requestId } = await eventArgs(by(attested, wlp).requestRedeem(indexAddress, ONE / 10n, await cash.getAddress(), 1n, maker.address), attested, 'RedeemRequested');
    const chainOf = new Map(NATIVE.map((a) => [custodianPlaceholder(a.chain, a.asset), a.chain]));
    const accept = async () => {
      const [assets] = (await index.baseTokenset()) as [string[]];
      return by(attested, maker).acceptRedeem(requestId, assets.map((a) => (chainOf.has(a) ? nativeKey(pmm.addresses[chainOf.get(a)!]) : hre.ethers.ZeroHash)));
    };
    await expectRevert(accept(), attested, 'IndexRebalancing', [indexAddress]);

    // The redeem cannot shrink the basket now, so nothing holds the sell back: the rebalance completes.
    await pmm.deliver(id, [{ chain: 'solana', asset: 'SOL', to: custodyWallets.solana, amount: 2_500_000_000n }]);
    finalizeAll();
    expect(of(await settler.watch(cursor), id)).toEqual([expect.objectContaining({ outcome: 'attested', chain: 'solana', completed: false })]);
    expect(await settler.releaseRebalance(id, [{ chain: 'bitcoin', asset: 'BTC', to: pmm.addresses.bitcoin }])).toEqual([expect.objectContaining({ outcome: 'waiting' })]);
    finalizeAll();
    expect(of(await settler.watch(cursor), id)).toEqual([expect.objectContaining({ outcome: 'attested', chain: 'bitcoin', completed: true })]);

    await (await accept()).wait();
    expect((await attested.getRedeemRequest(requestId)).accepted).toBe(true);
    expect(await attested.redeemDue(requestId, BTC)).toBe(75_000n);
  });

  it("names to the saga the index's pending attested mints and redeems awaiting acceptance, not accepted or expired ones", async () => {
    const indexAddress = await index.getAddress();
    const holding = async () => requestsHoldingRebalance(hre.ethers.provider, await attested.getAddress(), indexAddress, await chainTime());
    const before = await holding();
    const cash = await deployTestToken('Cash', 'CSH', 6);
    await (await attested.setCashToken(await cash.getAddress(), true)).wait();
    await (await cash.mint(wlp.address, 1n)).wait();
    await (await by(cash, wlp).approve(await attested.getAddress(), 1n)).wait();
    await (await cash.mint(maker.address, 1n)).wait();
    await (await by(cash, maker).approve(await attested.getAddress(), 1n)).wait();
    await (await by(index, wlp).approve(await attested.getAddress(), ONE / 5n)).wait();
    const request = async (call: Promise<unknown>, event: string) => (await eventArgs(call as never, attested, event)).requestId as string;
    const mint = await request(by(attested, wlp).requestMint(indexAddress, ONE, await cash.getAddress(), 1n, maker.address), 'MintRequested');
    const awaiting = await request(by(attested, wlp).requestRedeem(indexAddress, ONE / 10n, await cash.getAddress(), 1n, maker.address), 'RedeemRequested');
    const accepted = await request(by(attested, wlp).requestRedeem(indexAddress, ONE / 10n, await cash.getAddress(), 1n, maker.address), 'RedeemRequested');
    const chainOf = new Map(NATIVE.map((a) => [custodianPlaceholder(a.chain, a.asset), a.chain]));
    const [assets] = (await index.baseTokenset()) as [string[]];
    await (await by(attested, maker).acceptRedeem(accepted, assets.map((a) => (chainOf.has(a) ? nativeKey(pmm.addresses[chainOf.get(a)!]) : hre.ethers.ZeroHash)))).wait();

    expect(await holding()).toEqual({ mints: [...before.mints, mint], redeems: [...before.redeems, awaiting] });
    // Past their deadlines neither can move the basket any more: the mint only refunds, the redeem cannot be accepted.
    await increaseTime(HOUR + 1n);
    expect(await holding()).toEqual({ mints: [], redeems: [] });
  });
});
