import { getAddress } from 'ethers';
import { z } from 'zod';

/** An EVM address as text: 0x and 40 hex digits, any case (the checksum is checked where it matters, by `checksum`). */
export const ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

export const isHexAddress = (text: string): boolean => ADDRESS_PATTERN.test(text);

/** The one schema of an address in requests, records and settings. */
export const addressSchema = z.string().regex(ADDRESS_PATTERN, 'must be a 0x-prefixed 20-byte hex address');

const known = new Map<string, string>();

/**
 * `getAddress` (EIP-55 checksum; throws on a malformed address) remembered per process: the
 * checksum costs a keccak, and a quote passes the same few addresses around many times.
 */
export function checksum(address: string): string {
  let found = known.get(address);
  if (found === undefined) {
    found = getAddress(address);
    if (known.size >= 10_000) known.clear();
    known.set(address, found);
  }
  return found;
}
