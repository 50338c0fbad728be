import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { Wallet, keccak256, toUtf8Bytes, type Contract } from 'ethers';
import { listAssets, testTokenFaucet } from '../../scripts/deploy/index-protocol';

/**
 * Fixed keys of the shared quote-order test vector. Test-only: derived from public strings, so
 * anyone can compute them; never fund these addresses on a real chain.
 */
export const VECTOR_KEYS = {
  deployer: keccak256(toUtf8Bytes('ssi test vector deployer')),
  maker: keccak256(toUtf8Bytes('ssi test vector maker')),
  requester: keccak256(toUtf8Bytes('ssi test vector requester')),
} as const;

export interface VectorSystem {
  issuer: Contract;
  rebalancer: Contract;
  index: Contract;
  usdc: string;
  assets: string[];
}

/**
 * Deploys a minimal protocol from the vector's deployer key at its first nonces, so every address
 * (and so the issuer's EIP-712 domain) is the same on any fresh chain with id 31337: the vector's
 * digest can then be checked against the real contract. Contract deployments come first and in
 * a fixed order; only then role grants and the index creation (whose address depends only on the
 * factory's own nonce). Run inside a snapshot: it uses up the deployer's nonces.
 */
export async function deployVectorSystem(hre: HardhatRuntimeEnvironment): Promise<VectorSystem> {
  const { ethers } = hre;
  const deployer = new Wallet(VECTOR_KEYS.deployer, ethers.provider);
  const maker = new Wallet(VECTOR_KEYS.maker).address;
  const requester = new Wallet(VECTOR_KEYS.requester).address;
  await hre.network.provider.send('hardhat_setBalance', [deployer.address, '0x56BC75E2D63100000']);
  const nonce = await ethers.provider.getTransactionCount(deployer.address);
  if (nonce !== 0) throw new Error(`vector deployer ${deployer.address} already used (nonce ${nonce}): run on a fresh chain or inside a snapshot`);

  const deploy = async (name: string, args: unknown[] = []): Promise<Contract> => {
    const contract = (await (await ethers.getContractFactory(name, deployer)).deploy(...args)) as unknown as Contract;
    await contract.waitForDeployment();
    return contract;
  };
  const proxy = async (implementation: Contract, data: string): Promise<string> =>
    (await deploy('ERC1967Proxy', [await implementation.getAddress(), data])).getAddress();

  const assetA = await deploy('TestToken', ['Vector Asset A', 'VA', 8]);
  const assetB = await deploy('TestToken', ['Vector Asset B', 'VB', 18]);
  const usdc = await deploy('TestToken', ['Vector USD', 'VUSD', 6]);
  const vaultImpl = await deploy('CustodyVault');
  const vault = await proxy(vaultImpl, vaultImpl.interface.encodeFunctionData('initialize', [deployer.address]));
  const issuerImpl = await deploy('Issuer');
  const issuerAddress = await proxy(issuerImpl, issuerImpl.interface.encodeFunctionData('initialize', [deployer.address, vault]));
  const tokenImpl = await deploy('IndexToken');
  const factoryImpl = await deploy('IndexFactory');
  const factoryAddress = await proxy(
    factoryImpl,
    factoryImpl.interface.encodeFunctionData('initialize', [deployer.address, await tokenImpl.getAddress(), issuerAddress]),
  );
  // Deployed after everything the quote-order vector depends on, so those addresses do not move.
  const rebalancerImpl = await deploy('Rebalancer');
  const rebalancerAddress = await proxy(
    rebalancerImpl,
    rebalancerImpl.interface.encodeFunctionData('initialize', [deployer.address, issuerAddress, 100, 86_400]),
  );

  const issuer = (await ethers.getContractAt('Issuer', issuerAddress, deployer)) as unknown as Contract;
  const factory = (await ethers.getContractAt('IndexFactory', factoryAddress, deployer)) as unknown as Contract;
  await (await issuer.grantRole(await issuer.REGISTRAR_ROLE(), factoryAddress)).wait();
  await (await issuer.grantRole(await issuer.MAKER_ROLE(), maker)).wait();
  await (await issuer.grantRole(await issuer.PARTICIPANT_ROLE(), requester)).wait();
  await (await issuer.grantRole(await issuer.OPERATOR_ROLE(), deployer.address)).wait();
  await (await issuer.setCashToken(await usdc.getAddress(), true)).wait();
  await (await factory.grantRole(await factory.OPERATOR_ROLE(), deployer.address)).wait();
  const rebalancer = (await ethers.getContractAt('Rebalancer', rebalancerAddress, deployer)) as unknown as Contract;
  await (await rebalancer.grantRole(await rebalancer.MAKER_ROLE(), maker)).wait();
  await (await rebalancer.grantRole(await rebalancer.OPERATOR_ROLE(), deployer.address)).wait();

  const pairs = [
    { asset: await assetA.getAddress(), unitAmount: 1_234_567n },
    { asset: await assetB.getAddress(), unitAmount: 98_765_432_109_876_543n },
  ].sort((x, y) => (BigInt(x.asset) < BigInt(y.asset) ? -1 : 1));
  await listAssets(factory, pairs.map((p) => p.asset), testTokenFaucet(hre, deployer.address));
  await (
    await factory.createIndex({
      name: 'Vector Index',
      symbol: 'VEC.ssi',
      assets: pairs.map((p) => p.asset),
      unitAmounts: pairs.map((p) => p.unitAmount),
      maxFeeRatePpm: 0,
      feeRatePpm: 0,
      config: {
        minAmount: 10n ** 15n,
        maxAmount: 10n ** 24n,
        feeVault: deployer.address,
        issueFeeBps: 25,
        redeemFeeBps: 25,
        requestTimeout: 3600,
      },
    })
  ).wait();
  const index = (await ethers.getContractAt('IndexToken', await factory.indexBySymbol('VEC.ssi'))) as unknown as Contract;
  return { issuer, rebalancer, index, usdc: await usdc.getAddress(), assets: pairs.map((p) => p.asset) };
}

/**
 * Runs `deploy` once before the tests of the enclosing describe, inside a chain snapshot reverted
 * after them (the vector systems use up fixed keys' first nonces), and returns a getter for what it made.
 */
export function deployedInSnapshot<T>(hre: HardhatRuntimeEnvironment, deploy: (hre: HardhatRuntimeEnvironment) => Promise<T>): () => T {
  let deployed: T | undefined;
  let snapshot: unknown;
  beforeAll(async () => {
    snapshot = await hre.network.provider.send('evm_snapshot', []);
    deployed = await deploy(hre);
  });
  afterAll(async () => {
    await hre.network.provider.send('evm_revert', [snapshot]);
  });
  return () => {
    if (deployed === undefined) throw new Error('the vector system is deployed in beforeAll: use it inside a test');
    return deployed;
  };
}
