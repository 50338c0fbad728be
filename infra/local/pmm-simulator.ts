/**
 * A professional market maker for the local stack. It holds its own key (kept in the stack's data
 * folder: a PMM's key, not an operator's), has MAKER_ROLE on the Issuer (granted by the deploy),
 * holds inventory of every underlying token and of the cash token (minted from the local faucets)
 * approved to the Issuer, and:
 * - answers RFQs (POST /rfq) by pricing the legs at its reference prices, plus the spread on a mint
 *   and minus it on a redeem, and signing the completed EIP-712 quote order; POST /rfq/batch takes
 *   up to MAX_RFQ_BATCH of them at once (`{rfqs: [...]}`, answered `{answers: [{status, body}]}`);
 * - fills mint and redeem requests of orders it signed (the request/fill path) when it sees
 *   MintRequested / RedeemRequested on chain;
 * - answers rebalance RFQs (POST /rfq/rebalance): takes the sell legs as asked, delivers the buy
 *   legs scaled so their value at its prices is the sold value less the spread (never more than
 *   asked), and signs the RebalanceOrder for the Rebalancer (it holds MAKER_ROLE there too, and
 *   its inventory is approved to the Rebalancer), or for the AttestedRebalancer when the draft names
 *   it (an index on custodian assets), whose rebalance its attested desk then accepts and delivers;
 * - bids for fee baskets (POST /rfq/fee-sale): pays their value at its prices less the spread, in
 *   the cash token, and signs the FeeSaleOrder (its cash is approved to the Rebalancer).
 * It runs as a sibling process of the stack (`startPmmProcess`) so its signing does not share a
 * core with the API, or in-process for tests (`startPmmSimulator`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { Contract, Interface, JsonRpcProvider, Network, NonceManager, Wallet } from 'ethers';
import { sign, signMany, warmUp } from '../../lambdas/domain/crypto/secp256k1';
import { keccakReady } from '../../lambdas/domain/crypto/keccak';
import { z } from 'zod';
import { issuerDomain, type QuoteOrder } from '../../lambdas/domain/orders';
import { QuoteOrderHasher } from '../../lambdas/domain/quotes/order-hash';
import { usdToCash, valueLegs, type AssetInfo } from '../../lambdas/domain/quotes/nav';
import { fixedPrices, type ReferencePriceSource } from '../../lambdas/quotes/prices';
import { replayPrices } from './market-prices';
import { listen, StackError } from './net';
import { stopChild } from './dynamodb';
import { MAX_RFQ_BATCH } from '../../lambdas/domain/quotes/rfq';
import { toFixedPoint } from '../../lambdas/domain/quotes/amounts';
import { hashFeeSaleOrder, hashRebalanceOrder, rebalancerDomain, type FeeSaleOrder, type RebalanceOrder } from '../../lambdas/domain/rebalance-orders';
import { addressSchema, checksum } from '../../lambdas/domain/address';
import { ISSUER_ABI, TEST_TOKEN_ABI } from '../../lambdas/shared/abi';
import { startAttestedDesk, type AttestedDesk } from './pmm-attested';

export interface PmmDeployment {
  chainId: number;
  contracts: Record<string, string>;
  tokens: Record<string, { address: string; decimals: number }>;
  custodianAssets?: Record<string, { chain: string; assetId: string; address: string; decimals: number }>;
}

export interface PmmSimulatorOptions {
  privateKey: string;
  rpcUrl: string;
  deployment: PmmDeployment;
  /** Added to the NAV on a mint, taken off on a redeem (default 10 bps). */
  spreadBps?: number;
  /** Prices: a fixed map, or the market replay on `priceDate` (default the latest date). */
  prices?: { fixed: Record<string, number> } | { priceDate?: string; maxCarryDays?: number };
  /** Port on 127.0.0.1; 0 picks a free one (default). */
  port?: number;
  /** Fill mint/redeem requests of its own orders (default true). */
  fillRequests?: boolean;
  /** Symbol of the cash token (default USDC). */
  cashSymbol?: string;
  /** The native-chain ledger simulators: with an AttestedIssuer deployed, it trades attested indexes there (pmm-attested.ts). */
  ledgersUrl?: string;
  /** Where its attested desk keeps the rebalance orders it signed whose buys it has not yet delivered (pmm-attested.ts). */
  ordersFile?: string;
  log?: (line: string) => void;
}

export interface RunningPmm {
  url: string;
  rfqUrl: string;
  rfqBatchUrl: string;
  address: string;
  /** Its addresses on the native chains, when it trades attested indexes. */
  nativeAddresses?: Readonly<Record<string, string>>;
  stats: { quoted: number; refused: number; filled: number; rejected: number };
  close(): Promise<void>;
}

const wireDraftSchema = z.object({
  requestId: z.string(),
  chainId: z.number().int(),
  issuer: addressSchema,
  order: z.object({
    index: addressSchema,
    side: z.union([z.literal(0), z.literal(1)]),
    indexAmount: z.string().regex(/^\d{1,78}$/),
    assets: z.array(addressSchema).min(1).max(32),
    amounts: z.array(z.string().regex(/^\d{1,78}$/)).min(1).max(32),
    cashToken: addressSchema,
    maker: addressSchema,
    requester: addressSchema,
    deadline: z.string().regex(/^\d{1,20}$/),
  }),
  referenceCashAmount: z.string().optional(),
});

/** A batch of RFQs; each draft is checked on its own, so one bad draft spoils only its own answer. */
const rfqBatchSchema = z.object({ rfqs: z.array(z.unknown()).min(1).max(MAX_RFQ_BATCH) });
type Answer = { status: number; body: unknown };
/** Largest draft; a batch may carry MAX_RFQ_BATCH of them. */
const MAX_DRAFT_BYTES = 64 * 1024;
const NOT_JSON = Symbol('not JSON');

const uintString = z.string().regex(/^\d{1,78}$/);
/** A rebalance draft: the legs the saga wants, without maker, nonce or price. */
const rebalanceDraftSchema = z.object({
  requestId: z.string(),
  chainId: z.number().int(),
  rebalancer: addressSchema,
  order: z.object({
    index: addressSchema,
    sellAssets: z.array(addressSchema).max(64),
    sellAmounts: z.array(uintString).max(64),
    buyAssets: z.array(addressSchema).max(64),
    buyAmounts: z.array(uintString).max(64),
    deadline: uintString,
  }),
});

/** A fee-sale draft: the fee assets offered and the cash token, without maker, nonce or cash amount. */
const feeSaleDraftSchema = z.object({
  requestId: z.string(),
  chainId: z.number().int(),
  rebalancer: addressSchema,
  order: z.object({
    index: addressSchema,
    assets: z.array(addressSchema).min(1).max(128),
    amounts: z.array(uintString).min(1).max(128),
    cashToken: addressSchema,
    deadline: uintString,
  }),
});

const attestedRfqSchema = z.object({ index: addressSchema, side: z.enum(['mint', 'redeem']), indexAmount: uintString });

const ISSUER_INTERFACE = new Interface(ISSUER_ABI);
const MAX_UINT256 = (1n << 256n) - 1n;

/** The PMM's key, created once in `path` and reused on every start. */
export function loadOrCreatePmmKey(path: string): Wallet {
  if (existsSync(path)) {
    const { privateKey } = JSON.parse(readFileSync(path, 'utf8')) as { privateKey: string };
    return new Wallet(privateKey);
  }
  const wallet = Wallet.createRandom();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ address: wallet.address, privateKey: wallet.privateKey, note: 'local PMM simulator key (never an operator key)' }, null, 2)}\n`, { mode: 0o600 });
  return new Wallet(wallet.privateKey);
}

/**
 * Local chains only: mints the PMM `wholeTokens` of every token of the deployment (underlying and
 * cash; TestToken.mint is an open faucet) and approves the Issuer for all of them.
 */
export async function preparePmmInventory(options: { privateKey: string; rpcUrl: string; deployment: PmmDeployment; wholeTokens?: bigint }): Promise<void> {
  const provider = new JsonRpcProvider(options.rpcUrl, Network.from(options.deployment.chainId), { staticNetwork: true });
  try {
    const signer = new NonceManager(new Wallet(options.privateKey, provider));
    const address = await signer.getAddress();
    const issuer = options.deployment.contracts.issuer;
    const rebalancer = options.deployment.contracts.rebalancer;
    const whole = options.wholeTokens ?? 1_000_000_000n;
    const sent = [];
    for (const token of Object.values(options.deployment.tokens)) {
      const contract = new Contract(token.address, TEST_TOKEN_ABI, signer);
      const target = whole * 10n ** BigInt(token.decimals);
      const balance = (await contract.balanceOf(address)) as bigint;
      if (balance < target / 2n) sent.push(await contract.mint(address, target - balance));
      if (((await contract.allowance(address, issuer)) as bigint) < MAX_UINT256 / 2n) sent.push(await contract.approve(issuer, MAX_UINT256));
      // Attested indexes: on-chain legs move maker -> custody, and redeem cash maker -> escrow, through the AttestedIssuer.
      const attested = options.deployment.contracts.attestedIssuer;
      if (attested && ((await contract.allowance(address, attested)) as bigint) < MAX_UINT256 / 2n) sent.push(await contract.approve(attested, MAX_UINT256));
      // Rebalance buy legs move maker -> custody through the Rebalancer, or into the AttestedRebalancer's escrow on acceptance.
      for (const spender of [rebalancer, options.deployment.contracts.attestedRebalancer]) {
        if (spender && ((await contract.allowance(address, spender)) as bigint) < MAX_UINT256 / 2n) sent.push(await contract.approve(spender, MAX_UINT256));
      }
    }
    await Promise.all(sent.map((tx) => tx.wait()));
  } finally {
    provider.destroy();
  }
}

/** Runs the simulator in this process. */
export async function startPmmSimulator(options: PmmSimulatorOptions): Promise<RunningPmm> {
  const log = options.log ?? (() => undefined);
  const { deployment } = options;
  const issuer = checksum(deployment.contracts.issuer);
  const address = new Wallet(options.privateKey).address;
  const hasher = new QuoteOrderHasher(issuerDomain(deployment.chainId, issuer));
  const spread = BigInt(options.spreadBps ?? 10);
  const cashSymbol = options.cashSymbol ?? 'USDC';
  const byAddress = new Map<string, AssetInfo>();
  for (const [symbol, token] of [...Object.entries(deployment.tokens), ...Object.entries(deployment.custodianAssets ?? {})]) {
    byAddress.set(checksum(token.address), { symbol, address: checksum(token.address), decimals: token.decimals });
  }
  const symbols = [...new Set([...byAddress.values()].map((a) => a.symbol))];
  const prices: ReferencePriceSource =
    options.prices && 'fixed' in options.prices
      ? fixedPrices(options.prices.fixed, new Date().toISOString().slice(0, 10))
      : replayPrices({ symbols, date: options.prices?.priceDate, maxCarryDays: options.prices?.maxCarryDays });
  const cash = byAddress.get(checksum(deployment.tokens[cashSymbol].address))!;
  warmUp();
  await keccakReady; // order hashes
  const signed = new Map<string, QuoteOrder>();
  const stats = { quoted: 0, refused: 0, filled: 0, rejected: 0 };

  const quote = (body: unknown): Answer => quoteAll([body])[0];
  const quoteBatch = (body: unknown): Answer => {
    const parsed = rfqBatchSchema.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: `a batch is {rfqs: [...]} with 1 to ${MAX_RFQ_BATCH} drafts` } };
    return { status: 200, body: { answers: quoteAll(parsed.data.rfqs) } };
  };
  /** Prices every draft, then signs the priced orders in one pass (`signMany`). */
  const quoteAll = (bodies: unknown[]): Answer[] => {
    const priced = bodies.map(price);
    const orders = priced.flatMap((p) => ('order' in p ? [p] : []));
    const signatures = signMany(options.privateKey, orders.map((p) => p.digest));
    let next = 0;
    return priced.map((p) => {
      if (!('order' in p)) {
        stats.refused++;
        return p;
      }
      const { order, digest } = p;
      signed.set(digest, order);
      if (signed.size > 50_000) signed.delete(signed.keys().next().value as string);
      stats.quoted++;
      return { status: 200, body: { cashAmount: order.cashAmount.toString(), nonce: order.nonce.toString(), signature: signatures[next++], maker: address } };
    });
  };
  /** The completed order and its EIP-712 digest, or the refusal. */
  const price = (body: unknown): Answer | { order: QuoteOrder; digest: string } => {
    const parsed = wireDraftSchema.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: 'malformed draft', issues: parsed.error.issues.slice(0, 5) } };
    const draft = parsed.data;
    if (draft.chainId !== deployment.chainId || checksum(draft.issuer) !== issuer) return { status: 400, body: { error: 'wrong chain or issuer' } };
    if (checksum(draft.order.maker) !== address) return { status: 400, body: { error: `this PMM signs as ${address}` } };
    if (checksum(draft.order.cashToken) !== cash.address) return { status: 400, body: { error: 'unsupported cash token' } };
    if (draft.order.assets.length !== draft.order.amounts.length) return { status: 400, body: { error: 'legs differ in length' } };
    let value: bigint;
    try {
      const legs = { assets: draft.order.assets, amounts: draft.order.amounts.map(BigInt) };
      const info = (a: string) => {
        const found = byAddress.get(checksum(a));
        if (!found) throw new Error(`unknown asset ${a}`);
        return found;
      };
      value = usdToCash(valueLegs(legs, info, (s) => prices.priceOf(s)).totalUsd, cash, prices.priceOf(cash.symbol)!);
    } catch (error) {
      return { status: 422, body: { error: `cannot price: ${(error as Error).message}` } };
    }
    const mint = draft.order.side === 0;
    // Mint: the PMM sells the basket, so it asks more; redeem: it buys, so it bids less. Rounded in its favour.
    const cashAmount = mint ? (value * (10_000n + spread) + 9_999n) / 10_000n : (value * (10_000n - spread)) / 10_000n;
    const order: QuoteOrder = {
      index: checksum(draft.order.index),
      side: draft.order.side,
      indexAmount: BigInt(draft.order.indexAmount),
      assets: draft.order.assets.map((a) => checksum(a)),
      amounts: draft.order.amounts.map(BigInt),
      cashToken: cash.address,
      cashAmount,
      maker: address,
      requester: checksum(draft.order.requester),
      deadline: BigInt(draft.order.deadline),
      nonce: BigInt(`0x${randomBytes(32).toString('hex')}`),
    };
    return { order, digest: hasher.hash(order) };
  };

  const rebalancerAddress = deployment.contracts.rebalancer ? checksum(deployment.contracts.rebalancer) : undefined;
  const attestedRebalancerAddress = deployment.contracts.attestedRebalancer ? checksum(deployment.contracts.attestedRebalancer) : undefined;
  const quoteRebalance = (body: unknown): Answer => {
    const parsed = rebalanceDraftSchema.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: 'malformed rebalance draft', issues: parsed.error.issues.slice(0, 5) } };
    const draft = parsed.data;
    const verifier = checksum(draft.rebalancer);
    const attested = verifier === attestedRebalancerAddress;
    if (!rebalancerAddress || draft.chainId !== deployment.chainId || (verifier !== rebalancerAddress && !attested)) {
      return { status: 400, body: { error: 'wrong chain or rebalancer' } };
    }
    // Custodian legs are delivered and received on their native chains by the attested desk.
    if (attested && !desk) return { status: 422, body: { error: 'this PMM trades no custodian asset' } };
    const o = draft.order;
    if (o.sellAssets.length !== o.sellAmounts.length || o.buyAssets.length !== o.buyAmounts.length) return { status: 400, body: { error: 'legs differ in length' } };
    let sold = 0n;
    let asked = 0n;
    try {
      const value = (asset: string, amount: bigint): bigint => {
        const info = byAddress.get(checksum(asset));
        if (!info) throw new Error(`unknown asset ${asset}`);
        const price = prices.priceOf(info.symbol);
        if (!price) throw new Error(`no price for ${info.symbol}`);
        return (amount * toFixedPoint(price.priceUsd)) / 10n ** BigInt(info.decimals);
      };
      o.sellAssets.forEach((a, i) => (sold += value(a, BigInt(o.sellAmounts[i]))));
      o.buyAssets.forEach((a, i) => (asked += value(a, BigInt(o.buyAmounts[i]))));
    } catch (error) {
      return { status: 422, body: { error: `cannot price: ${(error as Error).message}` } };
    }
    if (sold === 0n || asked === 0n) return { status: 422, body: { error: 'nothing to trade' } };
    // It pays for what it takes, less its spread, and never delivers more than was asked.
    const worth = (sold * (10_000n - spread)) / 10_000n;
    const scale = (amount: bigint) => (worth >= asked ? amount : (amount * worth) / asked);
    const order: RebalanceOrder = {
      index: checksum(o.index),
      sellAssets: o.sellAssets.map((a) => checksum(a)),
      sellAmounts: o.sellAmounts.map(BigInt),
      buyAssets: o.buyAssets.map((a) => checksum(a)),
      buyAmounts: o.buyAmounts.map((a) => scale(BigInt(a))),
      maker: address,
      deadline: BigInt(o.deadline),
      nonce: BigInt(`0x${randomBytes(32).toString('hex')}`),
    };
    if (order.buyAmounts.some((a) => a === 0n)) return { status: 422, body: { error: 'a buy leg rounds to zero' } };
    const orderHash = hashRebalanceOrder(rebalancerDomain(deployment.chainId, verifier), order);
    const signature = sign(options.privateKey, orderHash);
    if (attested) desk!.signedRebalance(orderHash, order);
    log(`pmm: signed ${attested ? 'attested ' : ''}rebalance order ${draft.requestId} (${order.sellAssets.length} sells, ${order.buyAssets.length} buys)`);
    return {
      status: 200,
      body: { maker: address, nonce: order.nonce.toString(), buyAmounts: order.buyAmounts.map(String), signature },
    };
  };

  const quoteFeeSale = (body: unknown): Answer => {
    const parsed = feeSaleDraftSchema.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: 'malformed fee-sale draft', issues: parsed.error.issues.slice(0, 5) } };
    const draft = parsed.data;
    if (!rebalancerAddress || draft.chainId !== deployment.chainId || checksum(draft.rebalancer) !== rebalancerAddress) {
      return { status: 400, body: { error: 'wrong chain or rebalancer' } };
    }
    const o = draft.order;
    if (o.assets.length !== o.amounts.length) return { status: 400, body: { error: 'legs differ in length' } };
    if (checksum(o.cashToken) !== cash.address) return { status: 422, body: { error: `pays only in ${cash.symbol}` } };
    let cashAmount: bigint;
    try {
      const legs = { assets: o.assets.map((a) => checksum(a)), amounts: o.amounts.map(BigInt) };
      const info = (a: string) => {
        const found = byAddress.get(checksum(a));
        if (!found) throw new Error(`unknown asset ${a}`);
        return found;
      };
      const value = usdToCash(valueLegs(legs, info, (s) => prices.priceOf(s)).totalUsd, cash, prices.priceOf(cash.symbol)!);
      // It buys, so it bids less: the value less its spread, rounded in its favour.
      cashAmount = (value * (10_000n - spread)) / 10_000n;
    } catch (error) {
      return { status: 422, body: { error: `cannot price: ${(error as Error).message}` } };
    }
    if (cashAmount === 0n) return { status: 422, body: { error: 'the fee assets are worth nothing in cash' } };
    const order: FeeSaleOrder = {
      index: checksum(o.index),
      assets: o.assets.map((a) => checksum(a)),
      amounts: o.amounts.map(BigInt),
      cashToken: cash.address,
      cashAmount,
      maker: address,
      deadline: BigInt(o.deadline),
      nonce: BigInt(`0x${randomBytes(32).toString('hex')}`),
    };
    const signature = sign(options.privateKey, hashFeeSaleOrder(rebalancerDomain(deployment.chainId, rebalancerAddress), order));
    log(`pmm: signed fee-sale bid ${draft.requestId} (${order.assets.length} assets for ${cashAmount})`);
    return { status: 200, body: { maker: address, nonce: order.nonce.toString(), cashAmount: cashAmount.toString(), signature } };
  };

  let desk: AttestedDesk | undefined;
  /** POST /rfq/attested {index, side, indexAmount}: the cash it asks (mint) or bids (redeem) for an attested index. */
  const quoteAttested = async (body: unknown): Promise<Answer> => {
    const parsed = attestedRfqSchema.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: 'malformed attested RFQ', issues: parsed.error.issues.slice(0, 5) } };
    if (!desk) return { status: 404, body: { error: 'this PMM trades no attested index' } };
    try {
      const cashAmount = await desk.quote(checksum(parsed.data.index), parsed.data.side, BigInt(parsed.data.indexAmount));
      return { status: 200, body: { cashAmount: cashAmount.toString(), maker: address } };
    } catch (error) {
      return { status: 422, body: { error: `cannot price: ${(error as Error).message}` } };
    }
  };

  const routes = new Map<string, (body: unknown) => Answer | Promise<Answer>>([
    ['/rfq/attested', quoteAttested],
    ['/rfq', quote],
    ['/rfq/batch', quoteBatch],
    ['/rfq/rebalance', quoteRebalance],
    ['/rfq/fee-sale', quoteFeeSale],
  ]);
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const limit = request.url === '/rfq/batch' ? MAX_DRAFT_BYTES * MAX_RFQ_BATCH : MAX_DRAFT_BYTES;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => void respond());
    const respond = async (): Promise<void> => {
      let answer: Answer;
      const route = request.method === 'POST' ? routes.get(request.url ?? '') : undefined;
      if (request.method === 'GET' && request.url === '/health') answer = { status: 200, body: { ok: true, address, stats } };
      else if (!route) answer = { status: 404, body: { error: 'not found' } };
      else if (size > limit) answer = { status: 413, body: { error: 'too large' } };
      else {
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        } catch {
          json = NOT_JSON;
        }
        answer = json === NOT_JSON ? { status: 400, body: { error: 'not JSON' } } : await route(json);
      }
      // RFQs count themselves (a batch holds several); anything else counts here.
      if (route !== quote && route !== quoteBatch) {
        if (answer.status === 200) stats.quoted++;
        else stats.refused++;
      }
      const text = JSON.stringify(answer.body);
      response.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    };
  });
  server.keepAliveTimeout = 65_000;
  await listen(server, options.port ?? 0, 'PMM simulator');
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;

  let watcher: NodeJS.Timeout | undefined;
  let provider: JsonRpcProvider | undefined;
  if (options.fillRequests !== false) {
    provider = new JsonRpcProvider(options.rpcUrl, Network.from(deployment.chainId), { staticNetwork: true, cacheTimeout: -1 });
    const signer = new NonceManager(new Wallet(options.privateKey, provider));
    const issuerContract = new Contract(issuer, ISSUER_ABI, signer);
    let fromBlock = await provider.getBlockNumber();
    let busy = false;
    const topics = [[ISSUER_INTERFACE.getEvent('MintRequested')!.topicHash, ISSUER_INTERFACE.getEvent('RedeemRequested')!.topicHash]];
    if (deployment.contracts.attestedIssuer && deployment.contracts.custodyRegistry && options.ledgersUrl) {
      desk = await startAttestedDesk({
        signer,
        provider,
        attestedIssuer: deployment.contracts.attestedIssuer,
        attestedRebalancer: deployment.contracts.attestedRebalancer,
        custodyRegistry: deployment.contracts.custodyRegistry,
        custodianAssets: deployment.custodianAssets ?? {},
        assetInfo: (a) => {
          const found = byAddress.get(checksum(a));
          if (!found) throw new Error(`unknown asset ${a}`);
          return found;
        },
        prices,
        cash,
        spreadBps: spread,
        ledgersUrl: options.ledgersUrl,
        ordersFile: options.ordersFile,
        log,
      });
    }
    watcher = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        if (desk) await desk.poll().catch((error: unknown) => log(`pmm: attested desk: ${(error as Error).message}`));
        const head = await provider!.getBlockNumber();
        if (head < fromBlock) return;
        const logs = await provider!.getLogs({ address: issuer, topics, fromBlock, toBlock: head });
        fromBlock = head + 1;
        for (const entry of logs) {
          const event = ISSUER_INTERFACE.parseLog(entry);
          const order = event ? signed.get(event.args.orderHash as string) : undefined;
          if (!event || !order) continue;
          const isMint = event.name === 'MintRequested';
          try {
            const tx = isMint ? await issuerContract.fillMint(order) : await issuerContract.fillRedeem(order);
            await tx.wait();
            stats.filled++;
            log(`pmm: filled ${isMint ? 'mint' : 'redeem'} request ${event.args.orderHash as string}`);
          } catch (error) {
            signer.reset();
            log(`pmm: could not fill ${event.args.orderHash as string}: ${(error as Error).message}`);
            // A request the PMM will not fill is rejected, so the WLP's escrow comes back now rather than at expiry.
            try {
              await (await (isMint ? issuerContract.rejectMint(order) : issuerContract.rejectRedeem(order))).wait();
              stats.rejected++;
              log(`pmm: rejected ${isMint ? 'mint' : 'redeem'} request ${event.args.orderHash as string}`);
            } catch (rejectError) {
              signer.reset();
              log(`pmm: could not reject ${event.args.orderHash as string}: ${(rejectError as Error).message}`);
            }
          }
        }
      })()
        .catch((error: unknown) => log(`pmm: watching requests failed: ${(error as Error).message}`))
        .finally(() => {
          busy = false;
        });
    }, 500);
  }

  return {
    url,
    rfqUrl: `${url}/rfq`,
    rfqBatchUrl: `${url}/rfq/batch`,
    address,
    ...(desk ? { nativeAddresses: desk.nativeAddresses } : {}),
    stats,
    close: async () => {
      if (watcher) clearInterval(watcher);
      provider?.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export interface PmmProcess extends Pick<RunningPmm, 'url' | 'rfqUrl' | 'rfqBatchUrl' | 'address' | 'nativeAddresses'> {
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Runs the simulator as a child process (its own core for signing); resolves once it listens. */
export async function startPmmProcess(options: Omit<PmmSimulatorOptions, 'log'>, log: (line: string) => void): Promise<PmmProcess> {
  // SSI_PMM_CPU_PROF_DIR=<dir>: a V8 CPU profile of the simulator, written there when it stops (see bench:quotes).
  const profile = process.env.SSI_PMM_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.SSI_PMM_CPU_PROF_DIR] : [];
  const child = spawn(process.execPath, [...profile, '--require', require.resolve('tsx/cjs'), resolve(__dirname, 'pmm-simulator.ts')], {
    env: { ...process.env, SSI_PMM_SIMULATOR: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise<PmmProcess>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new StackError(`the PMM simulator did not start within 60 s:\n${output.slice(-2000)}`));
    }, 60_000);
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    let buffered = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.startsWith('{"ready"')) {
          clearTimeout(timer);
          const ready = JSON.parse(line) as Pick<RunningPmm, 'url' | 'rfqUrl' | 'rfqBatchUrl' | 'address' | 'nativeAddresses'>;
          done({ ...ready, process: child, stop: () => stopChild(child) });
        } else if (line.trim()) {
          log(line);
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new StackError(`the PMM simulator exited while starting (${code ?? signal}):\n${output.slice(-2000)}`));
    });
  });
}

if (require.main === module) {
  const options = JSON.parse(process.env.SSI_PMM_SIMULATOR ?? '{}') as PmmSimulatorOptions;
  startPmmSimulator({ ...options, log: (line) => process.stdout.write(`${line}\n`) })
    .then((pmm) => {
      process.stdout.write(`${JSON.stringify({ ready: true, url: pmm.url, rfqUrl: pmm.rfqUrl, rfqBatchUrl: pmm.rfqBatchUrl, address: pmm.address, nativeAddresses: pmm.nativeAddresses })}\n`);
      const stop = () => void pmm.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    })
    .catch((error: unknown) => {
      process.stderr.write(`pmm simulator: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    });
}
