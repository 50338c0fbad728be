/**
 * Quote orders: the EIP-712 typed data a PMM signs and a WLP submits to the Issuer contract.
 * The single source of truth for off-chain code; mirrors `contracts/interfaces/IIssuer.sol`
 * (struct QuoteOrder) and `contracts/index/libraries/QuoteOrderHash.sol`, and both sides are
 * held to the shared vector in test/vectors/quote-order.json.
 */
import { TypedDataEncoder, type TypedDataDomain, type TypedDataField } from 'ethers';

/** Index units per whole index token: tokenset amounts are quoted per this many units. */
export const INDEX_UNIT = 10n ** 18n;

/** Basis points in one. */
export const BPS = 10_000n;

/** Order direction; the numeric values are the Solidity enum's. */
export enum Side {
  Mint = 0,
  Redeem = 1,
}

/** The EIP-712 domain name and version of the Issuer contract. */
export const ISSUER_DOMAIN_NAME = 'SSI Issuer';
export const ISSUER_DOMAIN_VERSION = '1';

/** A PMM's quote, as signed and as passed to the Issuer (field order is the type string's). */
export interface QuoteOrder {
  /** The index token. */
  index: string;
  side: Side;
  /** Index units (18 decimals). */
  indexAmount: bigint;
  /** Basket legs: the tokenset's assets, in its (ascending address) order. */
  assets: string[];
  /**
   * Basket legs: amount of each asset, within the bound `basketFor(tokenset, indexAmount, side)` at
   * settlement: at least it on a mint, at most it on a redeem (the amounts signed are what moves).
   */
  amounts: bigint[];
  cashToken: string;
  /** Price in cash-token units: WLP -> PMM on a mint, PMM -> WLP on a redeem. */
  cashAmount: bigint;
  /** The PMM that signs and moves the underlying. */
  maker: string;
  /** The WLP allowed to submit. */
  requester: string;
  /** Unix seconds; last moment the order may be submitted. */
  deadline: bigint;
  /** One-time nonce in the maker's bitmap (word = nonce >> 8, bit = nonce & 255). */
  nonce: bigint;
}

/** A quote order as JSON carries it, uint256 fields as decimal strings: the quote API's `order`, the shared test vector. */
export interface QuoteOrderJson {
  index: string;
  side: number;
  indexAmount: string;
  assets: string[];
  amounts: string[];
  cashToken: string;
  cashAmount: string;
  maker: string;
  requester: string;
  deadline: string;
  nonce: string;
}

/** The JSON form of `order`. */
export function quoteOrderToJson(order: QuoteOrder): QuoteOrderJson {
  return {
    index: order.index,
    side: order.side,
    indexAmount: order.indexAmount.toString(),
    assets: order.assets,
    amounts: order.amounts.map(String),
    cashToken: order.cashToken,
    cashAmount: order.cashAmount.toString(),
    maker: order.maker,
    requester: order.requester,
    deadline: order.deadline.toString(),
    nonce: order.nonce.toString(),
  };
}

/** The order a JSON form carries (see `quoteOrderToJson`). */
export function quoteOrderFromJson(json: QuoteOrderJson): QuoteOrder {
  return {
    ...json,
    side: json.side as Side,
    indexAmount: BigInt(json.indexAmount),
    amounts: json.amounts.map(BigInt),
    cashAmount: BigInt(json.cashAmount),
    deadline: BigInt(json.deadline),
    nonce: BigInt(json.nonce),
  };
}

/** The `types` argument of ethers' `signTypedData` / `TypedDataEncoder` for a quote order. */
export const QUOTE_ORDER_TYPES: Record<string, TypedDataField[]> = {
  QuoteOrder: [
    { name: 'index', type: 'address' },
    { name: 'side', type: 'uint8' },
    { name: 'indexAmount', type: 'uint256' },
    { name: 'assets', type: 'address[]' },
    { name: 'amounts', type: 'uint256[]' },
    { name: 'cashToken', type: 'address' },
    { name: 'cashAmount', type: 'uint256' },
    { name: 'maker', type: 'address' },
    { name: 'requester', type: 'address' },
    { name: 'deadline', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
  ],
};

/** The Issuer's EIP-712 domain on `chainId` at `issuer` (its proxy address). */
export function issuerDomain(chainId: bigint | number, issuer: string): TypedDataDomain {
  return { name: ISSUER_DOMAIN_NAME, version: ISSUER_DOMAIN_VERSION, chainId: BigInt(chainId), verifyingContract: issuer };
}

/** The order's EIP-712 digest: what the maker signs and what `Issuer.hashOrder` returns. */
export function hashQuoteOrder(domain: TypedDataDomain, order: QuoteOrder): string {
  return TypedDataEncoder.hash(domain, QUOTE_ORDER_TYPES, order);
}

/** Fee factor of a basket nothing has been taken from (27 decimals), as `IndexToken` keeps it. */
export const FEE_FACTOR_UNIT = 10n ** 27n;

/**
 * A tokenset: assets ascending by address and the amount of each per 1e18 index units. With a fee
 * `factor`, `unitAmounts` are the token's base amounts (`IndexToken.baseTokenset`) and the factor
 * scales them; without one they are used as they are.
 */
export interface Tokenset {
  assets: string[];
  unitAmounts: bigint[];
  /** Management fee factor, 27 decimals (default 1e27: no fee taken). */
  factor?: bigint;
}

/**
 * The bound of each leg of an order for `indexAmount`, the port of `BasketMath.amountFor`:
 * `ceil(indexAmount * unitAmount * factor / 1e45)` for a mint (the least the PMM delivers),
 * `floor(...)` for a redeem (the most custody releases). Quote mint legs with the factor of the
 * quote time and redeem legs with the factor projected to the order's deadline
 * (`factorAt` in ./fees): the factor only falls, so both stay valid until the deadline.
 */
export function basketFor(tokenset: Tokenset, indexAmount: bigint, side: Side): { assets: string[]; amounts: bigint[] } {
  if (tokenset.assets.length !== tokenset.unitAmounts.length) {
    throw new Error(`tokenset has ${tokenset.assets.length} assets but ${tokenset.unitAmounts.length} amounts`);
  }
  if (indexAmount < 0n) throw new Error(`index amount must not be negative, got ${indexAmount}`);
  const factor = tokenset.factor ?? FEE_FACTOR_UNIT;
  if (factor <= 0n || factor > FEE_FACTOR_UNIT) throw new Error(`fee factor must be in (0, 1e27], got ${factor}`);
  const denominator = INDEX_UNIT * FEE_FACTOR_UNIT;
  const amounts = tokenset.unitAmounts.map((unit) => {
    const product = indexAmount * unit * factor;
    return side === Side.Mint ? (product + denominator - 1n) / denominator : product / denominator;
  });
  return { assets: [...tokenset.assets], amounts };
}

/** The issue or redeem fee on `cashAmount`, rounded up as the contract does. */
export function feeFor(cashAmount: bigint, feeBps: bigint | number): bigint {
  return (cashAmount * BigInt(feeBps) + BPS - 1n) / BPS;
}
