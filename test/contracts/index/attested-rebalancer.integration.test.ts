import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { HOUR, by, deployTestToken, eventArgs, increaseTime, now, snapshotFixture } from '../../helpers/staking';
import { LegDirection, assetKey, chainKey, nativeKey, type CustodyLeg } from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';
import {
  PRICE_ATTESTATION_TYPES,
  REBALANCE_ORDER_TYPES,
  rebalancerDomain,
  sortedLegs,
  type PriceAttestation,
  type RebalanceOrder,
} from '../../../lambdas/domain/rebalance-orders';
import { deployIndexCore } from '../../../scripts/deploy/index-protocol';
import { CustodyMode, deployAttestedIssuer, deployAttestedRebalancer, deployIndexToken, pmmDestinations, signLeg } from '../../helpers/custody';

const ONE = 10n ** 18n;
const USD = 10n ** 18n;
const BTC = custodianPlaceholder('bitcoin', 'BTC');
const SOL = custodianPlaceholder('solana', 'SOL');
const DOGE = custodianPlaceholder('dogecoin', 'DOGE');
const WALLETS: Record<string, { chain: string; id: string; wallet: string; pmm: string }> = {
  [BTC]: { chain: 'bitcoin', id: 'BTC', wallet: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh', pmm: 'bc1q9h7garjdlmqyzzu7c6ynfh6xxm8yxnk8c5m3yz' },
  [SOL]: { chain: 'solana', id: 'SOL', wallet: '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV', pmm: '9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM' },
  [DOGE]: { chain: 'dogecoin', id: 'DOGE', wallet: 'DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L', pmm: 'DBs4WcRE7eysKwRxHNX88XZVCQ9M6QSUSz' },
};
// Per whole index token: 0.01 BTC, 5 SOL, 1 WETH. Two tokens are minted.
const SUPPLY = 2n * ONE;
const CASH = 250_000n * 10n ** 6n;

interface Fixture {
  admin: HardhatEthersSigner;
  pmm: HardhatEthersSigner;
  wlp: HardhatEthersSigner;
  custodian: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  rebalancer: Contract;
  attested: Contract;
  vault: Contract;
  arb: Contract;
  index: Contract;
  weth: Contract;
  wethAddress: string;
  prices: Map<string, bigint>;
  /** The mint request whose legs used the transaction ids `mint:<asset>`. */
  mintId: string;
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, pmm, wlp, custodian, outsider] = await hre.ethers.getSigners();
  const core = await deployIndexCore(hre, admin!);
  const { registry, attested } = await deployAttestedIssuer(hre, admin!, HOUR);
  const vault = core.custodyVault;
  await (await vault.grantRole(await vault.RELEASER_ROLE(), await attested.getAddress())).wait();
  await (await attested.setCustodyVault(await vault.getAddress())).wait();
  for (const [asset, w] of Object.entries(WALLETS)) {
    const decimals = w.id === 'BTC' || w.id === 'DOGE' ? 8 : 9;
    await (await registry.registerAsset(w.chain, w.id, decimals, CustodyMode.Custodian, asset)).wait();
    await (await registry.setWallet(w.chain, w.wallet, true)).wait();
  }
  await (await registry.setSigner(custodian!.address, true)).wait();
  const weth = await deployTestToken('Wrapped Ether', 'WETH', 18);
  const wethAddress = await weth.getAddress();
  await (await registry.registerAsset('ethereum', 'ETH', 18, CustodyMode.Onchain, wethAddress)).wait();
  const index = await deployIndexToken(hre, admin!, {
    name: 'Mixed',
    symbol: 'MIX.ssi',
    constituents: [
      { asset: BTC, unitAmount: 1_000_000n },
      { asset: SOL, unitAmount: 5_000_000_000n },
      { asset: wethAddress, unitAmount: ONE },
    ],
  });
  const indexAddress = await index.getAddress();
  await (await index.grantRole(await index.ISSUER_ROLE(), await attested.getAddress())).wait();
  await (await attested.setIndex(indexAddress, true)).wait();
  const cash = await deployTestToken('USD Coin', 'USDC', 6);
  await (await attested.setCashToken(await cash.getAddress(), true)).wait();
  await (await cash.mint(wlp!.address, CASH)).wait();
  await (await by(cash, wlp!).approve(await attested.getAddress(), CASH)).wait();
  await (await weth.mint(pmm!.address, 100n * ONE)).wait();
  await (await by(weth, pmm!).approve(await attested.getAddress(), hre.ethers.MaxUint256)).wait();

  // Two index tokens minted through attested legs: custody holds 0.02 BTC, 10 SOL (attested) and 2 WETH (vault).
  const { requestId: mintId } = await eventArgs(
    by(attested, wlp!).requestMint(indexAddress, SUPPLY, await cash.getAddress(), CASH, pmm!.address),
    attested,
    'MintRequested',
  );
  const mintLegs = [leg(mintId as string, BTC, LegDirection.Received, 2_000_000n, 'mint:btc'), leg(mintId as string, SOL, LegDirection.Received, 10n ** 10n, 'mint:sol')];
  const mintSignatures = await Promise.all(mintLegs.map((l) => signLeg(hre, custodian!, attested, l)));
  await (await by(attested, pmm!).attestMint(mintId, mintLegs, mintSignatures)).wait();

  const rebalancer = core.rebalancer;
  const arb = await deployAttestedRebalancer(hre, admin!, rebalancer, attested);
  await (await index.grantRole(await index.REBALANCER_ROLE(), await arb.getAddress())).wait();
  await (await rebalancer.grantRole(await rebalancer.MAKER_ROLE(), pmm!.address)).wait();
  for (const asset of [SOL, DOGE, wethAddress]) await (await rebalancer.setBuyAssetAllowed(asset, true)).wait();
  await (await by(weth, pmm!).approve(await arb.getAddress(), hre.ethers.MaxUint256)).wait();
  const prices = new Map([
    [BTC, 100_000n * USD],
    [SOL, 200n * USD],
    [DOGE, USD / 5n],
    [wethAddress, 4_000n * USD],
  ]);
  return { admin: admin!, pmm: pmm!, wlp: wlp!, custodian: custodian!, outsider: outsider!, rebalancer, attested, vault, arb, index, weth, wethAddress, prices, mintId: mintId as string };
});

/** A custodian leg of `asset` for `requestId`, with the registered wallet and the PMM's native address. */
function leg(requestId: string, asset: string, direction: LegDirection, amount: bigint, txId: string, overrides: Partial<CustodyLeg> = {}): CustodyLeg {
  const w = WALLETS[asset]!;
  return {
    requestId,
    direction,
    chain: chainKey(w.chain),
    asset: assetKey(w.id),
    amount,
    txId: nativeKey(txId),
    wallet: nativeKey(w.wallet),
    counterparty: nativeKey(w.pmm),
    ...overrides,
  };
}

let nonce = 1n;

/**
 * The happy-path order: sell 0.01 BTC (custodian) and 0.5 WETH (on-chain) for 5 SOL and 10,000 DOGE (custodian),
 * $3,000 each way.
 */
async function order(fx: Fixture, overrides: Partial<RebalanceOrder> = {}): Promise<RebalanceOrder> {
  const sells = sortedLegs([
    { asset: BTC, amount: 1_000_000n },
    { asset: fx.wethAddress, amount: ONE / 2n },
  ]);
  const buys = sortedLegs([
    { asset: SOL, amount: 5_000_000_000n },
    { asset: DOGE, amount: 1_000_000_000_000n },
  ]);
  return {
    index: await fx.index.getAddress(),
    sellAssets: sells.assets,
    sellAmounts: sells.amounts,
    buyAssets: buys.assets,
    buyAmounts: buys.amounts,
    maker: fx.pmm.address,
    deadline: (await now()) + HOUR,
    nonce: nonce++,
    ...overrides,
  };
}

async function open(fx: Fixture, o: RebalanceOrder, maker: HardhatEthersSigner = fx.pmm): Promise<string> {
  const domain = rebalancerDomain((await hre.ethers.provider.getNetwork()).chainId, await fx.arb.getAddress());
  const legs = sortedLegs([...fx.prices.entries()].map(([asset, amount]) => ({ asset, amount })));
  const prices: PriceAttestation = { index: o.index, assets: legs.assets, prices: legs.amounts, validUntil: (await now()) + HOUR, nonce: nonce++ };
  const makerSignature = await maker.signTypedData(domain, REBALANCE_ORDER_TYPES, o);
  const priceSignature = await fx.admin.signTypedData(domain, PRICE_ATTESTATION_TYPES, prices);
  const args = await eventArgs(fx.arb.open(o, makerSignature, prices, priceSignature), fx.arb, 'RebalanceOpened');
  return args.rebalanceId as string;
}

/** The maker's destinations aligned with the order's sells: its native address for custodian sells, zero otherwise. */
function destinations(o: RebalanceOrder): string[] {
  return pmmDestinations(o.sellAssets, (asset) => WALLETS[asset]?.pmm);
}

async function attest(fx: Fixture, id: string, o: RebalanceOrder, legs: CustodyLeg[], signer: HardhatEthersSigner = fx.custodian) {
  const signatures = await Promise.all(legs.map((l) => signLeg(hre, signer, fx.attested, l)));
  return by(fx.arb, fx.outsider).attest(id, o, legs, signatures);
}

const buyLegs = (id: string): CustodyLeg[] => [
  leg(id, SOL, LegDirection.Received, 5_000_000_000n, `${id}:sol`),
  leg(id, DOGE, LegDirection.Received, 1_000_000_000_000n, `${id}:doge`),
];
const sellLeg = (id: string, overrides: Partial<CustodyLeg> = {}): CustodyLeg =>
  leg(id, BTC, LegDirection.Released, 1_000_000n, `${id}:btc`, overrides);

/** A fresh cash token the AttestedIssuer allows, with `amount` held by `holder` and approved to it. */
async function allowedCash(fx: Fixture, holder: HardhatEthersSigner, amount: bigint): Promise<Contract> {
  const cash = await deployTestToken('Cash', 'CSH', 6);
  await (await fx.attested.setCashToken(await cash.getAddress(), true)).wait();
  await (await cash.mint(holder.address, amount)).wait();
  await (await by(cash, holder).approve(await fx.attested.getAddress(), amount)).wait();
  return cash;
}

/** Every asset of the basket is covered: attested custody for custodian assets, the vault's balance for WETH. */
async function expectCovered(fx: Fixture): Promise<void> {
  const [assets, amounts] = (await fx.index.basket()) as [string[], bigint[]];
  const indexAddress = await fx.index.getAddress();
  for (let i = 0; i < assets.length; i++) {
    const held =
      assets[i] === fx.wethAddress
        ? ((await fx.weth.balanceOf(await fx.vault.getAddress())) as bigint)
        : ((await fx.attested.attestedCustody(indexAddress, assets[i])) as bigint);
    expect(held).toBeGreaterThanOrEqual(amounts[i]!);
  }
}

describe('AttestedRebalancer', () => {
  it('rebalances a mixed basket once every custodian leg is attested, and custody covers the new basket', async () => {
    const fx = await fixture();
    const o = await order(fx);
    const indexAddress = await fx.index.getAddress();
    const before = (await fx.index.tokenset()) as [string[], bigint[]];
    const id = await open(fx, o);
    expect(await fx.arb.pendingRebalance(indexAddress)).toBe(id);
    // The basket is frozen (no management fee accrues) while the rebalance is pending, as in a Rebalancer window.
    expect((await fx.index.feeState()).rebalancing).toBe(true);
    // The event carries the order's legs and values, so what is owed can be read from events alone.
    const [opened] = await fx.arb.queryFilter(fx.arb.filters.RebalanceOpened(id));
    const args = (opened as unknown as { args: Record<string, unknown> }).args;
    expect([args.sellAssets, args.sellAmounts, args.buyAssets, args.buyAmounts]).toEqual([o.sellAssets, o.sellAmounts, o.buyAssets, o.buyAmounts]);
    expect([args.soldValue, args.boughtValue]).toEqual([3_000n * USD, 3_000n * USD]);

    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    // The PMM's on-chain buys are escrowed here until completion: none in this order, so nothing moved.
    expect(await fx.weth.balanceOf(await fx.arb.getAddress())).toBe(0n);
    await (await attest(fx, id, o, buyLegs(id))).wait();
    // Buys alone change nothing: the basket waits for the release.
    expect((await fx.index.tokenset()) as unknown).toEqual(before);
    expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(10n ** 10n);

    const pmmWeth = (await fx.weth.balanceOf(fx.pmm.address)) as bigint;
    const receipt = await (await attest(fx, id, o, [sellLeg(id)])).wait();
    const completed = receipt.logs.map((l: never) => fx.arb.interface.parseLog(l)).find((l: { name: string } | null) => l?.name === 'RebalanceCompleted');
    expect(completed).toBeDefined();
    expect((await fx.arb.getRebalance(id)).status).toBe(2n);
    expect(await fx.arb.pendingRebalance(indexAddress)).toBe(hre.ethers.ZeroHash);
    expect((await fx.index.feeState()).rebalancing).toBe(false);

    // Tokenset per whole token: 0.005 BTC, 7.5 SOL, 5,000 DOGE, 0.75 WETH.
    const [assets, units] = (await fx.index.tokenset()) as [string[], bigint[]];
    const expected = new Map([
      [BTC, 500_000n],
      [SOL, 7_500_000_000n],
      [DOGE, 500_000_000_000n],
      [fx.wethAddress, (3n * ONE) / 4n],
    ]);
    expect(assets.length).toBe(4);
    assets.forEach((asset, i) => expect(units[i]).toBe(expected.get(asset)));
    expect(await fx.attested.attestedCustody(indexAddress, BTC)).toBe(1_000_000n);
    expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(15_000_000_000n);
    expect(await fx.attested.attestedCustody(indexAddress, DOGE)).toBe(1_000_000_000_000n);
    expect(await fx.weth.balanceOf(await fx.vault.getAddress())).toBe((3n * ONE) / 2n);
    expect(await fx.weth.balanceOf(fx.pmm.address)).toBe(pmmWeth + ONE / 2n);
    await expectCovered(fx);
  });

  it('escrows on-chain buys on acceptance and moves them into the vault on completion', async () => {
    const fx = await fixture();
    // Sell 0.01 BTC ($1,000) for 0.25 WETH ($1,000).
    const o = await order(fx, { sellAssets: [BTC], sellAmounts: [1_000_000n], buyAssets: [fx.wethAddress], buyAmounts: [ONE / 4n] });
    const id = await open(fx, o);
    // A release before the maker accepted (and escrowed its buys) is refused.
    await expectRevert(attest(fx, id, o, [sellLeg(id)]), fx.arb, 'BuysOutstanding', [id]);
    await expectRevert(by(fx.arb, fx.outsider).accept(id, o, destinations(o)), fx.arb, 'NotRebalanceMaker', [id, fx.pmm.address]);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    expect(await fx.weth.balanceOf(await fx.arb.getAddress())).toBe(ONE / 4n);
    await (await attest(fx, id, o, [sellLeg(id)])).wait();
    expect(await fx.weth.balanceOf(await fx.arb.getAddress())).toBe(0n);
    expect(await fx.weth.balanceOf(await fx.vault.getAddress())).toBe(2n * ONE + ONE / 4n);
    await expectCovered(fx);
  });

  it('refuses a release before every custodian buy is attested', async () => {
    const fx = await fixture();
    const o = await order(fx);
    const id = await open(fx, o);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    await (await attest(fx, id, o, [buyLegs(id)[0]!])).wait();
    await expectRevert(attest(fx, id, o, [sellLeg(id)]), fx.arb, 'BuysOutstanding', [id]);
  });

  it('refuses short, excess, misdirected and wrongly signed legs', async () => {
    const fx = await fixture();
    const o = await order(fx);
    const id = await open(fx, o);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    const [sol, doge] = buyLegs(id);
    await expectRevert(attest(fx, id, o, [{ ...sol!, amount: sol!.amount - 1n }]), fx.arb, 'ShortDelivery', [SOL, sol!.amount - 1n, sol!.amount]);
    await expectRevert(attest(fx, id, o, [{ ...sol!, amount: sol!.amount + 1n }]), fx.arb, 'ExcessDelivery', [SOL, sol!.amount + 1n, sol!.amount]);
    await expectRevert(attest(fx, id, o, [sol!], fx.outsider), fx.arb, 'NotCustodianSigner', [fx.outsider.address]);
    await expectRevert(attest(fx, id, o, [{ ...sol!, wallet: nativeKey('not-registered') }]), fx.arb, 'WalletNotRegistered', [chainKey('solana'), nativeKey('not-registered')]);
    await expectRevert(attest(fx, id, o, [{ ...sol!, requestId: fx.mintId }]), fx.arb, 'LegForOtherRequest', [id, fx.mintId]);
    await expectRevert(attest(fx, id, o, [leg(id, BTC, LegDirection.Received, 1n, 'x')]), fx.arb, 'AssetNotInOrder', [BTC]);
    await (await attest(fx, id, o, [sol!, doge!])).wait();
    const btc = sellLeg(id);
    await expectRevert(attest(fx, id, o, [{ ...btc, amount: btc.amount - 1n }]), fx.arb, 'ShortDelivery', [BTC, btc.amount - 1n, btc.amount]);
    await expectRevert(attest(fx, id, o, [{ ...btc, amount: btc.amount + 1n }]), fx.arb, 'ExcessRelease', [BTC, btc.amount + 1n, btc.amount]);
    await expectRevert(attest(fx, id, o, [{ ...btc, counterparty: nativeKey('thief') }]), fx.arb, 'WrongCounterparty', [BTC, nativeKey('thief'), btc.counterparty]);
    // Nothing of the refused legs was recorded: the basket is unchanged until the right release.
    expect((await fx.arb.getRebalance(id)).status).toBe(1n);
    await (await attest(fx, id, o, [btc])).wait();
    expect((await fx.arb.getRebalance(id)).status).toBe(2n);
  });

  it('counts a transaction id once across the rebalance and attested mints', async () => {
    const fx = await fixture();
    const o = await order(fx);
    const id = await open(fx, o);
    const [sol, doge] = buyLegs(id);
    // The SOL delivery of the fixture's mint cannot be presented again as a rebalance delivery.
    const mintTx = nativeKey('mint:sol');
    await expectRevert(attest(fx, id, o, [{ ...sol!, txId: mintTx }]), fx.attested, 'TxIdAlreadyUsed', [chainKey('solana'), mintTx]);
    await (await attest(fx, id, o, [sol!])).wait();
    // Nor a rebalance leg twice, in the rebalance ...
    await expectRevert(attest(fx, id, o, [{ ...doge!, txId: sol!.txId, chain: sol!.chain, asset: sol!.asset, wallet: sol!.wallet }]), fx.attested, 'TxIdAlreadyUsed', [
      sol!.chain,
      sol!.txId,
    ]);
    expect(await fx.attested.isTxIdUsed(sol!.chain, sol!.txId)).toBe(true);
    // ... or in a later mint.
    const cash = await allowedCash(fx, fx.wlp, 1n);
    const { requestId } = await eventArgs(
      by(fx.attested, fx.wlp).requestMint(await fx.index.getAddress(), ONE, await cash.getAddress(), 1n, fx.pmm.address),
      fx.attested,
      'MintRequested',
    );
    const replay = leg(requestId as string, SOL, LegDirection.Received, 5_000_000_000n, `${id}:sol`);
    await expectRevert(
      by(fx.attested, fx.pmm).attestMint(requestId, [replay], [await signLeg(hre, fx.custodian, fx.attested, replay)]),
      fx.attested,
      'TxIdAlreadyUsed',
      [replay.chain, replay.txId],
    );
  });

  it("AttestedIssuer's custody book and transaction-id registry take writes only from its REBALANCER_ROLE", async () => {
    const fx = await fixture();
    const indexAddress = await fx.index.getAddress();
    await expectRevert(by(fx.attested, fx.outsider).useTxId(chainKey('solana'), nativeKey('x')), fx.attested, 'AccessControlUnauthorizedAccount');
    await expectRevert(by(fx.attested, fx.outsider).rebalanceCustody(indexAddress, BTC, 1n, 0n), fx.attested, 'AccessControlUnauthorizedAccount');
    expect(await fx.attested.attestedCustody(indexAddress, BTC)).toBe(2_000_000n);
  });

  it('after the deadline anyone cancels: basket, custody and on-chain legs unchanged, escrow back to the maker', async () => {
    const fx = await fixture();
    // Sell 0.02 BTC ($2,000) for 5 SOL ($1,000, custodian) and 0.25 WETH ($1,000, on-chain).
    const buys = sortedLegs([
      { asset: SOL, amount: 5_000_000_000n },
      { asset: fx.wethAddress, amount: ONE / 4n },
    ]);
    const o = await order(fx, { sellAssets: [BTC], sellAmounts: [2_000_000n], buyAssets: buys.assets, buyAmounts: buys.amounts });
    const indexAddress = await fx.index.getAddress();
    const tokenset = (await fx.index.tokenset()) as unknown;
    const id = await open(fx, o);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    await (await attest(fx, id, o, [leg(id, SOL, LegDirection.Received, 5_000_000_000n, `${id}:sol`)])).wait();
    const pmmWeth = (await fx.weth.balanceOf(fx.pmm.address)) as bigint;
    await expectRevert(by(fx.arb, fx.outsider).cancel(id, o), fx.arb, 'RebalanceNotExpired', [id, o.deadline]);
    await increaseTime(HOUR + 1n);
    await expectRevert(attest(fx, id, o, [sellLeg(id, { amount: 2_000_000n })]), fx.arb, 'RebalanceExpired', [id, o.deadline]);
    expect((await fx.index.feeState()).rebalancing).toBe(true);
    await (await by(fx.arb, fx.outsider).cancel(id, o)).wait();
    expect((await fx.arb.getRebalance(id)).status).toBe(3n);
    expect((await fx.index.feeState()).rebalancing).toBe(false);
    expect((await fx.index.tokenset()) as unknown).toEqual(tokenset);
    expect(await fx.attested.attestedCustody(indexAddress, BTC)).toBe(2_000_000n);
    expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(10n ** 10n);
    expect(await fx.weth.balanceOf(fx.pmm.address)).toBe(pmmWeth + ONE / 4n);
    expect(await fx.weth.balanceOf(await fx.vault.getAddress())).toBe(2n * ONE);
    expect(await fx.arb.pendingRebalance(indexAddress)).toBe(hre.ethers.ZeroHash);
    await expectRevert(by(fx.arb, fx.outsider).cancel(id, o), fx.arb, 'RebalanceNotPending', [id, 3n]);
    await expectCovered(fx);
  });

  it('settles a rebalance whose sells were partly released by its deadline; the rest stays attestable', async () => {
    const fx = await fixture();
    // Sell 0.0025 BTC ($250) and 5 SOL ($1,000) for 6,250 DOGE ($1,250).
    const sells = sortedLegs([
      { asset: BTC, amount: 250_000n },
      { asset: SOL, amount: 5_000_000_000n },
    ]);
    const o = await order(fx, { sellAssets: sells.assets, sellAmounts: sells.amounts, buyAssets: [DOGE], buyAmounts: [625_000_000_000n] });
    const indexAddress = await fx.index.getAddress();
    const id = await open(fx, o);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    await (await attest(fx, id, o, [leg(id, DOGE, LegDirection.Received, 625_000_000_000n, `${id}:doge`)])).wait();
    await (await attest(fx, id, o, [leg(id, BTC, LegDirection.Released, 250_000n, `${id}:btc`)])).wait();
    await increaseTime(HOUR + 1n);
    await (await by(fx.arb, fx.outsider).cancel(id, o)).wait();
    expect((await fx.arb.getRebalance(id)).status).toBe(4n);
    // Settled as complete: the custodian owes the maker the SOL release, whose attestation is still accepted.
    expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(5_000_000_000n);
    expect(await fx.attested.attestedCustody(indexAddress, BTC)).toBe(1_750_000n);
    await expectCovered(fx);
    await (await attest(fx, id, o, [leg(id, SOL, LegDirection.Released, 5_000_000_000n, `${id}:sol`)])).wait();
    expect(await fx.arb.isLegAttested(id, SOL)).toBe(true);
    expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(5_000_000_000n);
  });

  it('AttestedIssuer takes redeem requests of the index while a rebalance is pending but accepts them only after it completes or is cancelled', async () => {
    const fx = await fixture();
    const indexAddress = await fx.index.getAddress();
    const cash = await allowedCash(fx, fx.pmm, 2n);
    await (await by(fx.index, fx.wlp).approve(await fx.attested.getAddress(), ONE / 2n)).wait();
    const request = async (): Promise<string> =>
      (await eventArgs(by(fx.attested, fx.wlp).requestRedeem(indexAddress, ONE / 4n, await cash.getAddress(), 1n, fx.pmm.address), fx.attested, 'RedeemRequested')).requestId as string;
    /** The PMM's acceptance, naming its native address per custodian asset of the basket as it is now. */
    const accept = async (requestId: string) => {
      const [assets] = (await fx.index.baseTokenset()) as [string[]];
      return by(fx.attested, fx.pmm).acceptRedeem(requestId, pmmDestinations(assets, (asset) => WALLETS[asset]?.pmm));
    };

    // Completed: the acceptance would burn part of the basket the sells were fixed against, so it waits.
    const o = await order(fx);
    const id = await open(fx, o);
    const duringCompletion = await request();
    await expectRevert(accept(duringCompletion), fx.attested, 'IndexRebalancing', [indexAddress]);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    await (await attest(fx, id, o, [...buyLegs(id), sellLeg(id)])).wait();
    expect((await fx.arb.getRebalance(id)).status).toBe(2n);
    await (await accept(duringCompletion)).wait();
    expect((await fx.attested.getRedeemRequest(duringCompletion)).accepted).toBe(true);
    await expectCovered(fx);

    // Cancelled: sell 0.0025 BTC ($250) for 1.25 SOL ($250) with a deadline before the redeem's.
    const small = await order(fx, { sellAssets: [BTC], sellAmounts: [250_000n], buyAssets: [SOL], buyAmounts: [1_250_000_000n], deadline: (await now()) + 60n });
    const cancelled = await open(fx, small);
    const duringCancel = await request();
    await expectRevert(accept(duringCancel), fx.attested, 'IndexRebalancing', [indexAddress]);
    await increaseTime(61n);
    await (await by(fx.arb, fx.outsider).cancel(cancelled, small)).wait();
    expect((await fx.arb.getRebalance(cancelled)).status).toBe(3n);
    await (await accept(duringCancel)).wait();
    expect((await fx.attested.getRedeemRequest(duringCancel)).accepted).toBe(true);
    await expectCovered(fx);
  });

  it('AttestedIssuer completes no mint whose custodian leg, attested before a rebalance completed, falls short of the new basket; it is refunded', async () => {
    const fx = await fixture();
    const indexAddress = await fx.index.getAddress();
    const cash = await allowedCash(fx, fx.wlp, 7n);
    const { requestId } = await eventArgs(by(fx.attested, fx.wlp).requestMint(indexAddress, ONE, await cash.getAddress(), 7n, fx.pmm.address), fx.attested, 'MintRequested');
    const mint = requestId as string;
    const submit = async (legs: CustodyLeg[]) => by(fx.attested, fx.pmm).attestMint(mint, legs, await Promise.all(legs.map((l) => signLeg(hre, fx.custodian, fx.attested, l))));
    // 5 SOL is the whole SOL leg of one token today ...
    const solLeg = leg(mint, SOL, LegDirection.Received, 5_000_000_000n, `${mint}:sol`);
    await (await submit([solLeg])).wait();
    // ... and then a rebalance raises it to 7.5 SOL (and adds DOGE) before the mint's other legs arrive.
    const o = await order(fx);
    const id = await open(fx, o);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    await (await attest(fx, id, o, [...buyLegs(id), sellLeg(id)])).wait();
    expect((await fx.arb.getRebalance(id)).status).toBe(2n);
    const supply = (await fx.index.totalSupply()) as bigint;
    const rest = [leg(mint, BTC, LegDirection.Received, 500_000n, `${mint}:btc`), leg(mint, DOGE, LegDirection.Received, 500_000_000_000n, `${mint}:doge`)];
    await expectRevert(submit(rest), fx.attested, 'ShortDelivery', [SOL, 5_000_000_000n, 7_500_000_000n]);
    // Booking the short leg would have minted a token that custody does not cover; nothing was minted or booked.
    expect(await fx.index.totalSupply()).toBe(supply);
    expect((await fx.attested.getMintRequest(mint)).status).toBe(1n); // Pending
    await expectCovered(fx);
    await increaseTime(HOUR + 1n);
    await (await by(fx.attested, fx.outsider).refundMint(mint)).wait();
    expect(await cash.balanceOf(fx.wlp.address)).toBe(7n);
    await expectCovered(fx);
  });

  it('AttestedIssuer settles rather than refunds an accepted redeem whose fixed amounts a rebalance since left short of the basket', async () => {
    const fx = await fixture();
    const indexAddress = await fx.index.getAddress();
    const cash = await allowedCash(fx, fx.pmm, 3n);
    await (await by(fx.index, fx.wlp).approve(await fx.attested.getAddress(), ONE / 2n)).wait();
    const { requestId } = await eventArgs(by(fx.attested, fx.wlp).requestRedeem(indexAddress, ONE / 2n, await cash.getAddress(), 3n, fx.pmm.address), fx.attested, 'RedeemRequested');
    const redeem = requestId as string;
    const [assets] = (await fx.index.baseTokenset()) as [string[]];
    // Accepted before the rebalance opens: 0.25 of the basket is fixed (2.5 SOL, no DOGE) and burned.
    await (await by(fx.attested, fx.pmm).acceptRedeem(redeem, pmmDestinations(assets, (asset) => WALLETS[asset]?.pmm))).wait();
    const o = await order(fx);
    const id = await open(fx, o);
    await (await by(fx.arb, fx.pmm).accept(id, o, destinations(o))).wait();
    await (await attest(fx, id, o, [...buyLegs(id), sellLeg(id)])).wait();
    expect((await fx.arb.getRebalance(id)).status).toBe(2n);
    await expectCovered(fx);
    // The custodian never released. Re-minting 0.5 token now would need 3.75 SOL and 2,500 DOGE that the fixed
    // amounts do not bring back, so the redeem settles: cash to the WLP, the custodian owes the PMM the fixed legs.
    await increaseTime(HOUR + 1n);
    const supply = (await fx.index.totalSupply()) as bigint;
    await expect((await (await by(fx.attested, fx.outsider).refundRedeem(redeem)).wait()).logs.map((l: never) => fx.attested.interface.parseLog(l)?.name)).toContain('RedeemSettled');
    expect((await fx.attested.getRedeemRequest(redeem)).status).toBe(4n); // Settled
    expect(await fx.index.totalSupply()).toBe(supply);
    expect(await cash.balanceOf(fx.wlp.address)).toBe(3n);
    await expectCovered(fx);
  });

  it('opens only what the Rebalancer would settle, one rebalance per index at a time', async () => {
    const fx = await fixture();
    const o = await order(fx);
    await expectRevert(open(fx, { ...o, buyAmounts: [o.buyAmounts[0]!, o.buyAmounts[1]! * 2n] }), fx.arb, 'ValueOutOfTolerance');
    await expectRevert(open(fx, o, fx.outsider), fx.arb, 'InvalidSignature', [fx.pmm.address]);
    await expectRevert(open(fx, { ...o, maker: fx.outsider.address }, fx.outsider), fx.arb, 'NotMaker', [fx.outsider.address]);
    await expectRevert(open(fx, { ...o, sellAmounts: [3_000_000n, o.sellAmounts[1]!] }), fx.arb, 'SellExceedsBasket');
    await expectRevert(
      open(fx, { ...o, sellAssets: [fx.wethAddress], sellAmounts: [ONE / 4n], buyAssets: [fx.wethAddress], buyAmounts: [ONE / 4n] }),
      fx.arb,
      'NoCustodianLeg',
    );
    await (await fx.rebalancer.setBuyAssetAllowed(DOGE, false)).wait();
    await expectRevert(open(fx, o), fx.arb, 'BuyAssetNotAllowed', [DOGE]);
    await (await fx.rebalancer.setBuyAssetAllowed(DOGE, true)).wait();
    const id = await open(fx, o);
    await expectRevert(open(fx, await order(fx)), fx.arb, 'RebalancePending', [await fx.index.getAddress(), id]);
    await expectRevert(by(fx.arb, fx.pmm).accept(id, { ...o, nonce: o.nonce + 1n }, destinations(o)), fx.arb, 'OrderMismatch');
  });

  it('validates as a UUPS upgrade of itself and keeps a pending rebalance across an upgrade', async () => {
    const fx = await fixture();
    const o = await order(fx);
    const id = await open(fx, o);
    const factory = await hre.ethers.getContractFactory('AttestedRebalancer');
    await hre.upgrades.validateUpgrade(await fx.arb.getAddress(), factory, { kind: 'uups' });
    const upgraded = await hre.upgrades.upgradeProxy(await fx.arb.getAddress(), factory, { kind: 'uups' });
    expect((await upgraded.getRebalance(id)).orderHash).toBe(await fx.arb.hashRebalanceOrder(o));
    expect(await upgraded.pendingRebalance(await fx.index.getAddress())).toBe(id);
    await expectRevert(
      by(fx.arb, fx.outsider).upgradeToAndCall(await fx.arb.getAddress(), '0x'),
      fx.arb,
      'AccessControlUnauthorizedAccount',
    );
  });
});
