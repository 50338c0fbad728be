/**
 * Custodian wallet and counterparty address formats per native chain. A wallet registered with a
 * malformed address would never receive a delivery, so every address is checked here before it is
 * registered, attested or listed in a balance statement.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import { base58, base58xrp, bech32, bech32m, createBase58check } from '@scure/base';
import { getAddress } from 'ethers';
import { isHexAddress } from '../address';

export const NATIVE_CHAINS = ['bitcoin', 'dogecoin', 'solana', 'xrpl', 'cardano', 'evm'] as const;
export type NativeChain = (typeof NATIVE_CHAINS)[number];

export type AddressCheck = { ok: true; address: string } | { ok: false; reason: string };

// noble's SHA-256, not node:crypto: the web app verifies reserve reports (and their custodian wallets) in the browser.
const sha256 = (data: Uint8Array): Uint8Array => nobleSha256(data);
const base58check = createBase58check(sha256);
const base58checkXrp = {
  decode(text: string): Uint8Array {
    const raw = base58xrp.decode(text);
    if (raw.length < 5) throw new Error('too short for a checksum');
    const payload = raw.slice(0, -4);
    const expected = sha256(sha256(payload)).slice(0, 4);
    if (!raw.slice(-4).every((b, i) => b === expected[i])) throw new Error('bad checksum');
    return payload;
  },
};

const fail = (reason: string): AddressCheck => ({ ok: false, reason });

/** Base58Check addresses: one version byte and a 20-byte hash (P2PKH / P2SH). */
function checkBase58Hash(text: string, versions: Record<number, string>): AddressCheck {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(text);
  } catch (error) {
    return fail(`not base58check: ${(error as Error).message}`);
  }
  if (payload.length !== 21) return fail(`a base58 address carries 21 bytes, not ${payload.length}`);
  if (!(payload[0] in versions)) return fail(`version byte 0x${payload[0].toString(16)} is not one of this chain's`);
  return { ok: true, address: text };
}

/** BIP-173/350 segwit addresses: witness v0 in bech32 (20 or 32-byte program), v1+ in bech32m. */
function checkSegwit(text: string, hrps: readonly string[]): AddressCheck {
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) return fail('mixed-case bech32');
  const hrp = lower.slice(0, lower.lastIndexOf('1'));
  if (!hrps.includes(hrp)) return fail(`human-readable part "${hrp}" is not one of ${hrps.join(', ')}`);
  const version = bech32.decodeUnsafe(lower)?.words[0] ?? bech32m.decodeUnsafe(lower)?.words[0];
  if (version === undefined) return fail('not bech32 or bech32m (bad checksum or characters)');
  const coder = version === 0 ? bech32 : bech32m;
  const decoded = coder.decodeUnsafe(lower);
  if (!decoded) return fail(`witness version ${version} needs ${version === 0 ? 'bech32' : 'bech32m'}`);
  if (version > 16) return fail(`witness version ${version} is out of range`);
  const program = coder.fromWordsUnsafe(decoded.words.slice(1));
  if (!program || program.length < 2 || program.length > 40) return fail('witness program length out of range');
  if (version === 0 && program.length !== 20 && program.length !== 32) return fail('a v0 witness program is 20 or 32 bytes');
  return { ok: true, address: lower };
}

function checkBitcoin(text: string): AddressCheck {
  if (/^(bc|tb|bcrt)1/i.test(text)) return checkSegwit(text, ['bc', 'tb', 'bcrt']);
  return checkBase58Hash(text, { 0x00: 'p2pkh', 0x05: 'p2sh', 0x6f: 'testnet p2pkh', 0xc4: 'testnet p2sh' });
}

function checkDogecoin(text: string): AddressCheck {
  return checkBase58Hash(text, { 0x1e: 'p2pkh', 0x16: 'p2sh', 0x71: 'testnet p2pkh', 0xc4: 'testnet p2sh' });
}

function checkSolana(text: string): AddressCheck {
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(text);
  } catch (error) {
    return fail(`not base58: ${(error as Error).message}`);
  }
  if (bytes.length !== 32) return fail(`a Solana address is 32 bytes, not ${bytes.length}`);
  return { ok: true, address: text };
}

/** XRP Ledger classic address, optionally with a destination tag as `address?dt=<uint32>`. */
function checkXrpl(text: string): AddressCheck {
  const [classic, query, ...rest] = text.split('?');
  if (rest.length > 0) return fail('more than one "?" in the address');
  if (query !== undefined) {
    const tag = /^dt=(\d{1,10})$/.exec(query);
    if (!tag || BigInt(tag[1]) > 0xffffffffn || (tag[1].length > 1 && tag[1].startsWith('0')))
      return fail('a destination tag is written dt=<0..4294967295>');
  }
  if (!classic.startsWith('r')) return fail('a classic address starts with r');
  let payload: Uint8Array;
  try {
    payload = base58checkXrp.decode(classic);
  } catch (error) {
    return fail(`not an XRP base58check address: ${(error as Error).message}`);
  }
  if (payload.length !== 21 || payload[0] !== 0) return fail('a classic address is type 0x00 and a 20-byte account id');
  return { ok: true, address: text };
}

/** Shelley addresses (CIP-19) in bech32 with hrp addr / addr_test; the header's network nibble must match the hrp. */
function checkCardano(text: string): AddressCheck {
  const decoded = bech32.decodeUnsafe(text, 200);
  if (!decoded) return fail('not bech32 (bad checksum or characters)');
  if (decoded.prefix !== 'addr' && decoded.prefix !== 'addr_test') return fail(`human-readable part "${decoded.prefix}" is not addr or addr_test`);
  const bytes = bech32.fromWordsUnsafe(decoded.words);
  if (!bytes || bytes.length < 29) return fail('too short for a Shelley address');
  const type = bytes[0] >> 4;
  const network = bytes[0] & 0x0f;
  if (type > 7) return fail(`address type ${type} is not a Shelley payment address`);
  if ((decoded.prefix === 'addr') !== (network === 1)) return fail(`network id ${network} does not match "${decoded.prefix}"`);
  const expected = type <= 3 ? 57 : type <= 5 ? undefined : 29;
  if (expected !== undefined && bytes.length !== expected) return fail(`a type ${type} address is ${expected} bytes, not ${bytes.length}`);
  return { ok: true, address: text };
}

/** EVM addresses must be given in their EIP-55 checksummed form, so a mistyped letter is caught. */
function checkEvm(text: string): AddressCheck {
  if (!isHexAddress(text)) return fail('an EVM address is 0x and 40 hex digits');
  let checksummed: string;
  try {
    checksummed = getAddress(text);
  } catch (error) {
    return fail(`bad EIP-55 checksum: ${(error as Error).message}`);
  }
  if (checksummed !== text) return fail('not in EIP-55 checksummed form');
  return { ok: true, address: text };
}

const CHECKS: Record<NativeChain, (text: string) => AddressCheck> = {
  bitcoin: checkBitcoin,
  dogecoin: checkDogecoin,
  solana: checkSolana,
  xrpl: checkXrpl,
  cardano: checkCardano,
  evm: checkEvm,
};

export function isNativeChain(chain: string): chain is NativeChain {
  return (NATIVE_CHAINS as readonly string[]).includes(chain);
}

/** Checks `address` against `chain`'s formats; the reason says what is wrong. */
export function checkAddress(chain: string, address: string): AddressCheck {
  if (!isNativeChain(chain)) return fail(`unknown chain "${chain}" (one of ${NATIVE_CHAINS.join(', ')})`);
  if (typeof address !== 'string' || address.length === 0 || address.length > 200) return fail('empty or over-long address');
  return CHECKS[chain](address);
}
