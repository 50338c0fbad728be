import hre from 'hardhat';
import fc from 'fast-check';
import type { Contract, ContractTransactionReceipt as TxReceipt, ContractTransactionResponse, Signer, TypedDataDomain } from 'ethers';
import { createIndex } from '../../../scripts/deploy/index-protocol';
import { FEE_FACTOR_UNIT, feeFor, INDEX_UNIT, Side, type QuoteOrder } from '../../../lambdas/domain/orders';
import { legsValue, rebalancedTokenset, rebalancerDomain, withinTolerance, type FeeSaleOrder, type RebalanceOrder } from '../../../lambdas/domain/rebalance-orders';
import { decodeRevert, expectRevert } from '../../helpers/revert';
import { eventArgs } from '../../helpers/staking';
import { CustodyMode, deployAttestedIssuer, deployAttestedRebalancer, deployIndexToken, pmmDestinations, signLeg } from '../../helpers/custody';
import { LegDirection, assetKey, chainKey, nativeKey, type CustodyLeg } from '../../../lambdas/domain/custody/attestation';
import { custodianPlaceholder } from '../../../lambdas/domain/custody/placeholder';
import { MAX_UINT256, ONE, as, deployIndexFixture, increaseTime, now, send, sign, type IndexFixture } from '../../helpers/index-protocol';
import {
  enableRebalanceMaker,
  feeAwareQuote,
  freshNonce,
  priceAttestation,
  rebalanceDomain,
  rebalanceOrder,
  signFeeSale,
  signPrices,
  readBasis,
  signRebalance,
} from '../../helpers/rebalance';
import { basketOf, factorAt } from '../../../lambdas/domain/fees';

/**
 * Stateful property test: random sequences of atomic and requested mints and redeems, fills,
 * cancels after timeout, holder transfers, time jumps, fee accruals, rebalances with random
 * reweighting (a fourth asset can come in, assets can shrink or grow) and fee sales, over two
 * indexes that share assets and both charge a management fee. After every step:
 * - every balance equals what a model of the protocol predicts (nothing created or lost);
 * - custody holds at least the sum of the indexes' baskets and fee baskets for every asset,
 *   including assets a rebalance dropped;
 * - each basket covers the holders' exact claims (base x fee factor) and exceeds their rounded-down
 *   sum by at most one unit per holder (rounding favours the protocol);
 * - total supply equals the holders' balances; the issuer holds exactly the pending escrow and
 *   the rebalancer holds nothing.
 * A third index, NAT.ssi, holds two custodian assets (BTC, SOL on their native chains) and one of the
 * pool's ERC-20s, and settles through AttestedIssuer: attested mint and redeem requests, custodian
 * legs one at a time (deliveries above the basket amount, exact releases), PMM acceptances, and
 * refunds or settlements after the timeout. The native wallets are modelled as ledgers. After every
 * step, also:
 * - attested custody is what the model books, and covers NAT.ssi's basket and fee basket;
 * - the native wallets hold exactly attested custody plus the units in flight (delivered for mints
 *   not completed, due to PMMs but not yet released): no native unit created or lost;
 * - CustodyVault covers NAT.ssi's on-chain leg (and what accepted redeems will release) beside the
 *   other indexes; AttestedIssuer holds exactly the escrow of its open requests.
 * NAT.ssi is also rebalanced through AttestedRebalancer: the operator opens a PMM-signed order selling
 * random shares of its basket (custodian and on-chain) for other assets (custodian BTC, SOL, a DOGE it
 * does not hold at first, or pool ERC-20s), the PMM accepts (escrowing its on-chain buys), the custodian
 * attests the buys received and the sells released one leg at a time (the last completes it), and past
 * the deadline anyone cancels it (nothing released) or settles it (some released; the rest stays owed and
 * attestable). At most one is pending, and the model refuses a second open with the contract. Attested
 * redeems are not accepted while one is pending (AttestedIssuer refuses that). The operator opens whatever
 * attested requests stand, so a rebalance can complete between a mint's legs, or between a redeem's
 * acceptance and its refund (this test found that AttestedIssuer used to book both at the units of their
 * time, leaving custody short): AttestedIssuer refuses to complete a mint whose earlier leg falls short of
 * the new basket (ShortDelivery; it is refunded) and settles instead of refunding an accepted redeem whose
 * fixed amounts no longer cover its index amount, and the model expects each exactly then. While a rebalance
 * is pending a mint's legs are attested all at once. After every step, also:
 * - while pending, NAT.ssi's tokenset and fee factor are those of the opening and its fee is frozen
 *   (feeState().rebalancing); otherwise it is not frozen and no rebalance is pending;
 * - the rebalance's status, acceptance and attested legs are what the model tracks, and AttestedRebalancer
 *   holds exactly the on-chain buys escrowed by an accepted pending rebalance;
 * - the native wallets also count buys received and sells released for a pending rebalance, and sells a
 *   settled one still owes; the tokenset at completion is the Rebalancer's formula on the basket and supply
 *   of that moment.
 */

type Step =
  | { kind: 'mint'; index: number; wlp: number; amount: bigint; cash: bigint; atomic: boolean }
  | { kind: 'redeem'; index: number; wlp: number; percent: number; cash: bigint; atomic: boolean }
  | { kind: 'fill'; pick: number }
  | { kind: 'cancel'; pick: number; byOperator: boolean }
  | { kind: 'transfer'; index: number; from: number; to: number; percent: number }
  | { kind: 'wait'; seconds: number }
  | { kind: 'accrue'; index: number }
  | { kind: 'rebalance'; index: number; sellPercents: number[]; buyWeights: number[] }
  | { kind: 'feeSale'; index: number; percent: number; cash: bigint }
  | { kind: 'aMint'; wlp: number; amount: bigint; cash: bigint }
  | { kind: 'aRedeem'; wlp: number; percent: number; cash: bigint }
  | { kind: 'aLeg'; pick: number; extra: bigint; actions: number }
  | { kind: 'aExpire'; pick: number }
  | { kind: 'rOpen'; sellPercents: number[]; buyWeights: number[] }
  | { kind: 'rLeg'; actions: number; acceptFirst: boolean }
  | { kind: 'rExpire' };

/** An open AttestedIssuer request as the model sees it. */
interface AttestedRequest {
  side: Side;
  id: string;
  wlp: 'wlp' | 'wlp2';
  indexAmount: bigint;
  cash: bigint;
  deadline: bigint;
  /** Redeem: accepted by the PMM (then `due` holds each asset's fixed amount). */
  accepted: boolean;
  due: Map<string, bigint>;
  /** Custodian legs attested so far, by asset. */
  legs: Map<string, bigint>;
  /** Redeem past its deadline with some legs released: only owed legs remain. */
  settled: boolean;
  /**
   * A rebalance of the index completed while this mint had legs attested, or this redeem's amounts stood fixed: its
   * earlier legs or fixed amounts may fall short of the new basket.
   */
  straddled?: boolean;
  /** Mint refused at completion (a leg short of the basket after a rebalance): only its refund remains. */
  short?: boolean;
}

/** An AttestedRebalancer rebalance of NAT.ssi as the model sees it: pending, or settled with sells owed. */
interface AttestedRebalance {
  id: string;
  order: RebalanceOrder;
  accepted: boolean;
  /** Custodian legs attested so far: buys received, sells released. */
  legs: Set<string>;
  /** Past its deadline with some sells released: completed, the other sells owed to the PMM. */
  settled: boolean;
  /** NAT.ssi's tokenset and fee factor at opening, frozen while the rebalance is pending. */
  tokenset: { assets: string[]; unitAmounts: bigint[] };
  factor: bigint;
}

interface Pending {
  order: QuoteOrder;
  fee: bigint;
  expiresAt: bigint;
}

const RUNS = Number(process.env.PROPERTY_RUNS ?? 30);
const MAX_STEPS = Number(process.env.PROPERTY_STEPS ?? 25);
const ISSUE_FEE_BPS = 30;
const REDEEM_FEE_BPS = 20;
/** Management fees of the two indexes, ppm a year: high, so that weeks of waiting show. */
const FEE_RATES_PPM = [50_000, 100_000];
/** USD prices per whole token of the four pool assets (18 decimals). */
const POOL_PRICES = [60_000n, 3n, 1n, 7n].map((p) => p * 10n ** 18n);
/** NAT.ssi: custodian BTC and SOL beside pool asset 1, with its own management fee. */
const BTC = custodianPlaceholder('bitcoin', 'BTC');
const SOL = custodianPlaceholder('solana', 'SOL');
const DOGE = custodianPlaceholder('dogecoin', 'DOGE');
/** The custodian assets, with USD prices per whole unit; NAT.ssi starts without DOGE (unit amount zero). */
const NATIVE = [
  { asset: BTC, chain: 'bitcoin', id: 'BTC', decimals: 8, wallet: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh', pmm: 'bc1q9h7garjdlmqyzzu7c6ynfh6xxm8yxnk8c5m3yz', unitAmount: 1_234_567n, price: 60_000n * 10n ** 18n },
  { asset: SOL, chain: 'solana', id: 'SOL', decimals: 9, wallet: '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV', pmm: '9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM', unitAmount: 987_654_321n, price: 150n * 10n ** 18n },
  { asset: DOGE, chain: 'dogecoin', id: 'DOGE', decimals: 8, wallet: 'DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L', pmm: 'DBs4WcRE7eysKwRxHNX88XZVCQ9M6QSUSz', unitAmount: 0n, price: 2n * 10n ** 17n },
];
const nativeOf = (asset: string): (typeof NATIVE)[number] | undefined => NATIVE.find((n) => n.asset === asset);
/** NAT.ssi minted in setup (through attested legs), so that its rebalances can open from a run's first step. */
const NAT_SETUP_SUPPLY = 3n * ONE;
const NAT_ONCHAIN_UNITS = 11_111_111_111_111_111n;
const NAT_FEE_RATE_PPM = 80_000;
const ATTESTED_TIMEOUT = 3600;

/**
 * A rebalance settled past its deadline: sell 30% of BTC and SOL for DOGE (custodian) and A2 (on-chain), an
 * attested mint completes meanwhile (so the supply at completion differs from the opening's), accept, receive
 * the DOGE, release one sell, let the deadline pass and settle, release the owed sell; then open and complete
 * another rebalance of the index.
 */
const SETTLED_REBALANCE: Step[] = [
  { kind: 'rOpen', sellPercents: [30, 30, 0, 0, 0, 0, 0], buyWeights: [0, 0, 1, 0, 0, 1, 0] },
  { kind: 'aMint', wlp: 1, amount: 2n * ONE, cash: 10n ** 6n },
  { kind: 'aLeg', pick: 0, extra: 5n, actions: 1 },
  { kind: 'rLeg', actions: 3, acceptFirst: true },
  { kind: 'rExpire' },
  { kind: 'rLeg', actions: 1, acceptFirst: false },
  { kind: 'rOpen', sellPercents: [0, 0, 0, 0, 50, 0, 0], buyWeights: [0, 1, 0, 0, 0, 0, 0] },
  { kind: 'rLeg', actions: 3, acceptFirst: false },
];

/**
 * Attested requests straddling a rebalance's completion: a mint with its first leg attested and a redeem accepted,
 * then a rebalance sells half of NAT.ssi's on-chain asset for BTC, SOL and DOGE and completes. The mint's earlier
 * leg now falls short of the basket, so its completion is refused and it is refunded; the redeem's fixed amounts no
 * longer cover its index amount, so past its deadline it settles instead of re-minting.
 */
const STRADDLED_REQUESTS: Step[] = [
  { kind: 'aMint', wlp: 1, amount: 2n * ONE, cash: 10n ** 6n },
  { kind: 'aLeg', pick: 0, extra: 0n, actions: 1 },
  { kind: 'aRedeem', wlp: 0, percent: 20, cash: 10n ** 6n },
  { kind: 'aLeg', pick: 1, extra: 0n, actions: 1 },
  { kind: 'rOpen', sellPercents: [0, 0, 0, 0, 50, 0, 0], buyWeights: [1, 1, 1, 0, 0, 0, 0] },
  { kind: 'rLeg', actions: 6, acceptFirst: true },
  { kind: 'aLeg', pick: 0, extra: 0n, actions: 3 },
  { kind: 'aExpire', pick: 1 },
  { kind: 'aExpire', pick: 0 },
];

/** An asset's amount for `indexAmount` at base unit `unit` and fee factor `factor` (BasketMath.amountFor). */
function amountFor(indexAmount: bigint, unit: bigint, factor: bigint, up: boolean): bigint {
  const scale = INDEX_UNIT * FEE_FACTOR_UNIT;
  const product = indexAmount * unit * factor;
  return up ? (product + scale - 1n) / scale : product / scale;
}

/** The amount of `asset` in a rebalance order's leg list, zero when absent. */
function amountIn(legAssets: readonly string[], amounts: readonly bigint[], asset: string): bigint {
  const k = legAssets.indexOf(asset);
  return k < 0 ? 0n : amounts[k];
}

/** Whether `contract` emitted `name` in the transaction of `receipt`. */
function hasEvent(receipt: TxReceipt, contract: Contract, name: string): boolean {
  const address = String(contract.target).toLowerCase();
  return receipt.logs.some((log) => log.address.toLowerCase() === address && contract.interface.parseLog(log)?.name === name);
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mint' as const), index: fc.nat(1), wlp: fc.nat(1), amount: fc.bigInt(ONE / 100n, 40n * ONE), cash: fc.bigInt(0n, 5_000n * 10n ** 6n), atomic: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('redeem' as const), index: fc.nat(1), wlp: fc.nat(1), percent: fc.integer({ min: 1, max: 100 }), cash: fc.bigInt(0n, 5_000n * 10n ** 6n), atomic: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(100), byOperator: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('transfer' as const), index: fc.nat(1), from: fc.nat(2), to: fc.nat(2), percent: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 40 * 86_400 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('accrue' as const), index: fc.nat(1) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('rebalance' as const),
      index: fc.nat(1),
      sellPercents: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 4, maxLength: 4 }),
      buyWeights: fc.array(fc.nat(10), { minLength: 4, maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('feeSale' as const), index: fc.nat(1), percent: fc.integer({ min: 1, max: 100 }), cash: fc.bigInt(10n ** 6n, 10_000n * 10n ** 6n) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('aMint' as const), wlp: fc.nat(1), amount: fc.bigInt(1n, 40n * ONE), cash: fc.bigInt(1n, 5_000n * 10n ** 6n) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('aRedeem' as const), wlp: fc.nat(1), percent: fc.integer({ min: 1, max: 100 }), cash: fc.bigInt(1n, 5_000n * 10n ** 6n) }) },
  // Up to four successive actions on one request, so that requests reach their ends between time jumps.
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('aLeg' as const), pick: fc.nat(100), extra: fc.bigInt(0n, 1_000n), actions: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('aExpire' as const), pick: fc.nat(100) }) },
  // Shares of NAT.ssi's basket sold and weights of the assets bought, both by position in the custodian
  // assets then the pool; most are zero so that orders stay small and often leave custodian assets unsold.
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('rOpen' as const),
      sellPercents: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 100 }) }), { minLength: 7, maxLength: 7 }),
      buyWeights: fc.array(fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }) }), { minLength: 7, maxLength: 7 }),
    }),
  },
  // Up to five successive legs or the acceptance, accepting before or after the buys arrive.
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('rLeg' as const), actions: fc.integer({ min: 1, max: 5 }), acceptFirst: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rExpire' as const) }) },
);

describe('Index protocol invariants under random operation sequences', () => {
  let fx: IndexFixture;
  let indexes: Contract[];
  let assets: string[];
  let pool: Contract[];
  let rebalanceDomainOf: TypedDataDomain;
  const prices = new Map<string, bigint>();
  const decimals = new Map<string, number>();
  let usdc: string;
  let accounts: Record<string, string>;
  let holders: Signer[];
  let attested: Contract;
  let nat: Contract;
  let natOnchain: string;
  let custodian: Signer;
  let arb: Contract;
  let arbDomain: TypedDataDomain;
  let toleranceBps: bigint;
  /** Prices and decimals of every asset NAT.ssi may hold, keyed by lower-case address (legsValue's keys). */
  const natPrices = new Map<string, bigint>();
  const natDecimals = new Map<string, number>();

  beforeAll(async () => {
    fx = await deployIndexFixture(hre, {
      assetCount: 3,
      issueFeeBps: ISSUE_FEE_BPS,
      redeemFeeBps: REDEEM_FEE_BPS,
      pmmIndexTokensWorth: 5_000n * ONE,
      feeRatePpm: FEE_RATES_PPM[0],
      maxFeeRatePpm: 100_000,
    });
    // A second index sharing two of the three assets, so custody serves both from the same balances.
    const secondAddress = await createIndex(fx.indexFactory, {
      name: 'Second Test Index',
      symbol: 'TWO.ssi',
      constituents: [
        { asset: fx.tokenset.assets[0], unitAmount: 777_777_777n },
        { asset: fx.tokenset.assets[2], unitAmount: 3n },
      ],
      config: fx.config,
      feeRatePpm: FEE_RATES_PPM[1],
      maxFeeRatePpm: 100_000,
    });
    const second = (await hre.ethers.getContractAt('IndexToken', secondAddress)) as unknown as Contract;
    indexes = [fx.index, second];
    const issuerAddress = await fx.issuer.getAddress();
    const pmmAddress = await fx.pmm.getAddress();
    // A fourth asset in no index yet: rebalances may bring it in.
    const extra = (await (await hre.ethers.getContractFactory('TestToken', fx.admin)).deploy('Extra', 'EXT', 18)) as unknown as Contract;
    pool = [...fx.assets, extra];
    for (const [i, token] of pool.entries()) {
      const address = (await token.getAddress()).toLowerCase();
      prices.set(address, POOL_PRICES[i]);
      decimals.set(address, Number(await token.decimals()));
      // The PMM delivers whatever a basket comes to hold (minted as needed, outside the model's start).
      await (await token.mint(pmmAddress, 10n ** 40n)).wait();
      await (await as(token, fx.pmm).approve(issuerAddress, MAX_UINT256)).wait();
    }
    await enableRebalanceMaker(fx, pool, 0n);
    rebalanceDomainOf = await rebalanceDomain(hre, fx);
    holders = [fx.wlp, fx.wlp2, fx.outsider];
    for (const s of holders) await (await as(second, s).approve(issuerAddress, MAX_UINT256)).wait();
    assets = await Promise.all(pool.map((t) => t.getAddress()));
    usdc = await fx.usdc.getAddress();

    // NAT.ssi through AttestedIssuer: its on-chain leg shares CustodyVault with the other indexes.
    custodian = hre.ethers.Wallet.createRandom();
    const custody = await deployAttestedIssuer(hre, fx.admin, ATTESTED_TIMEOUT);
    attested = custody.attested;
    natOnchain = assets[1];
    for (const n of NATIVE) {
      await (await custody.registry.registerAsset(n.chain, n.id, n.decimals, CustodyMode.Custodian, n.asset)).wait();
      await (await custody.registry.setWallet(n.chain, n.wallet, true)).wait();
      natPrices.set(n.asset.toLowerCase(), n.price);
      natDecimals.set(n.asset.toLowerCase(), n.decimals);
    }
    // Every pool asset is registered: attested rebalances may bring any of them into NAT.ssi.
    for (const [i, asset] of assets.entries()) {
      await (await custody.registry.registerAsset('hardhat', `A${i}`, decimals.get(asset.toLowerCase())!, CustodyMode.Onchain, asset)).wait();
    }
    for (const [asset, price] of prices) natPrices.set(asset, price);
    for (const [asset, places] of decimals) natDecimals.set(asset, places);
    await (await custody.registry.setSigner(await custodian.getAddress(), true)).wait();
    const attestedAddress = await attested.getAddress();
    await (await attested.setCustodyVault(await fx.custodyVault.getAddress())).wait();
    await (await fx.custodyVault.grantRole(await fx.custodyVault.RELEASER_ROLE(), attestedAddress)).wait();
    nat = await deployIndexToken(hre, fx.admin, {
      name: 'Native Test Index',
      symbol: 'NAT.ssi',
      constituents: [...NATIVE.filter((n) => n.unitAmount > 0n).map((n) => ({ asset: n.asset, unitAmount: n.unitAmount })), { asset: natOnchain, unitAmount: NAT_ONCHAIN_UNITS }],
      feeRatePpm: NAT_FEE_RATE_PPM,
      maxFeeRatePpm: 100_000,
    });
    await (await nat.grantRole(await nat.ISSUER_ROLE(), attestedAddress)).wait();
    await (await attested.setIndex(await nat.getAddress(), true)).wait();
    await (await attested.setCashToken(usdc, true)).wait();
    for (const s of [fx.pmm, fx.wlp, fx.wlp2]) {
      await (await as(fx.usdc, s).approve(attestedAddress, MAX_UINT256)).wait();
      await (await as(nat, s).approve(attestedAddress, MAX_UINT256)).wait();
    }
    // NAT.ssi's rebalances: AttestedRebalancer over the Rebalancer's price protection, which allows custodian buys.
    arb = await deployAttestedRebalancer(hre, fx.admin, fx.rebalancer, attested);
    const arbAddress = await arb.getAddress();
    await (await nat.grantRole(await nat.REBALANCER_ROLE(), arbAddress)).wait();
    for (const n of NATIVE) await (await fx.rebalancer.setBuyAssetAllowed(n.asset, true)).wait();
    toleranceBps = (await fx.rebalancer.toleranceBps()) as bigint;
    arbDomain = rebalancerDomain((await hre.ethers.provider.getNetwork()).chainId, arbAddress);
    // The PMM delivers NAT.ssi's on-chain mint legs and escrows its on-chain rebalance buys, in any pool asset.
    for (const token of pool) {
      await (await as(token, fx.pmm).approve(attestedAddress, MAX_UINT256)).wait();
      await (await as(token, fx.pmm).approve(arbAddress, MAX_UINT256)).wait();
    }
    await mintNatInSetup();
    accounts = {
      pmm: pmmAddress,
      wlp: await fx.wlp.getAddress(),
      wlp2: await fx.wlp2.getAddress(),
      outsider: await fx.outsider.getAddress(),
      feeVault: await fx.feeVault.getAddress(),
      vault: await fx.custodyVault.getAddress(),
      issuer: issuerAddress,
      rebalancer: await fx.rebalancer.getAddress(),
      attested: await attested.getAddress(),
      arb: arbAddress,
    };
  });

  /** An attested mint of NAT_SETUP_SUPPLY to the first WLP: every custodian leg exact, then the PMM's completion. */
  async function mintNatInSetup(): Promise<void> {
    const { requestId } = (await eventArgs(
      as(attested, fx.wlp).requestMint(await nat.getAddress(), NAT_SETUP_SUPPLY, usdc, 10n ** 6n, await fx.pmm.getAddress()),
      attested,
      'MintRequested',
    )) as { requestId: string };
    const [baseAssets, baseUnits, factor] = (await nat.baseTokenset()) as [string[], bigint[], bigint];
    const legs: CustodyLeg[] = NATIVE.filter((n) => baseAssets.includes(n.asset)).map((n) => ({
      requestId,
      direction: LegDirection.Received,
      chain: chainKey(n.chain),
      asset: assetKey(n.id),
      amount: amountFor(NAT_SETUP_SUPPLY, baseUnits[baseAssets.indexOf(n.asset)], factor, true),
      txId: nativeKey(`${n.chain}-setup-mint`),
      wallet: nativeKey(n.wallet),
      counterparty: nativeKey(n.pmm),
    }));
    await (await attested.attestMint(requestId, legs, await Promise.all(legs.map((l) => signLeg(hre, custodian, attested, l))))).wait();
    await (await as(attested, fx.pmm).attestMint(requestId, [], [])).wait();
  }

  it('holds custody >= basket, basket ~ holders x tokenset, exact balances and escrow after every step', async () => {
    const natAddress = await nat.getAddress();
    const tokens = async (): Promise<string[]> => [...assets, usdc, natAddress, ...(await Promise.all(indexes.map((i) => i.getAddress())))];
    const readBalances = async (): Promise<Map<string, bigint>> => {
      const reads: Array<Promise<[string, bigint]>> = [];
      for (const token of await tokens()) {
        const erc20 = await hre.ethers.getContractAt('TestToken', token);
        for (const [name, address] of Object.entries(accounts)) {
          reads.push(erc20.balanceOf(address).then((b: bigint) => [`${token}:${name}`, b] as [string, bigint]));
        }
      }
      return new Map(await Promise.all(reads));
    };
    const indexAddresses = await Promise.all(indexes.map((i) => i.getAddress()));
    let stepsRun = 0;
    let rebalances = 0;
    let feeSales = 0;
    const attestedOutcomes = new Map<string, number>();
    const count = (outcome: string): void => {
      attestedOutcomes.set(outcome, (attestedOutcomes.get(outcome) ?? 0) + 1);
    };

    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: MAX_STEPS }), async (steps) => {
        const snapshot = await send(hre, 'evm_snapshot');
        try {
          const model = await readBalances();
          const pending: Pending[] = [];
          const attestedPending: AttestedRequest[] = [];
          // Native ledgers: units in the custodian wallets, and what AttestedIssuer books as custody (the setup
          // mint's exact deliveries, both).
          const booked = new Map<string, bigint>();
          for (const n of NATIVE) booked.set(n.asset, (await attested.attestedCustody(natAddress, n.asset)) as bigint);
          const nativeHeld = new Map(booked);
          // NAT.ssi's pending rebalance (at most one), and settled ones whose sells are still owed to the PMM.
          let natRebalance: AttestedRebalance | undefined;
          const owing: AttestedRebalance[] = [];
          let txCounter = 0;
          const move = (token: string, from: string | null, to: string | null, amount: bigint): void => {
            if (from) model.set(`${token}:${from}`, model.get(`${token}:${from}`)! - amount);
            if (to) model.set(`${token}:${to}`, model.get(`${token}:${to}`)! + amount);
          };
          const moveLegs = (order: QuoteOrder, from: string, to: string): void => {
            order.assets.forEach((asset, i) => move(asset, from, to, order.amounts[i]));
          };
          const settleMint = (order: QuoteOrder, fee: bigint, cashFrom: 'wlp' | 'wlp2' | 'issuer', wlp: string): void => {
            moveLegs(order, 'pmm', 'vault');
            move(usdc, cashFrom, 'pmm', order.cashAmount);
            move(usdc, cashFrom, 'feeVault', fee);
            move(order.index, null, wlp, order.indexAmount);
          };
          const settleRedeem = (order: QuoteOrder, fee: bigint, indexFrom: string, wlp: string): void => {
            move(order.index, indexFrom, null, order.indexAmount);
            move(usdc, 'pmm', wlp, order.cashAmount - fee);
            move(usdc, 'pmm', 'feeVault', fee);
            moveLegs(order, 'vault', 'pmm');
          };

          for (const step of steps) {
            await runStep(step);
            stepsRun++;
            await checkInvariants();
          }

          async function runStep(step: Step): Promise<void> {
            if (step.kind === 'mint') {
              const wlpSigner = [fx.wlp, fx.wlp2][step.wlp];
              const wlp = step.wlp === 0 ? 'wlp' : 'wlp2';
              const order = await quoteFor(step.index, Side.Mint, step.amount, step.cash, await wlpSigner.getAddress());
              const fee = feeFor(order.cashAmount, ISSUE_FEE_BPS);
              const signature = await sign(fx.pmm, order, fx.domain);
              if (step.atomic) {
                await (await as(fx.issuer, wlpSigner).mint(order, signature, ISSUE_FEE_BPS)).wait();
                settleMint(order, fee, wlp, wlp);
              } else {
                await (await as(fx.issuer, wlpSigner).requestMint(order, signature, ISSUE_FEE_BPS)).wait();
                move(usdc, wlp, 'issuer', order.cashAmount + fee);
                pending.push({ order, fee, expiresAt: (await now(hre)) + BigInt(fx.config.requestTimeout) });
              }
            } else if (step.kind === 'redeem') {
              const wlpSigner = [fx.wlp, fx.wlp2][step.wlp];
              const wlp = step.wlp === 0 ? 'wlp' : 'wlp2';
              const balance = model.get(`${indexAddresses[step.index]}:${wlp}`)!;
              const amount = (balance * BigInt(step.percent)) / 100n;
              if (amount < fx.config.minAmount) return;
              const order = await quoteFor(step.index, Side.Redeem, amount, step.cash, await wlpSigner.getAddress());
              const fee = feeFor(order.cashAmount, REDEEM_FEE_BPS);
              const signature = await sign(fx.pmm, order, fx.domain);
              if (step.atomic) {
                await (await as(fx.issuer, wlpSigner).redeem(order, signature, REDEEM_FEE_BPS)).wait();
                settleRedeem(order, fee, wlp, wlp);
              } else {
                await (await as(fx.issuer, wlpSigner).requestRedeem(order, signature, REDEEM_FEE_BPS)).wait();
                move(order.index, wlp, 'issuer', order.indexAmount);
                pending.push({ order, fee, expiresAt: (await now(hre)) + BigInt(fx.config.requestTimeout) });
              }
            } else if (step.kind === 'fill' || step.kind === 'cancel') {
              if (pending.length === 0) return;
              const [request] = pending.splice(step.pick % pending.length, 1);
              const { order, fee } = request;
              const wlp = order.requester === accounts.wlp ? 'wlp' : 'wlp2';
              // A fill only works before expiry; an expired pick is cancelled instead.
              if (step.kind === 'fill' && (await now(hre)) + 1n < request.expiresAt) {
                if (order.side === Side.Mint) {
                  await (await as(fx.issuer, fx.pmm).fillMint(order)).wait();
                  settleMint(order, fee, 'issuer', wlp);
                } else {
                  await (await as(fx.issuer, fx.pmm).fillRedeem(order)).wait();
                  settleRedeem(order, fee, 'issuer', wlp);
                }
                return;
              }
              const wait = request.expiresAt - (await now(hre));
              if (wait > 0n) await increaseTime(hre, wait);
              const canceller = step.kind === 'cancel' && step.byOperator ? fx.admin : order.requester === accounts.wlp ? fx.wlp : fx.wlp2;
              if (order.side === Side.Mint) {
                await (await as(fx.issuer, canceller).cancelMint(order)).wait();
                move(usdc, 'issuer', wlp, order.cashAmount + fee);
              } else {
                await (await as(fx.issuer, canceller).cancelRedeem(order)).wait();
                move(order.index, 'issuer', wlp, order.indexAmount);
              }
            } else if (step.kind === 'wait') {
              await increaseTime(hre, step.seconds);
            } else if (step.kind === 'accrue') {
              await (await indexes[step.index].accrueFee()).wait();
            } else if (step.kind === 'rebalance') {
              await rebalance(step);
            } else if (step.kind === 'feeSale') {
              await sellFee(step);
            } else if (step.kind === 'aMint' || step.kind === 'aRedeem') {
              await openAttested(step);
            } else if (step.kind === 'aLeg') {
              const request = pickAttested(step.pick);
              for (let i = 0; request && i < step.actions && attestedPending.includes(request); i++) await attestLeg(request, step.extra);
            } else if (step.kind === 'aExpire') {
              await expireAttested(step);
            } else if (step.kind === 'rOpen') {
              await openRebalance(step);
            } else if (step.kind === 'rLeg') {
              const r = natRebalance ?? owing[0];
              for (let i = 0; r && i < step.actions && (await advanceRebalance(r, step.acceptFirst)); i++);
            } else if (step.kind === 'rExpire') {
              await expireRebalance();
            } else {
              const names = ['wlp', 'wlp2', 'outsider'];
              const index = indexAddresses[step.index];
              const amount = (model.get(`${index}:${names[step.from]}`)! * BigInt(step.percent)) / 100n;
              await (await as(indexes[step.index], holders[step.from]).transfer(accounts[names[step.to]], amount)).wait();
              move(index, names[step.from], names[step.to], amount);
            }
          }

          /** Opens a window, sells the step's share of each basket asset, buys pool assets with the proceeds by the step's weights, closes. */
          async function rebalance(step: Extract<Step, { kind: 'rebalance' }>): Promise<void> {
            const index = indexes[step.index];
            const indexAddress = indexAddresses[step.index];
            const pendingCount = (await fx.issuer.pendingRequests(indexAddress)) as bigint;
            if (pendingCount > 0n) {
              await expectRevert(fx.rebalancer.openWindow(indexAddress), fx.issuer, 'RequestsInFlight', [indexAddress, pendingCount]);
              return;
            }
            const supply = (await index.totalSupply()) as bigint;
            if (supply === 0n) return;
            await (await fx.rebalancer.openWindow(indexAddress)).wait();
            try {
              const [basketAssets, basketAmounts] = (await index.basket()) as [string[], bigint[]];
              const sells = basketAssets
                .map((asset, k) => ({ asset, amount: (basketAmounts[k] * BigInt(step.sellPercents[assets.indexOf(asset)])) / 100n }))
                .filter((l) => l.amount > 0n);
              const soldValue = legsValue(sells.map((l) => l.asset), sells.map((l) => l.amount), prices, decimals);
              const weights = step.buyWeights.some((w) => w > 0) ? step.buyWeights : [1, 0, 0, 0];
              const totalWeight = BigInt(weights.reduce((a, b) => a + b, 0));
              const buys = assets
                .map((asset, j) => ({
                  asset,
                  amount: (soldValue * BigInt(weights[j]) * 10n ** BigInt(decimals.get(asset.toLowerCase())!)) / (totalWeight * prices.get(asset.toLowerCase())!),
                }))
                .filter((l) => l.amount > 0n);
              if (sells.length === 0 || buys.length === 0) return;
              const order = await rebalanceOrder(hre, fx, sells, buys, { index: indexAddress });
              const attestation = await priceAttestation(hre, fx, prices, { index: indexAddress });
              const run = async (): Promise<unknown> =>
                fx.rebalancer.settle(order, await signRebalance(fx.pmm, rebalanceDomainOf, order), attestation, await signPrices(fx.admin, rebalanceDomainOf, attestation));
              const boughtValue = legsValue(order.buyAssets, order.buyAmounts, prices, decimals);
              const expected = rebalancedTokenset({ assets: basketAssets, amounts: basketAmounts }, supply, order);
              if (!withinTolerance(soldValue, boughtValue, 100) || expected.assets.length === 0) {
                if (withinTolerance(soldValue, boughtValue, 100)) await expectRevert(run(), index, 'TokensetEmpty');
                else await expectRevert(run(), fx.rebalancer, 'ValueOutOfTolerance');
                return;
              }
              await ((await run()) as { wait(): Promise<unknown> }).wait();
              order.sellAssets.forEach((asset, k) => move(asset, 'vault', 'pmm', order.sellAmounts[k]));
              order.buyAssets.forEach((asset, k) => move(asset, 'pmm', 'vault', order.buyAmounts[k]));
              const [newAssets, newUnits] = (await index.tokenset()) as [string[], bigint[]];
              expect([...newAssets]).toEqual(expected.assets);
              expect([...newUnits]).toEqual(expected.unitAmounts);
              rebalances++;
            } finally {
              await (await fx.rebalancer.closeWindow(indexAddress)).wait();
            }
          }

          /** Sells the step's share of every asset in an index's fee basket to the PMM. */
          async function sellFee(step: Extract<Step, { kind: 'feeSale' }>): Promise<void> {
            const [feeAssets, feeAmounts] = (await indexes[step.index].feeBasket()) as [string[], bigint[]];
            const legs = feeAssets.map((asset, k) => ({ asset, amount: (feeAmounts[k] * BigInt(step.percent)) / 100n })).filter((l) => l.amount > 0n);
            if (legs.length === 0) return;
            const order: FeeSaleOrder = {
              index: indexAddresses[step.index],
              assets: legs.map((l) => l.asset),
              amounts: legs.map((l) => l.amount),
              cashToken: usdc,
              cashAmount: step.cash,
              maker: accounts.pmm,
              deadline: (await now(hre)) + 600n,
              nonce: freshNonce(),
            };
            // USDC at $1 and the fee assets at next to nothing: any cash of at least 1 USDC clears the attested bound.
            const feePrices = await priceAttestation(hre, fx, new Map([[usdc, 10n ** 18n], ...legs.map((l) => [l.asset, 1n] as [string, bigint])]), { index: order.index });
            await (
              await fx.rebalancer.sellFee(order, await signFeeSale(fx.pmm, rebalanceDomainOf, order), feePrices, await signPrices(fx.admin, rebalanceDomainOf, feePrices))
            ).wait();
            legs.forEach((l) => move(l.asset, 'vault', 'pmm', l.amount));
            move(usdc, 'pmm', 'feeVault', step.cash);
            feeSales++;
          }

          /** NAT.ssi's base tokenset at the block a transaction was mined in (the factor of that moment). */
          async function natBasketAt(blockTag: number | 'latest'): Promise<{ assets: string[]; units: bigint[]; factor: bigint }> {
            const [a, u, f] = (await nat.baseTokenset({ blockTag })) as [string[], bigint[], bigint];
            return { assets: [...a], units: [...u], factor: f };
          }

          async function openAttested(step: Extract<Step, { kind: 'aMint' | 'aRedeem' }>): Promise<void> {
            const signer = [fx.wlp, fx.wlp2][step.wlp];
            const wlp = step.wlp === 0 ? 'wlp' : 'wlp2';
            const pmm = accounts.pmm;
            let receipt;
            let side: Side;
            let indexAmount: bigint;
            // A rebalance may have sold every custodian asset: NAT.ssi then takes no attested request.
            const holdsCustodian = ((await nat.baseTokenset())[0] as string[]).some((asset) => nativeOf(asset));
            if (step.kind === 'aMint') {
              side = Side.Mint;
              indexAmount = step.amount;
              const request = (): Promise<unknown> => as(attested, signer).requestMint(natAddress, indexAmount, usdc, step.cash, pmm);
              if (!holdsCustodian) return expectRevert(request, attested, 'NoCustodianAsset', [natAddress]);
              receipt = await ((await request()) as { wait(): Promise<TxReceipt> }).wait();
              move(usdc, wlp, 'attested', step.cash);
            } else {
              side = Side.Redeem;
              indexAmount = (model.get(`${natAddress}:${wlp}`)! * BigInt(step.percent)) / 100n;
              if (indexAmount === 0n) return;
              const request = (): Promise<unknown> => as(attested, signer).requestRedeem(natAddress, indexAmount, usdc, step.cash, pmm);
              if (!holdsCustodian) return expectRevert(request, attested, 'NoCustodianAsset', [natAddress]);
              receipt = await ((await request()) as { wait(): Promise<TxReceipt> }).wait();
              move(natAddress, wlp, 'attested', indexAmount);
            }
            const log = receipt.logs.map((l) => attested.interface.parseLog(l)).find((l) => l?.name.endsWith('Requested'))!;
            attestedPending.push({
              side,
              id: log.args.requestId,
              wlp,
              indexAmount,
              cash: step.cash,
              deadline: log.args.deadline,
              accepted: false,
              due: new Map(),
              legs: new Map(),
              settled: false,
            });
          }

          function pickAttested(pick: number): AttestedRequest | undefined {
            return attestedPending.length === 0 ? undefined : attestedPending[pick % attestedPending.length];
          }

          /** A custodian leg of `requestId` (an attested request or a rebalance) for native asset `n`, with a fresh transaction id. */
          function leg(requestId: string, direction: LegDirection, n: (typeof NATIVE)[number], amount: bigint): CustodyLeg {
            return {
              requestId,
              direction,
              chain: chainKey(n.chain),
              asset: assetKey(n.id),
              amount,
              txId: nativeKey(`${n.chain}-tx-${txCounter++}-${requestId}`),
              wallet: nativeKey(n.wallet),
              counterparty: nativeKey(n.pmm),
            };
          }

          /** The next thing the request needs: a delivery, the PMM's acceptance, a release or an owed release. */
          async function attestLeg(request: AttestedRequest, extra: bigint): Promise<void> {
            // Leave a margin: the next block may be mined a few seconds later than the last one.
            if (request.short || (!request.settled && (await now(hre)) + 30n > request.deadline)) return;
            if (request.side === Side.Mint) {
              // The legs are those of the basket now: a rebalance may have changed it since the request.
              // A plain array: flatMap on ethers' Result builds another Result, which does not behave as an array.
              const { assets: baseAssets, units: baseUnits, factor } = await natBasketAt('latest');
              const missing = baseAssets.flatMap((asset, k) => (nativeOf(asset) && !request.legs.has(asset) ? [k] : []));
              // While a rebalance is pending the custodian attests a mint's legs all at once and the PMM completes it
              // right after, on the basket of the opening (a leg attested now and booked after the rebalance completes
              // could fall short of the new basket: AttestedIssuer would refuse to complete the mint).
              const batch = natRebalance ? missing : missing.slice(0, 1);
              if (batch.length > 0) {
                // The factor only falls, so the basket amount read now still covers the leg when it is mined.
                const delivered = batch.map((k) => leg(request.id, LegDirection.Received, nativeOf(baseAssets[k])!, amountFor(request.indexAmount, baseUnits[k], factor, true) + extra));
                const signatures = await Promise.all(delivered.map((l) => signLeg(hre, custodian, attested, l)));
                const receipt = await completingMint(request, () => attested.attestMint(request.id, delivered, signatures));
                if (!receipt) return;
                batch.forEach((k, j) => {
                  nativeHeld.set(baseAssets[k], nativeHeld.get(baseAssets[k])! + delivered[j].amount);
                  request.legs.set(baseAssets[k], delivered[j].amount);
                });
                // With no on-chain leg to pull from the PMM's allowance, the custodian's submission completes the mint.
                const completes = baseAssets.every((asset) => nativeOf(asset) && request.legs.has(asset));
                expect(hasEvent(receipt, attested, 'MintCompleted')).toBe(completes);
                if (completes) return completeMint(request, receipt);
                if (!natRebalance) return;
              }
              // A mint with no leg cannot complete (no custodian asset left in the basket): only its refund remains.
              if (request.legs.size === 0) return;
              // The on-chain legs come from the PMM's allowance, so the PMM's own submission completes the mint.
              const receipt = await completingMint(request, () => as(attested, fx.pmm).attestMint(request.id, [], []));
              if (receipt) await completeMint(request, receipt);
              return;
            }
            if (!request.accepted) {
              // AttestedIssuer is to refuse an acceptance while the index is rebalancing: the PMM waits.
              if (natRebalance) {
                count('redeem acceptance waits for the rebalance');
                return;
              }
              const baseAssets = (await nat.baseTokenset())[0] as string[];
              const receipt = await (await as(attested, fx.pmm).acceptRedeem(request.id, pmmDestinations(baseAssets, (asset) => nativeOf(asset)?.pmm))).wait();
              const basket = await natBasketAt(receipt.blockNumber);
              basket.assets.forEach((asset, k) => request.due.set(asset, amountFor(request.indexAmount, basket.units[k], basket.factor, false)));
              for (const [asset, due] of request.due) if (nativeOf(asset)) booked.set(asset, booked.get(asset)! - due);
              move(natAddress, 'attested', null, request.indexAmount);
              move(usdc, 'pmm', 'attested', request.cash);
              request.accepted = true;
              if (owedReleases(request).length === 0) finishRedeem(request, 'redeem completed on acceptance');
              return;
            }
            const [asset] = owedReleases(request);
            if (!asset) return;
            const released = leg(request.id, LegDirection.Released, nativeOf(asset)!, request.due.get(asset)!);
            await (await attested.attestRedeem(request.id, [released], [await signLeg(hre, custodian, attested, released)])).wait();
            nativeHeld.set(asset, nativeHeld.get(asset)! - released.amount);
            request.legs.set(asset, released.amount);
            const outstanding = owedReleases(request).length > 0;
            if (request.settled) {
              if (!outstanding) attestedPending.splice(attestedPending.indexOf(request), 1);
              count('owed leg released');
              return;
            }
            if (!outstanding) finishRedeem(request, 'redeem completed');
          }

          /**
           * Sends a mint submission that may complete it. Only a mint that straddled a rebalance's completion may be
           * refused, and then only with ShortDelivery for a leg it has whose amount is below the basket's now (the
           * factor only falls, so the basket of the refused block is at most that of the last one): it is left to
           * its refund.
           */
          async function completingMint(request: AttestedRequest, submit: () => Promise<ContractTransactionResponse>): Promise<TxReceipt | undefined> {
            try {
              return (await (await submit()).wait())!;
            } catch (error) {
              const refusal = decodeRevert(error, attested);
              if (!request.straddled || refusal?.name !== 'ShortDelivery') throw error;
              const [asset, amount, required] = refusal.args as [string, bigint, bigint];
              expect(request.legs.get(asset)).toBe(amount);
              const basket = await natBasketAt('latest');
              const k = basket.assets.indexOf(asset);
              expect(amount).toBeLessThan(amountFor(request.indexAmount, basket.units[k], basket.factor, true));
              expect(required).toBeGreaterThan(amount);
              request.short = true;
              count('mint refused: a leg short after a rebalance');
              return undefined;
            }
          }

          /** An accepted redeem's custodian assets due and not yet released. */
          function owedReleases(request: AttestedRequest): string[] {
            return [...request.due].filter(([asset, due]) => nativeOf(asset) && due > 0n && !request.legs.has(asset)).map(([asset]) => asset);
          }

          /**
           * A completed mint: custody books the legs of the basket's custodian assets, the PMM delivers the on-chain
           * legs at the factor of that block. Legs of assets a rebalance dropped meanwhile stay in the wallet outside
           * custody (returned to the PMM off chain).
           */
          async function completeMint(request: AttestedRequest, receipt: TxReceipt): Promise<void> {
            const basket = await natBasketAt(receipt.blockNumber);
            basket.assets.forEach((asset, k) => {
              if (nativeOf(asset)) booked.set(asset, booked.get(asset)! + request.legs.get(asset)!);
              else move(asset, 'pmm', 'vault', amountFor(request.indexAmount, basket.units[k], basket.factor, true));
            });
            for (const [asset, amount] of request.legs) if (!basket.assets.includes(asset)) nativeHeld.set(asset, nativeHeld.get(asset)! - amount);
            move(usdc, 'attested', 'pmm', request.cash);
            move(natAddress, null, request.wlp, request.indexAmount);
            attestedPending.splice(attestedPending.indexOf(request), 1);
            count(natRebalance ? 'mint completed during a rebalance' : 'mint completed');
          }

          /** A completed or settled redeem pays the on-chain legs fixed on acceptance and the cash. */
          function payRedeem(request: AttestedRequest): void {
            for (const [asset, due] of request.due) if (!nativeOf(asset)) move(asset, 'vault', 'pmm', due);
            move(usdc, 'attested', request.wlp, request.cash);
          }

          function finishRedeem(request: AttestedRequest, outcome: string): void {
            payRedeem(request);
            attestedPending.splice(attestedPending.indexOf(request), 1);
            count(outcome);
          }

          async function expireAttested(step: Extract<Step, { kind: 'aExpire' }>): Promise<void> {
            const request = pickAttested(step.pick);
            if (!request || request.settled) return;
            const wait = request.deadline + 1n - (await now(hre));
            if (wait > 0n) await increaseTime(hre, wait);
            if (request.side === Side.Mint) {
              await (await attested.refundMint(request.id)).wait();
              move(usdc, 'attested', request.wlp, request.cash);
              attestedPending.splice(attestedPending.indexOf(request), 1);
              // Delivered units stay in the custodian wallet outside custody (returned to the PMM off chain).
              for (const [asset, amount] of request.legs) nativeHeld.set(asset, nativeHeld.get(asset)! - amount);
              count('mint refunded');
              return;
            }
            const receipt = (await (await attested.refundRedeem(request.id)).wait())!;
            if (!request.accepted) {
              move(natAddress, 'attested', request.wlp, request.indexAmount);
              attestedPending.splice(attestedPending.indexOf(request), 1);
              count('redeem refunded');
            } else if (request.legs.size === 0 && !(await dueFallsShort(request, receipt.blockNumber))) {
              expect(hasEvent(receipt, attested, 'RedeemRefunded')).toBe(true);
              move(natAddress, null, request.wlp, request.indexAmount);
              move(usdc, 'attested', 'pmm', request.cash);
              for (const [asset, due] of request.due) if (nativeOf(asset)) booked.set(asset, booked.get(asset)! + due);
              attestedPending.splice(attestedPending.indexOf(request), 1);
              count('accepted redeem refunded');
            } else {
              expect(hasEvent(receipt, attested, 'RedeemSettled')).toBe(true);
              payRedeem(request);
              request.settled = true;
              count(request.legs.size === 0 ? 'accepted redeem settled: a rebalance left its amounts short' : 'redeem settled');
            }
          }

          /**
           * Whether an accepted redeem's fixed amounts fall short of its index amount in the basket of `blockNumber`
           * (`floor` amounts, as fixed on acceptance): only after a rebalance completed since its acceptance.
           */
          async function dueFallsShort(request: AttestedRequest, blockNumber: number): Promise<boolean> {
            const basket = await natBasketAt(blockNumber);
            const short = basket.assets.some((asset, k) => (request.due.get(asset) ?? 0n) < amountFor(request.indexAmount, basket.units[k], basket.factor, false));
            if (short) expect(request.straddled).toBe(true);
            return short;
          }

          /**
           * Opens a rebalance of NAT.ssi: sells the step's share of each basket asset, buys other assets (custodian or
           * pool) for the sold value by the step's weights, at the attested prices. With one pending, the contract
           * refuses the open; so it does an order without a custodian leg or outside the price tolerance.
           */
          async function openRebalance(step: Extract<Step, { kind: 'rOpen' }>): Promise<void> {
            const supply = (await nat.totalSupply()) as bigint;
            if (supply === 0n) return;
            const candidates = [...NATIVE.map((n) => n.asset), ...assets];
            // The fee shrinks the basket until the opening freezes it: sells are shares of the basket a minute ahead.
            const { assets: basketAssets, baseUnitAmounts } = await readBasis(nat);
            const readAt = await now(hre);
            const basketAmounts = basketOf(supply, baseUnitAmounts, factorAt(await nat.feeState(), readAt, readAt + 60n));
            const sells = basketAssets
              .map((asset, k) => ({ asset, amount: (basketAmounts[k] * BigInt(step.sellPercents[candidates.indexOf(asset)])) / 100n }))
              .filter((l) => l.amount > 0n);
            const soldValue = legsValue(sells.map((l) => l.asset), sells.map((l) => l.amount), natPrices, natDecimals);
            // A custodian asset cannot be both bought and sold; an on-chain one is not either, to keep orders plain.
            const buyable = candidates.filter((asset) => !sells.some((l) => l.asset === asset));
            const weights = buyable.map((asset) => BigInt(step.buyWeights[candidates.indexOf(asset)]));
            const totalWeight = weights.reduce((a, b) => a + b, 0n);
            if (sells.length === 0 || totalWeight === 0n) return;
            const buys = buyable
              .map((asset, j) => {
                const key = asset.toLowerCase();
                return { asset, amount: (soldValue * weights[j] * 10n ** BigInt(natDecimals.get(key)!)) / (totalWeight * natPrices.get(key)!) };
              })
              .filter((l) => l.amount > 0n);
            if (buys.length === 0) return;
            const order = await rebalanceOrder(hre, fx, sells, buys, { index: natAddress });
            const attestation = await priceAttestation(hre, fx, natPrices, { index: natAddress });
            const open = async (): Promise<unknown> =>
              arb.open(order, await signRebalance(fx.pmm, arbDomain, order), attestation, await signPrices(fx.admin, arbDomain, attestation));
            if (natRebalance) {
              await expectRevert(open, arb, 'RebalancePending', [natAddress, natRebalance.id]);
              count('open refused: one pending');
              return;
            }
            const boughtValue = legsValue(order.buyAssets, order.buyAmounts, natPrices, natDecimals);
            // The contract checks prices before it counts custodian legs.
            if (!withinTolerance(soldValue, boughtValue, toleranceBps)) return expectRevert(open, arb, 'ValueOutOfTolerance');
            if (![...order.sellAssets, ...order.buyAssets].some((asset) => nativeOf(asset))) return expectRevert(open, arb, 'NoCustodianLeg');
            // An order that would empty the tokenset could never complete: the PMM does not quote one.
            if (rebalancedTokenset({ assets: basketAssets, amounts: basketAmounts }, supply, order).assets.length === 0) return;
            const id = (await eventArgs(open() as Promise<ContractTransactionResponse>, arb, 'RebalanceOpened')).rebalanceId as string;
            const [tsAssets, tsUnits] = (await nat.tokenset()) as [string[], bigint[]];
            natRebalance = {
              id,
              order,
              accepted: false,
              legs: new Set(),
              settled: false,
              tokenset: { assets: [...tsAssets], unitAmounts: [...tsUnits] },
              factor: (await nat.feeFactor()) as bigint,
            };
            count('rebalance opened');
          }

          /** The rebalance's custodian buys and sells without an attested leg yet. */
          function outstanding(r: AttestedRebalance): { buys: string[]; sells: string[] } {
            const open = (list: string[]): string[] => list.filter((asset) => nativeOf(asset) && !r.legs.has(asset));
            return { buys: open(r.order.buyAssets), sells: open(r.order.sellAssets) };
          }

          /**
           * The next thing a rebalance needs: the PMM's acceptance (first, or once the buys arrived), a buy received,
           * a sell released (for a settled one: a sell still owed). Returns whether anything happened.
           */
          async function advanceRebalance(r: AttestedRebalance, acceptFirst: boolean): Promise<boolean> {
            if (r !== natRebalance && !owing.includes(r)) return false;
            const { buys, sells } = outstanding(r);
            if (r.settled) {
              const asset = sells[0];
              await attestRebalanceLeg(r, asset, LegDirection.Released);
              if (sells.length === 1) owing.splice(owing.indexOf(r), 1);
              count('owed sell released');
              return true;
            }
            if ((await now(hre)) + 30n > r.order.deadline) return false;
            if (!r.accepted && (acceptFirst || buys.length === 0)) {
              const receipt = await (await as(arb, fx.pmm).accept(r.id, r.order, pmmDestinations(r.order.sellAssets, (asset) => nativeOf(asset)?.pmm))).wait();
              r.accepted = true;
              r.order.buyAssets.forEach((asset, k) => {
                if (!nativeOf(asset)) move(asset, 'pmm', 'arb', r.order.buyAmounts[k]);
              });
              count('rebalance accepted');
              await endIfCompleted(r, receipt, buys.length === 0 && sells.length === 0);
              return true;
            }
            if (buys.length > 0) {
              const asset = buys[0];
              const receipt = await attestRebalanceLeg(r, asset, LegDirection.Received);
              count('rebalance buy received');
              await endIfCompleted(r, receipt, r.accepted && buys.length === 1 && sells.length === 0);
              return true;
            }
            const asset = sells[0];
            const receipt = await attestRebalanceLeg(r, asset, LegDirection.Released);
            count('rebalance sell released');
            await endIfCompleted(r, receipt, sells.length === 1);
            return true;
          }

          /** The custodian's attestation (submitted by anyone) of a rebalance's buy or sell of `asset`: the units arrive in or leave the wallet now. */
          async function attestRebalanceLeg(r: AttestedRebalance, asset: string, direction: LegDirection): Promise<TxReceipt> {
            const received = direction === LegDirection.Received;
            const amount = received ? amountIn(r.order.buyAssets, r.order.buyAmounts, asset) : amountIn(r.order.sellAssets, r.order.sellAmounts, asset);
            const custodyLeg = leg(r.id, direction, nativeOf(asset)!, amount);
            const receipt = await (await as(arb, fx.outsider).attest(r.id, r.order, [custodyLeg], [await signLeg(hre, custodian, attested, custodyLeg)])).wait();
            nativeHeld.set(asset, nativeHeld.get(asset)! + (received ? amount : -amount));
            r.legs.add(asset);
            return receipt;
          }

          /** Asserts the contract completed the rebalance exactly when the model expects it, and books the completion. */
          async function endIfCompleted(r: AttestedRebalance, receipt: TxReceipt, completes: boolean): Promise<void> {
            expect(hasEvent(receipt, arb, 'RebalanceCompleted')).toBe(completes);
            if (!completes) return;
            await completeRebalance(r, receipt);
            natRebalance = undefined;
            count('rebalance completed');
          }

          /**
           * A completion (or settlement): the tokenset is the Rebalancer's formula on the basket and supply just before
           * it; custody books the custodian legs, the escrowed on-chain buys go to the vault, the on-chain sells to the PMM.
           */
          async function completeRebalance(r: AttestedRebalance, receipt: TxReceipt): Promise<void> {
            const before = receipt.blockNumber - 1;
            const [basketAssets, basketAmounts] = (await nat.basket({ blockTag: before })) as [string[], bigint[]];
            const expected = rebalancedTokenset({ assets: basketAssets, amounts: basketAmounts }, (await nat.totalSupply({ blockTag: before })) as bigint, r.order);
            const [newAssets, newUnits] = (await nat.baseTokenset({ blockTag: receipt.blockNumber })) as [string[], bigint[]];
            expect([...newAssets]).toEqual(expected.assets);
            expect([...newUnits]).toEqual(expected.unitAmounts);
            r.order.buyAssets.forEach((asset, k) => {
              if (nativeOf(asset)) booked.set(asset, booked.get(asset)! + r.order.buyAmounts[k]);
              else move(asset, 'arb', 'vault', r.order.buyAmounts[k]);
            });
            r.order.sellAssets.forEach((asset, k) => {
              if (nativeOf(asset)) booked.set(asset, booked.get(asset)! - r.order.sellAmounts[k]);
              else move(asset, 'vault', 'pmm', r.order.sellAmounts[k]);
            });
            for (const request of attestedPending) {
              if (request.side === Side.Mint ? request.legs.size > 0 : request.accepted && !request.settled) request.straddled = true;
            }
          }

          /**
           * Past the deadline anyone ends the pending rebalance: cancelled with no sell released (escrow back, received
           * buys owed back to the PMM outside custody), settled otherwise (completed, the unreleased sells owed).
           */
          async function expireRebalance(): Promise<void> {
            const r = natRebalance;
            if (!r) return;
            // Leave a margin for the refused call: the next block may be mined a few seconds later than the last one.
            if ((await now(hre)) + 30n < r.order.deadline) {
              await expectRevert(as(arb, fx.outsider).cancel(r.id, r.order), arb, 'RebalanceNotExpired', [r.id, r.order.deadline]);
            }
            const wait = r.order.deadline - (await now(hre));
            if (wait > 0n) await increaseTime(hre, wait);
            const receipt = await (await as(arb, fx.outsider).cancel(r.id, r.order)).wait();
            natRebalance = undefined;
            if (!r.order.sellAssets.some((asset) => r.legs.has(asset))) {
              expect(hasEvent(receipt, arb, 'RebalanceCancelled')).toBe(true);
              r.order.buyAssets.forEach((asset, k) => {
                if (r.accepted && !nativeOf(asset)) move(asset, 'arb', 'pmm', r.order.buyAmounts[k]);
              });
              for (const asset of r.legs) nativeHeld.set(asset, nativeHeld.get(asset)! - amountIn(r.order.buyAssets, r.order.buyAmounts, asset));
              count('rebalance cancelled');
              return;
            }
            expect(hasEvent(receipt, arb, 'RebalanceSettledPastDeadline')).toBe(true);
            await completeRebalance(r, receipt);
            r.settled = true;
            owing.push(r);
            count('rebalance settled');
          }

          /**
           * At most one rebalance is pending, as the model has it; while pending NAT.ssi's tokenset and fee factor are
           * those of the opening and its fee is frozen; AttestedRebalancer holds exactly an accepted rebalance's escrow.
           */
          async function checkRebalance(actual: Map<string, bigint>): Promise<void> {
            expect(await arb.pendingRebalance(natAddress)).toBe(natRebalance?.id ?? hre.ethers.ZeroHash);
            expect((await nat.feeState()).rebalancing).toBe(natRebalance !== undefined);
            const escrow = new Map<string, bigint>();
            if (natRebalance) {
              const onChain = (await arb.getRebalance(natRebalance.id)) as { accepted: boolean; status: bigint; buysAttested: bigint; sellsAttested: bigint };
              const attestedOf = (list: string[]): bigint => BigInt(list.filter((asset) => natRebalance!.legs.has(asset)).length);
              expect([onChain.status, onChain.accepted, onChain.buysAttested, onChain.sellsAttested]).toEqual([
                1n,
                natRebalance.accepted,
                attestedOf(natRebalance.order.buyAssets),
                attestedOf(natRebalance.order.sellAssets),
              ]);
              const [tsAssets, tsUnits] = (await nat.tokenset()) as [string[], bigint[]];
              expect({ assets: [...tsAssets], unitAmounts: [...tsUnits] }).toEqual(natRebalance.tokenset);
              expect(await nat.feeFactor()).toBe(natRebalance.factor);
              if (natRebalance.accepted) {
                natRebalance.order.buyAssets.forEach((asset, k) => {
                  if (!nativeOf(asset)) escrow.set(asset, natRebalance!.order.buyAmounts[k]);
                });
              }
            }
            for (const asset of assets) expect(actual.get(`${asset}:arb`)).toBe(escrow.get(asset) ?? 0n);
            for (const r of owing) expect((await arb.getRebalance(r.id)).status).toBe(4n);
          }

          async function checkInvariants(): Promise<void> {
            // Every balance is what the model predicts: nothing created, nothing lost.
            const actual = await readBalances();
            for (const [key, value] of model) expect(`${key}=${actual.get(key)}`).toBe(`${key}=${value}`);
            // The issuer holds only the escrow of pending requests, and knows it.
            const escrow = new Map<string, bigint>();
            for (const p of pending) {
              const token = p.order.side === Side.Mint ? usdc : p.order.index;
              escrow.set(token, (escrow.get(token) ?? 0n) + (p.order.side === Side.Mint ? p.order.cashAmount + p.fee : p.order.indexAmount));
            }
            for (const token of await tokens()) {
              expect(actual.get(`${token}:issuer`)).toBe(escrow.get(token) ?? 0n);
              expect(await fx.issuer.escrowed(token)).toBe(escrow.get(token) ?? 0n);
            }
            const owed = new Map<string, bigint>(assets.map((a) => [a, 0n]));
            for (let i = 0; i < indexes.length; i++) {
              const supply = (await indexes[i].totalSupply()) as bigint;
              const holderBalances = Object.keys(accounts).map((name) => actual.get(`${indexAddresses[i]}:${name}`)!);
              expect(holderBalances.reduce((a, b) => a + b, 0n)).toBe(supply);
              expect(await fx.issuer.pendingRequests(indexAddresses[i])).toBe(BigInt(pending.filter((p) => p.order.index === indexAddresses[i]).length));
              const [baseAssets, baseUnits, factor] = (await indexes[i].baseTokenset()) as [string[], bigint[], bigint];
              const [basketAssets, basketAmounts] = (await indexes[i].basket()) as [string[], bigint[]];
              expect([...basketAssets]).toEqual([...baseAssets]);
              basketAssets.forEach((asset, k) => {
                // Claims per index unit are base x factor / 1e45 of the asset.
                const perUnit = baseUnits[k] * factor;
                const scale = INDEX_UNIT * FEE_FACTOR_UNIT;
                const basket = basketAmounts[k];
                const roundedDown = holderBalances.reduce((sum, b) => sum + (b * perUnit) / scale, 0n);
                const nonZeroHolders = BigInt(holderBalances.filter((b) => b > 0n).length);
                // Covers the holders' exact claims, and by at most one unit per holder more than their rounded-down sum.
                expect(basket * scale >= supply * perUnit).toBe(true);
                expect(basket >= roundedDown && basket <= roundedDown + nonZeroHolders).toBe(true);
                owed.set(asset, owed.get(asset)! + basket);
              });
              const [feeAssets, feeAmounts] = (await indexes[i].feeBasket()) as [string[], bigint[]];
              feeAssets.forEach((asset, k) => owed.set(asset, owed.get(asset)! + feeAmounts[k]));
            }
            // NAT.ssi: supply is its holders', AttestedIssuer holds exactly the open escrow.
            const natSupply = (await nat.totalSupply()) as bigint;
            expect(Object.keys(accounts).reduce((sum, name) => sum + actual.get(`${natAddress}:${name}`)!, 0n)).toBe(natSupply);
            const open = attestedPending.filter((r) => !r.settled);
            const cashEscrow = open.filter((r) => r.side === Side.Mint || r.accepted).reduce((sum, r) => sum + r.cash, 0n);
            const tokenEscrow = open.filter((r) => r.side === Side.Redeem && !r.accepted).reduce((sum, r) => sum + r.indexAmount, 0n);
            expect(actual.get(`${usdc}:attested`)).toBe(cashEscrow);
            expect(actual.get(`${natAddress}:attested`)).toBe(tokenEscrow);
            const [natAssets, natAmounts] = (await nat.basket()) as [string[], bigint[]];
            const [natFeeAssets, natFeeAmounts] = (await nat.feeBasket()) as [string[], bigint[]];
            const natOwed = (asset: string): bigint =>
              (natAmounts[natAssets.indexOf(asset)] ?? 0n) + (natFeeAssets.includes(asset) ? natFeeAmounts[natFeeAssets.indexOf(asset)] : 0n);
            for (const n of NATIVE) {
              const custody = (await attested.attestedCustody(natAddress, n.asset)) as bigint;
              // Attested custody is what the model booked, and covers basket x supply plus the fee basket.
              expect(custody).toBe(booked.get(n.asset));
              expect(`${n.id}: attested ${custody} >= owed ${natOwed(n.asset)} is ${custody >= natOwed(n.asset)}`).toBe(
                `${n.id}: attested ${custody} >= owed ${natOwed(n.asset)} is true`,
              );
              // The wallet holds custody plus units in flight: delivered for open mints, due to PMMs but not yet
              // released; for a pending rebalance, buys received and sells released (booked only at its end); for a
              // settled one, sells booked out but still owed.
              const inFlight =
                attestedPending.reduce(
                  (sum, r) =>
                    sum +
                    (r.side === Side.Mint ? (r.legs.get(n.asset) ?? 0n) : r.accepted && !r.legs.has(n.asset) ? (r.due.get(n.asset) ?? 0n) : 0n),
                  0n,
                ) +
                (natRebalance?.legs.has(n.asset)
                  ? amountIn(natRebalance.order.buyAssets, natRebalance.order.buyAmounts, n.asset) - amountIn(natRebalance.order.sellAssets, natRebalance.order.sellAmounts, n.asset)
                  : 0n) +
                owing.reduce((sum, r) => sum + (r.legs.has(n.asset) ? 0n : amountIn(r.order.sellAssets, r.order.sellAmounts, n.asset)), 0n);
              expect(nativeHeld.get(n.asset)).toBe(custody + inFlight);
            }
            // The vault also owes NAT.ssi's on-chain assets (any a rebalance bought, and any it dropped that the fee
            // basket still holds) and what accepted redeems will release from it.
            for (const asset of assets) {
              const dueFromVault = open.filter((r) => r.side === Side.Redeem && r.accepted).reduce((sum, r) => sum + (r.due.get(asset) ?? 0n), 0n);
              owed.set(asset, owed.get(asset)! + natOwed(asset) + dueFromVault);
            }
            await checkRebalance(actual);
            // Custody covers every index's basket and fee basket for every asset, dropped ones included.
            for (const [asset, amount] of owed) {
              const held = actual.get(`${asset}:vault`)!;
              expect(`${asset}: custody ${held} >= owed ${amount} is ${held >= amount}`).toBe(`${asset}: custody ${held} >= owed ${amount} is true`);
            }
          }
        } finally {
          await send(hre, 'evm_revert', [snapshot]);
        }
      }),
      // A fixed default seed: the coverage checks below hold for it; FC_SEED explores others. Random sequences
      // seldom leave a rebalance with some sells released past its deadline, so one example always does.
      { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 20261205), examples: [[SETTLED_REBALANCE], [STRADDLED_REQUESTS]] },
    );
    expect(stepsRun).toBeGreaterThanOrEqual(RUNS * 5);
    // The random sequences really did rebalance and sell fees.
    expect(rebalances).toBeGreaterThan(0);
    expect(feeSales).toBeGreaterThan(0);
    // ... and took attested mints to completion. Attested redeems are requested, accepted and released here
    // with the invariants checked after each step; random sequences seldom take one to its end, and each end
    // (completed, refunded, settled) is pinned in attested-issuer.test.ts.
    expect(attestedOutcomes.get('mint completed') ?? 0).toBeGreaterThan(0);
    // ... and took attested rebalances through every action to both ends: completed and cancelled.
    for (const outcome of [
      'rebalance opened',
      'open refused: one pending',
      'rebalance accepted',
      'rebalance buy received',
      'rebalance sell released',
      'rebalance completed',
      'rebalance cancelled',
      'rebalance settled',
      'owed sell released',
      'mint completed during a rebalance',
      'mint refused: a leg short after a rebalance',
      'accepted redeem settled: a rebalance left its amounts short',
    ]) {
      expect(`${outcome}: ${(attestedOutcomes.get(outcome) ?? 0) > 0}`).toBe(`${outcome}: true`);
    }
    console.log(`attested request outcomes: ${JSON.stringify(Object.fromEntries(attestedOutcomes))}`);
  }, 600_000); // Three indexes and the attested requests: minutes on a shared two-core machine.

  /** A quote whose legs hold until its deadline: mint legs at the fee factor of now, redeem legs at the deadline's. */
  async function quoteFor(index: number, side: Side, indexAmount: bigint, cashAmount: bigint, requester: string): Promise<QuoteOrder> {
    const order = await feeAwareQuote(hre, fx, indexes[index], { side, indexAmount, nonce: freshNonce(), requester });
    return { ...order, cashAmount };
  }
});
