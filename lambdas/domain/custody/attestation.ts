/**
 * Custodian attestations: the EIP-712 statement a registered custodian key signs to prove one
 * off-chain leg of a mint, redeem or rebalance ("received q units of asset A on chain C in
 * transaction T to wallet W", or "released ... to the PMM's address"). The single source of truth
 * for off-chain code; the attested-leg contract mirrors the type string, and both sides are held
 * to the same typed data in the tests.
 */
import { TypedDataEncoder, keccak256, toUtf8Bytes, type TypedDataDomain, type TypedDataField } from 'ethers';

/** The EIP-712 domain name and version of the contract that accepts custodian attestations. */
export const CUSTODY_DOMAIN_NAME = 'SSI Custody';
export const CUSTODY_DOMAIN_VERSION = '1';

/** Which way the units moved on the native chain; the numeric values are the Solidity enum's. */
export enum LegDirection {
  /** Units arrived in a registered custodian wallet (a PMM's delivery on a mint). */
  Received = 0,
  /** Units left a custodian wallet for the counterparty (the PMM on a redeem). */
  Released = 1,
}

/** One attested leg, as signed (field order is the type string's). */
export interface CustodyLeg {
  /** The on-chain request (mint, redeem or rebalance) this leg settles. */
  requestId: string;
  direction: LegDirection;
  /** `chainKey(name)`, e.g. chainKey('bitcoin'). */
  chain: string;
  /** `assetKey(id)`, e.g. assetKey('BTC'). */
  asset: string;
  /** Units in the asset's native decimals (satoshi, lamports, drops, ...). */
  amount: bigint;
  /** `nativeKey(txid)`: the native transaction id; each is usable once. */
  txId: string;
  /** `nativeKey(address)` of the custodian wallet (XRP: `address?dt=<tag>`). */
  wallet: string;
  /** `nativeKey(address)` of the counterparty: where units came from (Received) or went to (Released). */
  counterparty: string;
}

export const CUSTODY_LEG_TYPES: Record<string, TypedDataField[]> = {
  CustodyLeg: [
    { name: 'requestId', type: 'bytes32' },
    { name: 'direction', type: 'uint8' },
    { name: 'chain', type: 'bytes32' },
    { name: 'asset', type: 'bytes32' },
    { name: 'amount', type: 'uint256' },
    { name: 'txId', type: 'bytes32' },
    { name: 'wallet', type: 'bytes32' },
    { name: 'counterparty', type: 'bytes32' },
  ],
};

/** Native strings (chain names, asset ids, transaction ids, addresses) enter EIP-712 as the keccak of their UTF-8 bytes. */
export const nativeKey = (text: string): string => keccak256(toUtf8Bytes(text));
export const chainKey = nativeKey;
export const assetKey = nativeKey;

export function custodyDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: CUSTODY_DOMAIN_NAME, version: CUSTODY_DOMAIN_VERSION, chainId, verifyingContract };
}

/** The EIP-712 digest a custodian key signs for `leg`. */
export function custodyLegDigest(domain: TypedDataDomain, leg: CustodyLeg): string {
  return TypedDataEncoder.hash(domain, CUSTODY_LEG_TYPES, leg);
}
