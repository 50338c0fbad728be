/*
 * REMOVED BASELINE, NOT SHIPPED: the hashing of lambdas/domain/merkle/reward-tree.ts on the WebAssembly keccak as it was on main at commit 2ba8359, before issue 21 replaced it
 * with audited libraries. Kept here only so `npm run bench:points` can measure the old code side by side with
 * what ships, in the same run; nothing outside scripts/bench/ may import it.
 */
import { abiEncode, compareNodes, hexOf, sortedOrder } from '../../../lambdas/domain/merkle/reward-tree';
import { keccakWasm } from './keccak-wasm';

const WORDS = 8;

/**
 * The root `RewardMerkleTree.fromArrays` built on the WebAssembly keccak: its hashing as it was (leaf
 * hashes by the module's `leaves`, sorted pairs by `hash64`, all in one WebAssembly memory), with the
 * shipped tree's encoding, sort and node order (unchanged by the move to hash-wasm).
 */
export function removedWasmTreeRoot(accounts: readonly string[], amounts: readonly bigint[]): string {
  const n = accounts.length;
  const size = 2 * n - 1;
  const encodedAt = 0;
  const leavesAt = encodedAt + n * 64;
  const nodesAt = leavesAt + n * 32;
  const keccak = keccakWasm(nodesAt + size * 32);
  const memory = keccak.memory.buffer;
  abiEncode(accounts, amounts, memory, encodedAt);
  keccak.leaves(encodedAt, n, leavesAt);
  const leaves = new Int32Array(memory, leavesAt, n * WORDS);
  const order = sortedOrder(leaves, n);
  const nodes = new Int32Array(memory, nodesAt, size * WORDS);
  for (let k = 0; k < n; k++) nodes.set(leaves.subarray(order[k] * WORDS, order[k] * WORDS + WORDS), (size - 1 - k) * WORDS);
  for (let i = size - 1 - n; i >= 0; i--) {
    const left = 2 * i + 1;
    const right = left + 1;
    if (compareNodes(nodes, left, nodes, right) <= 0) keccak.hash64(nodesAt + left * 32, nodesAt + right * 32, nodesAt + i * 32);
    else keccak.hash64(nodesAt + right * 32, nodesAt + left * 32, nodesAt + i * 32);
  }
  return hexOf(nodes, 0);
}
