/**
 * secp256k1 signature checks against a known signer, for the quote API's hot path, on
 * @noble/curves (audited; the same library ethers bundles).
 *
 * The quote API knows whose signature to expect, so instead of recovering the signer it checks
 * that R = u1*G + u2*Q, with u1 = z/s and u2 = r/s, has x = r and the y parity v says: exactly
 * the condition under which ecrecover(z, v, r, s) returns Q. G and each maker key Q carry a
 * precomputed window table (noble's `precompute`), built once per container, so both
 * multiplications are table look-ups and additions. Only public values are involved.
 *
 * `sign` is the deterministic signer (RFC 6979, low-s) the local PMM simulator uses; its
 * signatures equal ethers' byte for byte (tested).
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak256 } from 'ethers';

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;
const Point = secp256k1.ProjectivePoint;

export const N = secp256k1.CURVE.n;
const HALF_N = N >> 1n;
/**
 * Window of the precomputed tables (wNAF): 6 bits, 44 windows of 32 points each (1,408 points).
 * 8 bits (4,224 points) checks a signature about a tenth faster but takes about twice as long to
 * build, and the generator's table is built in every cold start (docs/benchmarks.md, lambda).
 */
const WINDOW = 6;

/** A point with its window table precomputed, for repeated multiplications by it. */
export class FixedBaseTable {
  private constructor(readonly point: Point) {}

  static build(base: { x: bigint; y: bigint }): FixedBaseTable {
    const point = Point.fromAffine(base);
    point.assertValidity();
    point.precompute(WINDOW, false);
    return new FixedBaseTable(point);
  }

  /** `build` after yielding a macrotask, so a server answers the request in hand first. */
  static async buildInBackground(base: { x: bigint; y: bigint }): Promise<FixedBaseTable> {
    await new Promise((resolve) => setImmediate(resolve));
    return FixedBaseTable.build(base);
  }
}

let generator: Point | undefined;
const G = (): Point => (generator ??= Point.BASE.precompute(WINDOW, false));

/** Builds the generator's table now (at cold start) rather than on the first signature. */
export function warmUp(): void {
  G();
}

/** The point of an uncompressed public key (0x04 || x || y), checked to be on the curve. */
export function publicKeyPoint(uncompressed: string): { x: bigint; y: bigint } {
  if (!/^0x04[0-9a-fA-F]{128}$/.test(uncompressed)) throw new TypeError('not an uncompressed public key');
  try {
    return Point.fromHex(uncompressed.slice(2)).toAffine();
  } catch {
    throw new RangeError('the point is not on secp256k1');
  }
}

/**
 * The public key ecrecover(digest, v, r, s) finds for `signature` (65 bytes r || s || v, v 27 or
 * 28), or undefined when there is none (malformed, r or s outside [1, n-1], r not the x of a point,
 * the point at infinity). Uses this module's generator table, so a container's first recovery does
 * not build a second one (ethers' recoverAddress builds its own copy of noble's, W = 8, on first use).
 */
export function recoverPublicKey(digest: string, signature: string): { x: bigint; y: bigint } | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature) || !/^0x[0-9a-fA-F]{64}$/.test(digest)) return undefined;
  const v = parseInt(signature.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return undefined;
  G();
  try {
    return secp256k1.Signature.fromCompact(signature.slice(2, 130)).addRecoveryBit(v - 27).recoverPublicKey(digest.slice(2)).toAffine();
  } catch {
    return undefined;
  }
}

/** The Ethereum address (lower case) of a public key: the last 20 bytes of keccak256(x || y). */
export function publicKeyAddress(point: { x: bigint; y: bigint }): string {
  return `0x${keccak256(`0x${point.x.toString(16).padStart(64, '0')}${point.y.toString(16).padStart(64, '0')}`).slice(26)}`;
}

/**
 * Whether `signature` (65 bytes r || s || v) over `digest` is the signer's whose table this is,
 * by OpenZeppelin ECDSA's rules: r and s in [1, n-1], s <= n/2, v 27 or 28, ecrecover == signer.
 */
export function verifyWithTable(table: FixedBaseTable, digest: string, signature: string): boolean {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature) || !/^0x[0-9a-fA-F]{64}$/.test(digest)) return false;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130, 132), 16);
  if (v !== 27 && v !== 28) return false;
  if (r === 0n || r >= N || s === 0n || s > HALF_N) return false;
  const sInverse = Point.Fn.inv(s);
  const u1 = Point.Fn.mul(Point.Fn.create(BigInt(digest)), sInverse);
  const u2 = Point.Fn.mul(r, sInverse);
  // u1 may be 0 (z = 0 mod n); multiplyUnsafe accepts 0, multiply does not.
  const R = G().multiplyUnsafe(u1).add(table.point.multiplyUnsafe(u2));
  if (R.is0()) return false;
  const { x, y } = R.toAffine();
  return x === r && Number(y & 1n) === v - 27;
}

/** `verifyWithTable` for many checks. */
export function verifyManyWithTables(checks: ReadonlyArray<{ table: FixedBaseTable; digest: string; signature: string }>): boolean[] {
  return checks.map(({ table, digest, signature }) => verifyWithTable(table, digest, signature));
}

/** Deterministic low-s signature of `digest` as 65 bytes r || s || v (v 27/28), like ethers' SigningKey.sign. */
export function sign(privateKey: string, digest: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(digest)) throw new TypeError('the digest must be 32 bytes');
  const d = privateScalar(privateKey);
  G();
  const signature = secp256k1.sign(digest.slice(2), d, { lowS: true });
  return `0x${signature.toCompactHex()}${(27 + signature.recovery).toString(16)}`;
}

/** `sign` for many digests. */
export function signMany(privateKey: string, digests: readonly string[]): string[] {
  privateScalar(privateKey);
  return digests.map((digest) => sign(privateKey, digest));
}

function privateScalar(privateKey: string): bigint {
  const d = BigInt(privateKey);
  if (d <= 0n || d >= N) throw new RangeError('private key out of range');
  return d;
}
