import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { Contract, type Signer } from 'ethers';
import type { DeployStep } from './deployments';
import { ERC20_ABI } from '../../lambdas/shared/abi';

/** The index protocol's core contracts (proxies) and the index token implementation. */
export interface IndexCore {
  custodyVault: Contract;
  issuer: Contract;
  indexFactory: Contract;
  rebalancer: Contract;
  tokenImplementation: string;
}

/** Rebalance price protection: bought value within 1% of sold value at the attested prices. */
export const REBALANCE_TOLERANCE_BPS = 100;
/** A rebalance window anyone may close after one day. */
export const REBALANCE_MAX_WINDOW_SECONDS = 24 * 3600;

/** Issuance settings as the Issuer's `IndexConfig` struct takes them. */
export interface IndexConfig {
  minAmount: bigint;
  maxAmount: bigint;
  feeVault: string;
  issueFeeBps: number;
  redeemFeeBps: number;
  requestTimeout: number;
}

/**
 * Deploys the custody vault, the issuer, the index factory and the rebalancer as UUPS proxies (the
 * upgrades plugin validates each implementation), deploys the index token implementation, and
 * wires the roles: the issuer and the rebalancer may release from the vault, the factory may
 * register indexes with the issuer, the rebalancer may switch the issuer's rebalancing flag and
 * becomes the rebalancer of every index the factory creates. `admin` becomes the default admin of
 * all four and their operator (the KMS operator is granted by the deploy step).
 */
export async function deployIndexCore(hre: HardhatRuntimeEnvironment, admin: Signer): Promise<IndexCore> {
  const { ethers, upgrades } = hre;
  const adminAddress = await admin.getAddress();
  const custodyVault = (await upgrades.deployProxy(await ethers.getContractFactory('CustodyVault', admin), [adminAddress], {
    kind: 'uups',
  })) as unknown as Contract;
  await custodyVault.waitForDeployment();
  const issuer = (await upgrades.deployProxy(
    await ethers.getContractFactory('Issuer', admin),
    [adminAddress, await custodyVault.getAddress()],
    { kind: 'uups' },
  )) as unknown as Contract;
  await issuer.waitForDeployment();
  const tokenImplementation = (await upgrades.deployImplementation(await ethers.getContractFactory('IndexToken', admin), {
    kind: 'uups',
  })) as string;
  const indexFactory = (await upgrades.deployProxy(
    await ethers.getContractFactory('IndexFactory', admin),
    [adminAddress, tokenImplementation, await issuer.getAddress()],
    { kind: 'uups' },
  )) as unknown as Contract;
  await indexFactory.waitForDeployment();
  const rebalancer = (await upgrades.deployProxy(
    await ethers.getContractFactory('Rebalancer', admin),
    [adminAddress, await issuer.getAddress(), REBALANCE_TOLERANCE_BPS, REBALANCE_MAX_WINDOW_SECONDS],
    { kind: 'uups' },
  )) as unknown as Contract;
  await rebalancer.waitForDeployment();
  const rebalancerAddress = await rebalancer.getAddress();

  await (await custodyVault.grantRole(await custodyVault.RELEASER_ROLE(), await issuer.getAddress())).wait();
  await (await custodyVault.grantRole(await custodyVault.RELEASER_ROLE(), rebalancerAddress)).wait();
  await (await issuer.grantRole(await issuer.REGISTRAR_ROLE(), await indexFactory.getAddress())).wait();
  await (await issuer.grantRole(await issuer.REBALANCER_ROLE(), rebalancerAddress)).wait();
  await (await issuer.grantRole(await issuer.OPERATOR_ROLE(), adminAddress)).wait();
  await (await indexFactory.setRebalancer(rebalancerAddress)).wait();
  await (await indexFactory.grantRole(await indexFactory.OPERATOR_ROLE(), adminAddress)).wait();
  await (await rebalancer.grantRole(await rebalancer.OPERATOR_ROLE(), adminAddress)).wait();
  await (await rebalancer.grantRole(await rebalancer.PRICE_ATTESTER_ROLE(), adminAddress)).wait();
  return { custodyVault, issuer, indexFactory, rebalancer, tokenImplementation };
}

/**
 * Lists every asset of `assets` the factory has not listed yet (`IndexFactory.listAsset`), probing
 * each with one whole token of the factory's signer (the operator), which must hold it; `fund`, if
 * given, is called first to provide it (a faucet on local chains).
 */
export async function listAssets(indexFactory: Contract, assets: readonly string[], fund?: (asset: string, amount: bigint) => Promise<void>): Promise<void> {
  const signer = indexFactory.runner as Signer;
  const operator = await signer.getAddress();
  for (const asset of assets) {
    if ((await indexFactory.isAssetListed(asset)) as boolean) continue;
    const token = new Contract(asset, ERC20_ABI, signer);
    const probe = 10n ** BigInt((await token.decimals()) as bigint);
    if (fund) await fund(asset, probe);
    const held = (await token.balanceOf(operator)) as bigint;
    if (held < probe) throw new Error(`listing ${asset} probes it with ${probe} units held by the operator ${operator}, which holds ${held}`);
    await (await token.approve(await indexFactory.getAddress(), probe)).wait();
    await (await indexFactory.listAsset(asset, probe)).wait();
  }
}

/** A `fundProbe` for local chains: mints the probe of a test token (the step before deploys them) to `to`. */
export function testTokenFaucet(hre: HardhatRuntimeEnvironment, to: string): (asset: string, amount: bigint) => Promise<void> {
  return async (asset, amount) => {
    const token = await hre.ethers.getContractAt('TestToken', asset);
    await (await token.mint(to, amount)).wait();
  };
}

/**
 * Creates an index through the factory from (unsorted) constituents; the tokenset is sorted by
 * address as the token requires. Returns the new token's address.
 */
export async function createIndex(
  indexFactory: Contract,
  params: {
    name: string;
    symbol: string;
    constituents: Array<{ asset: string; unitAmount: bigint }>;
    config: IndexConfig;
    /** Annual management fee, continuously compounded, in ppm (default 0). */
    feeRatePpm?: number;
    /** The most the fee may ever be set to, fixed for life (default: the fee rate). */
    maxFeeRatePpm?: number;
    /** Provides the listing probe of an asset not listed yet (see listAssets). */
    fundProbe?: (asset: string, amount: bigint) => Promise<void>;
  },
): Promise<string> {
  const sorted = [...params.constituents].sort((a, b) => (BigInt(a.asset) < BigInt(b.asset) ? -1 : 1));
  await listAssets(indexFactory, sorted.map((c) => c.asset), params.fundProbe);
  const feeRatePpm = params.feeRatePpm ?? 0;
  const tx = await indexFactory.createIndex({
    name: params.name,
    symbol: params.symbol,
    assets: sorted.map((c) => c.asset),
    unitAmounts: sorted.map((c) => c.unitAmount),
    maxFeeRatePpm: params.maxFeeRatePpm ?? feeRatePpm,
    feeRatePpm,
    config: params.config,
  });
  await tx.wait();
  return (await indexFactory.indexBySymbol(params.symbol)) as string;
}

/** One constituent of a local index: its weight in the index's value and an illustrative USD price. */
interface LocalConstituent {
  symbol: string;
  weight: number;
  priceUsd: number;
}

/** Value of one whole index token at creation, in USD. */
const INITIAL_NAV_USD = 1000;

/**
 * The three local indexes. Weights were computed once from each methodology with illustrative
 * market caps (MAG7: 10% floor + 30% by cap over 7 assets; DEFI and MEME: market cap with a 30%
 * cap) and rounded; prices are illustrative too. Local data only, never a real basket.
 */
export const LOCAL_INDEXES: ReadonlyArray<{
  symbol: string;
  name: string;
  /** Annual management fee, continuously compounded, in ppm (illustrative). */
  feeRatePpm: number;
  /**
   * `attested`: minted and redeemed through the AttestedIssuer, its CUSTODIAN_ASSETS held on their
   * native chains and the rest as on-chain legs (scripts/deploy/custody.ts); otherwise the quote-order Issuer.
   */
  issuance?: 'attested';
  constituents: readonly LocalConstituent[];
}> = [
  {
    symbol: 'MAG7.ssi',
    name: 'SoSoValue Magnificent 7 Index',
    feeRatePpm: 9_500,
    issuance: 'attested',
    constituents: [
      { symbol: 'BTC', weight: 0.3123, priceUsd: 97000 },
      { symbol: 'ETH', weight: 0.1447, priceUsd: 3300 },
      { symbol: 'XRP', weight: 0.1145, priceUsd: 2.25 },
      { symbol: 'BNB', weight: 0.1106, priceUsd: 660 },
      { symbol: 'SOL', weight: 0.1101, priceUsd: 190 },
      { symbol: 'DOGE', weight: 0.1054, priceUsd: 0.33 },
      { symbol: 'ADA', weight: 0.1024, priceUsd: 0.92 },
    ],
  },
  {
    symbol: 'DEFI.ssi',
    name: 'SoSoValue DeFi Index',
    feeRatePpm: 9_500,
    constituents: [
      { symbol: 'LINK', weight: 0.3, priceUsd: 22 },
      { symbol: 'UNI', weight: 0.3, priceUsd: 13 },
      { symbol: 'AAVE', weight: 0.206, priceUsd: 300 },
      { symbol: 'LDO', weight: 0.077, priceUsd: 1.9 },
      { symbol: 'MKR', weight: 0.072, priceUsd: 1800 },
      { symbol: 'CRV', weight: 0.045, priceUsd: 0.8 },
    ],
  },
  {
    symbol: 'MEME.ssi',
    name: 'SoSoValue Meme Index',
    feeRatePpm: 12_000,
    constituents: [
      { symbol: 'DOGE', weight: 0.3, priceUsd: 0.33 },
      { symbol: 'SHIB', weight: 0.3, priceUsd: 0.000022 },
      { symbol: 'PEPE', weight: 0.219, priceUsd: 0.000018 },
      { symbol: 'BONK', weight: 0.07, priceUsd: 0.000032 },
      { symbol: 'WIF', weight: 0.064, priceUsd: 2.2 },
      { symbol: 'FLOKI', weight: 0.047, priceUsd: 0.00017 },
    ],
  },
];

/** Amount of an asset (smallest units) worth `weight` of the initial NAV at `priceUsd`. */
export function unitAmountFor(constituent: LocalConstituent, decimals: number): bigint {
  const wholeTokens = (constituent.weight * INITIAL_NAV_USD) / constituent.priceUsd;
  const scale = Math.min(decimals, 6);
  return BigInt(Math.round(wholeTokens * 10 ** scale)) * 10n ** BigInt(decimals - scale);
}

/** Local issuance settings: 0.01 to 1,000,000 index tokens per order, 10 bps fees, one-hour requests. */
export function localIndexConfig(feeVault: string): IndexConfig {
  return {
    minAmount: 10n ** 16n,
    maxAmount: 10n ** 24n,
    feeVault,
    issueFeeBps: 10,
    redeemFeeBps: 10,
    requestTimeout: 3600,
  };
}

/** Local indexes may never charge more than 2% a year. */
export const LOCAL_MAX_FEE_RATE_PPM = 20_000;

/**
 * Deploy step: the index protocol (vault, issuer, factory, rebalancer), USDC as the cash token, and
 * the quote-order indexes (DEFI.ssi, MEME.ssi) over the local test tokens, each with its management
 * fee; the attested MAG7.ssi comes with the custody step. The deployer is admin and operator; the operator signer (the KMS operator on the local
 * stack) is also operator of the issuer and the rebalancer, so it can submit rebalances and fee
 * sales, and is every index's fee vault, so the fee-sale saga can pay the stakers' share.
 */
export const deployIndexProtocol: DeployStep = async (hre, deployment, log) => {
  const [deployer] = await hre.ethers.getSigners();
  const deployerAddress = await deployer.getAddress();
  const core = await deployIndexCore(hre, deployer);
  const cash = deployment.tokens.USDC;
  if (!cash) throw new Error('index protocol step needs the USDC token: run the test-token step first');
  await (await core.issuer.setCashToken(cash.address, true)).wait();

  deployment.contracts.custodyVault = await core.custodyVault.getAddress();
  deployment.contracts.issuer = await core.issuer.getAddress();
  deployment.contracts.indexFactory = await core.indexFactory.getAddress();
  deployment.contracts.indexTokenImplementation = core.tokenImplementation;
  deployment.contracts.rebalancer = await core.rebalancer.getAddress();
  const operator = deployment.signers.operator;
  // The fee vault is the operator key's account when there is one: the fee-sale saga pays the
  // stakers' share from it (approve + distributeRewards); without one, the deployer.
  const feeVault = operator ?? deployerAddress;
  deployment.contracts.feeVault = feeVault;
  if (operator && operator.toLowerCase() !== deployerAddress.toLowerCase()) {
    for (const contract of [core.issuer, core.rebalancer]) {
      await (await contract.grantRole(await contract.OPERATOR_ROLE(), operator)).wait();
    }
  }
  // Price attestations come from their own key: a leaked operator key cannot vouch for its own prices.
  const priceAttester = deployment.signers.price;
  if (priceAttester) await (await core.rebalancer.grantRole(await core.rebalancer.PRICE_ATTESTER_ROLE(), priceAttester)).wait();
  // Rebalances may buy only the deployment's listed tokens, never one a maker minted for the occasion.
  for (const token of Object.values(deployment.tokens)) await (await core.rebalancer.setBuyAssetAllowed(token.address, true)).wait();

  for (const index of LOCAL_INDEXES.filter((i) => i.issuance !== 'attested')) {
    const constituents = index.constituents.map((c) => {
      const token = deployment.tokens[c.symbol];
      if (!token) throw new Error(`${index.symbol} needs test token ${c.symbol}, which the deployment lacks`);
      return { asset: token.address, unitAmount: unitAmountFor(c, token.decimals) };
    });
    deployment.indexes[index.symbol] = await createIndex(core.indexFactory, {
      name: index.name,
      symbol: index.symbol,
      constituents,
      config: localIndexConfig(feeVault),
      feeRatePpm: index.feeRatePpm,
      maxFeeRatePpm: LOCAL_MAX_FEE_RATE_PPM,
      fundProbe: testTokenFaucet(hre, deployerAddress),
    });
  }
  log(
    `index protocol: issuer ${deployment.contracts.issuer}, custody ${deployment.contracts.custodyVault}, ` +
      `rebalancer ${deployment.contracts.rebalancer}, ` +
      `indexes ${Object.entries(deployment.indexes).map(([symbol, address]) => `${symbol} ${address}`).join(', ')}`,
  );
};
