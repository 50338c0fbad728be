import { Wallet, getAddress, recoverAddress } from 'ethers';
import { AssetKind, HedgeSide, PRICE_ONE, hashHedgeOrder, ussiDomain, type HedgeOrder } from '../../../lambdas/domain/ussi-orders';
import { UssiQuoteService, ussiQuoteRequestSchema, type UssiQuoteDeps } from '../../../lambdas/ussi/quotes';

const USSI = getAddress('0x00000000000000000000000000000000000000f1');
const USDC = getAddress('0x00000000000000000000000000000000000000a1');
const INDEX = getAddress('0x00000000000000000000000000000000000000b2');
const WLP = getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');
const NOW = 2_000_000n;
const signer = Wallet.createRandom();
/** The authorizer's identity of the WLP's key. */
const CALLER = { wlp: WLP, name: 'wlp', keyId: 'key-1', rateLimit: 10, quota: 1000 };

/** A limiter that admits `allowed` requests, then refuses; `taken` counts what was asked of it. */
function countingLimiter(allowed = Number.POSITIVE_INFINITY) {
  const limiter = {
    taken: 0,
    async take() {
      limiter.taken += 1;
      return limiter.taken <= allowed ? ({ ok: true } as const) : ({ ok: false, limit: 'quota', retryAfterSeconds: 60, reason: 'daily quota of 1000 requests used up' } as const);
    },
  };
  return limiter;
}

function service(overrides: Partial<UssiQuoteDeps> = {}, context: { navUpdatedAt?: bigint; nav?: bigint } = {}) {
  return new UssiQuoteService({
    chainId: 31337,
    ussi: USSI,
    assets: { USDC: { address: USDC, decimals: 6 }, 'MAG7.ssi': { address: INDEX, decimals: 18 } },
    readContext: async (asset) => ({
      nav: context.nav ?? 1_050_000_000_000_000_000n,
      navUpdatedAt: context.navUpdatedAt ?? NOW - 60n,
      toleranceBps: 50,
      maxNavAge: 86_400,
      asset: asset === USDC ? { address: USDC, kind: AssetKind.Stablecoin, decimals: 6 } : { address: INDEX, kind: AssetKind.IndexToken, decimals: 18 },
    }),
    orderSigner: async () => signer.address,
    chainTime: async () => NOW,
    indexPrice: async () => 250n * PRICE_ONE,
    signer,
    limiter: countingLimiter(),
    settings: { ttlSeconds: 120, spreadBps: 10 },
    newNonce: () => 42n,
    ...overrides,
  });
}

const toOrder = (view: Record<string, string | number>): HedgeOrder => ({
  requester: String(view.requester),
  side: Number(view.side) as HedgeSide,
  asset: String(view.asset),
  assetAmount: BigInt(view.assetAmount),
  assetPrice: BigInt(view.assetPrice),
  ussiAmount: BigInt(view.ussiAmount),
  deadline: BigInt(view.deadline),
  nonce: BigInt(view.nonce),
});

describe('USSI quotes (POST /v1/ussi/quotes)', () => {
  test('a USDC mint is priced at the NAV less the spread, dated from chain time, and signed over the USSI domain', async () => {
    const quote = await service().createQuote(CALLER, { side: 'mint', asset: 'usdc', amount: '1050' });
    const order = toOrder(quote.order);
    expect(order).toEqual({ requester: WLP, side: HedgeSide.Mint, asset: USDC, assetAmount: 1_050_000_000n, assetPrice: PRICE_ONE, ussiAmount: 999n * 10n ** 18n, deadline: NOW + 120n, nonce: 42n });
    const digest = hashHedgeOrder(ussiDomain(31337, USSI), order);
    expect(quote.orderHash).toBe(digest);
    expect(recoverAddress(digest, quote.signature)).toBe(signer.address);
    expect(quote).toMatchObject({ signer: signer.address, toleranceBps: 50, spreadBps: 10, nav: { perUssiUsd: '1.05' } });
  });

  test('a redeem pays the stablecoin at the NAV less the spread, and an index-token mint carries the index price', async () => {
    const redeem = await service().createQuote(CALLER, { side: 'redeem', asset: 'USDC', amount: '100' });
    expect(toOrder(redeem.order)).toMatchObject({ side: HedgeSide.Redeem, ussiAmount: 100n * 10n ** 18n, assetAmount: 104_895_000n });
    const mint = await service().createQuote(CALLER, { side: 'mint', asset: 'MAG7.ssi', amount: '2' });
    expect(toOrder(mint.order)).toMatchObject({ asset: INDEX, assetPrice: 250n * PRICE_ONE });
    expect(mint.asset.kind).toBe('index-token');
  });

  test('refuses with a reason: unknown asset, index redeem, another WLP, NAV going stale, a foreign signer, a spread beyond the tolerance', async () => {
    const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: { status: number; code: string }) => ({ status: e.status, code: e.code }));
    expect(await refusal(service().createQuote(CALLER, { side: 'mint', asset: 'NOPE', amount: '1' }))).toEqual({ status: 400, code: 'unknown_asset' });
    expect(await refusal(service().createQuote(CALLER, { side: 'redeem', asset: 'MAG7.ssi', amount: '1' }))).toEqual({ status: 400, code: 'ussi_asset_not_supported' });
    expect(await refusal(service().createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1', wlp: USSI }))).toEqual({ status: 403, code: 'wlp_mismatch' });
    expect(await refusal(service({}, { navUpdatedAt: NOW - 86_400n + 60n }).createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1' }))).toEqual({ status: 409, code: 'ussi_nav_stale' });
    expect(await refusal(service({ orderSigner: async () => WLP }).createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1' }))).toEqual({ status: 503, code: 'ussi_signer_mismatch' });
    expect(await refusal(service({ settings: { ttlSeconds: 120, spreadBps: 60 } }).createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1' }))).toEqual({ status: 400, code: 'ussi_out_of_tolerance' });
    expect(await refusal(service().createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '0.0000001' }))).toEqual({ status: 400, code: 'invalid_request' });
  });

  test('USSI quotes are not rate limited: each quote spends one request of the key, and a WLP over its quota gets 429 and no signed order', async () => {
    // prepare: two requests left, and a signer that counts signatures
    const limiter = countingLimiter(2);
    let signatures = 0;
    const counting = { getAddress: () => signer.getAddress(), signTypedData: (...args: Parameters<typeof signer.signTypedData>) => ((signatures += 1), signer.signTypedData(...args)) };
    const quotes = service({ limiter, signer: counting });
    // act
    await quotes.createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1' });
    await quotes.createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1' });
    const third = await quotes.createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1' }).catch((e: { status: number; code: string; retryAfterSeconds: number }) => e);
    // assert
    expect(third).toMatchObject({ status: 429, code: 'throttled', retryAfterSeconds: 60 });
    expect(signatures).toBe(2);
    expect(limiter.taken).toBe(3);
  });

  test('a refused identity or an unknown asset costs the WLP no quota token', async () => {
    const limiter = countingLimiter();
    const quotes = service({ limiter });
    await expect(quotes.createQuote(CALLER, { side: 'mint', asset: 'USDC', amount: '1', wlp: USSI })).rejects.toMatchObject({ code: 'wlp_mismatch' });
    await expect(quotes.createQuote(CALLER, { side: 'mint', asset: 'NOPE', amount: '1' })).rejects.toMatchObject({ code: 'unknown_asset' });
    expect(limiter.taken).toBe(0);
  });

  test('the request schema takes side, asset and a plain decimal amount only', () => {
    expect(ussiQuoteRequestSchema.safeParse({ side: 'mint', asset: 'USDC', amount: '1.5' }).success).toBe(true);
    for (const body of [{ side: 'mint', asset: 'USDC', amount: 1.5 }, { side: 'mint', asset: 'USDC', amount: '-1' }, { side: 'swap', asset: 'USDC', amount: '1' }, { side: 'mint', asset: 'USDC' }, { side: 'mint', asset: 'USDC', amount: '1', x: 1 }]) {
      expect(ussiQuoteRequestSchema.safeParse(body).success).toBe(false);
    }
  });
});
