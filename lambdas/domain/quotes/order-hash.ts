/**
 * The EIP-712 digest of a quote order, computed with the domain separator and type hash prepared
 * once. Same result as `hashQuoteOrder` in lambdas/domain/orders.ts (the tests hold the two
 * together) at a fraction of the cost: the quote API hashes every PMM answer on the hot path, and
 * the PMM every order it signs. Keccak is the shared hash-wasm one (lambdas/domain/crypto/keccak.ts):
 * callers await `keccakReady` before the first `hash`.
 */
import { keccak256 as keccakBytes, keccak256Hex } from '../crypto/keccak';
import { TypedDataEncoder, type TypedDataDomain } from 'ethers';
import { QUOTE_ORDER_TYPES, type QuoteOrder } from '../orders';
import { isHexAddress } from '../address';

const TYPE_STRING = Buffer.from(TypedDataEncoder.from(QUOTE_ORDER_TYPES).encodeType('QuoteOrder'));
let typeHash: Uint8Array | undefined;
const MAX_UINT256 = (1n << 256n) - 1n;

function putUint(target: Buffer, offset: number, value: bigint): void {
  if (value < 0n || value > MAX_UINT256) throw new RangeError(`${value} does not fit a uint256`);
  target.write(value.toString(16).padStart(64, '0'), offset, 32, 'hex');
}

function putAddress(target: Buffer, offset: number, address: string): void {
  if (!isHexAddress(address)) throw new TypeError(`${address} is not an address`);
  target.fill(0, offset, offset + 12);
  target.write(address.slice(2), offset + 12, 20, 'hex');
}

/** Hashes quote orders under one Issuer domain. */
export class QuoteOrderHasher {
  private readonly prefix: Buffer;
  /** keccak of the encoded asset list, by the list: a tokenset's assets change only at a rebalance. */
  private readonly assetHashes = new Map<string, Uint8Array>();

  constructor(readonly domain: TypedDataDomain) {
    this.prefix = Buffer.concat([Buffer.from([0x19, 0x01]), Buffer.from(TypedDataEncoder.hashDomain(domain).slice(2), 'hex')]);
  }

  /** The digest the maker signs and `Issuer.hashOrder` returns. */
  hash(order: QuoteOrder): string {
    const message = Buffer.allocUnsafe(66);
    this.prefix.copy(message, 0);
    message.set(this.structHashBytes(order), 34);
    return keccak256Hex(message);
  }

  /** hashStruct(order) as EIP-712 defines it. */
  private structHashBytes(order: QuoteOrder): Uint8Array {
    const assetsKey = order.assets.join();
    let assetsHash = this.assetHashes.get(assetsKey);
    if (!assetsHash) {
      const assets = Buffer.alloc(32 * order.assets.length);
      order.assets.forEach((a, i) => putAddress(assets, 32 * i, a));
      assetsHash = keccakBytes(assets);
      if (this.assetHashes.size >= 1000) this.assetHashes.clear();
      this.assetHashes.set(assetsKey, assetsHash);
    }
    const amounts = Buffer.alloc(32 * order.amounts.length);
    order.amounts.forEach((a, i) => putUint(amounts, 32 * i, a));
    const encoded = Buffer.alloc(32 * 12);
    encoded.set((typeHash ??= keccakBytes(TYPE_STRING)), 0);
    putAddress(encoded, 32, order.index);
    putUint(encoded, 64, BigInt(order.side));
    putUint(encoded, 96, order.indexAmount);
    encoded.set(assetsHash, 128);
    encoded.set(keccakBytes(amounts), 160);
    putAddress(encoded, 192, order.cashToken);
    putUint(encoded, 224, order.cashAmount);
    putAddress(encoded, 256, order.maker);
    putAddress(encoded, 288, order.requester);
    putUint(encoded, 320, order.deadline);
    putUint(encoded, 352, order.nonce);
    return keccakBytes(encoded);
  }
}
