/**
 * WLP commands: `ssi quote`, `ssi mint`, `ssi redeem`, `ssi status`, `ssi cancel`. They talk to the quote API
 * (URL and API key from flags, SSI_API_URL / SSI_API_KEY, or the local stack's stack.json) and to
 * the chain (RPC from --rpc / SSI_RPC_URL or the stack; the WLP key from --key / SSI_WLP_KEY or
 * the local stack's WLP).
 */
import type { Command } from 'commander';
import { ISSUER_REQUEST_EVENTS } from '../../lambdas/domain/issuer-events';
import { Contract, Interface, JsonRpcProvider, Network, Wallet, formatUnits, getAddress, isError, type Result, type TransactionReceipt } from 'ethers';
import { CliError, progress, report, type OutputOptions } from '../output';
import { readStackFile } from './stack';
import type { StackFile } from '../../infra/local/stack';

interface ConnectionOptions extends OutputOptions {
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

const ORDER_TUPLE =
  'tuple(address index, uint8 side, uint256 indexAmount, address[] assets, uint256[] amounts, address cashToken, uint256 cashAmount, address maker, address requester, uint256 deadline, uint256 nonce)';
/** The Issuer as a WLP uses it: mint, redeem, requests, their events and every refusal by name. */
export const ISSUER_ABI = [
  `function mint(${ORDER_TUPLE} order, bytes signature, uint256 maxFeeBps) returns (bytes32)`,
  `function redeem(${ORDER_TUPLE} order, bytes signature, uint256 maxFeeBps) returns (bytes32)`,
  `function requestMint(${ORDER_TUPLE} order, bytes signature, uint256 maxFeeBps) returns (bytes32)`,
  `function requestRedeem(${ORDER_TUPLE} order, bytes signature, uint256 maxFeeBps) returns (bytes32)`,
  `function cancelMint(${ORDER_TUPLE} order)`,
  `function cancelRedeem(${ORDER_TUPLE} order)`,
  'function getRequest(bytes32) view returns (tuple(uint128 fee, uint64 expiresAt, uint8 status))',
  'function custody() view returns (address)',
  ...ISSUER_REQUEST_EVENTS,
  'error OrderExpired(uint256 deadline, uint256 timestamp)',
  'error RequestNotPending(bytes32 orderHash, uint8 status)',
  'error RequestNotExpired(bytes32 orderHash, uint64 expiresAt)',
  'error CallerNotRequester(address caller, address requester)',
  'error WrongRequester(address requester, address caller)',
  'error UnknownIndex(address index)',
  'error IndexRebalancing(address index)',
  'error MintPaused(address index)',
  'error AmountOutOfRange(uint256 amount, uint256 min, uint256 max)',
  'error CashTokenNotAllowed(address token)',
  'error FeeAboveMax(uint256 feeBps, uint256 maxFeeBps)',
  'error BasketLengthMismatch(uint256 expected, uint256 actual)',
  'error BasketMismatch(uint256 leg, address expectedAsset, uint256 expectedAmount)',
  'error NonceAlreadyUsed(address maker, uint256 nonce)',
  'error NotMaker(address maker)',
  'error InvalidSignature(address maker)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
  'error EnforcedPause()',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
];
const ERC20_ABI = [
  'function balanceOf(address) view returns (uint256)',
  'function allowance(address, address) view returns (uint256)',
  'function approve(address, uint256) returns (bool)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
];
const issuerInterface = new Interface(ISSUER_ABI);

/** Where the API, its key, the chain and the WLP key come from. */
interface Connection {
  api: string;
  apiKey?: string;
  rpc?: string;
  key?: string;
  stack?: StackFile;
}

function connection(options: ConnectionOptions): Connection {
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

async function callApi<T>(conn: Connection, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
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

function chain(conn: Connection): { provider: JsonRpcProvider; wallet: Wallet } {
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
  const data = (error as { data?: string; info?: { error?: { data?: string } } }).data ?? (error as { info?: { error?: { data?: string } } }).info?.error?.data;
  if (typeof data === 'string' && data.length >= 10) {
    try {
      const parsed = issuerInterface.parseError(data);
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
    const maxFeeBps = options.maxFeeBps === undefined ? undefined : Number(options.maxFeeBps);
    if (maxFeeBps !== undefined && (!Number.isInteger(maxFeeBps) || maxFeeBps < 0 || maxFeeBps > 1000)) throw new CliError('--max-fee-bps must be an integer from 0 to 1000');
    const body = { ...quoteBody(options, side), wlp: wallet.address };
    progress(`asking ${conn.api} for a ${side} quote`);
    const quote = await callApi<QuoteAnswer>(conn, 'POST', '/v1/quotes', body);
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

const withConnection = (command: Command): Command =>
  command
    .option('--data <dir>', 'local stack data folder (default .data/local or $SSI_DATA_DIR)')
    .option('--api <url>', 'quote API base URL (default $SSI_API_URL or the local stack)')
    .option('--api-key <key>', 'WLP API key (default $SSI_API_KEY or the local stack WLP)')
    .option('--json', 'machine-readable output');

const withChain = (command: Command): Command =>
  command.option('--rpc <url>', 'chain RPC (default $SSI_RPC_URL or the local stack)').option('--key <privateKey>', 'WLP private key (default $SSI_WLP_KEY or the local stack WLP)');

export function registerQuote(program: Command): void {
  withConnection(
    program
      .command('quote')
      .description('ask the quote API for a firm mint or redeem quote and show it')
      .requiredOption('--index <symbol>', 'index symbol, e.g. MAG7.ssi')
      .option('--side <side>', 'mint or redeem', 'mint')
      .option('--amount <tokens>', 'index tokens, e.g. 1.5')
      .option('--cash <amount>', 'cash (USDC) to spend or receive instead of --amount'),
  ).action(async (options: QuoteOptions) => {
    if (options.side !== 'mint' && options.side !== 'redeem') throw new CliError('--side must be mint or redeem');
    const conn = connection(options);
    const quote = await callApi<QuoteAnswer>(conn, 'POST', '/v1/quotes', quoteBody(options, options.side));
    report(options, quote, () => quoteLines(quote));
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
        .option('--max-price-bps <bps>', 'refuse a price further than this from NAV'),
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
        .option('--max-price-bps <bps>', 'refuse a price further than this from NAV'),
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
      .option('--from-block <n>', 'look for requests from this block on (default 0; use a recent block on a long chain)', '0'),
  ).action(async (options: ConnectionOptions & { address?: string; fromBlock: string }) => {
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
      const result = { address, balances: held, navUsd: Object.fromEntries(list.indexes.map((i) => [i.symbol, i.navUsd])), pending };
      report(options, result, () => [
        `status of ${address}`,
        ...tokens.map((t) => `  ${t.symbol.padEnd(10)} ${held[t.symbol]}${list.indexes.find((i) => i.symbol === t.symbol) ? `   (NAV ${list.indexes.find((i) => i.symbol === t.symbol)!.navUsd} USD)` : ''}`),
        pending.length ? 'pending requests:' : 'no pending requests',
        ...pending.map(
          (p) =>
            `  ${p.side} ${p.indexAmount} ${p.index} for ${p.cashAmount} ${list.cashToken.symbol}, ${p.cancellable ? `expired at ${p.expiresAt}: ssi cancel --order-hash ${p.orderHash}` : `fillable until ${p.expiresAt} (${p.orderHash})`}`,
        ),
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
