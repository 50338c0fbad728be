import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, keccak256, toUtf8Bytes, type Contract, type TypedDataDomain } from 'ethers';
import { AssetKind, type HedgeOrder, type UssiAsset } from '../../lambdas/domain/ussi-orders';

/**
 * Fixed keys of the shared USSI hedge-order vector. Test-only: derived from public strings, so
 * anyone can compute them; never fund these addresses on a real chain.
 */
export const USSI_VECTOR_KEYS = {
  deployer: keccak256(toUtf8Bytes('ssi test vector ussi deployer')),
  signer: keccak256(toUtf8Bytes('ssi test vector ussi order signer')),
  requester: keccak256(toUtf8Bytes('ssi test vector ussi requester')),
} as const;

/** The vector deployment's NAV and limits (what the quote in the vector is checked against). */
export const USSI_VECTOR_NAV = 1_023_456_789_000_000_000n;
export const USSI_VECTOR_SETTINGS = { toleranceBps: 50, requestTimeout: 3600, maxNavMoveBps: 100, minNavInterval: 600, maxNavAge: 86_400 };

export interface UssiVectorSystem {
  ussi: Contract;
  usdc: UssiAsset;
}

/**
 * Deploys USSI and a 6-decimal stablecoin from the vector's deployer key at its first nonces, so
 * the USSI proxy (and so the EIP-712 domain) has the same address on any fresh chain with id 31337.
 * Run inside a snapshot: it uses up the deployer's nonces.
 */
export async function deployUssiVectorSystem(hre: HardhatRuntimeEnvironment): Promise<UssiVectorSystem> {
  const { ethers } = hre;
  const deployer = new Wallet(USSI_VECTOR_KEYS.deployer, ethers.provider);
  await hre.network.provider.send('hardhat_setBalance', [deployer.address, '0x56BC75E2D63100000']);
  const nonce = await ethers.provider.getTransactionCount(deployer.address);
  if (nonce !== 0) throw new Error(`vector deployer ${deployer.address} already used (nonce ${nonce}): run on a fresh chain or inside a snapshot`);
  const deploy = async (name: string, args: unknown[] = []): Promise<Contract> => {
    const contract = (await (await ethers.getContractFactory(name, deployer)).deploy(...args)) as unknown as Contract;
    await contract.waitForDeployment();
    return contract;
  };
  const usdc = await deploy('TestToken', ['Vector USD', 'VUSD', 6]);
  const implementation = await deploy('USSI');
  const init = implementation.interface.encodeFunctionData('initialize', [
    'USSI',
    'USSI',
    deployer.address,
    new Wallet(USSI_VECTOR_KEYS.signer).address,
    deployer.address,
    USSI_VECTOR_NAV,
    USSI_VECTOR_SETTINGS,
  ]);
  const proxy = await deploy('ERC1967Proxy', [await implementation.getAddress(), init]);
  const ussi = (await ethers.getContractAt('USSI', await proxy.getAddress(), deployer)) as unknown as Contract;
  await (await ussi.grantRole(await ussi.PARTICIPANT_ROLE(), new Wallet(USSI_VECTOR_KEYS.requester).address)).wait();
  await (await ussi.setAsset(await usdc.getAddress(), AssetKind.Stablecoin)).wait();
  return { ussi, usdc: { address: await usdc.getAddress(), kind: AssetKind.Stablecoin, decimals: 6 } };
}

/** test/vectors/ussi-hedge-order.json with its numbers as bigints. */
export interface UssiHedgeOrderVector {
  keys: { deployer: string; signer: string; requester: string };
  domain: TypedDataDomain;
  asset: UssiAsset;
  nav: bigint;
  toleranceBps: number;
  spreadBps: number;
  order: HedgeOrder;
  digest: string;
  signature: string;
}

export function loadUssiHedgeOrderVector(): UssiHedgeOrderVector {
  const raw = JSON.parse(readFileSync(join(__dirname, '../vectors/ussi-hedge-order.json'), 'utf8'));
  const o = raw.order;
  return {
    keys: raw.keys,
    domain: { ...raw.domain, chainId: BigInt(raw.domain.chainId) },
    asset: raw.asset,
    nav: BigInt(raw.nav),
    toleranceBps: raw.toleranceBps,
    spreadBps: raw.spreadBps,
    order: {
      requester: o.requester,
      side: o.side,
      asset: o.asset,
      assetAmount: BigInt(o.assetAmount),
      assetPrice: BigInt(o.assetPrice),
      ussiAmount: BigInt(o.ussiAmount),
      deadline: BigInt(o.deadline),
      nonce: BigInt(o.nonce),
    },
    digest: raw.digest,
    signature: raw.signature,
  };
}
