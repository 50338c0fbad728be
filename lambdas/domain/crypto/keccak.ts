/**
 * Keccak-256 for the hot paths (quote order digests, reward-tree leaves and nodes), from hash-wasm:
 * measured against @noble/hashes it hashes 64 bytes about eight times faster (docs/benchmarks.md,
 * "Keccak library choice"). hash-wasm instantiates its WebAssembly asynchronously, so the hasher
 * is created when this module loads and `keccakReady` resolves once it can be used; handlers await
 * it before their first hash (a few milliseconds, once per container).
 */
import { createKeccak, type IHasher } from 'hash-wasm';

let hasher: IHasher | undefined;

export const keccakReady: Promise<void> = createKeccak(256).then((created) => {
  hasher = created;
});

/** keccak256(data) as 32 bytes; throws when called before `keccakReady` resolved. */
export function keccak256(data: Uint8Array): Uint8Array {
  if (!hasher) throw new Error('keccak256 called before keccakReady resolved');
  hasher.init();
  hasher.update(data);
  return hasher.digest('binary');
}

/** keccak256(data) as 0x-prefixed hex. */
export function keccak256Hex(data: Uint8Array): string {
  return `0x${Buffer.from(keccak256(data)).toString('hex')}`;
}
