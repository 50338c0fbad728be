import { keccak256 } from '../crypto/keccak';

/**
 * A Merkle tree of reward claims, (account, cumulativeAmount) pairs, built exactly as
 * `StandardMerkleTree.of(values, ['address', 'uint256'])` of @openzeppelin/merkle-tree v1 builds it:
 *
 * - leaf = keccak256(keccak256(abi.encode(account, amount))), the leaf a RewardsDistributor
 *   checks with `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`;
 * - leaves sorted ascending by hash (ties keep input order, as a stable sort does);
 * - the tree is one array of 2n-1 nodes, root at 0, children of i at 2i+1 and 2i+2, the
 *   sorted leaves placed from the end (leaf k at 2n-2-k);
 * - an inner node hashes its two children in ascending order (commutative, as OpenZeppelin's
 *   MerkleProof expects).
 *
 * Same root, same proofs, and `dump()` is a `standard-v1` document `StandardMerkleTree.load`
 * accepts. The work happens in typed arrays (ABI encodings, hashes, a radix sort on the first
 * hash word) and Keccak is hash-wasm's (lambdas/domain/crypto/keccak.ts; callers await `keccakReady`
 * first), so a million leaves take seconds and a few hundred MB rather than minutes and GBs.
 */

export const LEAF_ENCODING: readonly ['address', 'uint256'] = ['address', 'uint256'];

/** The document `StandardMerkleTree.load` reads (its `StandardMerkleTreeData<[string, string]>`). */
export interface StandardTreeDump {
  format: 'standard-v1';
  leafEncoding: string[];
  tree: string[];
  values: Array<{ value: [string, string]; treeIndex: number }>;
}

export interface RewardClaim {
  account: string;
  amount: bigint;
  /** Sibling hashes from the leaf up, 0x-prefixed, as `StandardMerkleTree.getProof` returns them. */
  proof: string[];
}

const WORDS = 8; // 32-byte node = 8 little-endian 32-bit words
const MAX_UINT256 = (1n << 256n) - 1n;

/** First 4 bytes of a node as a big-endian unsigned number: the order of the bytes. */
function bigEndianWord(word: number): number {
  return (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
}

/** Byte-wise (= numeric, as OpenZeppelin's `compare`) order of node i of `a` and node j of `b`. */
export function compareNodes(a: Int32Array, i: number, b: Int32Array, j: number): number {
  for (let w = 0; w < WORDS; w++) {
    const x = bigEndianWord(a[i * WORDS + w]);
    const y = bigEndianWord(b[j * WORDS + w]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function newWords(count: number): Int32Array {
  // A fresh ArrayBuffer: word-aligned, unlike a slice of Buffer's shared pool.
  return new Int32Array(new ArrayBuffer(count * 4));
}

const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[65 + c] = NIBBLE[97 + c] = 10 + c;
const MASK_64 = (1n << 64n) - 1n;

/** Writes abi.encode(address, uint256) of every pair: 64 bytes each, parsed without intermediate strings. */
export function abiEncode(accounts: readonly string[], amounts: readonly bigint[], memory: ArrayBuffer, at: number): void {
  const n = accounts.length;
  const bytes = new Uint8Array(memory, at, n * 64);
  const view = new DataView(memory, at, n * 64);
  for (let i = 0; i < n; i++) {
    const account = accounts[i];
    const base = i * 64;
    if (typeof account !== 'string' || account.length !== 42 || account.charCodeAt(0) !== 48 || account.charCodeAt(1) !== 120) {
      throw new TypeError(`leaf ${i}: not an address: ${String(account)}`);
    }
    for (let k = 0; k < 20; k++) {
      const high = NIBBLE[account.charCodeAt(2 + 2 * k) & 127];
      const low = NIBBLE[account.charCodeAt(3 + 2 * k) & 127];
      if (high < 0 || low < 0 || account.charCodeAt(2 + 2 * k) > 127 || account.charCodeAt(3 + 2 * k) > 127) {
        throw new TypeError(`leaf ${i}: not an address: ${account}`);
      }
      bytes[base + 12 + k] = (high << 4) | low;
    }
    let amount = amounts[i];
    if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_UINT256) throw new RangeError(`leaf ${i}: amount is not a uint256: ${String(amount)}`);
    for (let offset = base + 56; amount !== 0n; offset -= 8) {
      view.setBigUint64(offset, amount & MASK_64);
      amount >>= 64n;
    }
  }
}

/**
 * Indices 0..n-1 ordered by leaf hash ascending, ties by index: a stable LSD radix sort on the
 * first (big-endian) 32 bits, then the rare runs sharing those bits ordered by the full hash.
 * Exported for its tests.
 */
export function sortedOrder(hashes: Int32Array, n: number): Uint32Array {
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = bigEndianWord(hashes[i * WORDS]);
  let order = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Uint32Array(65536);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const index = order[i];
      spare[counts[(keys[index] >>> shift) & 0xffff]++] = index;
    }
    [order, spare] = [spare, order];
  }
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && keys[order[end]] === keys[order[start]]) end++;
    if (end - start > 1) {
      const run = Array.from(order.subarray(start, end));
      run.sort((a, b) => compareNodes(hashes, a, hashes, b) || a - b);
      order.set(run, start);
    }
    start = end;
  }
  return order;
}

/** Node `node` of `words` as 0x-prefixed hex. */
export function hexOf(words: Int32Array, node: number): string {
  return `0x${Buffer.from(words.buffer, words.byteOffset + node * 32, 32).toString('hex')}`;
}

function wordsOf(hex: string): Int32Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError(`not a 32-byte hash: ${hex}`);
  const words = newWords(WORDS);
  Buffer.from(words.buffer).write(hex.slice(2), 'hex');
  return words;
}

/** keccak256 of `length` bytes at `from` in `bytes`, written to `to`. */
function hashInto(bytes: Uint8Array, from: number, length: number, to: number): void {
  bytes.set(keccak256(bytes.subarray(from, from + length)), to);
}

/** keccak256(left || right) of two 32-byte nodes, written to `to`. */
function hashPair(bytes: Uint8Array, scratch: Uint8Array, left: number, right: number, to: number): void {
  scratch.set(bytes.subarray(left, left + 32), 0);
  scratch.set(bytes.subarray(right, right + 32), 32);
  bytes.set(keccak256(scratch), to);
}

export class RewardMerkleTree {
  private lookup?: Map<string, number>;

  private constructor(
    private readonly accounts: readonly string[],
    private readonly amounts: readonly bigint[],
    /** 2n-1 nodes of 8 words, in OpenZeppelin's array layout. */
    private readonly nodes: Int32Array,
    /** Input position -> node index of its leaf. */
    private readonly treeIndexOf: Uint32Array,
  ) {}

  /** Builds the tree of (account, amount) pairs, in the given order (the order `dump().values` keeps). */
  static of(entries: Iterable<readonly [string, bigint]>): RewardMerkleTree {
    const accounts: string[] = [];
    const amounts: bigint[] = [];
    for (const [account, amount] of entries) {
      accounts.push(account);
      amounts.push(amount);
    }
    return RewardMerkleTree.fromArrays(accounts, amounts);
  }

  /** Builds from parallel arrays (no per-leaf objects). The arrays are kept, not copied. */
  static fromArrays(accounts: readonly string[], amounts: readonly bigint[]): RewardMerkleTree {
    const n = accounts.length;
    if (n === 0) throw new RangeError('a reward tree needs at least one leaf');
    if (amounts.length !== n) throw new RangeError(`${n} accounts but ${amounts.length} amounts`);
    const size = 2 * n - 1;
    // One buffer: ABI encodings, then leaf hashes, then the tree.
    const encodedAt = 0;
    const leavesAt = encodedAt + n * 64;
    const nodesAt = leavesAt + n * 32;
    const memory = new ArrayBuffer(nodesAt + size * 32);
    const bytes = new Uint8Array(memory);
    const scratch = new Uint8Array(64);
    abiEncode(accounts, amounts, memory, encodedAt);
    for (let i = 0; i < n; i++) {
      hashInto(bytes, encodedAt + i * 64, 64, leavesAt + i * 32);
      hashInto(bytes, leavesAt + i * 32, 32, leavesAt + i * 32);
    }
    const leaves = new Int32Array(memory, leavesAt, n * WORDS);
    const order = sortedOrder(leaves, n);
    const nodes = new Int32Array(memory, nodesAt, size * WORDS);
    const treeIndexOf = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const input = order[k];
      const node = size - 1 - k;
      nodes.set(leaves.subarray(input * WORDS, input * WORDS + WORDS), node * WORDS);
      treeIndexOf[input] = node;
    }
    for (let i = size - 1 - n; i >= 0; i--) {
      const left = 2 * i + 1;
      const right = left + 1;
      if (compareNodes(nodes, left, nodes, right) <= 0) hashPair(bytes, scratch, nodesAt + left * 32, nodesAt + right * 32, nodesAt + i * 32);
      else hashPair(bytes, scratch, nodesAt + right * 32, nodesAt + left * 32, nodesAt + i * 32);
    }
    // Keep only the tree; the encodings and leaf hashes go with the garbage.
    const kept = newWords(size * WORDS);
    kept.set(nodes);
    return new RewardMerkleTree(accounts, amounts, kept, treeIndexOf);
  }

  /** Rebuilds a tree from its `standard-v1` dump and checks every node of it. */
  static load(dump: StandardTreeDump): RewardMerkleTree {
    if (dump.format !== 'standard-v1') throw new TypeError(`unknown tree format ${dump.format}`);
    if (JSON.stringify(dump.leafEncoding) !== JSON.stringify(LEAF_ENCODING)) throw new TypeError(`leaf encoding ${dump.leafEncoding} is not address,uint256`);
    const tree = RewardMerkleTree.fromArrays(
      dump.values.map((v) => v.value[0]),
      dump.values.map((v) => BigInt(v.value[1])),
    );
    const rebuilt = tree.dump();
    const same =
      rebuilt.tree.length === dump.tree.length &&
      rebuilt.tree.every((node, i) => node === dump.tree[i].toLowerCase()) &&
      rebuilt.values.every((v, i) => v.treeIndex === dump.values[i].treeIndex);
    if (!same) throw new Error('the dump is not the tree of its values');
    return tree;
  }

  /** Checks a claim the way the contract does: leaf, then sorted-pair hashes up to the root. */
  static verify(root: string, account: string, amount: bigint, proof: readonly string[]): boolean {
    // 0..64: abi.encode(account, amount); 64..96: the running node; 96..128: a sibling.
    const memory = new ArrayBuffer(128);
    const bytes = new Uint8Array(memory);
    const scratch = new Uint8Array(64);
    abiEncode([account], [amount], memory, 0);
    hashInto(bytes, 0, 64, 64);
    hashInto(bytes, 64, 32, 64);
    const words = new Int32Array(memory, 0, 32);
    for (const sibling of proof) {
      words.set(wordsOf(sibling), 24);
      if (compareNodes(words, 2, words, 3) <= 0) hashPair(bytes, scratch, 64, 96, 64);
      else hashPair(bytes, scratch, 96, 64, 64);
    }
    return hexOf(words, 2) === root.toLowerCase();
  }

  get root(): string {
    return hexOf(this.nodes, 0);
  }

  /** Number of leaves. */
  get length(): number {
    return this.accounts.length;
  }

  at(index: number): { account: string; amount: bigint } {
    this.check(index);
    return { account: this.accounts[index], amount: this.amounts[index] };
  }

  leafHash(index: number): string {
    this.check(index);
    return hexOf(this.nodes, this.treeIndexOf[index]);
  }

  /** Proof for the leaf at input position `index`; equal to `StandardMerkleTree.getProof(index)`. */
  getProof(index: number): string[] {
    this.check(index);
    const proof: string[] = [];
    let node = this.treeIndexOf[index];
    while (node > 0) {
      proof.push(hexOf(this.nodes, node % 2 === 1 ? node + 1 : node - 1));
      node = (node - 1) >> 1;
    }
    return proof;
  }

  /** Input position of an account (case-insensitive), or undefined. The first call indexes all leaves. */
  indexOf(account: string): number | undefined {
    if (!this.lookup) {
      this.lookup = new Map();
      for (let i = this.accounts.length - 1; i >= 0; i--) this.lookup.set(this.accounts[i].toLowerCase(), i);
    }
    return this.lookup.get(account.toLowerCase());
  }

  /** The claim of an account: its amount and proof, or undefined when it has no leaf. */
  claimOf(account: string): RewardClaim | undefined {
    const index = this.indexOf(account);
    return index === undefined ? undefined : { account: this.accounts[index], amount: this.amounts[index], proof: this.getProof(index) };
  }

  /** The `standard-v1` document, identical to `StandardMerkleTree.of(...).dump()` with amounts as decimal strings. */
  dump(): StandardTreeDump {
    const tree: string[] = new Array(this.nodes.length / WORDS);
    for (let i = 0; i < tree.length; i++) tree[i] = hexOf(this.nodes, i);
    return {
      format: 'standard-v1',
      leafEncoding: [...LEAF_ENCODING],
      tree,
      values: this.accounts.map((account, i) => ({ value: [account, this.amounts[i].toString()], treeIndex: this.treeIndexOf[i] })),
    };
  }

  /**
   * `JSON.stringify(dump())` in pieces of about `chunkChars` characters, for streaming a large
   * tree to S3 without holding the whole document as one string.
   */
  *dumpJson(chunkChars = 1 << 20): Generator<string> {
    let buffer = `{"format":"standard-v1","leafEncoding":${JSON.stringify(LEAF_ENCODING)},"tree":[`;
    const nodeCount = this.nodes.length / WORDS;
    for (let i = 0; i < nodeCount; i++) {
      buffer += `${i ? ',' : ''}"${hexOf(this.nodes, i)}"`;
      if (buffer.length >= chunkChars) {
        yield buffer;
        buffer = '';
      }
    }
    buffer += '],"values":[';
    for (let i = 0; i < this.accounts.length; i++) {
      buffer += `${i ? ',' : ''}{"value":[${JSON.stringify(this.accounts[i])},"${this.amounts[i]}"],"treeIndex":${this.treeIndexOf[i]}}`;
      if (buffer.length >= chunkChars) {
        yield buffer;
        buffer = '';
      }
    }
    yield `${buffer}]}`;
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.accounts.length) throw new RangeError(`no leaf at index ${index}`);
  }
}
