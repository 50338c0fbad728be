/**
 * The quote API's business: indexes with NAV, firm quotes from the PMMs, stored quotes. Every
 * dependency (chain reads, prices, PMMs, storage, limiter, clock) comes in as an argument, so the
 * whole flow runs in tests without AWS or a chain.
 */
import { randomUUID } from 'node:crypto';
import { basketFor, feeFor, INDEX_UNIT, quoteOrderToJson, Side } from '../domain/orders';
import { factorAt } from '../domain/fees';
import { AmountError, formatAmount, parseAmount } from '../domain/quotes/amounts';
import {
  cashToUsd,
  indexUnitsFor,
  navPerToken,
  PricingError,
  usdToCash,
  valueLegs,
  type AssetInfo,
  type LegValue,
} from '../domain/quotes/nav';
import { askPmms, bestQuote, evaluateOutcomes, type PmmEndpoint, type Rejection, type RfqTransport } from '../domain/quotes/rfq';
import { askAttested, bestAttested, evaluateAttested } from '../domain/quotes/attested-rfq';
import type { QuoteOrderHasher } from '../domain/quotes/order-hash';
import { MakerSignatures, type SignatureProblem } from '../domain/quotes/signature';
import { BadRequest, Conflict, Forbidden, NotFound, SsiError, TooManyRequests, Unavailable } from '../shared/errors';
import type { IndexCatalog, IndexState } from './catalog';
import { pricesReady, type ReferencePriceSource } from './prices';
import type { QuoteStore, QuoteRecord } from './store';
import { admit, type WlpIdentity, type WlpLimiter } from './rate-limit';
import type { QuoteRequest } from './schemas';
import { checksum } from '../domain/address';

export type { WlpIdentity } from './rate-limit';

export interface QuoteSettings {
  /** Seconds from quote to order deadline. */
  ttlSeconds: number;
  /** Largest |PMM price - reference NAV| accepted, in bps. */
  toleranceBps: number;
  /** How long a PMM has to answer. */
  rfqTimeoutMs: number;
  /** How long quote records are kept (DynamoDB TTL), in days. */
  retentionDays: number;
}

export interface QuoteServiceDeps {
  chainId: number;
  issuer: string;
  catalog: IndexCatalog;
  prices: ReferencePriceSource;
  cash: AssetInfo;
  /** The PMMs asked for every quote (the registry's enabled ones, cached). */
  pmms: () => Promise<readonly PmmEndpoint[]>;
  store: QuoteStore;
  limiter: WlpLimiter;
  hasher: QuoteOrderHasher;
  /** Signature check; default: a `MakerSignatures` of this service. */
  signatures?: { problem: SignatureProblem };
  settings: QuoteSettings;
  /** Whether a maker's nonce is spent on chain (for a stored quote's status). */
  nonceUsed: (maker: string, nonce: bigint) => Promise<boolean>;
  now?: () => number;
  /** How RFQs are posted (the handler's keep-alive `httpTransport()`). */
  transport: RfqTransport;
  newId?: () => string;
}

const usd = (value: bigint): string => formatAmount(value, 18).replace(/(\.\d{1,6})\d*$/, '$1');

export class QuoteService {
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly signatures: { problem: SignatureProblem };

  constructor(private readonly deps: QuoteServiceDeps) {
    this.signatures = deps.signatures ?? new MakerSignatures();
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? randomUUID;
  }

  private priceOf = (symbol: string) => this.deps.prices.priceOf(symbol);

  private cashPrice() {
    const price = this.priceOf(this.deps.cash.symbol);
    if (!price) throw new Unavailable(`no reference price for the cash token ${this.deps.cash.symbol}`, 'price_unavailable');
    return price;
  }

  private async state(symbolOrAddress: string, notFound: (m: string) => SsiError): Promise<IndexState> {
    const address = this.deps.catalog.resolve(symbolOrAddress);
    if (!address) {
      const shown = symbolOrAddress.length > 64 ? `${symbolOrAddress.slice(0, 64)}...` : symbolOrAddress;
      throw notFound(`unknown index ${JSON.stringify(shown)}; known: ${this.deps.catalog.symbols().join(', ')}`);
    }
    try {
      return await this.deps.catalog.index(address);
    } catch (error) {
      throw new Unavailable('the chain RPC is not answering', 'chain_unavailable', error);
    }
  }

  private legView(leg: LegValue) {
    return {
      symbol: leg.asset.symbol,
      asset: leg.asset.address,
      decimals: leg.asset.decimals,
      amount: formatAmount(leg.amount, leg.asset.decimals),
      amountUnits: leg.amount.toString(),
      valueUsd: usd(leg.valueUsd),
      price: { priceUsd: leg.price.priceUsd, source: leg.price.source, observedOn: leg.price.observedOn, ageDays: leg.price.ageDays },
    };
  }

  private valued(legs: { assets: string[]; amounts: bigint[] }) {
    try {
      return valueLegs(legs, this.deps.catalog.assetInfo, this.priceOf);
    } catch (error) {
      if (error instanceof PricingError) throw new Unavailable(error.message, 'price_unavailable', error);
      throw error;
    }
  }

  private summary(state: IndexState) {
    const tokenset = this.valued({ assets: state.tokenset.assets, amounts: state.tokenset.unitAmounts });
    return {
      symbol: state.symbol,
      name: state.name,
      address: state.address,
      totalSupply: formatAmount(state.totalSupply, 18),
      navUsd: usd(tokenset.totalUsd),
      marketCapUsd: usd((tokenset.totalUsd * state.totalSupply) / INDEX_UNIT),
      tokenset: tokenset.legs.map((l) => this.legView(l)),
      issuance: {
        minAmount: formatAmount(state.config.minAmount, 18),
        maxAmount: formatAmount(state.config.maxAmount, 18),
        issueFeeBps: state.config.issueFeeBps,
        redeemFeeBps: state.config.redeemFeeBps,
        requestTimeoutSeconds: state.config.requestTimeout,
        rebalancing: state.rebalancing,
      },
    };
  }

  async listIndexes() {
    await pricesReady(this.deps.prices);
    const states = await Promise.all(this.deps.catalog.symbols().map((s) => this.state(s, (m) => new NotFound(m, 'unknown_index'))));
    return {
      chainId: this.deps.chainId,
      issuer: this.deps.issuer,
      cashToken: { symbol: this.deps.cash.symbol, address: this.deps.cash.address, decimals: this.deps.cash.decimals },
      prices: this.deps.prices.description,
      indexes: states.map((s) => this.summary(s)),
    };
  }

  async getIndex(symbol: string) {
    await pricesReady(this.deps.prices);
    const state = await this.state(symbol, (m) => new NotFound(m, 'unknown_index'));
    const amounts = state.tokenset.unitAmounts.map((unit) => (unit * state.totalSupply + INDEX_UNIT - 1n) / INDEX_UNIT);
    const basket = this.valued({ assets: state.tokenset.assets, amounts });
    return { ...this.summary(state), basket: basket.legs.map((l) => this.legView(l)), prices: this.deps.prices.description };
  }

  /** Index units to quote: the amount given, or the amount worth `cashAmount` at NAV (to 1e-6 tokens). */
  private indexAmountFor(body: QuoteRequest, state: IndexState): bigint {
    try {
      if (body.amount !== undefined) return parseAmount(body.amount, 18);
      const cash = parseAmount(body.cashAmount!, this.deps.cash.decimals);
      const nav = navPerToken(state.tokenset, this.deps.catalog.assetInfo, this.priceOf);
      const units = indexUnitsFor(cashToUsd(cash, this.deps.cash, this.cashPrice()), nav);
      return units - (units % 10n ** 12n);
    } catch (error) {
      if (error instanceof AmountError) throw new BadRequest(`${body.amount !== undefined ? 'amount' : 'cashAmount'}: ${error.message}`, 'invalid_amount');
      if (error instanceof PricingError) throw new Unavailable(error.message, 'price_unavailable', error);
      throw error;
    }
  }

  async createQuote(identity: WlpIdentity, body: QuoteRequest) {
    const wlp = checksum(identity.wlp);
    if (body.wlp !== undefined && checksum(body.wlp.toLowerCase()) !== wlp) {
      throw new Forbidden(`this API key belongs to WLP ${wlp}, not ${body.wlp}`, 'wlp_mismatch');
    }
    // A quota token is spent only by a request that passed validation and the identity check.
    await admit(this.deps.limiter, identity);
    const [state] = await Promise.all([this.state(body.index, (m) => new BadRequest(m, 'unknown_index')), pricesReady(this.deps.prices)]);
    if (state.rebalancing) throw new Conflict(`${state.symbol} is rebalancing: mint and redeem are suspended until it ends`, 'index_rebalancing');
    if (state.attestedIssuer) return this.createAttestedQuote(identity, wlp, body, state, state.attestedIssuer);
    // An index the Issuer has no issuance settings for (maxAmount 0), which no AttestedIssuer allows either, cannot be quoted.
    if (state.config.maxAmount === 0n) {
      throw new Conflict(
        `${state.symbol} is not issued through signed quotes (the Issuer has no issuance settings for it) nor allowed on the AttestedIssuer`,
        'not_quote_issued',
      );
    }
    const side = body.side === 'mint' ? Side.Mint : Side.Redeem;
    const indexAmount = this.indexAmountFor(body, state);
    checkRange(indexAmount, state);
    const nowMs = this.now();
    // The Issuer judges the deadline by block time.
    const deadline = BigInt(Math.floor(nowMs / 1000) + state.chainClockOffsetSeconds + this.deps.settings.ttlSeconds);
    const legs = legsFor(state, indexAmount, side, deadline);
    const valued = this.valued(legs);
    const cashPrice = this.cashPrice();
    const referenceCashAmount = usdToCash(valued.totalUsd, this.deps.cash, cashPrice);
    if (referenceCashAmount === 0n) throw new BadRequest('the amount is too small to price', 'amount_too_small');

    const requestId = this.newId();
    const draft = {
      requestId,
      chainId: this.deps.chainId,
      issuer: this.deps.issuer,
      order: { index: state.address, side, indexAmount, assets: legs.assets, amounts: legs.amounts, cashToken: this.deps.cash.address, requester: wlp, deadline },
      referenceCashAmount,
    };
    const outcomes = await askPmms(await this.deps.pmms(), draft, { timeoutMs: this.deps.settings.rfqTimeoutMs, transport: this.deps.transport });
    const { accepted, rejected } = await evaluateOutcomes(draft, outcomes, {
      hasher: this.deps.hasher,
      toleranceBps: this.deps.settings.toleranceBps,
      isMaker: this.deps.catalog.isMaker,
      signatureProblem: this.signatures.problem,
    });
    const rfq = rfqView(outcomes.length, accepted.length, rejected);
    const { createdAt, expiresAt } = this.recordTimes(nowMs);
    const best = bestQuote(side, accepted);
    if (!best) return this.noQuote({ requestId, wlp, createdAt, expiresAt, state, side: body.side, indexAmount, referenceCashAmount, rfq, rejected });
    const { order } = best;
    const feeBps = side === Side.Mint ? state.config.issueFeeBps : state.config.redeemFeeBps;
    const fee = feeFor(order.cashAmount, feeBps);
    const cashDecimals = this.deps.cash.decimals;
    const quote = {
      id: best.orderHash,
      requestId,
      status: 'firm' as const,
      wlp,
      index: { symbol: state.symbol, address: state.address },
      side: body.side,
      indexAmount: formatAmount(indexAmount, 18),
      cashToken: { symbol: this.deps.cash.symbol, address: this.deps.cash.address, decimals: cashDecimals },
      cashAmount: formatAmount(order.cashAmount, cashDecimals),
      fee: { bps: feeBps, amount: formatAmount(fee, cashDecimals) },
      total:
        side === Side.Mint
          ? { amount: formatAmount(order.cashAmount + fee, cashDecimals), meaning: 'the WLP pays cashAmount + fee' }
          : { amount: formatAmount(order.cashAmount - fee, cashDecimals), meaning: 'the WLP receives cashAmount - fee' },
      nav: {
        perTokenUsd: usd(navPerToken(state.tokenset, this.deps.catalog.assetInfo, this.priceOf)),
        orderUsd: usd(valued.totalUsd),
        referenceCashAmount: formatAmount(referenceCashAmount, cashDecimals),
      },
      priceVsNavBps: best.deviationBps,
      legs: valued.legs.map((l) => this.legView(l)),
      prices: this.deps.prices.description,
      pmm: { name: best.pmm.name, maker: order.maker },
      rfq,
      deadline: Number(order.deadline),
      expiresAt: new Date(Number(order.deadline) * 1000).toISOString(),
      order: quoteOrderToJson(order),
      signature: best.signature,
      submit: {
        chainId: this.deps.chainId,
        issuer: this.deps.issuer,
        function: side === Side.Mint ? 'mint(order, signature, maxFeeBps)' : 'redeem(order, signature, maxFeeBps)',
        maxFeeBps: feeBps,
        approve: side === Side.Mint ? { token: this.deps.cash.address, amount: (order.cashAmount + fee).toString() } : null,
      },
    };
    await this.record({
      id: best.orderHash,
      requestId,
      status: 'firm',
      wlp,
      createdAt,
      expiresAt,
      data: { keyId: identity.keyId, quote, rejections: rejected.map(auditRejection) },
    });
    return quote;
  }

  /**
   * A quote for an attested index: every registered PMM's attested price for the basket (no order, no
   * signature: the WLP's request names this cash and PMM, and the PMM agrees by delivering on a mint or
   * accepting on a redeem), the best one answered and recorded like a signed quote. `expiresAt` is how long
   * the quote is meant to bind the PMM; nothing on chain checks it.
   */
  private async createAttestedQuote(identity: WlpIdentity, wlp: string, body: QuoteRequest, state: IndexState, attestedIssuer: string) {
    const side = body.side === 'mint' ? Side.Mint : Side.Redeem;
    const indexAmount = this.indexAmountFor(body, state);
    checkRange(indexAmount, state);
    const nowMs = this.now();
    const ttl = this.deps.settings.ttlSeconds;
    // Redeem legs are fixed when the PMM accepts, at the latest by the end of the quote's life: project the fee factor that far.
    const legs = legsFor(state, indexAmount, side, BigInt(Math.floor(nowMs / 1000) + state.chainClockOffsetSeconds + ttl));
    const valued = this.valued(legs);
    const referenceCashAmount = usdToCash(valued.totalUsd, this.deps.cash, this.cashPrice());
    if (referenceCashAmount === 0n) throw new BadRequest('the amount is too small to price', 'amount_too_small');

    const requestId = this.newId();
    const outcomes = await askAttested(await this.deps.pmms(), { index: state.address, side, indexAmount }, { timeoutMs: this.deps.settings.rfqTimeoutMs, transport: this.deps.transport });
    const { accepted, rejected } = evaluateAttested(outcomes, { referenceCashAmount, toleranceBps: this.deps.settings.toleranceBps });
    const rfq = rfqView(outcomes.length, accepted.length, rejected);
    const { createdAt, expiresAt } = this.recordTimes(nowMs);
    const best = bestAttested(side, accepted);
    if (!best) return this.noQuote({ requestId, wlp, createdAt, expiresAt, state, side: body.side, indexAmount, referenceCashAmount, rfq, rejected });
    const cash = this.deps.cash;
    const mint = side === Side.Mint;
    const quote = {
      id: requestId,
      requestId,
      status: 'firm' as const,
      attested: true as const,
      wlp,
      index: { symbol: state.symbol, address: state.address },
      side: body.side,
      indexAmount: formatAmount(indexAmount, 18),
      cashToken: { symbol: cash.symbol, address: cash.address, decimals: cash.decimals },
      cashAmount: formatAmount(best.cashAmount, cash.decimals),
      nav: {
        perTokenUsd: usd(navPerToken(state.tokenset, this.deps.catalog.assetInfo, this.priceOf)),
        orderUsd: usd(valued.totalUsd),
        referenceCashAmount: formatAmount(referenceCashAmount, cash.decimals),
      },
      priceVsNavBps: best.deviationBps,
      legs: valued.legs.map((l) => this.legView(l)),
      prices: this.deps.prices.description,
      pmm: { name: best.pmm.name, maker: best.maker },
      rfq,
      expiresAt: new Date(nowMs + ttl * 1000).toISOString(),
      submit: {
        chainId: this.deps.chainId,
        attestedIssuer,
        method: mint ? ('requestMint' as const) : ('requestRedeem' as const),
        function: `${mint ? 'requestMint' : 'requestRedeem'}(index, indexAmount, cashToken, cashAmount, pmm)`,
        args: { index: state.address, indexAmount: indexAmount.toString(), cashToken: cash.address, cashAmount: best.cashAmount.toString(), pmm: best.maker },
        approve: mint ? { token: cash.address, amount: best.cashAmount.toString() } : { token: state.address, amount: indexAmount.toString() },
      },
    };
    await this.record({ id: requestId, requestId, status: 'firm', wlp, createdAt, expiresAt, data: { keyId: identity.keyId, quote, rejections: rejected.map(auditRejection) } });
    return quote;
  }

  /** When a record is made and when DynamoDB may delete it (TTL). */
  private recordTimes(nowMs: number) {
    return { createdAt: new Date(nowMs).toISOString(), expiresAt: Math.floor(nowMs / 1000) + this.deps.settings.retentionDays * 86_400 };
  }

  /** Records that no PMM gave a usable quote, then refuses with 503 `no_quote` and every reason. */
  private async noQuote(refusal: {
    requestId: string;
    wlp: string;
    createdAt: string;
    expiresAt: number;
    state: IndexState;
    side: QuoteRequest['side'];
    indexAmount: bigint;
    referenceCashAmount: bigint;
    rfq: ReturnType<typeof rfqView>;
    rejected: readonly Rejection[];
  }): Promise<never> {
    const { requestId, rfq } = refusal;
    await this.record({
      id: requestId,
      requestId,
      status: 'refused',
      wlp: refusal.wlp,
      createdAt: refusal.createdAt,
      expiresAt: refusal.expiresAt,
      data: {
        index: refusal.state.symbol,
        side: refusal.side,
        indexAmount: refusal.indexAmount.toString(),
        referenceCashAmount: refusal.referenceCashAmount.toString(),
        reason: 'no PMM gave a usable quote',
        rfq,
        rejections: refusal.rejected.map(auditRejection),
      },
    });
    throw new SsiError('no PMM gave a usable quote; retry shortly', 503, 'no_quote', { details: { requestId, rejected: rfq.rejected } });
  }

  private async record(record: QuoteRecord): Promise<void> {
    try {
      await this.deps.store.put(record);
    } catch (error) {
      throw new Unavailable('the quote could not be recorded; retry shortly', 'store_unavailable', error);
    }
  }

  async getQuote(identity: WlpIdentity, id: string) {
    // Each read costs chain calls, so it counts against the key's limits like a quote.
    await admit(this.deps.limiter, identity);
    const record = await this.deps.store.get(id.startsWith('0x') ? id.toLowerCase() : id);
    // Another WLP's quote is reported as absent, so ids cannot be probed.
    if (!record || checksum(record.wlp) !== checksum(identity.wlp)) throw new NotFound(`no quote ${id} for this WLP`, 'unknown_quote');
    if (record.status === 'refused') {
      return { id: record.id, requestId: record.requestId, status: 'refused' as const, createdAt: record.createdAt, reason: record.data.reason as string, rfq: record.data.rfq as never };
    }
    if ((record.data.quote as { attested?: boolean }).attested) {
      // A request on the AttestedIssuer names its cash and PMM, not the quote, so nothing on chain marks the quote used.
      const status = Date.parse((record.data.quote as { expiresAt: string }).expiresAt) < this.now() ? 'expired' : 'open';
      return { id: record.id, requestId: record.requestId, status, createdAt: record.createdAt, quote: record.data.quote as never };
    }
    const quote = record.data.quote as { deadline: number; index: { address: string }; order: { maker: string; nonce: string } };
    let status: 'open' | 'expired' | 'used';
    try {
      const [used, state] = await Promise.all([this.deps.nonceUsed(quote.order.maker, BigInt(quote.order.nonce)), this.deps.catalog.index(quote.index.address)]);
      // The Issuer judges the deadline by block time, so expiry is read on the chain's clock.
      status = used ? 'used' : quote.deadline < Math.floor(this.now() / 1000) + state.chainClockOffsetSeconds ? 'expired' : 'open';
    } catch (error) {
      throw new Unavailable('the chain RPC is not answering', 'chain_unavailable', error);
    }
    return { id: record.id, requestId: record.requestId, status, createdAt: record.createdAt, quote: record.data.quote as never };
  }
}

/** The per-order range of the Issuer's issuance settings; an attested index without them takes any amount above zero. */
function checkRange(indexAmount: bigint, state: IndexState): void {
  const { minAmount, maxAmount } = state.config;
  if (state.attestedIssuer && maxAmount === 0n) {
    if (indexAmount === 0n) throw new BadRequest('the amount must be above zero', 'amount_too_small');
    return;
  }
  if (indexAmount < minAmount || indexAmount > maxAmount) {
    throw new BadRequest(
      `${formatAmount(indexAmount, 18)} ${state.symbol} is outside the allowed ${formatAmount(minAmount, 18)} to ${formatAmount(maxAmount, 18)} per order`,
      'amount_out_of_range',
      { amount: formatAmount(indexAmount, 18), min: formatAmount(minAmount, 18), max: formatAmount(maxAmount, 18) },
    );
  }
}

function rfqView(asked: number, accepted: number, rejected: readonly Rejection[]) {
  return { asked, accepted, rejected: rejected.map(rejectionView) };
}

function rejectionView(r: Rejection) {
  return { pmm: r.pmm.name, code: r.code, reason: r.reason, latencyMs: r.latencyMs };
}

function auditRejection(r: Rejection) {
  return { ...rejectionView(r), maker: r.pmm.maker, cashAmount: r.cashAmount?.toString(), deviationBps: r.deviationBps };
}

/**
 * The legs of an order: mint legs are lower bounds on base x factor at settlement and the factor
 * only falls, so the factor when read is safe; redeem legs are upper bounds, so they use the factor
 * projected to the order's deadline.
 */
export function legsFor(state: IndexState, indexAmount: bigint, side: Side, deadline: bigint): { assets: string[]; amounts: bigint[] } {
  const { base, ratePpm, readAt } = state.fee;
  const factor = side === Side.Mint ? base.factor : factorAt({ factor: base.factor!, ratePpm, rebalancing: state.rebalancing }, readAt, deadline);
  return basketFor({ ...base, factor }, indexAmount, side);
}
