/** A connected WLP's own mint and redeem requests of one index, read from the Issuer's events through the chain's RPC (no API key). */
import { Contract, formatUnits, zeroPadValue, type JsonRpcProvider } from 'ethers';
import { ISSUER_REQUEST_TOPICS, requestsFromLogs, type WlpRequest } from '../../lambdas/domain/issuer-events';
import { DECIMALS, chainReader, say } from './actions';
import { clock, el, utc } from './dom';
import { connect, connectedAccount, walletError } from './wallet';

const ERC20 = ['function symbol() view returns (string)', 'function decimals() view returns (uint8)'];

/** The wallet's requests of `index` from the Issuer's events, with chain time for the expiry clocks. */
async function readRequests(rpc: JsonRpcProvider, issuer: string, index: string, requester: string) {
  const [logs, head] = await Promise.all([rpc.getLogs({ address: issuer, fromBlock: 0, toBlock: 'latest', topics: [[...ISSUER_REQUEST_TOPICS], null, zeroPadValue(index, 32), zeroPadValue(requester, 32)] }), rpc.getBlock('latest')]);
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
