/**
 * The hedge-book adapter over HTTP: the venue API the local perpetual-futures simulator serves
 * (infra/local/perp-venue.ts) and a production venue gateway would serve the same way.
 *
 * - `GET  /v1/account` -> `{ asOf, collateralUsd, fundingUsd, feesUsd, positions: [{ market, size, entryPrice, markPrice }] }`
 * - `POST /v1/payouts` `{ clientId, to, asset, amount }` -> a payout state (idempotent by `clientId`)
 * - `GET  /v1/payouts/{clientId}` -> a payout state, 404 when unknown
 *
 * Numbers are decimal strings (see lambdas/domain/hedge-book.ts for units); replies are checked with
 * zod, so a venue answering nonsense fails the run with a clear message, never a wrong NAV.
 */
import { z } from 'zod';
import { ConfigError } from '../shared/errors';
import type { HedgeBookPort, HedgeBookSnapshot, PayoutRequest, PayoutState } from '../domain/hedge-book';

const int = z.string().regex(/^-?\d+$/).transform(BigInt);
const accountSchema = z.object({
  asOf: int,
  collateralUsd: int,
  fundingUsd: int,
  feesUsd: int,
  positions: z.array(z.object({ market: z.string(), size: int, entryPrice: int, markPrice: int })),
});
const payoutSchema = z.discriminatedUnion('status', [
  z.object({ clientId: z.string(), status: z.literal('pending') }),
  z.object({ clientId: z.string(), status: z.literal('sent'), txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/) }),
  z.object({ clientId: z.string(), status: z.literal('failed'), reason: z.string() }),
]);

/**
 * The adapter at USSI_HEDGE_BOOK_URL. The synth already refuses an environment that deploys
 * ussi-nav or ussi-payout without the URL (REQUIRED_FOR); this check names it to anything else that
 * starts the adapter without one.
 */
export function hedgeBookAt(url: string | undefined): HttpHedgeBook {
  if (!url) throw new ConfigError('invalid configuration: USSI_HEDGE_BOOK_URL (the hedge-book venue API) is not set');
  return new HttpHedgeBook(url);
}

export class HttpHedgeBook implements HedgeBookPort {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async snapshot(): Promise<HedgeBookSnapshot> {
    return accountSchema.parse(await this.call('GET', '/v1/account'));
  }

  async requestPayout(request: PayoutRequest): Promise<PayoutState> {
    return payoutSchema.parse(await this.call('POST', '/v1/payouts', { ...request, amount: String(request.amount) }));
  }

  async payout(clientId: string): Promise<PayoutState | undefined> {
    const body = await this.call('GET', `/v1/payouts/${encodeURIComponent(clientId)}`, undefined, true);
    return body === undefined ? undefined : payoutSchema.parse(body);
  }

  private async call(method: string, path: string, body?: unknown, allowNotFound = false): Promise<unknown> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (allowNotFound && response.status === 404) return undefined;
    const text = await response.text();
    if (!response.ok) throw new Error(`hedge book ${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  }
}
