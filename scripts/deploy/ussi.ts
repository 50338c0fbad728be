import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract, Signer } from 'ethers';
import type { DeployStep } from './deployments';
import { LOCAL_INDEXES } from './index-protocol';

/** USSI's limits as its `Settings` struct takes them. */
export interface UssiSettings {
  toleranceBps: number;
  requestTimeout: number;
  maxNavMoveBps: number;
  minNavInterval: number;
  maxNavAge: number;
}

/**
 * The deployed limits: orders within 0.5% of the NAV; a day for the hedge desk to confirm before the
 * requester may cancel; the NAV moves at most 1% per update and at most every 10 minutes (so at most
 * ~6% an hour even with a compromised operator key, while the guardian pauses); applications stop
 * when the NAV is a day old (an hourly schedule may miss 23 runs).
 */
export const USSI_SETTINGS: UssiSettings = {
  toleranceBps: 50,
  requestTimeout: 86_400,
  maxNavMoveBps: 100,
  minNavInterval: 600,
  maxNavAge: 86_400,
};

/** USSI starts at 1 USD. */
export const USSI_INITIAL_NAV = 10n ** 18n;

/** AssetKind values of the contract. */
const STABLECOIN = 1;
const INDEX_TOKEN = 2;

/**
 * Deploys the IndexBurner (UUPS proxy, `admin` admin) for `issuer`/`custody` and wires it for USSI:
 * BURNER_ROLE to USSI, RELEASER_ROLE on custody, ISSUER_ROLE on every index in `indexes` (the index
 * tokens' admin grants it; a later index needs the same grant), and `USSI.setIndexBurner`.
 */
export async function wireIndexBurner(
  hre: HardhatRuntimeEnvironment,
  admin: Signer,
  addresses: { ussi: string; issuer: string; custody: string; indexes: string[] },
): Promise<string> {
  const burner = (await hre.upgrades.deployProxy(
    await hre.ethers.getContractFactory('IndexBurner', admin),
    [await admin.getAddress(), addresses.issuer, addresses.custody],
    { kind: 'uups' },
  )) as unknown as Contract;
  await burner.waitForDeployment();
  const burnerAddress = await burner.getAddress();
  await (await burner.getFunction('grantRole')(await burner.getFunction('BURNER_ROLE')(), addresses.ussi)).wait();
  const custody = await hre.ethers.getContractAt('CustodyVault', addresses.custody, admin);
  await (await custody.grantRole(await custody.RELEASER_ROLE(), burnerAddress)).wait();
  for (const index of addresses.indexes) {
    const token = await hre.ethers.getContractAt('IndexToken', index, admin);
    await (await token.grantRole(await token.ISSUER_ROLE(), burnerAddress)).wait();
  }
  const ussi = await hre.ethers.getContractAt('USSI', addresses.ussi, admin);
  await (await ussi.setIndexBurner(burnerAddress)).wait();
  return burnerAddress;
}

/**
 * USSI stage (after staking): the USSI proxy (validated by the upgrades plugin) with the order
 * signer `deployment.signers.ussiOrders` (the ussi-orders KMS key on the local stack, which holds no
 * role) and the operator signer (`deployment.signers.operator`) as OPERATOR (confirms, rejects,
 * publishes the NAV); each the deployer where not given; the deployer as admin and, on
 * local chains, as hedge vault (recorded as `ussiHedgeVault`); USDC as the stablecoin and every index
 * token already deployed as an index-token asset, burned on confirmation through the IndexBurner
 * (`contracts.indexBurner`, when the deployment has an issuer and a custody vault); and sUSSI created
 * by the stake factory. Participants
 * are not granted: the admin grants PARTICIPANT_ROLE to WLPs.
 */
export const deployUssi: DeployStep = async (hre, deployment, log) => {
  const [deployer] = await hre.ethers.getSigners();
  if (deployer === undefined) throw new Error('no deployer account on this network');
  const usdc = deployment.tokens.USDC?.address;
  if (usdc === undefined) throw new Error('the USSI step needs USDC in deployment.tokens: run the token step first');
  const stakeFactoryAddress = deployment.contracts.stakeFactory;
  if (stakeFactoryAddress === undefined) throw new Error('the USSI step needs contracts.stakeFactory: run the staking step first');
  const admin = deployer.address;
  const operator = deployment.signers.operator ?? admin;
  const orderSigner = deployment.signers.ussiOrders ?? operator;
  const hedgeVault = admin;

  const ussi = (await hre.upgrades.deployProxy(
    await hre.ethers.getContractFactory('USSI', deployer),
    ['USSI', 'USSI', admin, orderSigner, hedgeVault, USSI_INITIAL_NAV, USSI_SETTINGS],
    { kind: 'uups' },
  )) as unknown as Contract;
  await ussi.waitForDeployment();
  const ussiAddress = await ussi.getAddress();
  await (await ussi.getFunction('grantRole')(await ussi.getFunction('OPERATOR_ROLE')(), operator)).wait();
  await (await ussi.getFunction('setAsset')(usdc, STABLECOIN)).wait();
  // An index on custodian assets (MAG7.ssi) is not taken: USSI's index-token mint has custody release the basket
  // to the hedge vault (IndexBurner), and custodian legs are not in CustodyVault.
  const attested = new Set(LOCAL_INDEXES.filter((i) => i.issuance === 'attested').map((i) => i.symbol));
  for (const [symbol, index] of Object.entries(deployment.indexes)) {
    if (!attested.has(symbol)) await (await ussi.getFunction('setAsset')(index, INDEX_TOKEN)).wait();
  }

  const { issuer, custodyVault } = deployment.contracts;
  if (issuer !== undefined && custodyVault !== undefined) {
    deployment.contracts.indexBurner = await wireIndexBurner(hre, deployer, {
      ussi: ussiAddress,
      issuer,
      custody: custodyVault,
      indexes: Object.values(deployment.indexes),
    });
  }

  const stakeFactory = await hre.ethers.getContractAt('StakeFactory', stakeFactoryAddress, deployer);
  await (await stakeFactory.createStakeToken(ussiAddress)).wait();
  const sUSSI = (await stakeFactory.sTokenOf(ussiAddress)) as string;

  Object.assign(deployment.contracts, { ussi: ussiAddress, sUSSI, ussiHedgeVault: hedgeVault });
  const indexCount = Object.keys(deployment.indexes).length;
  log(`ussi: USSI (order signer ${orderSigner}, operator ${operator}), sUSSI, USDC${indexCount ? ` and ${indexCount} index tokens` : ''} supported`);
};
