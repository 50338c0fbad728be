import hre from 'hardhat';
import type { Contract } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expectRevert } from '../../helpers/revert';
import { HOUR, by, deployTestToken, eventArgs, increaseTime, snapshotFixture } from '../../helpers/staking';
import {
  LegDirection,
  assetKey,
  chainKey,
  custodyDomain,
  custodyLegDigest,
  nativeKey,
  type CustodyLeg,
} from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';
import { CustodyMode, deployAttestedIssuer, deployIndexToken, signLeg } from '../../helpers/custody';

const ONE = 10n ** 18n;
const BTC = custodianPlaceholder('bitcoin', 'BTC');
const SOL = custodianPlaceholder('solana', 'SOL');
// Per whole index token: 0.01 BTC (satoshi) and 5 SOL (lamports).
const UNITS: Record<string, bigint> = { [BTC]: 1_000_000n, [SOL]: 5_000_000_000n };
const BTC_WALLET = 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh';
const SOL_WALLET = '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV';
const PMM_BTC = 'bc1q9h7garjdlmqyzzu7c6ynfh6xxm8yxnk8c5m3yz';
const PMM_SOL = '9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM';
const PMM_BTC_KEY = nativeKey(PMM_BTC);
const PMM_SOL_KEY = nativeKey(PMM_SOL);
const TIMEOUT = HOUR;
const INDEX_AMOUNT = 2n * ONE;
const CASH = 250_000n * 10n ** 6n;

interface Fixture {
  admin: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  wlp: HardhatEthersSigner;
  pmm: HardhatEthersSigner;
  custodian: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  registry: Contract;
  attested: Contract;
  index: Contract;
  cash: Contract;
  vault: Contract;
  weth: Contract;
  /** BTC + SOL (custodian) + WETH (on-chain, 1e18 per whole token). */
  mixed: Contract;
}

/** An IndexToken over `assets` (UNITS per whole token, or 1e18 for others), administered by `admin`. */
function deployIndex(admin: HardhatEthersSigner, assets: string[]): Promise<Contract> {
  const constituents = assets.map((asset) => ({ asset, unitAmount: UNITS[asset] ?? ONE }));
  return deployIndexToken(hre, admin, { name: 'Custodian Index', symbol: 'CUST.ssi', constituents });
}

const fixture = snapshotFixture<Fixture>(async () => {
  const [admin, operator, wlp, pmm, custodian, outsider] = await hre.ethers.getSigners();
  const { registry, attested } = await deployAttestedIssuer(hre, admin!, TIMEOUT);
  await (await registry.grantRole(await registry.OPERATOR_ROLE(), operator!.address)).wait();
  await (await attested.grantRole(await attested.OPERATOR_ROLE(), operator!.address)).wait();
  await (await by(registry, operator!).registerAsset('bitcoin', 'BTC', 8, CustodyMode.Custodian, BTC)).wait();
  await (await by(registry, operator!).registerAsset('solana', 'SOL', 9, CustodyMode.Custodian, SOL)).wait();
  await (await by(registry, operator!).setWallet('bitcoin', BTC_WALLET, true)).wait();
  await (await by(registry, operator!).setWallet('solana', SOL_WALLET, true)).wait();
  await (await registry.setSigner(custodian!.address, true)).wait();

  // The index mints only to its ISSUER_ROLE holders; the admin grants that role to the attested issuer,
  // as it would beside the quote-order Issuer the factory names at creation.
  const index = await deployIndex(admin!, [BTC, SOL]);
  await (await index.grantRole(await index.ISSUER_ROLE(), await attested.getAddress())).wait();

  const cash = await deployTestToken('USD Coin', 'USDC', 6);
  await (await cash.mint(wlp!.address, 10n * CASH)).wait();
  await (await by(cash, wlp!).approve(await attested.getAddress(), hre.ethers.MaxUint256)).wait();
  await (await by(attested, operator!).setIndex(await index.getAddress(), true)).wait();
  await (await by(attested, operator!).setCashToken(await cash.getAddress(), true)).wait();

  // A mixed basket: its WETH leg settles on chain through CustodyVault, which the attested issuer may release from.
  const vault = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('CustodyVault'), [admin!.address], {
    kind: 'uups',
  })) as unknown as Contract;
  await (await vault.grantRole(await vault.RELEASER_ROLE(), await attested.getAddress())).wait();
  await (await attested.setCustodyVault(await vault.getAddress())).wait();
  const weth = await deployTestToken('Wrapped Ether', 'WETH', 18);
  await (await by(registry, operator!).registerAsset('ethereum', 'ETH', 18, CustodyMode.Onchain, await weth.getAddress())).wait();
  const mixed = await deployIndex(admin!, [BTC, SOL, await weth.getAddress()]);
  await (await mixed.grantRole(await mixed.ISSUER_ROLE(), await attested.getAddress())).wait();
  await (await by(attested, operator!).setIndex(await mixed.getAddress(), true)).wait();
  await (await weth.mint(pmm!.address, 100n * ONE)).wait();
  await (await by(weth, pmm!).approve(await attested.getAddress(), hre.ethers.MaxUint256)).wait();

  // The PMM pays redeem cash, and the WLP escrows index tokens it minted.
  await (await cash.mint(pmm!.address, 10n * CASH)).wait();
  await (await by(cash, pmm!).approve(await attested.getAddress(), hre.ethers.MaxUint256)).wait();
  for (const token of [index, mixed]) await (await by(token, wlp!).approve(await attested.getAddress(), hre.ethers.MaxUint256)).wait();
  return {
    admin: admin!,
    operator: operator!,
    wlp: wlp!,
    pmm: pmm!,
    custodian: custodian!,
    outsider: outsider!,
    registry,
    attested,
    index,
    cash,
    vault,
    weth,
    mixed,
  };
});

async function requestMint(fx: Fixture, index: Contract = fx.index): Promise<string> {
  const args = await eventArgs(
    by(fx.attested, fx.wlp).requestMint(await index.getAddress(), INDEX_AMOUNT, await fx.cash.getAddress(), CASH, fx.pmm.address),
    fx.attested,
    'MintRequested',
  );
  return args.requestId as string;
}

async function requestRedeem(fx: Fixture, index: Contract = fx.index, amount: bigint = INDEX_AMOUNT): Promise<string> {
  const args = await eventArgs(
    by(fx.attested, fx.wlp).requestRedeem(await index.getAddress(), amount, await fx.cash.getAddress(), CASH, fx.pmm.address),
    fx.attested,
    'RedeemRequested',
  );
  return args.requestId as string;
}

/** The PMM's destinations in basket order: its BTC and SOL addresses, zero for on-chain assets. */
async function destinationsOf(index: Contract): Promise<string[]> {
  const [assets] = (await index.baseTokenset()) as [string[]];
  return assets.map((asset) => (asset === BTC ? PMM_BTC_KEY : asset === SOL ? PMM_SOL_KEY : hre.ethers.ZeroHash));
}

/** A Released leg paying the PMM exactly the basket amount of `asset` for INDEX_AMOUNT, with overrides. */
function releasedLeg(requestId: string, asset: 'BTC' | 'SOL', overrides: Partial<CustodyLeg> = {}): CustodyLeg {
  return receivedLeg(requestId, asset, {
    direction: LegDirection.Released,
    txId: nativeKey(asset === 'BTC' ? 'd4'.repeat(32) : '7'.repeat(88)),
    ...overrides,
  });
}

async function attestRedeem(fx: Fixture, requestId: string, legs: CustodyLeg[], signer?: HardhatEthersSigner) {
  const signatures = await Promise.all(legs.map((leg) => sign(fx, leg, signer)));
  return by(fx.attested, fx.outsider).attestRedeem(requestId, legs, signatures);
}

/** Mints INDEX_AMOUNT of `index` through attested legs (and the PMM's WETH for a mixed basket). */
async function mintThrough(fx: Fixture, index: Contract = fx.index): Promise<void> {
  const requestId = await requestMint(fx, index);
  const legs = [receivedLeg(requestId, 'BTC', { txId: nativeKey(`${requestId}btc`) }), receivedLeg(requestId, 'SOL', { txId: nativeKey(`${requestId}sol`) })];
  await (await attest(fx, requestId, legs)).wait();
}

/** A Received leg delivering exactly the basket amount of `asset` for INDEX_AMOUNT, with overrides. */
function receivedLeg(requestId: string, asset: 'BTC' | 'SOL', overrides: Partial<CustodyLeg> = {}): CustodyLeg {
  const btc = asset === 'BTC';
  return {
    requestId,
    direction: LegDirection.Received,
    chain: chainKey(btc ? 'bitcoin' : 'solana'),
    asset: assetKey(asset),
    amount: ((btc ? UNITS[BTC]! : UNITS[SOL]!) * INDEX_AMOUNT) / ONE,
    txId: nativeKey(btc ? 'a1'.repeat(32) : '5'.repeat(88)),
    wallet: nativeKey(btc ? BTC_WALLET : SOL_WALLET),
    counterparty: nativeKey(btc ? PMM_BTC : PMM_SOL),
    ...overrides,
  };
}

function sign(fx: Fixture, leg: CustodyLeg, signer: HardhatEthersSigner = fx.custodian): Promise<string> {
  return signLeg(hre, signer, fx.attested, leg);
}

async function attest(fx: Fixture, requestId: string, legs: CustodyLeg[], signer?: HardhatEthersSigner) {
  const signatures = await Promise.all(legs.map((leg) => sign(fx, leg, signer)));
  return by(fx.attested, fx.outsider).attestMint(requestId, legs, signatures);
}

describe('AttestedIssuer', () => {
  it('hashes a leg exactly as the off-chain attestation code does', async () => {
    const fx = await fixture();
    const leg = receivedLeg(hre.ethers.id('request'), 'BTC');
    const domain = custodyDomain((await hre.ethers.provider.getNetwork()).chainId, await fx.attested.getAddress());
    expect(await fx.attested.hashLeg(leg)).toBe(custodyLegDigest(domain, leg));
  });

  it('mints to the WLP, pays the PMM and records custody once every basket asset has an attested delivery', async () => {
    const fx = await fixture();
    const requestId = await requestMint(fx);
    expect(await fx.cash.balanceOf(await fx.attested.getAddress())).toBe(CASH);

    // A BTC delivery above the basket amount is accepted and recorded as delivered.
    const btcLeg = receivedLeg(requestId, 'BTC', { amount: 2_000_001n });
    const partial = await (await attest(fx, requestId, [btcLeg])).wait();
    expect(partial.logs.some((log: { topics: string[] }) => log.topics[0] === fx.attested.interface.getEvent('MintCompleted')!.topicHash)).toBe(
      false,
    );
    expect(await fx.index.balanceOf(fx.wlp.address)).toBe(0n);
    expect(await fx.attested.attestedLeg(requestId, BTC)).toBe(2_000_001n);

    const solLeg = receivedLeg(requestId, 'SOL');
    const done = await eventArgs(attest(fx, requestId, [solLeg]), fx.attested, 'MintCompleted');
    expect(done.requestId).toBe(requestId);
    expect(await fx.index.balanceOf(fx.wlp.address)).toBe(INDEX_AMOUNT);
    // The PMM starts with 10 x CASH for redeems.
    expect(await fx.cash.balanceOf(fx.pmm.address)).toBe(11n * CASH);
    expect(await fx.cash.balanceOf(await fx.attested.getAddress())).toBe(0n);
    const indexAddress = await fx.index.getAddress();
    expect(await fx.attested.attestedCustody(indexAddress, BTC)).toBe(2_000_001n);
    expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(10_000_000_000n);
    // Attested custody covers what the token says custody must hold.
    const [basketAssets, basketAmounts] = await fx.index.basket();
    for (let i = 0; i < basketAssets.length; i++) {
      expect(await fx.attested.attestedCustody(indexAddress, basketAssets[i])).toBeGreaterThanOrEqual(basketAmounts[i]);
    }
    expect(await fx.attested.isTxIdUsed(chainKey('bitcoin'), btcLeg.txId)).toBe(true);
    expect((await fx.attested.getMintRequest(requestId)).status).toBe(2n);
  });

  it('refuses a transaction id already used, also for another request', async () => {
    const fx = await fixture();
    const first = await requestMint(fx);
    await (await attest(fx, first, [receivedLeg(first, 'BTC')])).wait();
    const second = await requestMint(fx);
    const replay = receivedLeg(second, 'BTC');
    await expectRevert(attest(fx, second, [replay]), fx.attested, 'TxIdAlreadyUsed', [replay.chain, replay.txId]);
  });

  it('refuses a leg signed by a key that is not a registered custodian signer', async () => {
    const fx = await fixture();
    const requestId = await requestMint(fx);
    await expectRevert(attest(fx, requestId, [receivedLeg(requestId, 'BTC')], fx.outsider), fx.attested, 'NotCustodianSigner', [
      fx.outsider.address,
    ]);
    // A revoked custodian key is refused the same way.
    await (await fx.registry.setSigner(fx.custodian.address, false)).wait();
    await expectRevert(attest(fx, requestId, [receivedLeg(requestId, 'BTC')]), fx.attested, 'NotCustodianSigner', [fx.custodian.address]);
  });

  it('refuses a delivery short of the basket amount', async () => {
    const fx = await fixture();
    const requestId = await requestMint(fx);
    await expectRevert(attest(fx, requestId, [receivedLeg(requestId, 'BTC', { amount: 1_999_999n })]), fx.attested, 'ShortDelivery', [
      BTC,
      1_999_999n,
      2_000_000n,
    ]);
  });

  it('refuses a delivery to a wallet that is not registered on that chain', async () => {
    const fx = await fixture();
    const requestId = await requestMint(fx);
    // The Solana wallet is registered, but not on bitcoin.
    const leg = receivedLeg(requestId, 'BTC', { wallet: nativeKey(SOL_WALLET) });
    await expectRevert(attest(fx, requestId, [leg]), fx.attested, 'WalletNotRegistered', [chainKey('bitcoin'), nativeKey(SOL_WALLET)]);
  });

  it('refuses legs for another request, released legs, a second leg for one asset and assets outside the basket', async () => {
    const fx = await fixture();
    const requestId = await requestMint(fx);
    const other = hre.ethers.id('other');
    await expectRevert(attest(fx, requestId, [receivedLeg(other, 'BTC')]), fx.attested, 'LegForOtherRequest', [requestId, other]);
    await expectRevert(attest(fx, requestId, [receivedLeg(requestId, 'BTC', { direction: LegDirection.Released })]), fx.attested, 'WrongDirection', [
      1,
    ]);
    await (await attest(fx, requestId, [receivedLeg(requestId, 'BTC')])).wait();
    await expectRevert(attest(fx, requestId, [receivedLeg(requestId, 'BTC', { txId: nativeKey('b2'.repeat(32)) })]), fx.attested, 'LegAlreadyAttested', [
      requestId,
      BTC,
    ]);
    const doge = receivedLeg(requestId, 'BTC', { asset: assetKey('DOGE'), txId: nativeKey('c3'.repeat(32)) });
    await expectRevert(attest(fx, requestId, [doge]), fx.attested, 'AssetNotInBasket', [custodianPlaceholder('bitcoin', 'DOGE')]);
  });

  it('lets anyone refund the WLP after the timeout, and then accepts no more legs', async () => {
    const fx = await fixture();
    const requestId = await requestMint(fx);
    await (await attest(fx, requestId, [receivedLeg(requestId, 'BTC')])).wait();
    const deadline = (await fx.attested.getMintRequest(requestId)).deadline;
    await expectRevert(by(fx.attested, fx.outsider).refundMint(requestId), fx.attested, 'RequestNotExpired', [requestId, deadline]);
    const before = await fx.cash.balanceOf(fx.wlp.address);
    await increaseTime(TIMEOUT + 1n);
    await expectRevert(attest(fx, requestId, [receivedLeg(requestId, 'SOL')]), fx.attested, 'RequestExpired', [requestId, deadline]);
    await (await by(fx.attested, fx.outsider).refundMint(requestId)).wait();
    expect(await fx.cash.balanceOf(fx.wlp.address)).toBe(before + CASH);
    expect(await fx.index.totalSupply()).toBe(0n);
    expect(await fx.attested.attestedCustody(await fx.index.getAddress(), BTC)).toBe(0n);
    await expectRevert(by(fx.attested, fx.outsider).refundMint(requestId), fx.attested, 'RequestNotPending', [requestId, 3]);
  });

  it('completes a mint at most once: no second completion, no refund after it', async () => {
    const fx = await fixture();
    const requestId = await requestMint(fx);
    await (await attest(fx, requestId, [receivedLeg(requestId, 'BTC'), receivedLeg(requestId, 'SOL')])).wait();
    expect(await fx.index.balanceOf(fx.wlp.address)).toBe(INDEX_AMOUNT);
    const fresh = receivedLeg(requestId, 'SOL', { txId: nativeKey('6'.repeat(88)) });
    await expectRevert(attest(fx, requestId, [fresh]), fx.attested, 'RequestNotPending', [requestId, 2]);
    await increaseTime(TIMEOUT + 1n);
    await expectRevert(by(fx.attested, fx.outsider).refundMint(requestId), fx.attested, 'RequestNotPending', [requestId, 2]);
    expect(await fx.index.totalSupply()).toBe(INDEX_AMOUNT);
    // The PMM starts with 10 x CASH for redeems.
    expect(await fx.cash.balanceOf(fx.pmm.address)).toBe(11n * CASH);
  });

  it('opens requests only for allowed indexes and cash tokens whose baskets are registered and hold a custodian asset', async () => {
    const fx = await fixture();
    const index = await fx.index.getAddress();
    const cash = await fx.cash.getAddress();
    await expectRevert(by(fx.attested, fx.wlp).requestMint(fx.outsider.address, ONE, cash, CASH, fx.pmm.address), fx.attested, 'UnknownIndex', [
      fx.outsider.address,
    ]);
    await expectRevert(by(fx.attested, fx.wlp).requestMint(index, ONE, index, CASH, fx.pmm.address), fx.attested, 'CashTokenNotAllowed', [index]);
    await expectRevert(by(fx.attested, fx.wlp).requestMint(index, 0n, cash, CASH, fx.pmm.address), fx.attested, 'ZeroAmount');
    await expectRevert(by(fx.attested, fx.wlp).requestMint(index, ONE, cash, CASH, hre.ethers.ZeroAddress), fx.attested, 'ZeroAddress');
    await expectRevert(by(fx.attested, fx.outsider).setIndex(index, false), fx.attested, 'AccessControlUnauthorizedAccount');
    // Every basket asset must be registered, and a basket without custodian assets belongs to the quote-order Issuer.
    const stray = hre.ethers.getAddress('0x00000000000000000000000000000000000000e1');
    const unregistered = await deployIndex(fx.admin, [BTC, stray]);
    await (await by(fx.attested, fx.operator).setIndex(await unregistered.getAddress(), true)).wait();
    await expectRevert(
      by(fx.attested, fx.wlp).requestMint(await unregistered.getAddress(), ONE, cash, CASH, fx.pmm.address),
      fx.attested,
      'UnregisteredAsset',
      [await unregistered.getAddress(), stray],
    );
    const onchainOnly = await deployIndex(fx.admin, [await fx.weth.getAddress()]);
    await (await by(fx.attested, fx.operator).setIndex(await onchainOnly.getAddress(), true)).wait();
    await expectRevert(
      by(fx.attested, fx.wlp).requestRedeem(await onchainOnly.getAddress(), ONE, cash, CASH, fx.pmm.address),
      fx.attested,
      'NoCustodianAsset',
      [await onchainOnly.getAddress()],
    );
    await expectRevert(by(fx.attested, fx.operator).setCustodyVault(fx.outsider.address), fx.attested, 'AccessControlUnauthorizedAccount');
  });

  describe('redeem', () => {
    it('burns the escrowed tokens and pays the WLP once the custodian released every asset to the PMM', async () => {
      const fx = await fixture();
      await mintThrough(fx);
      const indexAddress = await fx.index.getAddress();
      const requestId = await requestRedeem(fx);
      expect(await fx.index.balanceOf(await fx.attested.getAddress())).toBe(INDEX_AMOUNT);
      // Nothing is released before the PMM's cash is escrowed, and only the named PMM accepts.
      await expectRevert(attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC')]), fx.attested, 'RedeemNotAccepted', [requestId]);
      await expectRevert(by(fx.attested, fx.outsider).acceptRedeem(requestId, await destinationsOf(fx.index)), fx.attested, 'NotRequestPmm', [
        requestId,
        fx.pmm.address,
      ]);
      await expectRevert(by(fx.attested, fx.pmm).acceptRedeem(requestId, [PMM_BTC_KEY]), fx.attested, 'DestinationCountMismatch', [1, 2]);
      const accepted = await eventArgs(by(fx.attested, fx.pmm).acceptRedeem(requestId, await destinationsOf(fx.index)), fx.attested, 'RedeemAccepted');
      // Acceptance burns the escrow and fixes each leg at the floor basket amount, out of attested custody.
      expect([...(accepted.amounts as bigint[])]).toEqual([BTC, SOL].map((a) => (UNITS[a]! * INDEX_AMOUNT) / ONE));
      expect(await fx.attested.redeemDue(requestId, SOL)).toBe(10_000_000_000n);
      expect(await fx.index.totalSupply()).toBe(0n);
      expect(await fx.attested.attestedCustody(indexAddress, BTC)).toBe(0n);
      expect(await fx.cash.balanceOf(await fx.attested.getAddress())).toBe(CASH);
      expect(await fx.attested.redeemDestination(requestId, BTC)).toBe(PMM_BTC_KEY);
      await expectRevert(by(fx.attested, fx.pmm).acceptRedeem(requestId, await destinationsOf(fx.index)), fx.attested, 'RedeemAlreadyAccepted', [requestId]);

      // Each leg is attested on its own; the WLP is paid after the last one.
      await (await attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC')])).wait();
      expect(await fx.attested.attestedLeg(requestId, BTC)).toBe(2_000_000n);
      expect(await fx.cash.balanceOf(await fx.attested.getAddress())).toBe(CASH);
      const cashBefore = await fx.cash.balanceOf(fx.wlp.address);
      const done = await eventArgs(attestRedeem(fx, requestId, [releasedLeg(requestId, 'SOL')]), fx.attested, 'RedeemCompleted');
      expect(done.requestId).toBe(requestId);
      expect(await fx.index.totalSupply()).toBe(0n);
      expect(await fx.cash.balanceOf(fx.wlp.address)).toBe(cashBefore + CASH);
      expect(await fx.cash.balanceOf(await fx.attested.getAddress())).toBe(0n);
      expect(await fx.attested.attestedCustody(indexAddress, BTC)).toBe(0n);
      expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(0n);
      expect((await fx.attested.getRedeemRequest(requestId)).status).toBe(2n);
      await increaseTime(TIMEOUT + 1n);
      await expectRevert(by(fx.attested, fx.outsider).refundRedeem(requestId), fx.attested, 'RequestNotPending', [requestId, 2]);
    });

    it('lets anyone refund a redeem the PMM never accepted, or accepted without any release, after the timeout', async () => {
      const fx = await fixture();
      await mintThrough(fx);
      const half = INDEX_AMOUNT / 2n;
      const ignored = await requestRedeem(fx, fx.index, half);
      const stalled = await requestRedeem(fx, fx.index, half);
      await (await by(fx.attested, fx.pmm).acceptRedeem(stalled, await destinationsOf(fx.index))).wait();
      const pmmCash = await fx.cash.balanceOf(fx.pmm.address);
      const deadline = (await fx.attested.getRedeemRequest(ignored)).deadline;
      await expectRevert(by(fx.attested, fx.outsider).refundRedeem(ignored), fx.attested, 'RequestNotExpired', [ignored, deadline]);
      await increaseTime(TIMEOUT + 1n);
      await expectRevert(by(fx.attested, fx.pmm).acceptRedeem(ignored, await destinationsOf(fx.index)), fx.attested, 'RequestExpired', [ignored, deadline]);
      await (await by(fx.attested, fx.outsider).refundRedeem(ignored)).wait();
      await eventArgs(by(fx.attested, fx.outsider).refundRedeem(stalled), fx.attested, 'RedeemRefunded');
      // The accepted one was burned on acceptance: its tokens are re-minted and its legs return to custody.
      expect(await fx.index.balanceOf(fx.wlp.address)).toBe(INDEX_AMOUNT);
      expect(await fx.index.totalSupply()).toBe(INDEX_AMOUNT);
      expect(await fx.cash.balanceOf(fx.pmm.address)).toBe(pmmCash + CASH);
      expect(await fx.attested.attestedCustody(await fx.index.getAddress(), BTC)).toBe(2_000_000n);
      expect(await fx.attested.attestedCustody(await fx.index.getAddress(), SOL)).toBe(10_000_000_000n);
      expect((await fx.attested.getRedeemRequest(stalled)).status).toBe(3n);
    });

    it('settles a partly released redeem at the timeout and accepts the owed release later', async () => {
      const fx = await fixture();
      await mintThrough(fx);
      const indexAddress = await fx.index.getAddress();
      const requestId = await requestRedeem(fx);
      await (await by(fx.attested, fx.pmm).acceptRedeem(requestId, await destinationsOf(fx.index))).wait();
      await (await attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC')])).wait();
      await increaseTime(TIMEOUT + 1n);
      // BTC already left custody: the WLP cannot get its tokens back, so the redeem settles and SOL is owed.
      const settled = await eventArgs(by(fx.attested, fx.outsider).refundRedeem(requestId), fx.attested, 'RedeemSettled');
      expect(settled.requestId).toBe(requestId);
      // What stays owed is the accepted SOL amount, which has no leg yet.
      expect(await fx.attested.redeemDue(requestId, SOL)).toBe(10_000_000_000n);
      expect(await fx.index.totalSupply()).toBe(0n);
      expect(await fx.cash.balanceOf(await fx.attested.getAddress())).toBe(0n);
      expect(await fx.attested.attestedCustody(indexAddress, SOL)).toBe(0n);
      expect(await fx.attested.attestedLeg(requestId, SOL)).toBe(0n);
      expect((await fx.attested.getRedeemRequest(requestId)).status).toBe(4n);
      await expectRevert(attestRedeem(fx, requestId, [releasedLeg(requestId, 'SOL', { amount: 1n })]), fx.attested, 'ShortDelivery', [
        SOL,
        1n,
        10_000_000_000n,
      ]);
      await (await attestRedeem(fx, requestId, [releasedLeg(requestId, 'SOL')])).wait();
      expect(await fx.attested.attestedLeg(requestId, SOL)).toBe(10_000_000_000n);
      await expectRevert(
        attestRedeem(fx, requestId, [releasedLeg(requestId, 'SOL', { txId: nativeKey('8'.repeat(88)) })]),
        fx.attested,
        'NothingOwed',
        [requestId, SOL],
      );
    });

    it('refuses a replayed transaction id, a wrong signer, a short or excess release, another address and a Received leg', async () => {
      const fx = await fixture();
      await mintThrough(fx);
      const requestId = await requestRedeem(fx);
      await (await by(fx.attested, fx.pmm).acceptRedeem(requestId, await destinationsOf(fx.index))).wait();
      // The mint's BTC delivery cannot be passed off as this release.
      const replay = releasedLeg(requestId, 'BTC', { txId: nativeKey(`${(await fx.attested.queryFilter(fx.attested.filters.MintRequested()))[0]!.topics[1]}btc`) });
      await expectRevert(attestRedeem(fx, requestId, [replay]), fx.attested, 'TxIdAlreadyUsed', [replay.chain, replay.txId]);
      await expectRevert(attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC')], fx.outsider), fx.attested, 'NotCustodianSigner', [fx.outsider.address]);
      await expectRevert(attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC', { amount: 1_999_999n })]), fx.attested, 'ShortDelivery', [
        BTC,
        1_999_999n,
        2_000_000n,
      ]);
      await expectRevert(attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC', { amount: 2_000_001n })]), fx.attested, 'ExcessRelease', [
        BTC,
        2_000_001n,
        2_000_000n,
      ]);
      const elsewhere = nativeKey('bc1qelsewhere');
      await expectRevert(attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC', { counterparty: elsewhere })]), fx.attested, 'WrongCounterparty', [
        BTC,
        elsewhere,
        PMM_BTC_KEY,
      ]);
      await expectRevert(attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC', { direction: LegDirection.Received })]), fx.attested, 'WrongDirection', [0]);
      // None of the refused legs used up their transaction id.
      await (await attestRedeem(fx, requestId, [releasedLeg(requestId, 'BTC')])).wait();
    });
  });

  describe('mixed basket', () => {
    it('settles custodian legs by attestation and the on-chain leg atomically through CustodyVault', async () => {
      const fx = await fixture();
      const vault = await fx.vault.getAddress();
      const mixed = await fx.mixed.getAddress();
      const pmmWeth = await fx.weth.balanceOf(fx.pmm.address);
      const mintId = await requestMint(fx, fx.mixed);
      await (await attest(fx, mintId, [receivedLeg(mintId, 'BTC')])).wait();
      // Every custodian leg is in, but the WETH leg comes from the PMM's allowance: only the PMM completes.
      await (await attest(fx, mintId, [receivedLeg(mintId, 'SOL')])).wait();
      expect(await fx.weth.balanceOf(vault)).toBe(0n);
      expect((await fx.attested.getMintRequest(mintId)).status).toBe(1n);
      await eventArgs(by(fx.attested, fx.pmm).attestMint(mintId, [], []), fx.attested, 'MintCompleted');
      expect(await fx.mixed.balanceOf(fx.wlp.address)).toBe(INDEX_AMOUNT);
      expect(await fx.weth.balanceOf(vault)).toBe(INDEX_AMOUNT);
      expect(await fx.weth.balanceOf(fx.pmm.address)).toBe(pmmWeth - INDEX_AMOUNT);
      // On-chain custody is the vault's balance, not attested.
      expect(await fx.attested.attestedCustody(mixed, await fx.weth.getAddress())).toBe(0n);
      expect(await fx.attested.attestedCustody(mixed, BTC)).toBe(2_000_000n);

      const redeemId = await requestRedeem(fx, fx.mixed);
      await (await by(fx.attested, fx.pmm).acceptRedeem(redeemId, await destinationsOf(fx.mixed))).wait();
      const released = await (await attestRedeem(fx, redeemId, [releasedLeg(redeemId, 'BTC'), releasedLeg(redeemId, 'SOL')])).wait();
      const vaultEvent = released.logs
        .filter((log: { address: string }) => log.address === vault)
        .map((log: { topics: string[]; data: string }) => fx.vault.interface.parseLog(log)!);
      expect(vaultEvent.map((e: { name: string }) => e.name)).toEqual(['Released']);
      expect(await fx.weth.balanceOf(vault)).toBe(0n);
      expect(await fx.weth.balanceOf(fx.pmm.address)).toBe(pmmWeth);
      expect(await fx.mixed.totalSupply()).toBe(0n);
      expect(await fx.attested.attestedCustody(mixed, BTC)).toBe(0n);
    });

    it('does not complete a mixed mint when the PMM withholds the on-chain leg, and refunds the WLP at the timeout', async () => {
      const fx = await fixture();
      await (await by(fx.weth, fx.pmm).approve(await fx.attested.getAddress(), 0n)).wait();
      const mintId = await requestMint(fx, fx.mixed);
      await (await attest(fx, mintId, [receivedLeg(mintId, 'BTC'), receivedLeg(mintId, 'SOL')])).wait();
      await expectRevert(by(fx.attested, fx.pmm).attestMint(mintId, [], []), fx.weth, 'ERC20InsufficientAllowance');
      const before = await fx.cash.balanceOf(fx.wlp.address);
      await increaseTime(TIMEOUT + 1n);
      await (await by(fx.attested, fx.outsider).refundMint(mintId)).wait();
      expect(await fx.cash.balanceOf(fx.wlp.address)).toBe(before + CASH);
      expect(await fx.mixed.totalSupply()).toBe(0n);
    });
  });

  it('validates as an upgrade of itself (namespaced storage, no constructor state)', async () => {
    const fx = await fixture();
    await hre.upgrades.validateUpgrade(await fx.attested.getAddress(), await hre.ethers.getContractFactory('AttestedIssuer'), { kind: 'uups' });
  });

  it('only appends to the storage of the mint-only version (redeem fields come after the mint fields)', async () => {
    await hre.upgrades.validateUpgrade(
      await hre.ethers.getContractFactory('AttestedIssuerMintOnlyLayout'),
      await hre.ethers.getContractFactory('AttestedIssuer'),
      { kind: 'uups' },
    );
  });
});
