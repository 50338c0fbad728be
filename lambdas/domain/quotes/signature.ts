/**
 * The maker signature check the Issuer runs for an EOA maker (OpenZeppelin ECDSA.tryRecover):
 * 65 bytes r || s || v, s in the lower half of the curve order, v 27 or 28, and the recovered
 * signer equal to the maker. Run before a quote leaves the API so a WLP never gets an order the
 * contract would refuse for its signature.
 */
import { getAddress, recoverAddress } from 'ethers';

/** secp256k1 group order / 2: OpenZeppelin rejects s above it (malleable signatures). */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Why `signature` over `digest` is not `maker`'s, or undefined when it is. */
export function makerSignatureProblem(digest: string, signature: string, maker: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return 'signature is not 65 bytes of hex';
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return `signature v is ${v}, not 27 or 28`;
  if (r === 0n || s === 0n) return 'signature r or s is zero';
  if (s > HALF_ORDER) return 'signature s is in the upper half of the curve order (malleable)';
  let signer: string;
  try {
    signer = recoverAddress(digest, signature);
  } catch {
    return 'signature does not recover to any address';
  }
  return signer === getAddress(maker) ? undefined : `signature recovers to ${signer}, not the maker ${getAddress(maker)}`;
}
