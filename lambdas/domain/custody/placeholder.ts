/**
 * How an IndexToken basket names a custodian-mode asset: a deterministic placeholder address with no
 * code, derived from the (chain key, asset key) pair exactly as CustodyRegistry.placeholderOf does,
 * so off-chain code (deploy, quotes, reserve reports) builds basket entries without a chain call.
 */
import { AbiCoder, getAddress, keccak256 } from 'ethers';
import { assetKey, chainKey } from './attestation';

export function custodianPlaceholder(chainName: string, assetId: string): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ['string', 'bytes32', 'bytes32'],
    ['ssi.custodian-asset', chainKey(chainName), assetKey(assetId)],
  );
  return getAddress(`0x${keccak256(encoded).slice(-40)}`);
}
