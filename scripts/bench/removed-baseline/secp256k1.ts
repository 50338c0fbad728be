/*
 * REMOVED BASELINE, NOT SHIPPED: lambdas/domain/quotes/secp256k1.ts (hand-written secp256k1 and RFC 6979 signer) as it was on main at commit 5b9485d, before issue 21 replaced it
 * with audited libraries. Kept here only so `npm run bench:quotes` can measure the old code side by side with
 * what ships, in the same run; nothing outside scripts/bench/ may import it.
 */
/**
 * Fast secp256k1 signature checks against a known signer, for the quote API's hot path.
 *
 * Recovering the signer of every PMM quote (ethers' recoverAddress) costs about 2.7 ms of CPU; the
 * quote API knows whose signature to expect, so it checks instead that R = u1*G + u2*Q, with
 * u1 = z/s and u2 = r/s, has x = r and the y parity v says. That is exactly the condition under
 * which ecrecover(z, v, r, s) returns Q. Both multiplications use fixed-base tables (8-bit windows:
 * 32 x 255 precomputed affine multiples of G and of each maker key), so a check is at most 64
 * mixed additions and two inversions. A maker's key is recovered once (with ethers) and its table
 * built once per container. Only public values are involved: nothing here needs constant time.
 *
 * `sign` is the matching deterministic signer (RFC 6979, low-s), used by the local PMM simulator,
 * and `signMany` the same for a batch; their signatures equal ethers' byte for byte (tested).
 */
import { createHmac } from 'node:crypto';

export const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;
const GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n;
const GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n;

const LOW_256 = (1n << 256n) - 1n;
/** 2^256 mod p: p = 2^256 - 0x1000003d1, so the high half folds in times this. */
const FOLD = 0x1000003d1n;

/** a mod p: for non-negative a, folds the bits above 256 back in until none are left; else a plain remainder. */
export const mod = (a: bigint): bigint => {
  if (a < 0n) {
    const r = a % P;
    return r < 0n ? r + P : r;
  }
  let r = a;
  while (r > LOW_256) r = (r & LOW_256) + (r >> 256n) * FOLD;
  return r >= P ? r - P : r;
};

/** a^-1 mod m by the extended Euclidean algorithm; a must be non-zero mod m. */
export function invert(a: bigint, m: bigint): bigint {
  let x = ((a % m) + m) % m;
  if (x === 0n) throw new RangeError('zero has no inverse');
  let y = m;
  let u = 1n;
  let v = 0n;
  while (x !== 0n) {
    const q = y / x;
    const r = y - q * x;
    const t = v - q * u;
    y = x;
    x = r;
    v = u;
    u = t;
  }
  return ((v % m) + m) % m;
}

/** Jacobian point (X/Z^2, Y/Z^3); Z = 0 is the point at infinity. */
interface Jacobian {
  x: bigint;
  y: bigint;
  z: bigint;
}

interface Affine {
  x: bigint;
  y: bigint;
}

const INFINITY: Jacobian = { x: 0n, y: 1n, z: 0n };

function double(p: Jacobian): Jacobian {
  if (p.z === 0n || p.y === 0n) return INFINITY;
  const a = mod(p.x * p.x);
  const b = mod(p.y * p.y);
  const c = mod(b * b);
  const xb = p.x + b;
  const d = mod(2n * (xb * xb - a - c));
  const e = 3n * a;
  const f = mod(e * e);
  const x = mod(f - 2n * d);
  const y = mod(e * (d - x) - 8n * c);
  const z = mod(2n * p.y * p.z);
  return { x, y, z };
}

/** p + q with q affine (madd-2007-bl), handling doubling and opposite points. */
function addAffine(p: Jacobian, q: Affine): Jacobian {
  if (p.z === 0n) return { x: q.x, y: q.y, z: 1n };
  const z1z1 = mod(p.z * p.z);
  const u2 = mod(q.x * z1z1);
  const s2 = mod(q.y * p.z * z1z1);
  const h = mod(u2 - p.x);
  const r = mod(2n * (s2 - p.y));
  if (h === 0n) return r === 0n ? double(p) : INFINITY;
  const hh = mod(h * h);
  const i = 4n * hh;
  const j = mod(h * i);
  const v = mod(p.x * i);
  const x = mod(r * r - j - 2n * v);
  const y = mod(r * (v - x) - 2n * p.y * j);
  const zh = p.z + h;
  const z = mod(zh * zh - z1z1 - hh);
  return { x, y, z };
}

function toAffine(p: Jacobian): Affine | undefined {
  if (p.z === 0n) return undefined;
  const zi = invert(p.z, P);
  const zi2 = mod(zi * zi);
  return { x: mod(p.x * zi2), y: mod(p.y * zi2 * zi) };
}

/** Affine forms of many points with one inversion (Montgomery's trick); none may be infinity. */
function batchAffine(points: Jacobian[]): Affine[] {
  const prefix: bigint[] = new Array(points.length);
  let acc = 1n;
  for (let i = 0; i < points.length; i++) {
    prefix[i] = acc;
    acc = mod(acc * points[i].z);
  }
  let inv = invert(acc, P);
  const out: Affine[] = new Array(points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const zi = mod(inv * prefix[i]);
    inv = mod(inv * points[i].z);
    const zi2 = mod(zi * zi);
    out[i] = { x: mod(points[i].x * zi2), y: mod(points[i].y * zi2 * zi) };
  }
  return out;
}

/** Multiples j * 256^i * base for i in 0..31, j in 1..255: k * base is one entry per byte of k. */
export class FixedBaseTable {
  private constructor(
    readonly base: Affine,
    private readonly rows: Affine[][],
  ) {}

  /** Builds the table at once (about 8,000 point additions: tens of ms). */
  static build(base: Affine): FixedBaseTable {
    const rows: Affine[][] = [];
    let windowBase = base;
    for (let i = 0; i < 32; i++) ({ row: rows[i], next: windowBase } = FixedBaseTable.row(windowBase));
    return new FixedBaseTable(base, rows);
  }

  /** Builds the table one window per macrotask, so a server keeps answering meanwhile. */
  static async buildInBackground(base: Affine): Promise<FixedBaseTable> {
    const rows: Affine[][] = [];
    let windowBase = base;
    for (let i = 0; i < 32; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      ({ row: rows[i], next: windowBase } = FixedBaseTable.row(windowBase));
    }
    return new FixedBaseTable(base, rows);
  }

  /** 1..255 times `windowBase` in affine form, and 256 times it (the next window's base). */
  private static row(windowBase: Affine): { row: Affine[]; next: Affine } {
    const points: Jacobian[] = [];
    let current: Jacobian = { x: windowBase.x, y: windowBase.y, z: 1n };
    points.push(current);
    for (let j = 2; j <= 256; j++) {
      current = addAffine(current, windowBase);
      points.push(current);
    }
    const affine = batchAffine(points);
    return { row: affine.slice(0, 255), next: affine[255] };
  }

  /** acc + k * base. */
  addMultiple(acc: Jacobian, k: bigint): Jacobian {
    let result = acc;
    for (let i = 0; k > 0n; i++, k >>= 8n) {
      const byte = Number(k & 255n);
      if (byte !== 0) result = addAffine(result, this.rows[i][byte - 1]);
    }
    return result;
  }
}

let generatorTable: FixedBaseTable | undefined;
const G = (): FixedBaseTable => (generatorTable ??= FixedBaseTable.build({ x: GX, y: GY }));

/** Builds the generator's table now (at cold start) rather than on the first signature. */
export function warmUp(): void {
  G();
}

/** The point of an uncompressed public key (0x04 || x || y), checked to be on the curve. */
export function publicKeyPoint(uncompressed: string): Affine {
  if (!/^0x04[0-9a-fA-F]{128}$/.test(uncompressed)) throw new TypeError('not an uncompressed public key');
  const x = BigInt(`0x${uncompressed.slice(4, 68)}`);
  const y = BigInt(`0x${uncompressed.slice(68, 132)}`);
  if (x >= P || y >= P || mod(y * y - x * x * x - 7n) !== 0n) throw new RangeError('the point is not on secp256k1');
  return { x, y };
}

/**
 * Whether `signature` (65 bytes r || s || v) over `digest` is the signer's whose table this is,
 * by OpenZeppelin ECDSA's rules: r and s in [1, n-1], s <= n/2, v 27 or 28, ecrecover == signer.
 */
export function verifyWithTable(table: FixedBaseTable, digest: string, signature: string): boolean {
  return verifyManyWithTables([{ table, digest, signature }])[0];
}

/**
 * `verifyWithTable` for many checks at once: the s inverses and the affine forms of the points
 * each take one inversion for the whole batch (Montgomery's trick) instead of two per check.
 */
export function verifyManyWithTables(checks: ReadonlyArray<{ table: FixedBaseTable; digest: string; signature: string }>): boolean[] {
  const results = checks.map(() => false);
  const parsed: Array<{ at: number; z: bigint; r: bigint; s: bigint; parity: number }> = [];
  checks.forEach(({ digest, signature }, at) => {
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature) || !/^0x[0-9a-fA-F]{64}$/.test(digest)) return;
    const r = BigInt(`0x${signature.slice(2, 66)}`);
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = parseInt(signature.slice(130, 132), 16);
    if (v !== 27 && v !== 28) return;
    if (r === 0n || r >= N || s === 0n || s > HALF_N) return;
    parsed.push({ at, z: BigInt(digest) % N, r, s, parity: v - 27 });
  });
  const inverses = batchInvert(parsed.map((p) => p.s), N);
  // R = u1*G + u2*Q with u1 = z/s, u2 = r/s; infinity never equals a signature's R.
  const candidates = parsed
    .map((p, i) => ({ p, point: checks[p.at].table.addMultiple(G().addMultiple(INFINITY, (p.z * inverses[i]) % N), (p.r * inverses[i]) % N) }))
    .filter(({ point }) => point.z !== 0n);
  const affine = batchAffine(candidates.map(({ point }) => point));
  candidates.forEach(({ p }, i) => (results[p.at] = affine[i].x === p.r && Number(affine[i].y & 1n) === p.parity));
  return results;
}

/** RFC 6979 nonce for secp256k1 with HMAC-SHA256 (no extra entropy). */
function* rfc6979(privateKey: bigint, z: bigint): Generator<bigint> {
  const x = Buffer.from(privateKey.toString(16).padStart(64, '0'), 'hex');
  const h = Buffer.from((z % N).toString(16).padStart(64, '0'), 'hex');
  let v = Buffer.alloc(32, 1);
  let k = Buffer.alloc(32, 0);
  const hmac = (key: Buffer, ...parts: Buffer[]) => {
    const mac = createHmac('sha256', key);
    for (const part of parts) mac.update(part);
    return mac.digest();
  };
  k = hmac(k, v, Buffer.from([0]), x, h);
  v = hmac(k, v);
  k = hmac(k, v, Buffer.from([1]), x, h);
  v = hmac(k, v);
  for (;;) {
    v = hmac(k, v);
    const candidate = BigInt(`0x${v.toString('hex')}`);
    if (candidate > 0n && candidate < N) yield candidate;
    k = hmac(k, v, Buffer.from([0]));
    v = hmac(k, v);
  }
}

/** Deterministic low-s signature of `digest` as 65 bytes r || s || v (v 27/28), like ethers' SigningKey.sign. */
export function sign(privateKey: string, digest: string): string {
  const d = privateScalar(privateKey);
  const z = BigInt(digest);
  for (const k of rfc6979(d, z)) {
    const point = toAffine(G().addMultiple(INFINITY, k));
    const signature = point && signatureFor(d, z, invert(k, N), point);
    if (signature) return signature;
  }
  throw new Error('unreachable');
}

/**
 * `sign` for many digests at once, each signature byte for byte what `sign` gives: the nonce
 * points' affine forms and the nonces' inverses each take one inversion for the whole batch
 * (Montgomery's trick) instead of two per signature, about a third of a signature's cost.
 */
export function signMany(privateKey: string, digests: readonly string[]): string[] {
  const d = privateScalar(privateKey);
  const zs = digests.map((digest) => BigInt(digest));
  // RFC 6979's first candidate fails only with a chance of about 2^-128; sign() then takes the next.
  const ks = zs.map((z) => rfc6979(d, z).next().value as bigint);
  const points = batchAffine(ks.map((k) => G().addMultiple(INFINITY, k)));
  const inverses = batchInvert(ks, N);
  return zs.map((z, i) => signatureFor(d, z, inverses[i], points[i]) ?? sign(privateKey, digests[i]));
}

function privateScalar(privateKey: string): bigint {
  const d = BigInt(privateKey);
  if (d <= 0n || d >= N) throw new RangeError('private key out of range');
  return d;
}

/** The signature whose nonce has inverse `kInverse` and point R, or undefined when that nonce cannot give one. */
function signatureFor(d: bigint, z: bigint, kInverse: bigint, point: Affine): string | undefined {
  const r = point.x % N;
  if (r === 0n) return undefined;
  let s = (kInverse * ((z % N) + r * d)) % N;
  if (s === 0n) return undefined;
  let parity = Number(point.y & 1n) ^ (point.x >= N ? 2 : 0);
  if (s > HALF_N) {
    s = N - s;
    parity ^= 1;
  }
  if (parity > 1) return undefined; // r would not recover (x >= n); never happens in practice
  return `0x${r.toString(16).padStart(64, '0')}${s.toString(16).padStart(64, '0')}${(27 + parity).toString(16)}`;
}

/** Inverses mod m of non-zero values with one inversion (Montgomery's trick). */
function batchInvert(values: readonly bigint[], m: bigint): bigint[] {
  const prefix: bigint[] = new Array(values.length);
  let acc = 1n;
  for (let i = 0; i < values.length; i++) {
    prefix[i] = acc;
    acc = (acc * values[i]) % m;
  }
  let inverse = invert(acc, m);
  const out: bigint[] = new Array(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = (inverse * prefix[i]) % m;
    inverse = (inverse * values[i]) % m;
  }
  return out;
}
