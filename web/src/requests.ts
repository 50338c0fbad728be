/** A connected WLP's own mint and redeem requests of one index, read from the Issuer's events through the chain's RPC (no API key). */
import { Contract, Interface, formatUnits, zeroPadValue, type JsonRpcProvider, type Log } from 'ethers';
import { ISSUER_REQUEST_EVENTS } from '../../lambdas/domain/issuer-events';
import { DECIMALS, chainReader, say } from './actions';
import { clock, el, utc } from './dom';
import { connect, connectedAccount, walletError } from './wallet';

const ISSUER = new Interface(ISSUER_REQUEST_EVENTS);
const ERC20 = ['function symbol() view returns (string)', 'function decimals() view returns (uint8)'];

export type RequestStatus = 'pending' | 'filled' | 'cancelled' | 'rejected';

/** One request as its events tell it: the order, where it stands, and the transactions that moved it. */
export interface WlpRequest {
  orderHash: string;
  side: 'mint' | 'redeem';
  status: RequestStatus;
  indexAmount: bigint;
  cashToken: string | null;
  cashAmount: bigint | null;
  /** Pending requests only: when the requester may cancel (chain time, seconds). */
  expiresAt: number | null;
  /** The request's first event: its block orders the list. */
  block: number;
  txs: Array<{ what: string; hash: string }>;
}

const OUTCOMES: Record<string, { side: 'mint' | 'redeem'; status: RequestStatus | 'requested'; what: string }> = {
  MintRequested: { side: 'mint', status: 'requested', what: 'requested' },
  RedeemRequested: { side: 'redeem', status: 'requested', what: 'requested' },
  Minted: { side: 'mint', status: 'filled', what: 'filled' },
  Redeemed: { side: 'redeem', status: 'filled', what: 'filled' },
  MintCancelled: { side: 'mint', status: 'cancelled', what: 'cancelled' },
  RedeemCancelled: { side: 'redeem', status: 'cancelled', what: 'cancelled' },
  MintRejected: { side: 'mint', status: 'rejected', what: 'rejected' },
  RedeemRejected: { side: 'redeem', status: 'rejected', what: 'rejected' },
};

/** Folds the Issuer's request logs (any order) into one entry per order hash, newest request first. */
export function requestsFromLogs(logs: readonly Log[]): WlpRequest[] {
  const sorted = [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const byHash = new Map<string, WlpRequest>();
  for (const log of sorted) {
    const event = ISSUER.parseLog(log);
    const outcome = event && OUTCOMES[event.name];
    if (!event || !outcome) continue;
    const orderHash = event.args.orderHash as string;
    const entry: WlpRequest = byHash.get(orderHash) ?? {
      orderHash,
      side: outcome.side,
      status: 'pending',
      indexAmount: 0n,
      cashToken: null,
      cashAmount: null,
      expiresAt: null,
      block: log.blockNumber,
      txs: [],
    };
    const args = event.args.toObject() as { indexAmount?: bigint; cashToken?: string; cashAmount?: bigint; expiresAt?: bigint };
    if (args.indexAmount !== undefined) entry.indexAmount = args.indexAmount;
    if (args.cashToken !== undefined) entry.cashToken = args.cashToken;
    if (args.cashAmount !== undefined) entry.cashAmount = args.cashAmount;
    if (outcome.status === 'requested') entry.expiresAt = Number(args.expiresAt);
    else {
      entry.status = outcome.status;
      entry.expiresAt = null;
    }
    entry.txs.push({ what: outcome.what, hash: log.transactionHash });
    byHash.set(orderHash, entry);
  }
  return [...byHash.values()].reverse().sort((a, b) => b.block - a.block);
}

/** The wallet's requests of `index` from the Issuer's events, with chain time for the expiry clocks. */
async function readRequests(rpc: JsonRpcProvider, issuer: string, index: string, requester: string) {
  const topics = Object.keys(OUTCOMES).map((name) => ISSUER.getEvent(name)!.topicHash);
  const [logs, head] = await Promise.all([rpc.getLogs({ address: issuer, fromBlock: 0, toBlock: 'latest', topics: [topics, null, zeroPadValue(index, 32), zeroPadValue(requester, 32)] }), rpc.getBlock('latest')]);
  const requests = requestsFromLogs(logs);
  const cash = new Map<string, { symbol: string; decimals: number }>();
  for (const token of new Set(requests.map((r) => r.cashToken).filter((t): t is string => t !== null))) {
    const contract = new Contract(token, ERC20, rpc);
    cash.set(token, { symbol: (await contract.getFunction('symbol')()) as string, decimals: Number(await contract.getFunction('decimals')()) });
  }
  return { requests, cash, head: head?.number ?? 0, now: (head?.timestamp ?? Math.floor(Date.now() / 1000)) * 1000 };
}

const amount = (value: bigint, decimals: number, symbol: string) => `${Number(formatUnits(value, decimals)).toLocaleString('en-US', { maximumFractionDigits: 8 })} ${symbol}`;

function statusText(request: WlpRequest, now: number): string {
  if (request.status !== 'pending' || request.expiresAt === null) return request.status;
  const ends = request.expiresAt * 1000;
  return ends > now ? `pending: expires ${utc(request.expiresAt)} (${clock(ends, now, '')})` : `pending: expired ${utc(request.expiresAt)}, may be cancelled`;
}

/** The "My requests" card of an index page: a connect button, or the connected wallet's requests from the chain. */
export async function requestsCard(symbol: string, index: string, issuer: string | undefined): Promise<HTMLElement> {
  const heading = el('h2', { id: 'requests-heading' }, 'My mint and redeem requests');
  const card = (...children: Node[]) => el('section', { class: 'card', id: 'requests', 'aria-labelledby': 'requests-heading' }, heading, ...children);
  const account = connectedAccount();
  if (!account) {
    const status = el('p', { class: 'lead', role: 'status' });
    const button = el('button', { type: 'button', id: 'connect-requests' }, 'Connect wallet');
    button.addEventListener('click', () => void connect().catch((error) => say(status, walletError(error).message, true)));
    return card(el('p', { class: 'lead' }, `A WLP connects its wallet to see its own ${symbol} mint and redeem requests, read from the Issuer's events on chain.`), button, status);
  }
  if (!issuer) return card(el('p', { class: 'error' }, 'This deployment names no Issuer.'));
  const { rpc, chainId } = await chainReader();
  try {
    const { requests, cash, head, now } = await readRequests(rpc, issuer, index, account);
    const source = el('p', { class: 'source' }, `Source: the Issuer's request events (${issuer}) with requester ${account}, chain ${chainId} up to block ${head} (block time ${utc(Math.floor(now / 1000))}); expiry clocks count from that block time.`);
    if (!requests.length) return card(el('p', { class: 'lead' }, `No ${symbol} requests by ${account}.`), source);
    const rows = requests.map((r) => {
      const token = r.cashToken ? cash.get(r.cashToken) : undefined;
      return el(
        'tr',
        { 'data-order': r.orderHash, 'data-status': r.status },
        el('th', { scope: 'row', class: 'mono' }, r.orderHash),
        el('td', {}, `${r.side} ${amount(r.indexAmount, DECIMALS, symbol)}`),
        el('td', {}, r.cashAmount !== null && token ? amount(r.cashAmount, token.decimals, token.symbol) : '—'),
        el('td', { class: 'status' }, statusText(r, now)),
        el('td', { class: 'mono txs' }, ...r.txs.flatMap((tx, i) => [i ? el('br') : null, `${tx.what}: ${tx.hash}`])),
      );
    });
    return card(
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'requests' },
          el('caption', {}, `${symbol} requests by ${account}, newest first`),
          el('thead', {}, el('tr', {}, ...['Order hash', 'Order', 'Cash', 'Status', 'Transactions'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, ...rows),
        ),
      ),
      source,
    );
  } finally {
    rpc.destroy();
  }
}
