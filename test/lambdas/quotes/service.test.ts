import { Wallet, SigningKey } from 'ethers';
import { IndexCatalog, TtlCache, type ChainReader, type IndexState } from '../../../lambdas/quotes/catalog';
import { fixedPrices, polledPrices, type ReferencePriceSource } from '../../../lambdas/quotes/prices';
import { MemoryQuoteStore } from '../../../lambdas/quotes/store';
import { QuoteService, type WlpIdentity } from '../../../lambdas/quotes/service';
import { attestedQuoteSchema, quoteSchema, storedQuoteSchema, quoteRequestSchema, indexListSchema, indexDetailSchema, type QuoteRequest } from '../../../lambdas/quotes/schemas';
import { QuoteOrderHasher } from '../../../lambdas/domain/quotes/order-hash';
import { bestQuote, type Candidate, type PmmEndpoint, type RfqTransport, type WireDraft } from '../../../lambdas/domain/quotes/rfq';
import { basketFor, feeFor, issuerDomain, Side } from '../../../lambdas/domain/orders';
import { SsiError } from '../../../lambdas/shared/errors';

const CHAIN_ID = 31337;
const ISSUER = '0x00000000000000000000000000000000000000aa';
const INDEX = '0x00000000000000000000000000000000000000E1';
const BTC = '0x0000000000000000000000000000000000000b01';
const ETH = '0x0000000000000000000000000000000000000e02';
const USDC = '0x0000000000000000000000000000000000000C03';
const domain = issuerDomain(CHAIN_ID, '0x00000000000000000000000000000000000000AA');
const hasher = new QuoteOrderHasher(domain);
const maker = Wallet.createRandom();
const otherMaker = Wallet.createRandom();
const wlp: WlpIdentity = { wlp: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', name: 'w', keyId: 'abc', rateLimit: 100, quota: 1000 };
// 0.005 BTC + 0.125 ETH per token: 1000 USD at 100k / 4k.
const tokenset = { assets: ['0x0000000000000000000000000000000000000B01', '0x0000000000000000000000000000000000000E02'], unitAmounts: [500_000n, 125n * 10n ** 15n] };

function state(overrides: Partial<IndexState> = {}): IndexState {
  return {
    address: '0x00000000000000000000000000000000000000E1',
    symbol: 'TEST.ssi',
    name: 'Test index',
    tokenset,
    // No fee taken yet: the effective tokenset equals the base one.
    fee: { base: { ...tokenset, factor: 10n ** 27n }, ratePpm: 0n, readAt: 0n },
    chainClockOffsetSeconds: 0,
    config: { minAmount: 10n ** 16n, maxAmount: 10n ** 24n, feeVault: ISSUER, issueFeeBps: 30, redeemFeeBps: 20, requestTimeout: 3600 },
    rebalancing: false,
    totalSupply: 3n * 10n ** 18n,
    ...overrides,
  };
}

/** A PMM answering at the legs' value +/- `bps`, signing with `key` (or misbehaving on request). */
function pmmTransport(key: { privateKey: string }, bps: bigint, behaviour: 'ok' | 'slow' | 'garbage' | 'http500' | 'wrong-signer' = 'ok'): RfqTransport {
  return async (_url, body, timeoutMs) => {
    const draft = JSON.parse(body) as WireDraft;
    if (behaviour === 'slow') {
      await new Promise((r) => setTimeout(r, timeoutMs + 20));
      throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
    }
    if (behaviour === 'garbage') return { status: 200, text: '{"cashAmount":"-1"}' };
    if (behaviour === 'http500') return { status: 500, text: 'boom' };
    const reference = BigInt(draft.referenceCashAmount);
    const cashAmount = (reference * (10_000n + bps)) / 10_000n;
    const order = {
      ...draft.order,
      indexAmount: BigInt(draft.order.indexAmount),
      amounts: draft.order.amounts.map(BigInt),
      deadline: BigInt(draft.order.deadline),
      cashAmount,
      nonce: 42n,
    };
    const signer = behaviour === 'wrong-signer' ? otherMaker : key;
    const signature = new SigningKey(signer.privateKey).sign(hasher.hash(order)).serialized;
    return { status: 200, text: JSON.stringify({ cashAmount: cashAmount.toString(), nonce: '42', signature }) };
  };
}

interface Setup {
  pmms?: PmmEndpoint[];
  transport?: RfqTransport;
  state?: Partial<IndexState>;
  makers?: string[];
  limit?: boolean;
  nonceUsed?: boolean;
  prices?: ReferencePriceSource;
}

function service(setup: Setup = {}) {
  const reader: ChainReader = {
    readIndex: async () => state(setup.state),
    readAsset: async (a) => ({ address: a, symbol: '?', decimals: 18 }),
    isMaker: async (a) => (setup.makers ?? [maker.address]).includes(a),
  };
  const store = new MemoryQuoteStore();
  let now = 1_800_000_000_000;
  let taken = 0;
  const svc = new QuoteService({
    chainId: CHAIN_ID,
    issuer: '0x00000000000000000000000000000000000000AA',
    catalog: new IndexCatalog(reader, {
      indexes: { 'TEST.ssi': INDEX },
      assets: [
        { symbol: 'BTC', address: BTC, decimals: 8 },
        { symbol: 'ETH', address: ETH, decimals: 18 },
        { symbol: 'USDC', address: USDC, decimals: 6 },
      ],
    }),
    prices: setup.prices ?? fixedPrices({ BTC: 100_000, ETH: 4_000, USDC: 1 }, '2025-10-25'),
    cash: { symbol: 'USDC', address: '0x0000000000000000000000000000000000000C03', decimals: 6 },
    pmms: async () => setup.pmms ?? [{ name: 'pmm-a', url: 'http://pmm-a/rfq', maker: maker.address }],
    store,
    limiter: { take: async () => (taken++, setup.limit ? { ok: false, limit: 'rate', retryAfterSeconds: 1, reason: 'rate limit of 100 requests per second reached' } : { ok: true }) },
    hasher,
    settings: { ttlSeconds: 120, toleranceBps: 100, rfqTimeoutMs: 50, retentionDays: 90 },
    nonceUsed: async () => setup.nonceUsed ?? false,
    transport: setup.transport ?? pmmTransport(maker, 10n),
    now: () => now,
    newId: () => '11111111-2222-4333-8444-555555555555',
  });
  return { svc, store, advance: (ms: number) => (now += ms), taken: () => taken };
}

const request = (body: unknown): QuoteRequest => quoteRequestSchema.parse(body);

async function rejectsWith(promise: Promise<unknown>, status: number, code: string): Promise<SsiError> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as SsiError;
  expect(error).toBeInstanceOf(SsiError);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  return error;
}

describe('the quote service', () => {
  test('a cold container waits for its first price document instead of answering price_unavailable', async () => {
    let release!: () => void;
    const slowFirstRead = new Promise<void>((resolve) => (release = resolve));
    const prices = polledPrices('bucket', 's3://reports/prices/latest.json', async () => {
      await slowFirstRead;
      return { observedOn: '2025-10-25', prices: { BTC: 100_000, ETH: 4_000, USDC: 1 } };
    }, 60_000);
    const { svc } = service({ prices });
    let answered = false;
    const pending = svc.createQuote(wlp, request({ index: 'test.SSI', side: 'mint', amount: '1.5' })).finally(() => (answered = true));
    const listing = svc.getIndex('TEST.ssi');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    release();
    expect(quoteSchema.parse(await pending).nav).toEqual({ perTokenUsd: '1000', orderUsd: '1500', referenceCashAmount: '1500' });
    expect(indexDetailSchema.parse(await listing).navUsd).toBe('1000');
    prices.stop();
  });

  test('a price document that cannot be read is price_unavailable with the reason, and a later quote succeeds once it is there', async () => {
    let published = false;
    const prices = polledPrices('bucket', 's3://reports/prices/latest.json', async () => {
      if (!published) throw new Error('NoSuchKey: prices/latest.json');
      return { observedOn: '2025-10-25', prices: { BTC: 100_000, ETH: 4_000, USDC: 1 } };
    }, 60_000);
    const { svc } = service({ prices });
    const error = await rejectsWith(svc.createQuote(wlp, request({ index: 'test.SSI', side: 'mint', amount: '1.5' })), 503, 'price_unavailable');
    expect(error.message).toMatch(/NoSuchKey/);
    published = true;
    expect(quoteSchema.parse(await svc.createQuote(wlp, request({ index: 'test.SSI', side: 'mint', amount: '1.5' }))).cashAmount).toBe('1501.5');
    prices.stop();
  });

  test('the order deadline follows the chain clock, which judges it, when the chain runs ahead of ours', async () => {
    const { svc } = service({ state: { chainClockOffsetSeconds: 600 } });
    const quote = quoteSchema.parse(await svc.createQuote(wlp, request({ index: 'test.SSI', side: 'mint', amount: '1.5' })));
    expect(quote.deadline).toBe(1_800_000_000 + 600 + 120);
  });

  test('a mint quote is the PMM-signed order for the exact legs, priced near NAV, with fee and deadline', async () => {
    const { svc, store } = service();
    const quote = quoteSchema.parse(await svc.createQuote(wlp, request({ index: 'test.SSI', side: 'mint', amount: '1.5' })));
    const legs = basketFor(tokenset, 1_500_000_000_000_000_000n, Side.Mint);
    expect(quote.order.assets).toEqual(legs.assets);
    expect(quote.order.amounts).toEqual(legs.amounts.map(String));
    expect(quote.nav).toEqual({ perTokenUsd: '1000', orderUsd: '1500', referenceCashAmount: '1500' });
    expect(quote.cashAmount).toBe('1501.5');
    expect(quote.priceVsNavBps).toBe(10);
    expect(quote.fee).toEqual({ bps: 30, amount: '4.5045' });
    expect(BigInt(quote.submit.approve!.amount)).toBe(1_501_500_000n + feeFor(1_501_500_000n, 30));
    expect(quote.deadline).toBe(1_800_000_000 + 120);
    expect(quote.id).toBe(hasher.hash({ ...quote.order, side: Side.Mint, indexAmount: BigInt(quote.order.indexAmount), amounts: legs.amounts, cashAmount: 1_501_500_000n, deadline: BigInt(quote.order.deadline), nonce: 42n }));
    expect((await store.get(quote.id))?.status).toBe('firm');
  });

  test('a redeem quote asked by cash amount is for the index amount worth it at NAV, and the fee comes out of the cash', async () => {
    const { svc } = service({ transport: pmmTransport(maker, -10n) });
    const quote = quoteSchema.parse(await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'redeem', cashAmount: '2500' })));
    expect(quote.indexAmount).toBe('2.5');
    expect(quote.order.amounts).toEqual(basketFor(tokenset, 25n * 10n ** 17n, Side.Redeem).amounts.map(String));
    expect(quote.total.amount).toBe((Number(quote.cashAmount) - Number(quote.fee.amount)).toFixed(6).replace(/0+$/, '').replace(/\.$/, ''));
    expect(quote.submit.approve).toBeNull();
  });

  test('the best of several PMMs wins: the cheapest mint; prices beyond the tolerance and bad signatures are rejected with reasons', async () => {
    const pmms = [
      { name: 'cheap', url: 'http://cheap', maker: maker.address },
      { name: 'dear', url: 'http://dear', maker: maker.address },
      { name: 'greedy', url: 'http://greedy', maker: maker.address },
      { name: 'forger', url: 'http://forger', maker: maker.address },
      { name: 'sleepy', url: 'http://sleepy', maker: maker.address },
    ];
    const behaviours: Record<string, RfqTransport> = {
      'http://cheap': pmmTransport(maker, 5n),
      'http://dear': pmmTransport(maker, 50n),
      'http://greedy': pmmTransport(maker, 150n),
      'http://forger': pmmTransport(maker, 1n, 'wrong-signer'),
      'http://sleepy': pmmTransport(maker, 0n, 'slow'),
    };
    const { svc, store } = service({ pmms, transport: (url, body, timeout) => behaviours[url](url, body, timeout) });
    const quote = quoteSchema.parse(await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })));
    expect(quote.pmm.name).toBe('cheap');
    expect(quote.rfq.asked).toBe(5);
    expect(quote.rfq.accepted).toBe(2);
    const codes = Object.fromEntries(quote.rfq.rejected.map((r) => [r.pmm, r.code]));
    expect(codes).toEqual({ greedy: 'deviation', forger: 'signature', sleepy: 'timeout' });
    const audit = (await store.get(quote.id))!.data.rejections as Array<{ pmm: string; reason: string }>;
    expect(audit.find((r) => r.pmm === 'greedy')?.reason).toMatch(/150 bps from the reference NAV; the tolerance is 100 bps/);
  });

  test('best quote: highest cash on a redeem, the faster PMM on a tie', () => {
    const candidate = (name: string, cash: bigint, latencyMs: number) => ({ pmm: { name }, order: { cashAmount: cash }, latencyMs }) as unknown as Candidate;
    expect(bestQuote(Side.Redeem, [candidate('a', 10n, 1), candidate('b', 12n, 9), candidate('c', 11n, 1)])!.pmm.name).toBe('b');
    expect(bestQuote(Side.Mint, [candidate('a', 10n, 5), candidate('b', 10n, 2)])!.pmm.name).toBe('b');
    expect(bestQuote(Side.Mint, [])).toBeUndefined();
  });

  test('a maker without MAKER_ROLE is not taken; when nothing usable comes back the answer is 503 with every reason, and the refusal is recorded', async () => {
    const { svc, store } = service({ makers: [] });
    const error = await rejectsWith(svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 503, 'no_quote');
    expect((error.details as { rejected: Array<{ code: string }> }).rejected.map((r) => r.code)).toEqual(['not_maker']);
    const refused = await store.get('11111111-2222-4333-8444-555555555555');
    expect(refused?.status).toBe('refused');
  });

  test.each([
    ['garbage', 'malformed'],
    ['http500', 'http_error'],
    ['slow', 'timeout'],
  ] as const)('a PMM answering %s is rejected as %s', async (behaviour, code) => {
    const { svc } = service({ transport: pmmTransport(maker, 0n, behaviour) });
    const error = await rejectsWith(svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 503, 'no_quote');
    expect((error.details as { rejected: Array<{ code: string }> }).rejected[0].code).toBe(code);
  });

  test('an index neither the Issuer (no issuance settings) nor the AttestedIssuer issues is refused with 409 not_quote_issued, asking no PMM', async () => {
    const asked: string[] = [];
    const { svc } = service({ state: { config: NO_ISSUANCE }, transport: async (url) => (asked.push(url), { status: 500, text: '' }) });
    const error = await rejectsWith(svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 409, 'not_quote_issued');
    expect(error.message).toMatch(/TEST\.ssi is not issued through signed quotes .* nor allowed on the AttestedIssuer/);
    expect(asked).toEqual([]);
  });

  test.each([
    [{ index: 'NOPE.ssi', side: 'mint', amount: '1' }, 400, 'unknown_index'],
    [{ index: 'TEST.ssi', side: 'mint', amount: '0.001' }, 400, 'amount_out_of_range'],
    [{ index: 'TEST.ssi', side: 'mint', amount: '1000001' }, 400, 'amount_out_of_range'],
    [{ index: 'TEST.ssi', side: 'mint', cashAmount: '0.0000001' }, 400, 'invalid_amount'],
    [{ index: 'TEST.ssi', side: 'mint', amount: '1', wlp: '0x0000000000000000000000000000000000000001' }, 403, 'wlp_mismatch'],
  ])('%j is refused with %i %s', async (body, status, code) => {
    const { svc } = service();
    const error = await rejectsWith(svc.createQuote(wlp, request(body)), status, code);
    expect(error.message.length).toBeGreaterThan(10);
  });

  test('json-number amounts are accepted: a JSON number amount is refused, only decimal strings pass (issue 19 item 15)', () => {
    for (const body of [{ index: 'TEST.ssi', side: 'mint', amount: 0.30000000000000004 }, { index: 'TEST.ssi', side: 'mint', cashAmount: 100 }]) {
      const parsed = quoteRequestSchema.safeParse(body);
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues[0].message).toMatch(/decimal string/);
    }
    expect(quoteRequestSchema.safeParse({ index: 'TEST.ssi', side: 'mint', amount: '0.3' }).success).toBe(true);
  });

  test('a wlp_mismatch costs a quota token: a request refused for its identity spends none, and GET /v1/quotes/{id} is metered (issue 19 item 9)', async () => {
    const { svc, taken } = service();
    await rejectsWith(svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1', wlp: '0x0000000000000000000000000000000000000001' })), 403, 'wlp_mismatch');
    expect(taken()).toBe(0);
    const quote = await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' }));
    expect(taken()).toBe(1);
    await svc.getQuote(wlp, quote.id);
    expect(taken()).toBe(2);
    await rejectsWith(service({ limit: true }).svc.getQuote(wlp, quote.id), 429, 'throttled');
  });

  test('a rebalancing index is 409 and a throttled WLP 429 with retry-after', async () => {
    await rejectsWith(service({ state: { rebalancing: true } }).svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 409, 'index_rebalancing');
    const throttled = await rejectsWith(service({ limit: true }).svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 429, 'throttled');
    expect((throttled as unknown as { retryAfterSeconds: number }).retryAfterSeconds).toBe(1);
  });

  test('a stored quote is open, then expired, or used once its nonce is spent; other WLPs cannot see it', async () => {
    const { svc, advance } = service();
    const quote = await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' }));
    expect(storedQuoteSchema.parse(await svc.getQuote(wlp, quote.id)).status).toBe('open');
    advance(121_000);
    expect((await svc.getQuote(wlp, quote.id)).status).toBe('expired');
    await rejectsWith(svc.getQuote({ ...wlp, wlp: '0x0000000000000000000000000000000000000009' }, quote.id), 404, 'unknown_quote');
    const used = service({ nonceUsed: true });
    const usedQuote = await used.svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' }));
    expect((await used.svc.getQuote(wlp, usedQuote.id)).status).toBe('used');
  });

  test("a stored quote is expired once the chain's clock passes its deadline, though ours has not", async () => {
    // A local chain 600 s ahead of the wall clock: the deadline is 720 s away by ours.
    const { svc, advance } = service({ state: { chainClockOffsetSeconds: 600 } });
    const quote = quoteSchema.parse(await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })));
    expect((await svc.getQuote(wlp, quote.id)).status).toBe('open');

    advance(121_000);

    expect(1_800_000_121).toBeLessThan(quote.deadline);
    expect((await svc.getQuote(wlp, quote.id)).status).toBe('expired');
  });

  test("a stored quote stays open while the chain's clock is behind its deadline, though ours has passed it", async () => {
    // A real chain whose latest block is 12 s behind the wall clock: the deadline is 108 s away by ours.
    const { svc, advance } = service({ state: { chainClockOffsetSeconds: -12 } });
    const quote = quoteSchema.parse(await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })));

    advance(115_000);
    const early = (await svc.getQuote(wlp, quote.id)).status;
    advance(6_000);
    const late = (await svc.getQuote(wlp, quote.id)).status;

    expect(1_800_000_115).toBeGreaterThan(quote.deadline);
    expect(early).toBe('open');
    expect(late).toBe('expired');
  });

  test('indexes come with tokenset, supply, NAV and aggregate basket rounded up', async () => {
    const { svc } = service();
    const list = indexListSchema.parse(await svc.listIndexes());
    expect(list.indexes[0]).toMatchObject({ symbol: 'TEST.ssi', totalSupply: '3', navUsd: '1000', marketCapUsd: '3000' });
    const detail = indexDetailSchema.parse(await svc.getIndex('TEST.ssi'));
    expect(detail.basket.map((l) => l.amountUnits)).toEqual(['1500000', (375n * 10n ** 15n).toString()]);
    await rejectsWith(svc.getIndex('OTHER.ssi'), 404, 'unknown_index');
  });
});

const NO_ISSUANCE = { minAmount: 0n, maxAmount: 0n, feeVault: ISSUER, issueFeeBps: 0, redeemFeeBps: 0, requestTimeout: 0 };
const ATTESTED_ISSUER = '0x00000000000000000000000000000000000000Ab';

/** PMMs answering attested RFQs: each URL's answer, at the basket's value +/- bps, or a misbehaviour. */
function attestedPmms(behaviours: Record<string, { bps?: bigint; maker?: string; answer?: 'slow' | 'garbage' | 'http500' }>) {
  const asked: Array<{ url: string; body: unknown }> = [];
  const transport: RfqTransport = async (url, body, timeoutMs) => {
    asked.push({ url, body: JSON.parse(body) });
    const behaviour = behaviours[url];
    if (!behaviour) return { status: 404, text: '{"error":"not found"}' };
    if (behaviour.answer === 'slow') {
      await new Promise((r) => setTimeout(r, timeoutMs + 20));
      throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
    }
    if (behaviour.answer === 'garbage') return { status: 200, text: '{"cashAmount":"1.5"}' };
    if (behaviour.answer === 'http500') return { status: 500, text: 'boom' };
    // 1 TEST.ssi is worth 1000 USDC at the fixed prices; the RFQ names the index amount in units.
    const value = (BigInt((JSON.parse(body) as { indexAmount: string }).indexAmount) * 1000n * 10n ** 6n) / 10n ** 18n;
    return { status: 200, text: JSON.stringify({ cashAmount: ((value * (10_000n + (behaviour.bps ?? 0n))) / 10_000n).toString(), maker: behaviour.maker ?? maker.address }) };
  };
  return { transport, asked };
}

describe('quotes for an attested index (the AttestedIssuer allows it: custodian legs settle by attestation)', () => {
  const attested = { attestedIssuer: ATTESTED_ISSUER, config: NO_ISSUANCE };
  const pmms = [
    { name: 'cheap', url: 'http://cheap/rfq', maker: maker.address },
    { name: 'dear', url: 'http://dear/rfq/', maker: otherMaker.address },
    { name: 'impostor', url: 'http://impostor/rfq', maker: maker.address },
    { name: 'broken', url: 'http://broken/rfq', maker: maker.address },
  ];
  const behaviours = {
    'http://cheap/rfq/attested': { bps: 5n },
    'http://dear/rfq/attested': { bps: 30n, maker: otherMaker.address },
    // Cheaper than everyone, but for a maker the registry does not hold for this PMM.
    'http://impostor/rfq/attested': { bps: -50n, maker: otherMaker.address },
    'http://broken/rfq/attested': { answer: 'garbage' as const },
  };

  test('a mint asks every registered PMM at <rfq url>/attested, refuses a wrong maker and a malformed answer, and keeps the lowest cash', async () => {
    const { transport, asked } = attestedPmms(behaviours);
    const { svc, store } = service({ state: attested, pmms, transport });
    const quote = attestedQuoteSchema.parse(await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1.5' })));
    expect(asked.map((a) => a.url).sort()).toEqual(Object.keys(behaviours).sort());
    for (const a of asked) expect(a.body).toEqual({ index: INDEX, side: 'mint', indexAmount: '1500000000000000000' });
    expect(quote).toMatchObject({
      id: '11111111-2222-4333-8444-555555555555',
      attested: true,
      side: 'mint',
      index: { symbol: 'TEST.ssi', address: INDEX },
      indexAmount: '1.5',
      cashToken: { symbol: 'USDC', decimals: 6 },
      cashAmount: '1500.75',
      priceVsNavBps: 5,
      nav: { perTokenUsd: '1000', orderUsd: '1500', referenceCashAmount: '1500' },
      pmm: { name: 'cheap', maker: maker.address },
      expiresAt: new Date(1_800_000_000_000 + 120_000).toISOString(),
      submit: {
        chainId: CHAIN_ID,
        attestedIssuer: ATTESTED_ISSUER,
        method: 'requestMint',
        args: { index: INDEX, indexAmount: '1500000000000000000', cashToken: USDC, cashAmount: '1500750000', pmm: maker.address },
        approve: { token: USDC, amount: '1500750000' },
      },
    });
    expect(quote.rfq.asked).toBe(4);
    expect(quote.rfq.accepted).toBe(2);
    expect(Object.fromEntries(quote.rfq.rejected.map((r) => [r.pmm, r.code]))).toEqual({ impostor: 'maker_mismatch', broken: 'malformed' });
    expect(quote).not.toHaveProperty('signature');
    const record = (await store.get(quote.id))!;
    expect(record.status).toBe('firm');
    expect(record.data.quote).toEqual(quote);
    expect((record.data.rejections as Array<{ pmm: string; reason: string }>).find((r) => r.pmm === 'impostor')?.reason).toMatch(/registered 0x/);
  });

  test('a redeem keeps the highest bid, asked by cash amount at NAV, and the WLP approves its index tokens', async () => {
    const { transport } = attestedPmms({ 'http://low/rfq/attested': { bps: -40n }, 'http://high/rfq/attested': { bps: -10n, maker: otherMaker.address } });
    const { svc } = service({
      state: attested,
      pmms: [
        { name: 'low', url: 'http://low/rfq', maker: maker.address },
        { name: 'high', url: 'http://high/rfq', maker: otherMaker.address },
      ],
      transport,
    });
    const quote = attestedQuoteSchema.parse(await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'redeem', cashAmount: '2000' })));
    expect(quote).toMatchObject({ indexAmount: '2', cashAmount: '1998', pmm: { name: 'high', maker: otherMaker.address }, priceVsNavBps: -10 });
    expect(quote.submit).toMatchObject({ method: 'requestRedeem', approve: { token: INDEX, amount: (2n * 10n ** 18n).toString() }, args: { pmm: otherMaker.address, cashAmount: '1998000000' } });
  });

  test('a price beyond the tolerance, a zero price, an HTTP error and a timeout are refused; with none left the answer is 503 no_quote, recorded', async () => {
    const { transport } = attestedPmms({ 'http://greedy/rfq/attested': { bps: 150n }, 'http://free/rfq/attested': { bps: -10_000n }, 'http://down/rfq/attested': { answer: 'http500' }, 'http://sleepy/rfq/attested': { answer: 'slow' } });
    const names = ['greedy', 'free', 'down', 'sleepy'];
    const { svc, store } = service({ state: attested, pmms: names.map((n) => ({ name: n, url: `http://${n}/rfq`, maker: maker.address })), transport });
    const error = await rejectsWith(svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 503, 'no_quote');
    expect(Object.fromEntries((error.details as { rejected: Array<{ pmm: string; code: string }> }).rejected.map((r) => [r.pmm, r.code]))).toEqual({
      greedy: 'deviation',
      free: 'zero_price',
      down: 'http_error',
      sleepy: 'timeout',
    });
    const refused = (await store.get('11111111-2222-4333-8444-555555555555'))!;
    expect(refused.status).toBe('refused');
    expect(storedQuoteSchema.parse(await svc.getQuote(wlp, refused.id)).status).toBe('refused');
  });

  test('no PMM registered: 503 no_quote, as for a signed quote', async () => {
    const { svc } = service({ state: attested, pmms: [] });
    const error = await rejectsWith(svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 503, 'no_quote');
    expect(error.details).toMatchObject({ rejected: [] });
  });

  test('amounts: zero is refused, more decimals than the token has are refused; the Issuer range applies when the Issuer also has settings', async () => {
    const { transport } = attestedPmms({ 'http://pmm-a/rfq/attested': {} });
    await rejectsWith(service({ state: attested, transport }).svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '0' })), 400, 'amount_too_small');
    await rejectsWith(service({ state: attested, transport }).svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', cashAmount: '0.0000001' })), 400, 'invalid_amount');
    await rejectsWith(service({ state: { attestedIssuer: ATTESTED_ISSUER }, transport }).svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '0.001' })), 400, 'amount_out_of_range');
    const big = attestedQuoteSchema.parse(await service({ state: attested, transport }).svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '5000000' })));
    expect(big.cashAmount).toBe('5000000000');
  });

  test('a rebalancing attested index is 409 index_rebalancing, asking no PMM', async () => {
    const { transport, asked } = attestedPmms({ 'http://pmm-a/rfq/attested': {} });
    await rejectsWith(service({ state: { ...attested, rebalancing: true }, transport }).svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })), 409, 'index_rebalancing');
    expect(asked).toEqual([]);
  });

  test('a stored attested quote is read back by id by its WLP only: open until it expires, then expired', async () => {
    const { transport } = attestedPmms({ 'http://pmm-a/rfq/attested': { bps: 5n } });
    const { svc, advance } = service({ state: attested, transport });
    const quote = attestedQuoteSchema.parse(await svc.createQuote(wlp, request({ index: 'TEST.ssi', side: 'mint', amount: '1' })));
    const stored = storedQuoteSchema.parse(await svc.getQuote(wlp, quote.id));
    expect(stored).toMatchObject({ id: quote.id, status: 'open', quote: { attested: true, cashAmount: '1000.5' } });
    await rejectsWith(svc.getQuote({ ...wlp, wlp: '0x0000000000000000000000000000000000000009' }, quote.id), 404, 'unknown_quote');
    advance(120_001);
    expect((await svc.getQuote(wlp, quote.id)).status).toBe('expired');
  });
});

describe('the catalog cache', () => {
  test('serves a fresh entry from memory, refreshes a stale one in the background, shares in-flight reads', async () => {
    let now = 0;
    let reads = 0;
    const cache = new TtlCache(async (k) => `${k}:${++reads}`, 100, 1000, () => now);
    expect(await Promise.all([cache.get('a'), cache.get('a')])).toEqual(['a:1', 'a:1']);
    now = 50;
    expect(await cache.get('a')).toBe('a:1');
    now = 200;
    expect(await cache.get('a')).toBe('a:1');
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('a')).toBe('a:2');
    now = 5000;
    expect(await cache.get('a')).toBe('a:3');
  });
});
