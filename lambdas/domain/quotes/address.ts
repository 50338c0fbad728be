import { getAddress } from 'ethers';

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
