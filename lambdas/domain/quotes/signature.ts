/**
 * The maker signature check the Issuer runs for an EOA maker (OpenZeppelin ECDSA.tryRecover):
 * 65 bytes r || s || v, s in the lower half of the curve order, v 27 or 28, and the recovered
 * signer equal to the maker. Run before a quote leaves the API so a WLP never gets an order the
 * contract would refuse for its signature.
 */
import { recoverAddress, SigningKey } from 'ethers';
import { FixedBaseTable, publicKeyPoint, verifyWithTable } from './secp256k1';
import { checksum } from './address';

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
  return signer === checksum(maker) ? undefined : `signature recovers to ${signer}, not the maker ${checksum(maker)}`;
}

/**
 * The same check, fast once a maker is known: its first good signature is recovered with ethers,
 * which gives the maker's public key; a fixed-base table for it is then built in the background
 * (a window per macrotask, so quotes keep flowing) and later signatures are verified against it
 * (lambdas/domain/quotes/secp256k1.ts), about five times cheaper than recovery.
 */
export class MakerSignatures {
  private readonly tables = new Map<string, FixedBaseTable>();
  private readonly building = new Set<string>();

  problem = (digest: string, signature: string, maker: string): string | undefined => {
    const address = checksum(maker);
    const table = this.tables.get(address);
    if (!table) {
      const problem = makerSignatureProblem(digest, signature, address);
      if (!problem && !this.building.has(address)) {
        this.building.add(address);
        void FixedBaseTable.buildInBackground(publicKeyPoint(SigningKey.recoverPublicKey(digest, signature)))
          .then((built) => this.tables.set(address, built))
          .finally(() => this.building.delete(address));
      }
      return problem;
    }
    if (verifyWithTable(table, digest, signature)) return undefined;
    // Rare: say precisely why, with the full recovery.
    return makerSignatureProblem(digest, signature, address) ?? `signature is not ${address}'s over this order`;
  };

  /** Resolves once every table being built is ready (for tests). */
  async settled(): Promise<void> {
    while (this.building.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
