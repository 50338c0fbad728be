/**
 * A perpetual-futures venue for the local stack: the hedge account behind USSI, served with the
 * venue API the hedge-book adapter speaks (lambdas/ussi/hedge-book-http.ts), so the NAV the
 * `ussi-nav` schedule publishes moves with simulated prices and funding, and redeem payouts the
 * float cannot cover are paid on chain by the venue and tracked by the `ussi-payout` schedule.
 *
 * The account: cash collateral (USD), spot held for the hedge and the short perpetual against it
 * (one size per market, so the book is delta-neutral), funding received on the shorts and fees.
 * Time is chain time (the latest block), so `evm_increaseTime` moves the book as it moves the NAV
 * bounds: each read accrues funding at `fundingBpsPer8h` of the short notional since the last read,
 * and marks follow a deterministic daily wave (±`waveBps`) around each market's base price; the
 * spot leg gains what the short loses, so only funding (and fees) move the equity.
 *
 * Venue API (decimal strings; USD 18 decimals): GET /v1/account, POST /v1/payouts,
 * GET /v1/payouts/{clientId}; the hedge desk's side (what a desk would do at a real venue):
 * POST /v1/deposits {amountUsd}, POST /v1/hedges {market, size} (buys spot and sells the perp at
 * mark). Payouts send the stablecoin from `payer` (an unlocked local account: the hedge vault) and
 * take it out of the cash collateral.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Contract, JsonRpcProvider } from 'ethers';
import { z } from 'zod';
import { listen } from './net';

const UNIT = 10n ** 18n;
const DAY = 86_400n;

export interface PerpVenueOptions {
  rpcUrl: string;
  /** Unlocked account the venue pays out from. */
  payer: string;
  /** Stablecoins it pays out, by symbol. */
  tokens: Record<string, { address: string; decimals: number }>;
  /** Markets and their base prices (USD per whole unit). */
  markets: Record<string, number>;
  fundingBpsPer8h?: number;
  waveBps?: number;
  port?: number;
}

interface Position {
  size: bigint;
  entryPrice: bigint;
}

type Payout = { clientId: string; status: 'pending' } | { clientId: string; status: 'sent'; txHash: string } | { clientId: string; status: 'failed'; reason: string };

export interface RunningPerpVenue {
  url: string;
  stop(): Promise<void>;
}

const depositSchema = z.object({ amountUsd: z.string().regex(/^\d+$/) }).strict();
const hedgeSchema = z.object({ market: z.string(), size: z.string().regex(/^\d+$/) }).strict();
const payoutSchema = z.object({ clientId: z.string().min(1).max(200), to: z.string().regex(/^0x[0-9a-fA-F]{40}$/), asset: z.string(), amount: z.string().regex(/^\d+$/) }).strict();

export async function startPerpVenue(options: PerpVenueOptions): Promise<RunningPerpVenue> {
  const provider = new JsonRpcProvider(options.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const funding = BigInt(options.fundingBpsPer8h ?? 1);
  const wave = options.waveBps ?? 200;
  const bases = Object.fromEntries(Object.entries(options.markets).map(([m, p]) => [m, BigInt(Math.round(p * 1e6)) * 10n ** 12n]));
  const book = { cashUsd: 0n, fundingUsd: 0n, feesUsd: 0n, accruedAt: 0n, spot: new Map<string, bigint>(), perps: new Map<string, Position>() };
  const payouts = new Map<string, Payout>();

  const chainNow = async (): Promise<bigint> => BigInt((await provider.getBlock('latest'))!.timestamp);
  const markAt = (market: string, at: bigint): bigint => {
    const base = bases[market]!;
    const phase = (2 * Math.PI * Number(at % DAY)) / Number(DAY);
    return base + (base * BigInt(Math.round(Math.sin(phase) * wave))) / 10_000n;
  };
  /** Funding on the short notional since the last accrual, at chain time `at`. */
  const accrue = (at: bigint): void => {
    if (book.accruedAt !== 0n && at > book.accruedAt) {
      const elapsed = at - book.accruedAt;
      for (const [market, p] of book.perps) {
        const notional = (-p.size * markAt(market, at)) / UNIT;
        book.fundingUsd += (notional * funding * elapsed) / (10_000n * 8n * 3600n);
      }
    }
    if (at > book.accruedAt) book.accruedAt = at;
  };

  const account = async () => {
    const at = await chainNow();
    accrue(at);
    let spotUsd = 0n;
    for (const [market, size] of book.spot) spotUsd += (size * markAt(market, at)) / UNIT;
    return {
      asOf: String(at),
      collateralUsd: String(book.cashUsd + spotUsd),
      fundingUsd: String(book.fundingUsd),
      feesUsd: String(book.feesUsd),
      positions: [...book.perps].map(([market, p]) => ({ market, size: String(p.size), entryPrice: String(p.entryPrice), markPrice: String(markAt(market, at)) })),
    };
  };

  const pay = async (clientId: string, to: string, token: { address: string; decimals: number }, amount: bigint): Promise<void> => {
    try {
      const signer = await provider.getSigner(options.payer);
      const erc20 = new Contract(token.address, ['function transfer(address,uint256) returns (bool)'], signer);
      const tx = await erc20.getFunction('transfer')(to, amount);
      await tx.wait();
      payouts.set(clientId, { clientId, status: 'sent', txHash: tx.hash as string });
    } catch (error) {
      payouts.set(clientId, { clientId, status: 'failed', reason: (error as Error).message.slice(0, 200) });
    }
  };

  const routes = async (method: string, path: string, body: unknown): Promise<[number, unknown]> => {
    if (method === 'GET' && path === '/v1/account') return [200, await account()];
    if (method === 'POST' && path === '/v1/deposits') {
      const { amountUsd } = depositSchema.parse(body);
      accrue(await chainNow());
      book.cashUsd += BigInt(amountUsd);
      return [200, await account()];
    }
    if (method === 'POST' && path === '/v1/hedges') {
      const { market, size } = hedgeSchema.parse(body);
      if (bases[market] === undefined) return [400, { error: 'unknown_market', message: `no market ${market}` }];
      const at = await chainNow();
      accrue(at);
      const mark = markAt(market, at);
      const units = BigInt(size);
      book.cashUsd -= (units * mark) / UNIT;
      book.spot.set(market, (book.spot.get(market) ?? 0n) + units);
      const p = book.perps.get(market) ?? { size: 0n, entryPrice: mark };
      const total = p.size - units;
      // Weighted entry of the combined short.
      const entryPrice = total === 0n ? mark : (p.size * p.entryPrice - units * mark) / total;
      book.perps.set(market, { size: total, entryPrice });
      return [200, await account()];
    }
    if (method === 'POST' && path === '/v1/payouts') {
      const request = payoutSchema.parse(body);
      const known = payouts.get(request.clientId);
      if (known) return [200, known];
      const token = options.tokens[request.asset];
      if (!token) return [400, { error: 'unknown_asset', message: `the venue pays no ${request.asset}` }];
      const amount = BigInt(request.amount);
      const pending: Payout = { clientId: request.clientId, status: 'pending' };
      payouts.set(request.clientId, pending);
      accrue(await chainNow());
      book.cashUsd -= (amount * UNIT) / 10n ** BigInt(token.decimals);
      void pay(request.clientId, request.to, token, amount);
      return [200, pending];
    }
    const payout = /^\/v1\/payouts\/([^/]+)$/.exec(path);
    if (method === 'GET' && payout) {
      const known = payouts.get(decodeURIComponent(payout[1]!));
      return known ? [200, known] : [404, { error: 'not_found', message: 'no such payout' }];
    }
    return [404, { error: 'not_found', message: `${method} ${path}` }];
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        let status = 500;
        let reply: unknown;
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          [status, reply] = await routes(req.method ?? 'GET', new URL(req.url ?? '/', 'http://venue').pathname, text ? JSON.parse(text) : undefined);
        } catch (error) {
          status = error instanceof z.ZodError || error instanceof SyntaxError ? 400 : 500;
          reply = { error: status === 400 ? 'invalid_request' : 'internal', message: (error as Error).message.slice(0, 300) };
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
      })();
    });
  });
  await listen(server, options.port ?? 0, 'perpetual-futures simulator');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      provider.destroy();
    },
  };
}
