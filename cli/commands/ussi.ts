/**
 * `ssi ussi quote|mint|redeem|status`: USSI for WLPs. Quotes come from the ussi-api route
 * `POST /v1/ussi/quotes` (the same API key, API URL, RPC and WLP key as the index commands); mint
 * and redeem submit the signed hedge order to USSI (`applyMint` after approving the asset,
 * `applyRedeem`); status reads a request (and the NAV and float) from the chain. The operator's
 * schedules settle the request: `ussi-confirm`, then `ussi-payout` for a payout the float could not make.
 */
import type { Command } from 'commander';
import { Contract, Interface, JsonRpcProvider, formatUnits } from 'ethers';
import { CliError, progress, report, type OutputOptions } from '../output';
import { callApi, chain, connection, explainRevert, withChain, withConnection, type ConnectionOptions } from './wlp';
import { USSI_ABI } from '../../lambdas/ussi/contract';
import { RequestStatus } from '../../lambdas/domain/ussi-orders';
import type { UssiQuote } from '../../lambdas/ussi/quotes';

const TUPLE = '(address requester,uint8 side,address asset,uint256 assetAmount,uint256 assetPrice,uint256 ussiAmount,uint256 deadline,uint256 nonce)';
/** USSI as a WLP calls it: the shared ABI plus the applications and the errors they may revert with. */
export const USSI_CALLS = [
  ...USSI_ABI,
  `function applyMint(${TUPLE} order, bytes signature) returns (uint256)`,
  `function applyRedeem(${TUPLE} order, bytes signature) returns (uint256)`,
  'function balanceOf(address) view returns (uint256)',
  'error OrderExpired(uint256 deadline, uint256 timestamp)',
  'error NavStale(uint64 updatedAt, uint32 maxAge, uint256 timestamp)',
  'error OutOfTolerance(uint256 ussiValue, uint256 assetValue, uint256 toleranceBps)',
  'error NonceAlreadyUsed(address owner, uint256 nonce)',
  'error InvalidSigner(address recovered, address orderSigner)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
  'error EnforcedPause()',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
];
const ussiInterface = new Interface(USSI_CALLS);
const ERC20 = ['function allowance(address, address) view returns (uint256)', 'function approve(address, uint256) returns (bool)'];
const STATUS = Object.fromEntries(Object.entries(RequestStatus).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k])) as Record<number, string>;

interface UssiOptions extends ConnectionOptions, OutputOptions {
  asset: string;
  amount: string;
}

const explain = (error: unknown): string => explainRevert(error, ussiInterface);

const quoteLines = (q: UssiQuote): string[] => [
  `${q.side} ${q.side === 'mint' ? `${q.assetAmount} ${q.asset.symbol} -> ${formatUnits(q.order.ussiAmount, 18)} USSI` : `${formatUnits(q.order.ussiAmount, 18)} USSI -> ${q.assetAmount} ${q.asset.symbol}`}`,
  `  NAV ${q.nav.perUssiUsd} USD per USSI; spread ${q.spreadBps} bps; valid until ${q.expiresAt}`,
  `  order ${q.orderHash} signed by ${q.signer}`,
];

async function askQuote(side: 'mint' | 'redeem', options: UssiOptions, wlp?: string): Promise<UssiQuote> {
  const conn = connection(options);
  progress(`asking ${conn.api} for a USSI ${side} quote`);
  return callApi<UssiQuote>(conn, 'POST', '/v1/ussi/quotes', { side, asset: options.asset, amount: options.amount, ...(wlp ? { wlp } : {}) });
}

async function apply(side: 'mint' | 'redeem', options: UssiOptions): Promise<void> {
  const conn = connection(options);
  const { provider, wallet } = chain(conn);
  try {
    const quote = await askQuote(side, options, wallet.address);
    const network = await provider.getNetwork();
    if (Number(network.chainId) !== quote.chainId) throw new CliError(`the RPC is chain ${network.chainId} but the quote is for chain ${quote.chainId}`);
    const ussi = new Contract(quote.ussi, USSI_CALLS, wallet);
    if (side === 'mint') {
      const token = new Contract(quote.asset.address, ERC20, wallet);
      const needed = BigInt(quote.order.assetAmount);
      if (((await token.getFunction('allowance')(wallet.address, quote.ussi)) as bigint) < needed) {
        progress(`approving ${quote.assetAmount} ${quote.asset.symbol} to USSI`);
        await (await token.getFunction('approve')(quote.ussi, needed)).wait();
      }
    }
    const order = [quote.order.requester, quote.order.side, quote.order.asset, quote.order.assetAmount, quote.order.assetPrice, quote.order.ussiAmount, quote.order.deadline, quote.order.nonce];
    const method = ussi.getFunction(side === 'mint' ? 'applyMint' : 'applyRedeem');
    progress(`applying for the ${side} (order ${quote.orderHash})`);
    let id: bigint;
    let hash: string;
    try {
      id = (await method.staticCall(order, quote.signature)) as bigint;
      const receipt = await (await method(order, quote.signature)).wait();
      if (!receipt || receipt.status !== 1) throw new Error('the transaction failed');
      hash = receipt.hash;
    } catch (error) {
      throw new CliError(`USSI refused the ${side}: ${explain(error)}`);
    }
    const result = { ok: true, side, requestId: String(id), tx: hash, wlp: wallet.address, quote: { orderHash: quote.orderHash, asset: quote.asset, assetAmount: quote.assetAmount, ussiAmount: quote.order.ussiAmount, nav: quote.nav } };
    report(options, result, () => [...quoteLines(quote), `applied: request ${id} (tx ${hash}); the operator confirms it (\`ssi ussi status ${id}\`)`]);
  } finally {
    provider.destroy();
  }
}

async function status(idText: string, options: ConnectionOptions & OutputOptions & { ussi?: string }): Promise<void> {
  if (!/^\d+$/.test(idText) || BigInt(idText) === 0n) throw new CliError('the request id is a positive integer');
  const conn = connection(options);
  const address = options.ussi ?? conn.stack?.contracts.ussi;
  if (!address) throw new CliError('no USSI address: pass --ussi (or start the local stack)');
  if (!conn.rpc) throw new CliError('no chain RPC: pass --rpc or set SSI_RPC_URL (or start the local stack)');
  const provider = new JsonRpcProvider(conn.rpc);
  try {
    const ussi = new Contract(address, USSI_CALLS, provider);
    const id = BigInt(idText);
    const count = (await ussi.getFunction('requestCount')()) as bigint;
    if (id > count) throw new CliError(`no USSI request ${id} (there are ${count})`);
    const r = (await ussi.getFunction('getRequest')(id)) as { requester: string; side: bigint; status: bigint; expiresAt: bigint; asset: string; assetAmount: bigint; ussiAmount: bigint };
    const [nav, navUpdatedAt] = (await ussi.getFunction('nav')()) as [bigint, bigint];
    const result = {
      id: String(id),
      side: Number(r.side) === 0 ? 'mint' : 'redeem',
      status: STATUS[Number(r.status)] ?? String(r.status),
      requester: r.requester,
      asset: r.asset,
      assetAmount: String(r.assetAmount),
      ussiAmount: formatUnits(r.ussiAmount, 18),
      expiresAt: new Date(Number(r.expiresAt) * 1000).toISOString(),
      nav: { perUssiUsd: formatUnits(nav, 18), updatedAt: new Date(Number(navUpdatedAt) * 1000).toISOString() },
      float: String((await ussi.getFunction('floatOf')(r.asset)) as bigint),
    };
    report(options, result, () => [
      `USSI request ${result.id}: ${result.side} ${result.status}`,
      `  ${result.ussiAmount} USSI against ${result.assetAmount} units of ${result.asset}; expires ${result.expiresAt}`,
      `  NAV ${result.nav.perUssiUsd} USD (published ${result.nav.updatedAt}); float of the asset ${result.float}`,
    ]);
  } finally {
    provider.destroy();
  }
}

export function registerUssi(program: Command): void {
  const ussi = program.command('ussi').description('USSI, the delta-neutral USD index: quotes, mints, redeems and request status for WLPs');
  withConnection(
    ussi
      .command('quote')
      .description('ask the ussi-api for a signed hedge order and show it')
      .requiredOption('--side <side>', 'mint or redeem')
      .requiredOption('--asset <asset>', 'USDC or an index symbol (mint), USDC (redeem)')
      .requiredOption('--amount <amount>', 'whole units of the asset (mint) or of USSI (redeem)'),
  ).action(async (options: UssiOptions & { side: string }) => {
    if (options.side !== 'mint' && options.side !== 'redeem') throw new CliError('--side is mint or redeem');
    const quote = await askQuote(options.side, options);
    report(options, quote, () => quoteLines(quote));
  });
  for (const side of ['mint', 'redeem'] as const) {
    withChain(
      withConnection(
        ussi
          .command(side)
          .description(side === 'mint' ? 'quote and apply for a USSI mint (approves the asset when needed)' : 'quote and apply for a USSI redeem')
          .requiredOption('--asset <asset>', side === 'mint' ? 'USDC or an index symbol' : 'USDC')
          .requiredOption('--amount <amount>', side === 'mint' ? 'whole units of the asset' : 'whole USSI'),
      ),
    ).action((options: UssiOptions) => apply(side, options));
  }
  withChain(withConnection(ussi.command('status <id>').description('show a USSI request, the NAV and the float').option('--ussi <address>', 'USSI contract (default the local stack)'))).action(
    (id: string, options: ConnectionOptions & OutputOptions & { ussi?: string }) => status(id, options),
  );
}
