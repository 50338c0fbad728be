/**
 * WLP commands: `ssi quote`, `ssi mint`, `ssi redeem`, `ssi status`, `ssi cancel`. They talk to the quote API
 * (URL and API key from flags, SSI_API_URL / SSI_API_KEY, or the local stack's stack.json) and to
 * the chain (RPC from --rpc / SSI_RPC_URL or the stack; the WLP key from --key / SSI_WLP_KEY or
 * the local stack's WLP).
 */
import type { Command } from 'commander';
import { Contract, Interface, JsonRpcProvider, Network, Wallet, formatUnits, getAddress, isError, type Result, type TransactionReceipt } from 'ethers';
import { CliError, progress, report, type OutputOptions } from '../output';
import { readStackFile } from './stack';
import type { StackFile } from '../../infra/local/stack';
import { ERC20_ABI, ERC20_ERRORS_ABI, ISSUER_ABI as ISSUER_CONTRACT_ABI, withErrorsOf } from '../../lambdas/shared/abi';
import { attestedFromApi, attestedIndex, attestedQuote, attestedQuoteLines, attestedView, parseAttestedAnswer, attestedRequestLines, attestedRequests, pmmUrl, submitAttested, type AttestedRequestView, type ProtocolCustody } from './attested';

export interface ConnectionOptions extends OutputOptions {
  data?: string;
  api?: string;
  apiKey?: string;
  rpc?: string;
  key?: string;
}

interface QuoteAnswer {
  id: string;
  side: 'mint' | 'redeem';
  index: { symbol: string; address: string };
  indexAmount: string;
  cashToken: { symbol: string; address: string; decimals: number };
  cashAmount: string;
  fee: { bps: number; amount: string };
  total: { amount: string; meaning: string };
  nav: { perTokenUsd: string; orderUsd: string; referenceCashAmount: string };
  priceVsNavBps: number;
  legs: Array<{ symbol: string; amount: string; valueUsd: string; price: { priceUsd: number; source: string; ageDays: number } }>;
  pmm: { name: string; maker: string };
  deadline: number;
  expiresAt: string;
  order: Record<string, unknown> & { amounts: string[]; assets: string[] };
  signature: string;
  submit: { chainId: number; issuer: string; maxFeeBps: number; approve: { token: string; amount: string } | null };
}

/** The Issuer as a WLP uses it, with the ERC-20 errors its token pulls can revert with, so every refusal decodes by name. */
export const ISSUER_ABI = withErrorsOf(ISSUER_CONTRACT_ABI, ERC20_ERRORS_ABI);
const issuerInterface = new Interface(ISSUER_ABI);

/** Where the API, its key, the chain and the WLP key come from. */
interface Connection {
  api: string;
  apiKey?: string;
  rpc?: string;
  key?: string;
  stack?: StackFile;
}

export function connection(options: ConnectionOptions): Connection {
  let stack: StackFile | undefined;
  const api = options.api ?? process.env.SSI_API_URL;
  const needStack = !api || !(options.apiKey ?? process.env.SSI_API_KEY) || !(options.rpc ?? process.env.SSI_RPC_URL) || !(options.key ?? process.env.SSI_WLP_KEY);
  if (needStack) {
    try {
      stack = readStackFile(options.data);
    } catch (error) {
      if (!api) throw new CliError(`${(error as Error).message}; or pass --api (and --api-key, --rpc, --key)`);
    }
  }
  return {
    api: (api ?? stack!.api).replace(/\/$/, ''),
    apiKey: options.apiKey ?? process.env.SSI_API_KEY ?? stack?.wlp?.apiKey,
    rpc: options.rpc ?? process.env.SSI_RPC_URL ?? stack?.rpc,
    key: options.key ?? process.env.SSI_WLP_KEY ?? stack?.wlp?.privateKey,
    stack,
  };
}

export async function callApi<T>(conn: Connection, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${conn.api}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(conn.apiKey ? { 'x-api-key': conn.apiKey } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CliError(`the quote API at ${conn.api} is not answering (${(error as Error).message})`);
  }
  const text = await response.text();
  let json: { message?: string; error?: string } & Record<string, unknown>;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new CliError(`the quote API answered HTTP ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    const retry = response.headers.get('retry-after');
    const hint = response.status === 401 || response.status === 403 ? ' (check the API key: --api-key or SSI_API_KEY)' : retry ? ` (retry after ${retry} s)` : '';
    throw new CliError(`the quote API refused: HTTP ${response.status} ${json.error ?? ''} ${json.message ?? ''}${hint}`.replace(/\s+/g, ' ').trim(), json);
  }
  return json as T;
}

interface QuoteOptions extends ConnectionOptions {
  index: string;
  /** A PMM to ask directly for an attested index, instead of the quote API. */
  pmm?: string;
  side?: string;
  amount?: string;
  cash?: string;
}

function quoteBody(options: QuoteOptions, side: 'mint' | 'redeem') {
  if ((options.amount === undefined) === (options.cash === undefined)) throw new CliError('give exactly one of --amount (index tokens) or --cash (cash amount)');
  return { index: options.index, side, ...(options.amount !== undefined ? { amount: options.amount } : { cashAmount: options.cash }) };
}

function quoteLines(q: QuoteAnswer): string[] {
  const cash = q.cashToken.symbol;
  const pay = q.side === 'mint' ? `you pay ${q.total.amount} ${cash} (price ${q.cashAmount} + fee ${q.fee.amount}, ${q.fee.bps} bps)` : `you receive ${q.total.amount} ${cash} (price ${q.cashAmount} - fee ${q.fee.amount}, ${q.fee.bps} bps)`;
  return [
    `${q.side} ${q.indexAmount} ${q.index.symbol}: ${pay}`,
    `  NAV ${q.nav.perTokenUsd} USD per token; basket worth ${q.nav.referenceCashAmount} ${cash}; price vs NAV ${q.priceVsNavBps >= 0 ? '+' : ''}${q.priceVsNavBps} bps`,
    `  PMM ${q.pmm.name} (${q.pmm.maker}); valid until ${q.expiresAt}`,
    `  quote id ${q.id}`,
    '  legs:',
    ...q.legs.map((l) => `    ${l.symbol.padEnd(6)} ${l.amount.padStart(22)}  ${l.valueUsd.padStart(14)} USD  @ ${l.price.priceUsd} (${l.price.source}${l.price.ageDays ? `, ${l.price.ageDays} days old` : ''})`),
  ];
}

export function chain(conn: Connection): { provider: JsonRpcProvider; wallet: Wallet } {
  if (!conn.rpc) throw new CliError('no chain RPC: pass --rpc or set SSI_RPC_URL (or start the local stack)');
  if (!conn.key) throw new CliError('no WLP key: pass --key or set SSI_WLP_KEY (or start the local stack)');
  const chainId = conn.stack?.chainId;
  const provider = new JsonRpcProvider(conn.rpc, chainId ? Network.from(chainId) : undefined, { staticNetwork: chainId !== undefined, cacheTimeout: -1 });
  let wallet: Wallet;
  try {
    wallet = new Wallet(conn.key, provider);
  } catch {
    throw new CliError('the WLP key is not a valid private key (0x + 64 hex)');
  }
  return { provider, wallet };
}

/** A revert as the contract's custom error, e.g. FeeAboveMax(10, 5). */
function explain(error: unknown): string {
  return explainRevert(error, issuerInterface);
}

/** A revert as one of `contract`'s custom errors, else the revert reason or the error's first line. */
export function explainRevert(error: unknown, contract: Interface): string {
  const data = (error as { data?: string; info?: { error?: { data?: string } } }).data ?? (error as { info?: { error?: { data?: string } } }).info?.error?.data;
  if (typeof data === 'string' && data.length >= 10) {
    try {
      const parsed = contract.parseError(data);
      if (parsed) return `${parsed.name}(${parsed.args.map(String).join(', ')})`;
    } catch {
      // not one of ours: fall through to the message
    }
  }
  if (isError(error, 'CALL_EXCEPTION') && error.reason) return error.reason;
  return (error as Error).message.split('\n')[0];
}

async function balances(provider: JsonRpcProvider, address: string, tokens: Array<{ symbol: string; address: string; decimals: number }>) {
  const out: Record<string, string> = {};
  await Promise.all(
    tokens.map(async (t) => {
      out[t.symbol] = formatUnits((await new Contract(t.address, ERC20_ABI, provider).balanceOf(address)) as bigint, t.decimals);
    }),
  );
  return out;
}

const orderArgs = (q: QuoteAnswer) => ({ ...q.order, side: Number(q.order.side) });

async function settle(side: 'mint' | 'redeem', options: QuoteOptions & { maxFeeBps?: string; maxPriceBps?: string }): Promise<void> {
  const conn = connection(options);
  const { provider, wallet } = chain(conn);
  try {
    const attested = await attestedIndex(await callApi<ProtocolCustody>(conn, 'GET', '/v1/protocol'), provider, options.index);
    if (attested) {
      let quote: Awaited<ReturnType<typeof attestedQuote>>;
      if (options.pmm !== undefined) {
        if (options.amount === undefined || options.cash !== undefined) throw new CliError('a PMM asked directly (--pmm) quotes an attested index by --amount (index tokens) only');
        progress(`asking the PMM at ${options.pmm} for an attested ${side} quote`);
        quote = await attestedQuote(attested, pmmUrl(options.pmm), side, options.amount);
      } else {
        progress(`asking ${conn.api} for an attested ${side} quote`);
        const answer = await callApi<{ priceVsNavBps?: number }>(conn, 'POST', '/v1/quotes', { ...quoteBody(options, side), wlp: wallet.address });
        quote = attestedFromApi(attested, side, answer);
        if (options.maxPriceBps !== undefined && Math.abs(answer.priceVsNavBps!) > Number(options.maxPriceBps)) {
          throw new CliError(`the price is ${answer.priceVsNavBps} bps from NAV, beyond --max-price-bps ${options.maxPriceBps}`);
        }
      }
      const submitted = await submitAttested(attested, wallet, quote, explainRevert);
      const { units: _units, ...shown } = quote;
      report(options, { ok: true, side, status: 'pending', quote: shown, ...submitted }, () => [
        `requested ${side} of ${quote.indexAmount} ${quote.index.symbol} for ${quote.cashAmount} ${quote.cashToken.symbol} in block ${submitted.tx.block} (tx ${submitted.tx.hash})`,
        `  request ${submitted.requestId}: the PMM ${side === 'mint' ? 'delivers on the native chains' : 'accepts, the custodian releases'}; the custodian's attestations complete it by ${submitted.deadline}`,
        `  follow it with: ssi status`,
      ]);
      return;
    }
    const maxFeeBps = options.maxFeeBps === undefined ? undefined : Number(options.maxFeeBps);
    if (maxFeeBps !== undefined && (!Number.isInteger(maxFeeBps) || maxFeeBps < 0 || maxFeeBps > 1000)) throw new CliError('--max-fee-bps must be an integer from 0 to 1000');
    const body = { ...quoteBody(options, side), wlp: wallet.address };
    progress(`asking ${conn.api} for a ${side} quote`);
    const quote = await callApi<QuoteAnswer>(conn, 'POST', '/v1/quotes', body);
    if ((quote as { attested?: boolean }).attested) throw new CliError(`the quote API quoted ${options.index} as attested, but the AttestedIssuer does not allow it on this chain`);
    if (maxFeeBps !== undefined && quote.fee.bps > maxFeeBps) throw new CliError(`the ${side} fee is ${quote.fee.bps} bps, above --max-fee-bps ${maxFeeBps}`);
    if (options.maxPriceBps !== undefined && Math.abs(quote.priceVsNavBps) > Number(options.maxPriceBps)) {
      throw new CliError(`the price is ${quote.priceVsNavBps} bps from NAV, beyond --max-price-bps ${options.maxPriceBps}`);
    }
    const network = await provider.getNetwork();
    if (Number(network.chainId) !== quote.submit.chainId) throw new CliError(`the RPC is chain ${network.chainId} but the quote is for chain ${quote.submit.chainId}`);
    const issuer = new Contract(quote.submit.issuer, ISSUER_ABI, wallet);
    const cash = quote.cashToken;
    const tokens = [{ symbol: quote.index.symbol, address: quote.index.address, decimals: 18 }, cash];
    const before = await balances(provider, wallet.address, tokens);
    if (quote.submit.approve) {
      const token = new Contract(quote.submit.approve.token, ERC20_ABI, wallet);
      const needed = BigInt(quote.submit.approve.amount);
      if (((await token.allowance(wallet.address, quote.submit.issuer)) as bigint) < needed) {
        progress(`approving ${formatUnits(needed, cash.decimals)} ${cash.symbol} to the Issuer`);
        await (await token.approve(quote.submit.issuer, needed)).wait();
      }
    }
    progress(`submitting ${side} of ${quote.indexAmount} ${quote.index.symbol} (quote ${quote.id})`);
    let receipt: TransactionReceipt | null;
    try {
      const method = side === 'mint' ? issuer.mint : issuer.redeem;
      const args = [orderArgs(quote), quote.signature, maxFeeBps ?? quote.submit.maxFeeBps] as const;
      await method.staticCall(...args);
      receipt = await (await method(...args)).wait();
    } catch (error) {
      throw new CliError(`the Issuer refused the ${side}: ${explain(error)}`);
    }
    if (!receipt || receipt.status !== 1) throw new CliError(`the ${side} transaction failed`);
    const after = await balances(provider, wallet.address, tokens);
    const settled = receipt.logs.map((l) => issuerInterface.parseLog(l)).find((l) => l?.name === (side === 'mint' ? 'Minted' : 'Redeemed'));
    const result = {
      ok: true,
      side,
      quote: { id: quote.id, indexAmount: quote.indexAmount, cashAmount: quote.cashAmount, fee: quote.fee, total: quote.total, priceVsNavBps: quote.priceVsNavBps, pmm: quote.pmm },
      tx: { hash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed.toString(), orderHash: settled?.args.orderHash as string | undefined },
      wlp: wallet.address,
      legs: quote.legs.map((l, i) => ({ symbol: l.symbol, asset: quote.order.assets[i], amount: l.amount, amountUnits: quote.order.amounts[i] })),
      balances: { before, after },
    };
    report(options, result, () => [
      `${side === 'mint' ? 'minted' : 'redeemed'} ${quote.indexAmount} ${quote.index.symbol} in block ${receipt.blockNumber} (tx ${receipt.hash}, gas ${receipt.gasUsed})`,
      side === 'mint'
        ? `  you paid ${quote.total.amount} ${cash.symbol} (price ${quote.cashAmount} + fee ${quote.fee.amount})`
        : `  you received ${quote.total.amount} ${cash.symbol} (price ${quote.cashAmount} - fee ${quote.fee.amount})`,
      `  balances of ${wallet.address}:`,
      ...tokens.map((t) => `    ${t.symbol.padEnd(10)} ${before[t.symbol]} -> ${after[t.symbol]}`),
    ]);
  } finally {
    provider.destroy();
  }
}

export const withConnection = (command: Command): Command =>
  command
    .option('--data <dir>', 'local stack data folder (default .data/local or $SSI_DATA_DIR)')
    .option('--api <url>', 'quote API base URL (default $SSI_API_URL or the local stack)')
    .option('--api-key <key>', 'WLP API key (default $SSI_API_KEY or the local stack WLP)')
    .option('--json', 'machine-readable output');

export const withChain = (command: Command): Command =>
  command.option('--rpc <url>', 'chain RPC (default $SSI_RPC_URL or the local stack)').option('--key <privateKey>', 'WLP private key (default $SSI_WLP_KEY or the local stack WLP)');

export function registerQuote(program: Command): void {
  withConnection(
    program
      .command('quote')
      .description('ask the quote API for a firm mint or redeem quote and show it')
      .requiredOption('--index <symbol>', 'index symbol, e.g. MAG7.ssi')
      .option('--side <side>', 'mint or redeem', 'mint')
      .option('--amount <tokens>', 'index tokens, e.g. 1.5')
      .option('--cash <amount>', 'cash (USDC) to spend or receive instead of --amount')
      .option('--rpc <url>', 'chain RPC, to tell an attested index with --pmm (default $SSI_RPC_URL or the local stack)')
      .option('--pmm <url>', 'ask this PMM directly for an attested index, instead of the quote API (nothing is recorded)'),
  ).action(async (options: QuoteOptions) => {
    if (options.side !== 'mint' && options.side !== 'redeem') throw new CliError('--side must be mint or redeem');
    const conn = connection(options);
    if (options.pmm !== undefined) {
      if (!conn.rpc) throw new CliError('--pmm quotes an attested index, told from the chain: pass --rpc or set SSI_RPC_URL (or start the local stack)');
      if (options.amount === undefined || options.cash !== undefined) throw new CliError('a PMM asked directly (--pmm) quotes an attested index by --amount (index tokens) only');
      const provider = new JsonRpcProvider(conn.rpc, conn.stack ? Network.from(conn.stack.chainId) : undefined, { staticNetwork: conn.stack !== undefined });
      try {
        const attested = await attestedIndex(await callApi<ProtocolCustody>(conn, 'GET', '/v1/protocol'), provider, options.index);
        if (!attested) throw new CliError(`--pmm asks a PMM for an attested index; ${options.index} is not one: ask the quote API (drop --pmm)`);
        const { units: _units, ...quote } = await attestedQuote(attested, pmmUrl(options.pmm), options.side, options.amount);
        report(options, quote, () => attestedQuoteLines(quote));
        return;
      } finally {
        provider.destroy();
      }
    }
    const answer = await callApi<QuoteAnswer | { attested: true }>(conn, 'POST', '/v1/quotes', quoteBody(options, options.side));
    if ('attested' in answer) {
      const quote = attestedView(parseAttestedAnswer(answer, options.index));
      report(options, quote, () => attestedQuoteLines(quote));
      return;
    }
    report(options, answer, () => quoteLines(answer));
  });
}

export function registerMint(program: Command): void {
  withChain(
    withConnection(
      program
        .command('mint')
        .description('get a mint quote, approve the cash, submit Issuer.mint and show the balances')
        .requiredOption('--index <symbol>', 'index symbol, e.g. MAG7.ssi')
        .option('--amount <tokens>', 'index tokens to mint, e.g. 1')
        .option('--cash <amount>', 'cash (USDC) to spend instead of --amount')
        .option('--max-fee-bps <bps>', 'highest issue fee accepted (default: the fee in the quote)')
        .option('--max-price-bps <bps>', 'refuse a price further than this from NAV')
        .option('--pmm <url>', 'ask this PMM directly for an attested index, instead of the quote API (nothing is recorded)'),
    ),
  ).action((options: QuoteOptions & { maxFeeBps?: string; maxPriceBps?: string }) => settle('mint', options));
}

export function registerRedeem(program: Command): void {
  withChain(
    withConnection(
      program
        .command('redeem')
        .description('get a redeem quote, submit Issuer.redeem and show the balances')
        .requiredOption('--index <symbol>', 'index symbol, e.g. MAG7.ssi')
        .option('--amount <tokens>', 'index tokens to redeem, e.g. 1')
        .option('--cash <amount>', 'cash (USDC) to receive instead of --amount')
        .option('--max-fee-bps <bps>', 'highest redeem fee accepted (default: the fee in the quote)')
        .option('--max-price-bps <bps>', 'refuse a price further than this from NAV')
        .option('--pmm <url>', 'ask this PMM directly for an attested index, instead of the quote API (nothing is recorded)'),
    ),
  ).action((options: QuoteOptions & { maxFeeBps?: string; maxPriceBps?: string }) => settle('redeem', options));
}

interface IndexList {
  chainId: number;
  issuer: string;
  cashToken: { symbol: string; address: string; decimals: number };
  indexes: Array<{ symbol: string; address: string; navUsd: string }>;
}

export function registerStatus(program: Command): void {
  withChain(
    withConnection(program.command('status').description('index token and cash balances of a WLP, and its pending mint/redeem requests'))
      .option('--address <address>', 'whose status (default: the WLP key)')
      .option('--from-block <n>', 'look for requests from this block on (default 0; use a recent block on a long chain)', '0')
      .option('--custodian <url>', "the custodian's API, to show attested legs' native transaction ids (default $SSI_CUSTODIAN_URL or the local stack's ledger simulators)"),
  ).action(async (options: ConnectionOptions & { address?: string; fromBlock: string; custodian?: string }) => {
    const fromBlock = Number(options.fromBlock);
    if (!Number.isInteger(fromBlock) || fromBlock < 0) throw new CliError('--from-block must be a block number');
    const conn = connection(options);
    if (!conn.rpc) throw new CliError('no chain RPC: pass --rpc or set SSI_RPC_URL (or start the local stack)');
    let address: string;
    try {
      address = getAddress(options.address ?? (conn.key ? new Wallet(conn.key).address : ''));
    } catch {
      throw new CliError(options.address ? `${options.address} is not an address` : 'no address: pass --address or a WLP key');
    }
    const list = await callApi<IndexList>(conn, 'GET', '/v1/indexes');
    const provider = new JsonRpcProvider(conn.rpc, Network.from(list.chainId), { staticNetwork: true, cacheTimeout: -1 });
    try {
      const tokens = [...list.indexes.map((i) => ({ symbol: i.symbol, address: i.address, decimals: 18 })), list.cashToken];
      const held = await balances(provider, address, tokens);
      const issuer = new Contract(list.issuer, ISSUER_ABI, provider);
      const logs = await provider.getLogs({
        address: list.issuer,
        topics: [[issuerInterface.getEvent('MintRequested')!.topicHash, issuerInterface.getEvent('RedeemRequested')!.topicHash], null, null, `0x${address.slice(2).toLowerCase().padStart(64, '0')}`],
        fromBlock,
      });
      const chainNow = BigInt((await provider.getBlock('latest'))!.timestamp);
      const pending: Array<{ orderHash: string; side: string; index: string; indexAmount: string; cashAmount: string; expiresAt: string; cancellable: boolean }> = [];
      for (const entry of logs) {
        const event = issuerInterface.parseLog(entry)!;
        const request = (await issuer.getRequest(event.args.orderHash)) as { status: bigint; expiresAt: bigint };
        if (request.status !== 1n) continue;
        const index = list.indexes.find((i) => getAddress(i.address) === getAddress(event.args.index as string));
        pending.push({
          orderHash: event.args.orderHash as string,
          side: event.name === 'MintRequested' ? 'mint' : 'redeem',
          index: index?.symbol ?? (event.args.index as string),
          indexAmount: formatUnits(event.args.indexAmount as bigint, 18),
          cashAmount: formatUnits(event.args.cashAmount as bigint, list.cashToken.decimals),
          expiresAt: new Date(Number(request.expiresAt) * 1000).toISOString(),
          cancellable: chainNow >= request.expiresAt,
        });
      }
      // Attested indexes: their requests on the AttestedIssuer, each custodian leg and its attestation.
      const attestedSymbols: string[] = [];
      const attested: AttestedRequestView[] = [];
      const protocol = await callApi<ProtocolCustody>(conn, 'GET', '/v1/protocol');
      for (const i of list.indexes) {
        const ctx = await attestedIndex(protocol, provider, i.symbol);
        if (!ctx) continue;
        attestedSymbols.push(i.symbol);
        attested.push(...(await attestedRequests(ctx, provider, address, fromBlock, options.custodian ?? process.env.SSI_CUSTODIAN_URL ?? conn.stack?.custody?.ledgersUrl)));
      }
      const result = { address, balances: held, navUsd: Object.fromEntries(list.indexes.map((i) => [i.symbol, i.navUsd])), pending, attested };
      report(options, result, () => [
        `status of ${address}`,
        ...tokens.map((t) => `  ${t.symbol.padEnd(10)} ${held[t.symbol]}${list.indexes.find((i) => i.symbol === t.symbol) ? `   (NAV ${list.indexes.find((i) => i.symbol === t.symbol)!.navUsd} USD)` : ''}`),
        pending.length ? 'pending requests:' : 'no pending requests',
        ...pending.map(
          (p) =>
            `  ${p.side} ${p.indexAmount} ${p.index} for ${p.cashAmount} ${list.cashToken.symbol}, ${p.cancellable ? `expired at ${p.expiresAt}: ssi cancel --order-hash ${p.orderHash}` : `fillable until ${p.expiresAt} (${p.orderHash})`}`,
        ),
        ...(attestedSymbols.length ? attestedRequestLines(attested, list.cashToken.symbol) : []),
      ]);
    } finally {
      provider.destroy();
    }
  });
}

const REQUEST_STATUS = ['none', 'pending', 'filled', 'cancelled', 'rejected'];

export function registerCancel(program: Command): void {
  withChain(
    withConnection(
      program
        .command('cancel')
        .description('cancel a pending mint/redeem request of the WLP once it has expired (its quote deadline or its timeout) and get the escrow back')
        .requiredOption('--order-hash <hash>', 'the request (its order hash, as `ssi status` lists it)')
        .option('--from-block <n>', 'look for the request from this block on (default 0)', '0'),
    ),
  ).action(async (options: ConnectionOptions & { orderHash: string; fromBlock: string }) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(options.orderHash)) throw new CliError('--order-hash must be 0x and 64 hex digits');
    const fromBlock = Number(options.fromBlock);
    if (!Number.isInteger(fromBlock) || fromBlock < 0) throw new CliError('--from-block must be a block number');
    const conn = connection(options);
    const { provider, wallet } = chain(conn);
    try {
      const list = await callApi<IndexList>(conn, 'GET', '/v1/indexes');
      const issuer = new Contract(list.issuer, ISSUER_ABI, wallet);
      const [entry] = await provider.getLogs({
        address: list.issuer,
        topics: [[issuerInterface.getEvent('MintRequested')!.topicHash, issuerInterface.getEvent('RedeemRequested')!.topicHash], options.orderHash.toLowerCase()],
        fromBlock,
      });
      if (!entry) throw new CliError(`no request ${options.orderHash} on the Issuer ${list.issuer}`);
      // The order is not in the event: read it back from the request's own transaction.
      const sent = await provider.getTransaction(entry.transactionHash);
      const call = sent && sent.to && getAddress(sent.to) === getAddress(list.issuer) ? issuerInterface.parseTransaction({ data: sent.data }) : null;
      if (!call || (call.name !== 'requestMint' && call.name !== 'requestRedeem')) {
        throw new CliError(`request ${options.orderHash} was not sent to the Issuer directly, so its order cannot be read back`);
      }
      const side = call.name === 'requestMint' ? 'mint' : 'redeem';
      const request = (await issuer.getRequest(options.orderHash)) as { status: bigint; expiresAt: bigint };
      if (request.status !== 1n) throw new CliError(`request ${options.orderHash} is ${REQUEST_STATUS[Number(request.status)] ?? request.status}, not pending`);
      const chainNow = BigInt((await provider.getBlock('latest'))!.timestamp);
      if (chainNow < request.expiresAt) {
        throw new CliError(`request ${options.orderHash} can be filled until ${new Date(Number(request.expiresAt) * 1000).toISOString()}; cancel it from then on`);
      }
      // A decoded Result is frozen; the contract call needs a plain order.
      const order = (call.args.order as Result).toObject(true);
      const method = side === 'mint' ? issuer.cancelMint : issuer.cancelRedeem;
      progress(`cancelling the ${side} request ${options.orderHash}`);
      let receipt: TransactionReceipt | null;
      try {
        await method.staticCall(order);
        receipt = await (await method(order)).wait();
      } catch (error) {
        throw new CliError(`the Issuer refused the cancel: ${explain(error)}`);
      }
      if (!receipt || receipt.status !== 1) throw new CliError('the cancel transaction failed');
      const cancelled = receipt.logs.map((l) => issuerInterface.parseLog(l)).find((l) => l?.name === (side === 'mint' ? 'MintCancelled' : 'RedeemCancelled'));
      const refund = side === 'mint' ? formatUnits(cancelled?.args.refund as bigint, list.cashToken.decimals) : formatUnits(cancelled?.args.indexAmount as bigint, 18);
      const unit = side === 'mint' ? list.cashToken.symbol : 'index tokens';
      report(options, { ok: true, side, orderHash: options.orderHash, refund, unit, tx: { hash: receipt.hash, block: receipt.blockNumber } }, () => [
        `cancelled the ${side} request ${options.orderHash} in block ${receipt.blockNumber} (tx ${receipt.hash}); ${refund} ${unit} back to ${wallet.address}`,
      ]);
    } finally {
      provider.destroy();
    }
  });
}
