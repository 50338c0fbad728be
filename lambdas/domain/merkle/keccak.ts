import { endianness } from 'node:os';
import { keccakF1600 } from './keccak-f1600';

/*
 * Keccak-256 for the two message sizes a StandardMerkleTree needs: 64 bytes (abi.encode of
 * (address, uint256), or two sorted child nodes) and 32 bytes (the inner leaf hash). Both fit in
 * one 136-byte block, so a hash is: zero the state, copy the message words, pad, permute once,
 * read 8 words. Messages and digests are 32-bit word arrays (Int32Array views over the caller's
 * buffers), so the hot loops never allocate or touch hex strings.
 */

if (endianness() !== 'LE') throw new Error('keccak: word views assume a little-endian host');

const state = new Int32Array(50);
/** Word 16 low byte 0x01: the Keccak pad byte right after a 64-byte message. */
const PAD_AFTER_64 = 16;
/** Word 8 low byte 0x01: the pad byte after a 32-byte message. */
const PAD_AFTER_32 = 8;
/** Byte 135 (high byte of word 33) gets 0x80: the last byte of the 136-byte rate. */
const LAST_WORD = 33;
const LAST_BIT = 0x80000000 | 0;

/** keccak256 of 64 bytes: words [a, a+8) then [b, b+8) of `src`, digest into out[o, o+8). */
export function keccak64(src: Int32Array, a: number, src2: Int32Array, b: number, out: Int32Array, o: number): void {
  const s = state;
  for (let i = 0; i < 8; i++) s[i] = src[a + i];
  for (let i = 0; i < 8; i++) s[8 + i] = src2[b + i];
  s.fill(0, 16);
  s[PAD_AFTER_64] = 1;
  s[LAST_WORD] = LAST_BIT;
  keccakF1600(s);
  for (let i = 0; i < 8; i++) out[o + i] = s[i];
}

/** keccak256 of 32 bytes: words [a, a+8) of `src`, digest into out[o, o+8). */
export function keccak32(src: Int32Array, a: number, out: Int32Array, o: number): void {
  const s = state;
  for (let i = 0; i < 8; i++) s[i] = src[a + i];
  s.fill(0, 8);
  s[PAD_AFTER_32] = 1;
  s[LAST_WORD] = LAST_BIT;
  keccakF1600(s);
  for (let i = 0; i < 8; i++) out[o + i] = s[i];
}
