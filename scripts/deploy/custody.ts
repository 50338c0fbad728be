/**
 * Deploy step: custody on native chains. A CustodyRegistry with the custodian assets
 * (CUSTODIAN_ASSETS) and the on-chain assets of every attested index, the custodian's wallets per
 * chain and its signer key; an AttestedIssuer over it settling on-chain legs through the
 * CustodyVault; and the attested indexes of LOCAL_INDEXES (MAG7.ssi), deployed as IndexToken
 * proxies directly, since IndexFactory's listing probe transfers each asset and a custodian
 * placeholder can never move. With a Rebalancer deployed, an AttestedRebalancer over it and the
 * AttestedIssuer rebalances those indexes through the same custodian-attested legs (see
 * docs/custody.md, "Attested rebalances"): it is each attested index's rebalancer, and the
 * custodian placeholders join the Rebalancer's buy allow-list.
 *
 * Where the custodian is comes from the environment, as the other signers do: SSI_CUSTODIAN_SIGNER_ADDRESS
 * (the custodian KMS key's address) and SSI_CUSTODIAN_WALLETS (JSON, chain name -> wallet address).
 * Without both, the step deploys nothing: no attested index exists without a custodian.
 */
import type { Contract } from 'ethers';
import { z } from 'zod';
import { checkAddress } from '../../lambdas/domain/custody/addresses';
import { custodianPlaceholder } from '../../lambdas/domain/custody/placeholder';
import type { DeployStep } from './deployments';
import { CUSTODIAN_ASSETS } from './assets';
import { LOCAL_INDEXES, LOCAL_MAX_FEE_RATE_PPM, unitAmountFor } from './index-protocol';

/** CustodyRegistry's CustodyMode values. */
const ONCHAIN = 0;
const CUSTODIAN = 1;
/** Seconds an attested mint or redeem has to complete before anyone may refund it. */
export const ATTESTED_REQUEST_TIMEOUT = 3600;
/** The chain name on-chain assets are registered under (the deployment chain). */
const DEPLOYMENT_CHAIN = 'evm';

const walletsSchema = z.record(z.string());

export const deployCustody: DeployStep = async (hre, deployment, log) => {
  const signer = process.env.SSI_CUSTODIAN_SIGNER_ADDRESS;
  const walletsJson = process.env.SSI_CUSTODIAN_WALLETS;
  if (!signer || !walletsJson) {
    log('custody: SSI_CUSTODIAN_SIGNER_ADDRESS or SSI_CUSTODIAN_WALLETS unset, no custodian: attested indexes not deployed');
    return;
  }
  const wallets = walletsSchema.parse(JSON.parse(walletsJson));
  for (const [chain, wallet] of Object.entries(wallets)) {
    const check = checkAddress(chain, wallet);
    if (!check.ok) throw new Error(`custodian wallet ${wallet} on ${chain}: ${check.reason}`);
  }
  const { ethers, upgrades } = hre;
  const [deployer] = await ethers.getSigners();
  const admin = await deployer!.getAddress();
  const vaultAddress = deployment.contracts.custodyVault;
  const implementation = deployment.contracts.indexTokenImplementation;
  const cash = deployment.tokens.USDC;
  if (!vaultAddress || !implementation || !cash) throw new Error('custody step needs the index protocol step (vault, token implementation, USDC)');

  const registry = (await upgrades.deployProxy(await ethers.getContractFactory('CustodyRegistry', deployer), [admin], { kind: 'uups' })) as unknown as Contract;
  await registry.waitForDeployment();
  const attested = (await upgrades.deployProxy(await ethers.getContractFactory('AttestedIssuer', deployer), [admin, await registry.getAddress(), ATTESTED_REQUEST_TIMEOUT], {
    kind: 'uups',
  })) as unknown as Contract;
  await attested.waitForDeployment();
  const attestedAddress = await attested.getAddress();
  const operators = [...new Set([admin, deployment.signers.operator].filter((a): a is string => Boolean(a)))];
  // The operator key registers wallets and, as the reserve breaker, takes an index off the allow list.
  for (const contract of [registry, attested]) for (const account of operators) await (await contract.grantRole(await contract.OPERATOR_ROLE(), account)).wait();
  await (await attested.setCustodyVault(vaultAddress)).wait();
  await (await attested.setCashToken(cash.address, true)).wait();
  const vault = await ethers.getContractAt('CustodyVault', vaultAddress, deployer);
  await (await vault.grantRole(await vault.RELEASER_ROLE(), attestedAddress)).wait();
  await (await registry.setSigner(ethers.getAddress(signer), true)).wait();
  for (const [chain, wallet] of Object.entries(wallets)) await (await registry.setWallet(chain, wallet, true)).wait();

  // The AttestedRebalancer reads its price protection, makers and price attesters from the Rebalancer.
  const rebalancerAddress = deployment.contracts.rebalancer;
  let attestedRebalancer: Contract | undefined;
  if (rebalancerAddress) {
    attestedRebalancer = (await upgrades.deployProxy(await ethers.getContractFactory('AttestedRebalancer', deployer), [admin, rebalancerAddress, attestedAddress], {
      kind: 'uups',
    })) as unknown as Contract;
    await attestedRebalancer.waitForDeployment();
    const address = await attestedRebalancer.getAddress();
    for (const account of operators) await (await attestedRebalancer.grantRole(await attestedRebalancer.OPERATOR_ROLE(), account)).wait();
    // AttestedIssuer has no bytecode room for the role's getter: the role id is keccak256("REBALANCER_ROLE").
    await (await attested.grantRole(ethers.id('REBALANCER_ROLE'), address)).wait();
    await (await vault.grantRole(await vault.RELEASER_ROLE(), address)).wait();
    deployment.contracts.attestedRebalancer = address;
  }

  deployment.custodianAssets ??= {};
  const registered = new Set<string>();
  const register = async (symbol: string): Promise<string> => {
    const native = CUSTODIAN_ASSETS[symbol];
    if (native) {
      const placeholder = custodianPlaceholder(native.chain, symbol);
      if (!wallets[native.chain]) throw new Error(`custodian asset ${symbol} needs a custodian wallet on ${native.chain}`);
      if (!registered.has(placeholder)) await (await registry.registerAsset(native.chain, symbol, native.decimals, CUSTODIAN, placeholder)).wait();
      deployment.custodianAssets![symbol] = { chain: native.chain, assetId: symbol, address: placeholder, decimals: native.decimals };
      if (!registered.has(placeholder) && rebalancerAddress) {
        // A rebalance may buy a custodian asset into the basket; the custodian attests its delivery.
        await (await (await ethers.getContractAt('Rebalancer', rebalancerAddress, deployer)).setBuyAssetAllowed(placeholder, true)).wait();
      }
      registered.add(placeholder);
      return placeholder;
    }
    const token = deployment.tokens[symbol];
    if (!token) throw new Error(`attested index asset ${symbol} is neither a custodian asset nor a deployment token`);
    if (!registered.has(token.address)) await (await registry.registerAsset(DEPLOYMENT_CHAIN, symbol, token.decimals, ONCHAIN, token.address)).wait();
    registered.add(token.address);
    return token.address;
  };

  const tokenFactory = await ethers.getContractFactory('IndexToken', deployer);
  const proxyFactory = await ethers.getContractFactory('ERC1967Proxy', deployer);
  for (const index of LOCAL_INDEXES.filter((i) => i.issuance === 'attested')) {
    const legs: Array<{ asset: string; unitAmount: bigint }> = [];
    for (const c of index.constituents) {
      const decimals = CUSTODIAN_ASSETS[c.symbol]?.decimals ?? deployment.tokens[c.symbol]?.decimals;
      legs.push({ asset: await register(c.symbol), unitAmount: unitAmountFor(c, decimals!) });
    }
    legs.sort((a, b) => (BigInt(a.asset) < BigInt(b.asset) ? -1 : 1));
    const proxy = await proxyFactory.deploy(
      implementation,
      tokenFactory.interface.encodeFunctionData('initialize', [
        index.name,
        index.symbol,
        // The atomic Rebalancer moves ERC-20s through the vault only: custodian legs go through the AttestedRebalancer.
        { admin, issuer: attestedAddress, manager: admin, rebalancer: deployment.contracts.attestedRebalancer ?? ethers.ZeroAddress },
        legs.map((l) => l.asset),
        legs.map((l) => l.unitAmount),
        LOCAL_MAX_FEE_RATE_PPM,
        index.feeRatePpm,
      ]),
    );
    await proxy.waitForDeployment();
    const address = await proxy.getAddress();
    await (await attested.setIndex(address, true)).wait();
    deployment.indexes[index.symbol] = address;
  }
  // Indexes listed in LOCAL_INDEXES order, as clients (the quote API's list, the web app) show them.
  deployment.indexes = Object.fromEntries(LOCAL_INDEXES.filter((i) => deployment.indexes[i.symbol]).map((i) => [i.symbol, deployment.indexes[i.symbol]!]));
  deployment.contracts.custodyRegistry = await registry.getAddress();
  deployment.contracts.attestedIssuer = attestedAddress;
  log(
    `custody: registry ${deployment.contracts.custodyRegistry}, attested issuer ${attestedAddress}, ` +
      `attested rebalancer ${deployment.contracts.attestedRebalancer ?? 'none (no Rebalancer)'}, ` +
      `wallets on ${Object.keys(wallets).join(', ')}, ` +
      `attested indexes ${LOCAL_INDEXES.filter((i) => i.issuance === 'attested').map((i) => `${i.symbol} ${deployment.indexes[i.symbol]}`).join(', ')}`,
  );
};
