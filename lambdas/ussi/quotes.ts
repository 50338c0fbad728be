/**
 * USSI quotes for WLPs (`POST /v1/ussi/quotes`): reads the NAV, tolerance and asset from the USSI
 * contract, prices the order with `quoteHedgeOrder`, and signs it with the operator's KMS key (the
 * contract's order signer) over the USSI EIP-712 domain. Clients come in as ports, so the tests run
 * it with a local chain and a local KMS, or with fakes.
 */
import { randomBytes } from 'node:crypto';
import { getAddress, type TypedDataDomain, type TypedDataField } from 'ethers';
import { z } from 'zod';
import { AmountError, formatAmount, parseAmount } from '../domain/quotes/amounts';
import {
  AssetKind,
  HEDGE_ORDER_TYPES,
  HedgeSide,
  hashHedgeOrder,
  quoteHedgeOrder,
  ussiDomain,
  type HedgeOrder,
  type UssiAsset,
} from '../domain/ussi-orders';
import { BadRequest, Conflict, Forbidden, Unavailable } from '../shared/errors';
import { admit, type WlpIdentity, type WlpLimiter } from '../quotes/rate-limit';
import { addressSchema } from '../domain/address';


/** `POST /v1/ussi/quotes` body. */
export const ussiQuoteRequestSchema = z
  .object({
    side: z.enum(['mint', 'redeem']).describe('mint: pay the asset, receive USSI; redeem: give USSI, receive the stablecoin'),
    asset: z.string().min(1).max(64).describe('Mint: USDC or an index symbol (e.g. MAG7.ssi) or a token address; redeem: the stablecoin'),
    amount: z
      .string()
      .max(64, 'must be at most 64 characters')
      .regex(/^(0|[1-9]\d{0,29})(\.\d{1,18})?$/, 'must be a plain decimal number like "100.5" (at most 18 decimals, no exponent)')
      .describe('Mint: whole units of the asset paid in; redeem: whole USSI redeemed'),
    wlp: addressSchema.optional().describe("The WLP's address; must be the one the API key belongs to (default)"),
  })
  .strict();
export type UssiQuoteRequest = z.infer<typeof ussiQuoteRequestSchema>;

/** What the quote needs from the chain for one asset (`readQuoteContext` in contract.ts). */
export interface UssiQuoteContext {
  nav: bigint;
  navUpdatedAt: bigint;
  toleranceBps: number;
  maxNavAge: number;
  asset: UssiAsset;
}

/** The signer of orders: the operator's KmsSigner in the Lambda. */
export interface OrderSigner {
  getAddress(): Promise<string>;
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

export interface UssiQuoteDeps {
  chainId: number;
  /** The USSI proxy (the EIP-712 verifying contract). */
  ussi: string;
  /** Symbol -> token, for the assets a WLP may name (the stablecoins and the index tokens). */
  assets: Readonly<Record<string, { address: string; decimals: number }>>;
  readContext(asset: string): Promise<UssiQuoteContext>;
  /** The contract's order signer (`USSI.orderSigner()`). */
  orderSigner(): Promise<string>;
  /** Latest block timestamp: deadlines and the NAV age are judged by chain time. */
  chainTime(): Promise<bigint>;
  /** USD per whole index token (18 decimals), for index-token mints. */
  indexPrice(address: string): Promise<bigint>;
  signer: OrderSigner;
  /** Per-key rate and quota, shared with the quote API (each quote costs a KMS signature). */
  limiter: WlpLimiter;
  settings: { ttlSeconds: number; spreadBps: number };
  /** A fresh nonce for the contract's bitmap; default random 128 bits. */
  newNonce?: () => bigint;
}

/** The identity the WLP authorizer attached to the request. */
/** Random 128-bit nonce: collisions need ~2^64 quotes; a used one is refused by the contract, never replayed. */
export const randomNonce = (): bigint => BigInt(`0x${randomBytes(16).toString('hex')}`);

const KIND_NAMES: Record<AssetKind, string> = {
  [AssetKind.Unsupported]: 'unsupported',
  [AssetKind.Stablecoin]: 'stablecoin',
  [AssetKind.IndexToken]: 'index-token',
};

export class UssiQuoteService {
  private signerAddress?: Promise<string>;

  constructor(private readonly deps: UssiQuoteDeps) {}

  /** The asset a WLP named: by symbol (case-insensitive) or by address among the known ones. */
  private resolve(name: string): { symbol: string; address: string } {
    const lower = name.toLowerCase();
    for (const [symbol, token] of Object.entries(this.deps.assets)) {
      if (symbol.toLowerCase() === lower || token.address.toLowerCase() === lower) return { symbol, address: getAddress(token.address) };
    }
    const shown = name.length > 64 ? `${name.slice(0, 64)}...` : name;
    throw new BadRequest(`unknown asset ${JSON.stringify(shown)}; known: ${Object.keys(this.deps.assets).join(', ')}`, 'unknown_asset');
  }

  /** Refuses to sign when the KMS key is not the contract's order signer: such an order could never be applied. */
  private async checkSigner(): Promise<string> {
    this.signerAddress ??= this.deps.signer.getAddress();
    let ours: string;
    try {
      ours = await this.signerAddress;
    } catch (error) {
      this.signerAddress = undefined;
      throw error;
    }
    const onChain = getAddress(await this.deps.orderSigner());
    if (onChain !== ours) throw new Unavailable(`the signing key ${ours} is not the USSI order signer ${onChain}`, 'ussi_signer_mismatch');
    return ours;
  }

  async createQuote(caller: WlpIdentity, body: UssiQuoteRequest) {
    const requester = getAddress(caller.wlp);
    if (body.wlp !== undefined && getAddress(body.wlp) !== requester) {
      throw new Forbidden(`this API key belongs to ${requester}, not ${getAddress(body.wlp)}`, 'wlp_mismatch');
    }
    const side = body.side === 'mint' ? HedgeSide.Mint : HedgeSide.Redeem;
    const named = this.resolve(body.asset);
    // A quota token is spent only by a request that passed validation and the identity check.
    await admit(this.deps.limiter, caller);
    const [context, now, signer] = await Promise.all([this.deps.readContext(named.address), this.deps.chainTime(), this.checkSigner()]);
    const { asset, nav, navUpdatedAt, toleranceBps, maxNavAge } = context;
    if (asset.kind === AssetKind.Unsupported) throw new BadRequest(`${named.symbol} is not a USSI asset`, 'ussi_asset_not_supported');
    if (side === HedgeSide.Redeem && asset.kind !== AssetKind.Stablecoin) {
      throw new BadRequest(`USSI redeems pay a stablecoin, not ${named.symbol}`, 'ussi_asset_not_supported');
    }
    const staleAt = navUpdatedAt + BigInt(maxNavAge);
    const deadline = now + BigInt(this.deps.settings.ttlSeconds);
    // The contract refuses applications on a NAV older than maxNavAge: a quote that would outlive it is useless.
    if (deadline >= staleAt) {
      throw new Conflict(`the USSI NAV published at ${navUpdatedAt} goes stale at ${staleAt}, before the quote's deadline ${deadline}; retry after the next NAV update`, 'ussi_nav_stale');
    }
    let amount: bigint;
    try {
      amount = parseAmount(body.amount, side === HedgeSide.Mint ? asset.decimals : 18);
    } catch (error) {
      if (error instanceof AmountError) throw new BadRequest(`body.amount: ${error.message}`, 'invalid_request');
      throw error;
    }
    const assetPrice = asset.kind === AssetKind.IndexToken ? await this.deps.indexPrice(asset.address) : undefined;
    const order = quoteHedgeOrder({
      side,
      requester,
      asset,
      amount,
      assetPrice,
      nav,
      spreadBps: this.deps.settings.spreadBps,
      toleranceBps,
      deadline,
      nonce: (this.deps.newNonce ?? randomNonce)(),
    });
    const domain = ussiDomain(this.deps.chainId, this.deps.ussi);
    const signature = await this.deps.signer.signTypedData(domain, HEDGE_ORDER_TYPES, { ...order });
    return {
      status: 'signed' as const,
      chainId: this.deps.chainId,
      ussi: this.deps.ussi,
      side: body.side,
      wlp: requester,
      asset: { symbol: named.symbol, address: asset.address, decimals: asset.decimals, kind: KIND_NAMES[asset.kind] },
      assetAmount: formatAmount(order.assetAmount, asset.decimals),
      ussiAmount: formatAmount(order.ussiAmount, 18),
      assetPriceUsd: formatAmount(order.assetPrice, 18),
      nav: { perUssiUsd: formatAmount(nav, 18), value: nav.toString(), updatedAt: Number(navUpdatedAt), staleAt: Number(staleAt) },
      toleranceBps,
      spreadBps: this.deps.settings.spreadBps,
      deadline: Number(deadline),
      expiresAt: new Date(Number(deadline) * 1000).toISOString(),
      orderHash: hashHedgeOrder(domain, order),
      order: orderView(order),
      signature,
      signer,
      submit: side === HedgeSide.Mint ? 'USSI.applyMint(order, signature) (approve the asset to USSI first)' : 'USSI.applyRedeem(order, signature)',
    };
  }
}

/** The order as JSON: integers as decimal strings, exactly what `applyMint`/`applyRedeem` take. */
export function orderView(order: HedgeOrder) {
  return {
    requester: order.requester,
    side: order.side,
    asset: order.asset,
    assetAmount: order.assetAmount.toString(),
    assetPrice: order.assetPrice.toString(),
    ussiAmount: order.ussiAmount.toString(),
    deadline: order.deadline.toString(),
    nonce: order.nonce.toString(),
  };
}

export type UssiQuote = Awaited<ReturnType<UssiQuoteService['createQuote']>>;
