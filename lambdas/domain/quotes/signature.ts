/**
 * The maker signature check the Issuer runs for an EOA maker (OpenZeppelin ECDSA.tryRecover):
 * 65 bytes r || s || v, s in the lower half of the curve order, v 27 or 28, and the recovered
 * signer equal to the maker. Run before a quote leaves the API so a WLP never gets an order the
 * contract would refuse for its signature.
 */
import { FixedBaseTable, publicKeyAddress, recoverPublicKey, verifyManyWithTables, verifyWithTable } from '../crypto/secp256k1';
import { checksum } from '../address';

/** secp256k1 group order / 2: OpenZeppelin rejects s above it (malleable signatures). */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Why `signature` over `digest` is not `maker`'s, or undefined when it is. */
export function makerSignatureProblem(digest: string, signature: string, maker: string): string | undefined {
  return checkedSigner(digest, signature, maker).problem;
}

/** `makerSignatureProblem`, with the signer's public key when the signature is the maker's. */
function checkedSigner(digest: string, signature: string, maker: string): { problem?: string; key?: { x: bigint; y: bigint } } {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return { problem: 'signature is not 65 bytes of hex' };
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return { problem: `signature v is ${v}, not 27 or 28` };
  if (r === 0n || s === 0n) return { problem: 'signature r or s is zero' };
  if (s > HALF_ORDER) return { problem: 'signature s is in the upper half of the curve order (malleable)' };
  const key = recoverPublicKey(digest, signature);
  if (!key) return { problem: 'signature does not recover to any address' };
  const signer = checksum(publicKeyAddress(key));
  return signer === checksum(maker) ? { key } : { problem: `signature recovers to ${signer}, not the maker ${checksum(maker)}` };
}

/** One maker signature to check: `signature` over the EIP-712 `digest`, expected from `maker`. */
export interface SignatureCheck {
  digest: string;
  signature: string;
  maker: string;
}

/** Why a signature is not the maker's (undefined when it is), answered now or later. */
export type SignatureProblem = (digest: string, signature: string, maker: string) => string | undefined | Promise<string | undefined>;

/**
 * The same check, fast once a maker is known: its first good signature is recovered, which gives
 * the maker's public key; a precomputed window table for it is then built after the
 * current request (a macrotask later) and later signatures are verified against it
 * (lambdas/domain/crypto/secp256k1.ts, @noble/curves), cheaper than recovery.
 */
export class MakerSignatures {
  private readonly tables = new Map<string, FixedBaseTable>();
  private readonly building = new Set<string>();

  problem = (digest: string, signature: string, maker: string): string | undefined => {
    const address = checksum(maker);
    const table = this.tables.get(address);
    if (!table) {
      const { problem, key } = checkedSigner(digest, signature, address);
      if (key && !this.building.has(address)) {
        this.building.add(address);
        void FixedBaseTable.buildInBackground(key)
          .then((built) => this.tables.set(address, built))
          .finally(() => this.building.delete(address));
      }
      return problem;
    }
    if (verifyWithTable(table, digest, signature)) return undefined;
    // Rare: say precisely why, with the full recovery.
    return makerSignatureProblem(digest, signature, address) ?? `signature is not ${address}'s over this order`;
  };

  /** `problem` for many checks at once: those of makers with a table are verified as one batch. */
  problems(checks: readonly SignatureCheck[]): Array<string | undefined> {
    const batched = checks.flatMap((check, at) => {
      const table = this.tables.get(checksum(check.maker));
      return table ? [{ at, table, digest: check.digest, signature: check.signature }] : [];
    });
    const good = verifyManyWithTables(batched);
    const answers: Array<string | undefined | null> = checks.map(() => null);
    batched.forEach(({ at }, i) => {
      if (good[i]) answers[at] = undefined;
    });
    // Makers without a table yet, and the rare failures (for their precise reason), one at a time.
    return answers.map((answer, at) => (answer === null ? this.problem(checks[at].digest, checks[at].signature, checks[at].maker) : answer));
  }

  /** Resolves once every table being built is ready (for tests). */
  async settled(): Promise<void> {
    while (this.building.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
