import { createHash, randomBytes } from 'node:crypto';
import { createBase58check } from '@scure/base';
import { checkAddress } from '../../../../lambdas/domain/custody/addresses';

const b58check = createBase58check((d) => new Uint8Array(createHash('sha256').update(d).digest()));
const versioned = (version: number) => b58check.encode(Uint8Array.from([version, ...randomBytes(20)]));

const GOOD: [string, string][] = [
  ['bitcoin', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'],
  ['bitcoin', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'],
  ['bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'],
  ['bitcoin', 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4'],
  ['bitcoin', 'bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297'],
  ['dogecoin', versioned(0x1e)],
  ['dogecoin', versioned(0x16)],
  ['solana', '11111111111111111111111111111111'],
  ['solana', 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA'],
  ['xrpl', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh'],
  ['xrpl', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh?dt=4294967295'],
  ['cardano', 'addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3x'],
  ['cardano', 'addr_test1vz2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzerspjrlsz'],
  ['evm', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'],
];

const BAD: [string, string, RegExp][] = [
  ['bitcoin', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb', /base58check/],
  ['bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', /bech32/],
  ['bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7KV8F3T4', /mixed-case/],
  ['bitcoin', 'ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9', /base58check/],
  ['bitcoin', 'tb1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kxxxxxx', /bech32/],
  ['bitcoin', versioned(0x1e), /version byte/],
  ['dogecoin', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', /version byte/],
  ['solana', '1111111111111111111111111111111', /32 bytes/],
  ['solana', 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5D0', /base58/],
  ['xrpl', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTj', /checksum/],
  ['xrpl', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh?dt=4294967296', /destination tag/],
  ['xrpl', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh?tag=5', /destination tag/],
  ['cardano', 'addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3y', /bech32/],
  ['cardano', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', /addr/],
  ['evm', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', /checksummed/],
  ['evm', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD', /checksum/],
  ['evm', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA', /40 hex/],
  ['litecoin', 'ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9', /unknown chain/],
];

describe('custodian address formats', () => {
  it.each(GOOD)('accepts a %s address %s', (chain, address) => {
    const check = checkAddress(chain, address);
    expect(check).toEqual({ ok: true, address: /^bc1/i.test(address) ? address.toLowerCase() : address });
  });

  it.each(BAD)('refuses a %s address %s', (chain, address, reason) => {
    const check = checkAddress(chain, address);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });
});
