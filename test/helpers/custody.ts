import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { ZeroHash, keccak256, toUtf8Bytes, type Contract, type Signer } from 'ethers';
import { CUSTODY_LEG_TYPES, custodyDomain, nativeKey, type CustodyLeg } from '../../lambdas/domain/custody/attestation';

/** CustodyRegistry's CustodyMode values. */
export const CustodyMode = { Onchain: 0, Custodian: 1 } as const;

/**
 * A CustodyRegistry and an AttestedIssuer reading it, both administered by `admin`, which also holds
 * their operator roles (tests and benches register data and allow indexes without a second key).
 */
export async function deployAttestedIssuer(
  hre: HardhatRuntimeEnvironment,
  admin: Signer,
  requestTimeout: bigint | number,
): Promise<{ registry: Contract; attested: Contract }> {
  const adminAddress = await admin.getAddress();
  const registry = (await hre.upgrades.deployProxy(await hre.ethers.getContractFactory('CustodyRegistry', admin), [adminAddress], {
    kind: 'uups',
  })) as unknown as Contract;
  const attested = (await hre.upgrades.deployProxy(
    await hre.ethers.getContractFactory('AttestedIssuer', admin),
    [adminAddress, await registry.getAddress(), requestTimeout],
    { kind: 'uups' },
  )) as unknown as Contract;
  await (await registry.grantRole(await registry.OPERATOR_ROLE(), adminAddress)).wait();
  await (await attested.grantRole(await attested.OPERATOR_ROLE(), adminAddress)).wait();
  return { registry, attested };
}

/**
 * An IndexToken proxy over `constituents` (sorted by address, as the token requires), with `admin` in every
 * role. Deployed directly rather than through IndexFactory, whose listing probe transfers each asset: a
 * custodian placeholder has no code, so it can never be listed there.
 */
export async function deployIndexToken(
  hre: HardhatRuntimeEnvironment,
  admin: Signer,
  params: { name: string; symbol: string; constituents: Array<{ asset: string; unitAmount: bigint }>; feeRatePpm?: number; maxFeeRatePpm?: number },
): Promise<Contract> {
  const sorted = [...params.constituents].sort((a, b) => (BigInt(a.asset) < BigInt(b.asset) ? -1 : 1));
  const adminAddress = await admin.getAddress();
  const implementation = await (await hre.ethers.getContractFactory('IndexToken', admin)).deploy();
  const proxy = await (await hre.ethers.getContractFactory('ERC1967Proxy', admin)).deploy(
    await implementation.getAddress(),
    implementation.interface.encodeFunctionData('initialize', [
      params.name,
      params.symbol,
      { admin: adminAddress, issuer: adminAddress, manager: adminAddress, rebalancer: hre.ethers.ZeroAddress },
      sorted.map((c) => c.asset),
      sorted.map((c) => c.unitAmount),
      params.maxFeeRatePpm ?? params.feeRatePpm ?? 0,
      params.feeRatePpm ?? 0,
    ]),
  );
  return (await hre.ethers.getContractAt('IndexToken', await proxy.getAddress(), admin)) as unknown as Contract;
}

/** `custodian`'s EIP-712 signature of `leg` under `attested`'s "SSI Custody" domain. */
export async function signLeg(hre: HardhatRuntimeEnvironment, custodian: Signer, attested: Contract, leg: CustodyLeg): Promise<string> {
  const domain = custodyDomain((await hre.ethers.provider.getNetwork()).chainId, await attested.getAddress());
  return custodian.signTypedData(domain, CUSTODY_LEG_TYPES, leg);
}

/** AttestedIssuer's REBALANCER_ROLE (the contract keeps the constant private to save bytecode). */
export const ATTESTED_REBALANCER_ROLE = keccak256(toUtf8Bytes('REBALANCER_ROLE'));

/**
 * An AttestedRebalancer over `rebalancer`'s price protection and `attested`'s registry, vault and custody book,
 * administered (and operated) by `admin`, with the roles it needs on AttestedIssuer and the vault. Each index it
 * rebalances still needs to grant it REBALANCER_ROLE.
 */
export async function deployAttestedRebalancer(
  hre: HardhatRuntimeEnvironment,
  admin: Signer,
  rebalancer: Contract,
  attested: Contract,
): Promise<Contract> {
  const adminAddress = await admin.getAddress();
  const contract = (await hre.upgrades.deployProxy(
    await hre.ethers.getContractFactory('AttestedRebalancer', admin),
    [adminAddress, await rebalancer.getAddress(), await attested.getAddress()],
    { kind: 'uups' },
  )) as unknown as Contract;
  const address = await contract.getAddress();
  await (await contract.grantRole(await contract.OPERATOR_ROLE(), adminAddress)).wait();
  await (await attested.grantRole(ATTESTED_REBALANCER_ROLE, address)).wait();
  const vault = await hre.ethers.getContractAt('CustodyVault', await attested.custodyVault(), admin);
  await (await vault.grantRole(await vault.RELEASER_ROLE(), address)).wait();
  return contract;
}

/**
 * The PMM's destinations aligned with `assets` (a rebalance's sells or a redeemed basket): the key of its native
 * address for custodian assets (`nativeAddressOf` answers one), zero for on-chain assets, as `accept` and
 * `acceptRedeem` take them.
 */
export function pmmDestinations(assets: readonly string[], nativeAddressOf: (asset: string) => string | undefined): string[] {
  return assets.map((asset) => {
    const address = nativeAddressOf(asset);
    return address === undefined ? ZeroHash : nativeKey(address);
  });
}
