/**
 * USSI hedge orders: the EIP-712 typed data the operator's KMS key signs and a participant submits
 * to the USSI contract (`applyMint` / `applyRedeem`), with the contract's valuation and tolerance
 * rules ported exactly. The single source of truth for off-chain code; mirrors
 * `contracts/interfaces/IUSSI.sol` (struct HedgeOrder) and `contracts/ussi/libraries/HedgeOrderHash.sol`,
 * and both sides are held to the shared vector test/vectors/ussi-hedge-order.json.
 */
import { TypedDataEncoder, type TypedDataDomain, type TypedDataField } from 'ethers';
import { BadRequest } from '../shared/errors';

/** One USD in prices and NAVs (18 decimals); a stablecoin's price in an order. */
export const PRICE_ONE = 10n ** 18n;
/** USSI units per whole USSI. */
export const USSI_UNIT = 10n ** 18n;
/** Basis points in one. */
export const BPS = 10_000n;
/** Order amounts must fit the 128 bits a request keeps on-chain. */
export const MAX_ORDER_AMOUNT = (1n << 128n) - 1n;

/** Order direction; the numeric values are the Solidity enum's. */
export enum HedgeSide {
  Mint = 0,
  Redeem = 1,
}

/** How the contract accepts an asset; the numeric values are the Solidity enum's. */
export enum AssetKind {
  Unsupported = 0,
  Stablecoin = 1,
  IndexToken = 2,
}

/** Life cycle of an on-chain request; the numeric values are the Solidity enum's. */
export enum RequestStatus {
  None = 0,
  Pending = 1,
  Confirmed = 2,
  Rejected = 3,
  Cancelled = 4,
  /** A redeem whose USSI is burned and whose payout is being made off-chain (`markPayoutPending`), until `recordPayout`. */
  PayoutPending = 5,
}

/** The EIP-712 domain name and version of the USSI contract. */
export const USSI_DOMAIN_NAME = 'USSI';
export const USSI_DOMAIN_VERSION = '1';

/** A hedge order, as signed and as passed to the contract (field order is the type string's). */
export interface HedgeOrder {
  /** The participant (WLP) allowed to submit it. */
  requester: string;
  side: HedgeSide;
  /** Mint: the stablecoin or index token paid in; redeem: the stablecoin paid out. */
  asset: string;
  /** In the asset's smallest units. */
  assetAmount: bigint;
  /** USD per whole asset, 18 decimals; exactly PRICE_ONE for a stablecoin. */
  assetPrice: bigint;
  /** USSI units (18 decimals). */
  ussiAmount: bigint;
  /** Unix seconds; last moment the order may be submitted. */
  deadline: bigint;
  /** One-time nonce in the contract's bitmap (word = nonce >> 8, bit = nonce & 255). */
  nonce: bigint;
}

/** The `types` argument of ethers' `signTypedData` / `TypedDataEncoder` for a hedge order. */
export const HEDGE_ORDER_TYPES: Record<string, TypedDataField[]> = {
  HedgeOrder: [
    { name: 'requester', type: 'address' },
    { name: 'side', type: 'uint8' },
    { name: 'asset', type: 'address' },
    { name: 'assetAmount', type: 'uint256' },
    { name: 'assetPrice', type: 'uint256' },
    { name: 'ussiAmount', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
  ],
};

/** The USSI contract's EIP-712 domain on `chainId` at `ussi` (its proxy address). */
export function ussiDomain(chainId: bigint | number, ussi: string): TypedDataDomain {
  return { name: USSI_DOMAIN_NAME, version: USSI_DOMAIN_VERSION, chainId: BigInt(chainId), verifyingContract: ussi };
}

/** The order's EIP-712 digest: what the order signer signs (e.g. with KMS) and what `USSI.hashOrder` returns. */
export function hashHedgeOrder(domain: TypedDataDomain, order: HedgeOrder): string {
  return TypedDataEncoder.hash(domain, HEDGE_ORDER_TYPES, order);
}

/** USD value (18 decimals) of `assetAmount` smallest units at `assetPrice` per whole asset: floor, as the contract. */
export function assetValueUsd(assetAmount: bigint, assetPrice: bigint, decimals: number): bigint {
  return (assetAmount * assetPrice) / 10n ** BigInt(decimals);
}

/** USD value (18 decimals) of `ussiAmount` at `nav` per USSI: floor, as the contract. */
export function ussiValueUsd(ussiAmount: bigint, nav: bigint): bigint {
  return (ussiAmount * nav) / USSI_UNIT;
}

/** The contract's tolerance check, step by step. */
export interface ToleranceCheck {
  ussiValue: bigint;
  assetValue: bigint;
  /** |ussiValue - assetValue|. */
  gap: bigint;
  /** floor(assetValue * toleranceBps / 10_000): the largest gap accepted. */
  allowed: bigint;
  ok: boolean;
}

/** Port of `USSI._checkTolerance`: is the order's USSI value within `toleranceBps` of its asset value at `nav`? */
export function checkTolerance(
  order: Pick<HedgeOrder, 'assetAmount' | 'assetPrice' | 'ussiAmount'>,
  decimals: number,
  nav: bigint,
  toleranceBps: bigint | number,
): ToleranceCheck {
  const ussiValue = ussiValueUsd(order.ussiAmount, nav);
  const assetValue = assetValueUsd(order.assetAmount, order.assetPrice, decimals);
  const gap = ussiValue > assetValue ? ussiValue - assetValue : assetValue - ussiValue;
  const allowed = (assetValue * BigInt(toleranceBps)) / BPS;
  return { ussiValue, assetValue, gap, allowed, ok: gap <= allowed };
}

/** An asset as the contract knows it (`USSI.assetConfig`). */
export interface UssiAsset {
  address: string;
  kind: AssetKind;
  decimals: number;
}

/** What a participant asks for; the other amount is derived at the NAV and price. */
export interface HedgeQuoteRequest {
  side: HedgeSide;
  requester: string;
  asset: UssiAsset;
  /** Mint: the asset amount paid in. Redeem: the USSI amount redeemed. */
  amount: bigint;
  /** USD per whole asset (18 decimals): ignored for a stablecoin (always PRICE_ONE), required for an index token. */
  assetPrice?: bigint;
  /** NAV per USSI (18 decimals), as published on-chain. */
  nav: bigint;
  /** Protocol spread kept out of what the participant receives, in basis points (must stay inside the tolerance). */
  spreadBps: number;
  /** The contract's tolerance (`settings().toleranceBps`), checked before signing so a bad quote never leaves. */
  toleranceBps: number;
  deadline: bigint;
  nonce: bigint;
}

/**
 * Builds the hedge order for a quote, rounding against the participant (the USSI minted and the
 * stablecoin paid out are floored after the spread), and checks it the way the contract will:
 * supported asset for the side, price rules, amounts in range, tolerance. Throws BadRequest with a
 * stable code otherwise. Signing is the caller's (the KMS signer).
 */
export function quoteHedgeOrder(request: HedgeQuoteRequest): HedgeOrder {
  const { side, asset, amount, nav, spreadBps, toleranceBps } = request;
  if (asset.kind === AssetKind.Unsupported) throw new BadRequest(`asset ${asset.address} is not supported by USSI`, 'ussi_asset_not_supported');
  if (side === HedgeSide.Redeem && asset.kind !== AssetKind.Stablecoin) {
    throw new BadRequest(`USSI redeems pay stablecoins only, not ${asset.address}`, 'ussi_asset_not_supported');
  }
  if (nav <= 0n) throw new BadRequest(`NAV must be positive, got ${nav}`, 'ussi_invalid_nav');
  if (!Number.isInteger(spreadBps) || spreadBps < 0 || spreadBps >= Number(BPS)) {
    throw new BadRequest(`spread must be whole basis points in [0, 10000), got ${spreadBps}`, 'ussi_invalid_spread');
  }
  if (amount <= 0n || amount > MAX_ORDER_AMOUNT) throw new BadRequest(`amount must be in (0, 2^128), got ${amount}`, 'ussi_invalid_amount');
  let assetPrice = PRICE_ONE;
  if (asset.kind === AssetKind.IndexToken) {
    if (request.assetPrice === undefined || request.assetPrice <= 0n) {
      throw new BadRequest(`an index token needs a positive price, got ${request.assetPrice}`, 'ussi_invalid_price');
    }
    assetPrice = request.assetPrice;
  }
  const keep = BPS - BigInt(spreadBps);
  let assetAmount: bigint;
  let ussiAmount: bigint;
  if (side === HedgeSide.Mint) {
    assetAmount = amount;
    const value = assetValueUsd(assetAmount, assetPrice, asset.decimals);
    ussiAmount = (value * keep * USSI_UNIT) / (BPS * nav);
  } else {
    ussiAmount = amount;
    const value = ussiValueUsd(ussiAmount, nav);
    assetAmount = (value * keep * 10n ** BigInt(asset.decimals)) / (BPS * assetPrice);
  }
  if (assetAmount === 0n || ussiAmount === 0n) {
    throw new BadRequest(`the quote rounds to zero (asset ${assetAmount}, USSI ${ussiAmount})`, 'ussi_amount_too_small');
  }
  if (assetAmount > MAX_ORDER_AMOUNT || ussiAmount > MAX_ORDER_AMOUNT) {
    throw new BadRequest('the quote does not fit 128 bits', 'ussi_invalid_amount');
  }
  const order: HedgeOrder = {
    requester: request.requester,
    side,
    asset: asset.address,
    assetAmount,
    assetPrice,
    ussiAmount,
    deadline: request.deadline,
    nonce: request.nonce,
  };
  const check = checkTolerance(order, asset.decimals, nav, toleranceBps);
  if (!check.ok) {
    throw new BadRequest(
      `the quote is outside the ${toleranceBps} bps tolerance (gap ${check.gap} > ${check.allowed})`,
      'ussi_out_of_tolerance',
      { ussiValue: String(check.ussiValue), assetValue: String(check.assetValue) },
    );
  }
  return order;
}
