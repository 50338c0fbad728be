import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract, Signer, TypedDataDomain } from 'ethers';
import { createIndex, deployIndexCore, testTokenFaucet, type IndexConfig } from '../../scripts/deploy/index-protocol';
import { basketFor, issuerDomain, QUOTE_ORDER_TYPES, Side, type QuoteOrder, type Tokenset } from '../../lambdas/domain/orders';

export const MAX_UINT256 = (1n << 256n) - 1n;
export const ONE = 10n ** 18n;

/** Everything a contract test of the index protocol needs, deployed on the in-process network. */
export interface IndexFixture {
  admin: Signer;
  pmm: Signer;
  wlp: Signer;
  wlp2: Signer;
  feeVault: Signer;
  outsider: Signer;
  usdc: Contract;
  assets: Contract[];
  custodyVault: Contract;
  issuer: Contract;
  indexFactory: Contract;
  rebalancer: Contract;
  tokenImplementation: string;
  index: Contract;
  tokenset: Tokenset;
  config: IndexConfig;
  domain: TypedDataDomain;
}

export interface FixtureOptions {
  /** Number of underlying assets in the index (default 3). */
  assetCount?: number;
  issueFeeBps?: number;
  redeemFeeBps?: number;
  /** Funds and approvals: the PMM gets `pmmUnderlying` index tokens' worth of each asset; WLPs `wlpCash` USDC. */
  pmmIndexTokensWorth?: bigint;
  wlpCash?: bigint;
  /** Management fee of the index, ppm a year (default 0) and its maximum (default: the rate). */
  feeRatePpm?: number;
  maxFeeRatePpm?: number;
}

/** Decimals cycle through the shapes real assets have (BTC 8, ETH 18, USDC-like 6, BONK 5, SOL 9). */
const DECIMALS = [8, 18, 6, 5, 9, 18, 8, 6, 18, 9];
/** Odd per-unit amounts so index amounts that are not whole tokens exercise the rounding. */
const UNIT_AMOUNTS = [3_217_001n, 32_467_532_467_532_467n, 33_777_777n, 101_234n, 579_999_999n];

export function unitAmountAt(i: number): bigint {
  const decimals = DECIMALS[i % DECIMALS.length];
  const base = UNIT_AMOUNTS[i % UNIT_AMOUNTS.length];
  // Keep the magnitude plausible for the asset's decimals without exceeding 96 bits.
  return decimals >= 9 ? base * 10n ** BigInt(decimals - 9) + BigInt(i) : base + BigInt(i);
}

/** `contract` called by `signer`, keeping the dynamic method typing of `Contract`. */
export function as(contract: Contract, signer: Signer): Contract {
  return contract.connect(signer) as Contract;
}

export async function send(hre: HardhatRuntimeEnvironment, method: string, params: unknown[] = []): Promise<unknown> {
  return hre.network.provider.send(method, params);
}

export async function now(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock('latest');
  return BigInt(block!.timestamp);
}

export async function increaseTime(hre: HardhatRuntimeEnvironment, seconds: number | bigint): Promise<void> {
  await send(hre, 'evm_increaseTime', [Number(seconds)]);
  await send(hre, 'evm_mine');
}

/** Snapshots before each test and reverts after it, so every test starts from the fixture. */
export function useSnapshots(hre: HardhatRuntimeEnvironment): void {
  let snapshot: unknown;
  beforeEach(async () => {
    snapshot = await send(hre, 'evm_snapshot');
  });
  afterEach(async () => {
    await send(hre, 'evm_revert', [snapshot]);
  });
}

/**
 * Deploys test tokens, the core contracts and one index; grants maker to `pmm` and participant to
 * both WLPs; funds the PMM with underlying and the WLPs with USDC, all approved to the issuer.
 */
export async function deployIndexFixture(hre: HardhatRuntimeEnvironment, options: FixtureOptions = {}): Promise<IndexFixture> {
  const { ethers } = hre;
  const [admin, pmm, wlp, wlp2, feeVault, outsider] = await ethers.getSigners();
  const assetCount = options.assetCount ?? 3;
  const tokenFactory = await ethers.getContractFactory('TestToken', admin);
  const usdc = (await tokenFactory.deploy('USD Coin (test)', 'USDC', 6)) as unknown as Contract;
  const assets: Contract[] = [];
  for (let i = 0; i < assetCount; i++) {
    assets.push((await tokenFactory.deploy(`Asset ${i}`, `A${i}`, DECIMALS[i % DECIMALS.length])) as unknown as Contract);
  }
  const core = await deployIndexCore(hre, admin);
  const { issuer, indexFactory } = core;
  const issuerAddress = await issuer.getAddress();
  // Issuer tests switch rebalancing directly; in a deployment only the Rebalancer holds this role.
  await (await issuer.grantRole(await issuer.REBALANCER_ROLE(), await admin.getAddress())).wait();
  await (await issuer.setCashToken(await usdc.getAddress(), true)).wait();
  await (await issuer.grantRole(await issuer.MAKER_ROLE(), await pmm.getAddress())).wait();
  for (const w of [wlp, wlp2]) await (await issuer.grantRole(await issuer.PARTICIPANT_ROLE(), await w.getAddress())).wait();

  const config: IndexConfig = {
    minAmount: ONE / 100n,
    maxAmount: 1_000_000n * ONE,
    feeVault: await feeVault.getAddress(),
    issueFeeBps: options.issueFeeBps ?? 30,
    redeemFeeBps: options.redeemFeeBps ?? 20,
    requestTimeout: 3600,
  };
  const constituents = await Promise.all(assets.map(async (a, i) => ({ asset: await a.getAddress(), unitAmount: unitAmountAt(i) })));
  const indexAddress = await createIndex(indexFactory, {
    name: 'Test Index',
    symbol: 'TEST.ssi',
    constituents,
    config,
    feeRatePpm: options.feeRatePpm,
    maxFeeRatePpm: options.maxFeeRatePpm,
    fundProbe: testTokenFaucet(hre, await admin.getAddress()),
  });
  const index = (await ethers.getContractAt('IndexToken', indexAddress)) as unknown as Contract;
  const [tsAssets, tsAmounts] = (await index.tokenset()) as [string[], bigint[]];
  const tokenset: Tokenset = { assets: [...tsAssets], unitAmounts: [...tsAmounts] };

  const worth = options.pmmIndexTokensWorth ?? 1_000n * ONE;
  const legs = basketFor(tokenset, worth, Side.Mint);
  for (let i = 0; i < legs.assets.length; i++) {
    const token = await ethers.getContractAt('TestToken', legs.assets[i]);
    await (await token.mint(await pmm.getAddress(), legs.amounts[i])).wait();
    await (await as(token as unknown as Contract, pmm).approve(issuerAddress, MAX_UINT256)).wait();
  }
  const cash = options.wlpCash ?? 10_000_000n * 10n ** 6n;
  for (const s of [wlp, wlp2, pmm]) {
    await (await usdc.mint(await s.getAddress(), cash)).wait();
    await (await as(usdc, s).approve(issuerAddress, MAX_UINT256)).wait();
    await (await as(index, s).approve(issuerAddress, MAX_UINT256)).wait();
  }
  const { chainId } = await ethers.provider.getNetwork();
  return {
    admin,
    pmm,
    wlp,
    wlp2,
    feeVault,
    outsider,
    usdc,
    assets,
    ...core,
    index,
    tokenset,
    config,
    domain: issuerDomain(chainId, issuerAddress),
  };
}

let nextNonce = 1n;

/** A quote for `indexAmount` with legs from the TypeScript port of the contract formula. */
export async function quote(
  fx: IndexFixture,
  fields: Partial<QuoteOrder> & { side: Side; indexAmount: bigint },
  deadlineFrom?: bigint,
): Promise<QuoteOrder> {
  const legs = basketFor(fx.tokenset, fields.indexAmount, fields.side);
  const start = deadlineFrom ?? BigInt((await fx.index.runner!.provider!.getBlock('latest'))!.timestamp);
  return {
    index: await fx.index.getAddress(),
    assets: legs.assets,
    amounts: legs.amounts,
    cashToken: await fx.usdc.getAddress(),
    cashAmount: 1_000n * 10n ** 6n,
    maker: await fx.pmm.getAddress(),
    requester: await fx.wlp.getAddress(),
    deadline: start + 600n,
    nonce: nextNonce++,
    ...fields,
  };
}

/** The maker's EIP-712 signature over `order` (under `domain`, the issuer's by default). */
export async function sign(signer: Signer, order: QuoteOrder, domain: TypedDataDomain): Promise<string> {
  return signer.signTypedData(domain, QUOTE_ORDER_TYPES, order);
}

/** ERC-20 balances of `holders` in `token`. */
export async function balances(token: Contract, holders: Array<Signer | Contract | string>): Promise<bigint[]> {
  return Promise.all(
    holders.map(async (h) => {
      const address = typeof h === 'string' ? h : 'getAddress' in h ? await h.getAddress() : '';
      return (await token.balanceOf(address)) as bigint;
    }),
  );
}
