import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract, Signer, TypedDataDomain } from 'ethers';
import {
  AssetKind,
  HEDGE_ORDER_TYPES,
  HedgeSide,
  quoteHedgeOrder,
  ussiDomain,
  type HedgeOrder,
  type UssiAsset,
} from '../../lambdas/domain/ussi-orders';
import { createIndex, deployIndexCore, testTokenFaucet } from '../../scripts/deploy/index-protocol';
import { wireIndexBurner } from '../../scripts/deploy/ussi';

export const MAX_UINT256 = (1n << 256n) - 1n;
export const E18 = 10n ** 18n;
export const USDC = (whole: bigint): bigint => whole * 10n ** 6n;

/** The limits of the test deployment, as the contract's `Settings` struct. */
export interface UssiSettings {
  toleranceBps: number;
  requestTimeout: number;
  maxNavMoveBps: number;
  minNavInterval: number;
  maxNavAge: number;
}

export const TEST_SETTINGS: UssiSettings = {
  toleranceBps: 50,
  requestTimeout: 3600,
  maxNavMoveBps: 100,
  minNavInterval: 600,
  maxNavAge: 86_400,
};

/** Not a round number, so valuations exercise the rounding. */
export const INITIAL_NAV = 1_023_456_789_000_000_000n;
/** The test index token's price: USD per whole token (18 decimals). */
export const INDEX_PRICE = 1_012_340_000_000_000_000_000n;

/** Everything a USSI contract test needs, deployed on the in-process network. */
export interface UssiFixture {
  admin: Signer;
  operator: Signer;
  /** Stands in for the operator's KMS key: its signatures make valid orders. */
  signer: Signer;
  wlp: Signer;
  wlp2: Signer;
  hedgeVault: Signer;
  outsider: Signer;
  ussi: Contract;
  usdc: Contract;
  dai: Contract;
  /** A real index token (two 18-decimal underlyings) whose issuer, custody and IndexBurner are deployed. */
  index: Contract;
  /** The index's underlyings (`INDEX_UNITS[i]` of `underlying[i]` per whole token), custody vault and the IndexBurner USSI burns through. */
  underlying: Contract[];
  custodyVault: Contract;
  indexBurner: Contract;
  assets: { usdc: UssiAsset; dai: UssiAsset; index: UssiAsset };
  domain: TypedDataDomain;
}

/** `contract` called by `signer`, keeping the dynamic method typing of `Contract`. */
export function as(contract: Contract, signer: Signer): Contract {
  return contract.connect(signer) as Contract;
}

export async function now(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock('latest');
  return BigInt(block!.timestamp);
}

export async function increaseTime(hre: HardhatRuntimeEnvironment, seconds: number | bigint): Promise<void> {
  await hre.network.provider.send('evm_increaseTime', [Number(seconds)]);
  await hre.network.provider.send('evm_mine', []);
}

/** Snapshots before each test and reverts after it, so every test starts from the fixture. */
export function useSnapshots(hre: HardhatRuntimeEnvironment): void {
  let snapshot: unknown;
  beforeEach(async () => {
    snapshot = await hre.network.provider.send('evm_snapshot', []);
  });
  afterEach(async () => {
    await hre.network.provider.send('evm_revert', [snapshot]);
  });
}

/** Units of each underlying per whole index token in the fixture's index. */
export const INDEX_UNITS = [2n * E18, 3n * E18] as const;

/**
 * Deploys USSI behind a UUPS proxy with USDC (6 decimals) and DAI (18) as stablecoins and one real
 * index token (issuer, custody vault, IndexBurner wired as the deploy wires them; the admin also
 * holds the index's ISSUER_ROLE to hand WLPs index tokens, with their basket put in custody);
 * grants operator and participants; funds both WLPs with every asset, approved to USSI.
 */
export async function deployUssiFixture(hre: HardhatRuntimeEnvironment, settings: UssiSettings = TEST_SETTINGS): Promise<UssiFixture> {
  const { ethers } = hre;
  const [admin, operator, signer, wlp, wlp2, hedgeVault, outsider] = await ethers.getSigners();
  const tokenFactory = await ethers.getContractFactory('TestToken', admin);
  const usdc = (await tokenFactory.deploy('USD Coin (test)', 'USDC', 6)) as unknown as Contract;
  const dai = (await tokenFactory.deploy('Dai (test)', 'DAI', 18)) as unknown as Contract;
  const underlying = [
    (await tokenFactory.deploy('Asset A (test)', 'AA', 18)) as unknown as Contract,
    (await tokenFactory.deploy('Asset B (test)', 'AB', 18)) as unknown as Contract,
  ];
  const adminAddress = await admin.getAddress();
  const core = await deployIndexCore(hre, admin);
  const constituents = await Promise.all(underlying.map(async (t, i) => ({ asset: await t.getAddress(), unitAmount: INDEX_UNITS[i]! })));
  const indexAddress = await createIndex(core.indexFactory, {
    name: 'MAG7 Index (test)',
    symbol: 'MAG7.ssi',
    constituents,
    config: { minAmount: 1n, maxAmount: 10n ** 30n, feeVault: adminAddress, issueFeeBps: 0, redeemFeeBps: 0, requestTimeout: 3600 },
    fundProbe: testTokenFaucet(hre, adminAddress),
  });
  const index = (await ethers.getContractAt('IndexToken', indexAddress, admin)) as unknown as Contract;
  await (await index.grantRole(await index.ISSUER_ROLE(), adminAddress)).wait();
  const ussi = (await hre.upgrades.deployProxy(
    await ethers.getContractFactory('USSI', admin),
    ['USSI', 'USSI', await admin.getAddress(), await signer.getAddress(), await hedgeVault.getAddress(), INITIAL_NAV, settings],
    { kind: 'uups' },
  )) as unknown as Contract;
  await ussi.waitForDeployment();
  const ussiAddress = await ussi.getAddress();
  await (await ussi.grantRole(await ussi.OPERATOR_ROLE(), await operator.getAddress())).wait();
  for (const w of [wlp, wlp2]) await (await ussi.grantRole(await ussi.PARTICIPANT_ROLE(), await w.getAddress())).wait();
  await (await ussi.setAsset(await usdc.getAddress(), AssetKind.Stablecoin)).wait();
  await (await ussi.setAsset(await dai.getAddress(), AssetKind.Stablecoin)).wait();
  await (await ussi.setAsset(await index.getAddress(), AssetKind.IndexToken)).wait();
  const custodyAddress = await core.custodyVault.getAddress();
  const burnerAddress = await wireIndexBurner(hre, admin, { ussi: ussiAddress, issuer: await core.issuer.getAddress(), custody: custodyAddress, indexes: [indexAddress] });
  for (const w of [wlp, wlp2]) {
    const address = await w.getAddress();
    await (await usdc.mint(address, USDC(10_000_000n))).wait();
    await (await dai.mint(address, 10_000_000n * E18)).wait();
    await (await index.mint(address, 10_000n * E18)).wait();
    // The basket of what was just minted goes into custody, as a PMM's fill would put it there.
    for (const [i, token] of underlying.entries()) await (await token.mint(custodyAddress, 10_000n * INDEX_UNITS[i]!)).wait();
    for (const token of [usdc, dai, index]) await (await as(token, w).approve(ussiAddress, MAX_UINT256)).wait();
  }
  const { chainId } = await ethers.provider.getNetwork();
  return {
    admin,
    operator,
    signer,
    wlp,
    wlp2,
    hedgeVault,
    outsider,
    ussi,
    usdc,
    dai,
    index,
    underlying,
    custodyVault: core.custodyVault,
    indexBurner: (await ethers.getContractAt('IndexBurner', burnerAddress)) as unknown as Contract,
    assets: {
      usdc: { address: await usdc.getAddress(), kind: AssetKind.Stablecoin, decimals: 6 },
      dai: { address: await dai.getAddress(), kind: AssetKind.Stablecoin, decimals: 18 },
      index: { address: await index.getAddress(), kind: AssetKind.IndexToken, decimals: 18 },
    },
    domain: ussiDomain(chainId, ussiAddress),
  };
}

let nextNonce = 1n;

/** A fresh nonce, spread over several bitmap words. */
export function freshNonce(): bigint {
  nextNonce += 37n;
  return nextNonce;
}

/**
 * An order quoted at the on-chain NAV with no spread (so it sits at the centre of the tolerance),
 * requested by `fx.wlp` unless `fields` says otherwise; `fields` overrides the result last.
 */
export async function hedgeOrder(
  hre: HardhatRuntimeEnvironment,
  fx: UssiFixture,
  side: HedgeSide,
  amount: bigint,
  fields: Partial<HedgeOrder> & { assetKey?: keyof UssiFixture['assets']; spreadBps?: number } = {},
): Promise<HedgeOrder> {
  const { assetKey, spreadBps, ...overrides } = fields;
  const asset = fx.assets[assetKey ?? 'usdc'];
  const [nav] = (await fx.ussi.nav()) as [bigint, bigint];
  const order = quoteHedgeOrder({
    side,
    requester: await fx.wlp.getAddress(),
    asset,
    amount,
    assetPrice: asset.kind === AssetKind.IndexToken ? INDEX_PRICE : undefined,
    nav,
    spreadBps: spreadBps ?? 0,
    toleranceBps: TEST_SETTINGS.toleranceBps,
    deadline: (await now(hre)) + 600n,
    nonce: freshNonce(),
  });
  return { ...order, ...overrides };
}

/** `signer`'s EIP-712 signature over `order` under the fixture's domain (the order signer by default). */
export async function signOrder(fx: UssiFixture, order: HedgeOrder, signer: Signer = fx.signer): Promise<string> {
  return signer.signTypedData(fx.domain, HEDGE_ORDER_TYPES, order);
}

/** Applies `order` as its requester (`fx.wlp` unless `by` says otherwise) and returns the request id. */
export async function apply(fx: UssiFixture, order: HedgeOrder, by: Signer = fx.wlp): Promise<bigint> {
  const signature = await signOrder(fx, order);
  const method = order.side === HedgeSide.Mint ? 'applyMint' : 'applyRedeem';
  await (await as(fx.ussi, by).getFunction(method)(order, signature)).wait();
  return (await fx.ussi.requestCount()) as bigint;
}

/** Applies and confirms a USDC mint of `usdcAmount` for `fx.wlp`; returns the USSI minted. */
export async function mintUssi(hre: HardhatRuntimeEnvironment, fx: UssiFixture, usdcAmount: bigint): Promise<bigint> {
  const order = await hedgeOrder(hre, fx, HedgeSide.Mint, usdcAmount);
  const id = await apply(fx, order);
  await (await as(fx.ussi, fx.operator).confirmMint(id)).wait();
  return order.ussiAmount;
}
