/**
 * Contract ABIs, straight from Hardhat's compiled artifacts (`npm run build:contracts`): the back
 * end, the CLI and the local tools never hand-write a fragment, so a renamed argument, a new error
 * or a changed return shape reaches every caller with the next compile. Each ABI is its own named
 * re-export: esbuild keeps only the `abi` field of the artifacts a bundle uses.
 */
import { Interface, type InterfaceAbi, type JsonFragment } from 'ethers';

export { abi as ISSUER_ABI } from '../../artifacts/contracts/index/Issuer.sol/Issuer.json';
export { abi as INDEX_TOKEN_ABI } from '../../artifacts/contracts/index/IndexToken.sol/IndexToken.json';
export { abi as REBALANCER_ABI } from '../../artifacts/contracts/index/Rebalancer.sol/Rebalancer.json';
export { abi as CUSTODY_VAULT_ABI } from '../../artifacts/contracts/index/CustodyVault.sol/CustodyVault.json';
export { abi as RESERVE_REGISTRY_ABI } from '../../artifacts/contracts/reserve/ReserveRegistry.sol/ReserveRegistry.json';
export { abi as REWARDS_DISTRIBUTOR_ABI } from '../../artifacts/contracts/rewards/RewardsDistributor.sol/RewardsDistributor.json';
export { abi as STAKE_TOKEN_ABI } from '../../artifacts/contracts/staking/StakeToken.sol/StakeToken.json';
export { abi as ASSET_LOCKING_ABI } from '../../artifacts/contracts/staking/AssetLocking.sol/AssetLocking.json';
export { abi as USSI_ABI } from '../../artifacts/contracts/ussi/USSI.sol/USSI.json';
/** The AttestedIssuer as its interface declares it (indexes on custodian assets: docs/custody.md). */
export { abi as ATTESTED_ISSUER_ABI } from '../../artifacts/contracts/interfaces/IAttestedIssuer.sol/IAttestedIssuer.json';
/** Any ERC-20 the protocol holds or pays in (cash tokens, basket assets): OpenZeppelin's IERC20Metadata. */
export { abi as ERC20_ABI } from '../../artifacts/@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol/IERC20Metadata.json';
/** OpenZeppelin's ERC-20 errors (ERC-6093), for readable reverts of token calls. */
export { abi as ERC20_ERRORS_ABI } from '../../artifacts/@openzeppelin/contracts/interfaces/draft-IERC6093.sol/IERC20Errors.json';
/** The local chain's faucet token (contracts/mocks/TestToken.sol): local tools only. */
export { abi as TEST_TOKEN_ABI } from '../../artifacts/contracts/mocks/TestToken.sol/TestToken.json';

/**
 * The custom errors of other contracts, to add to an interface whose calls can revert inside them
 * (a settlement reverting in the index token, a mint in a basket asset), so the reason decodes.
 */
export function errorsOf(...abis: ReadonlyArray<ReadonlyArray<JsonFragment>>): JsonFragment[] {
  return abis.flatMap((abi) => abi.filter((fragment) => fragment.type === 'error'));
}

/** One contract's ABI with other contracts' errors added (duplicates are dropped by ethers' Interface). */
export const withErrorsOf = (abi: ReadonlyArray<JsonFragment>, ...others: ReadonlyArray<ReadonlyArray<JsonFragment>>): InterfaceAbi => [...abi, ...errorsOf(...others)];

const parsed = new WeakMap<ReadonlyArray<JsonFragment>, Interface>();

/**
 * The ethers Interface of an ABI, parsed once per container: parsing every fragment of a large ABI
 * (the Issuer's) costs milliseconds of a cold start, and a Contract built on an ABI array parses
 * it again each time.
 */
export function interfaceOf(abi: ReadonlyArray<JsonFragment>): Interface {
  let found = parsed.get(abi);
  if (!found) {
    found = new Interface(abi);
    parsed.set(abi, found);
  }
  return found;
}
