import { apiGet, type Protocol } from './api';
import { el, facts, utc } from './dom';

interface Leg {
  symbol: string;
  asset: string;
  amount: string;
  valueUsd: string;
  price: { priceUsd: string | number; source: string; observedOn?: string };
}

export interface IndexSummary {
  symbol: string;
  name: string;
  address: string;
  totalSupply: string;
  navUsd: string;
  marketCapUsd: string;
  tokenset: Leg[];
}

export interface IndexList {
  chainId: number;
  prices: { kind: string; date?: string; detail?: string };
  indexes: IndexSummary[];
}

export const usd = (value: string | number) => `$${Number(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
/** Prices below a dollar keep four significant digits, so a memecoin's price does not read $0.00. */
const price = (value: string | number) => (Number(value) >= 1 ? usd(value) : `$${Number(value).toPrecision(4)}`);
export const units = (value: string) => Number(value).toLocaleString('en-US', { maximumFractionDigits: 8 });

export function basket(index: IndexSummary): HTMLElement {
  const nav = Number(index.navUsd);
  const rows = index.tokenset.map((leg) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, leg.symbol),
      el('td', { class: 'num' }, `${units(leg.amount)} ${leg.symbol}`),
      el('td', { class: 'num' }, nav > 0 ? `${((Number(leg.valueUsd) / nav) * 100).toFixed(2)} %` : '–'),
      el('td', { class: 'num hide-narrow' }, usd(leg.valueUsd)),
      el('td', { class: 'num hide-narrow' }, `${price(leg.price.priceUsd)} / ${leg.symbol}`),
    ),
  );
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      {},
      el('caption', {}, `Basket of one ${index.symbol} token`),
      el(
        'thead',
        {},
        el('tr', {}, el('th', { scope: 'col' }, 'Asset'), el('th', { scope: 'col', class: 'num' }, 'Units'), el('th', { scope: 'col', class: 'num' }, 'Weight'), el('th', { scope: 'col', class: 'num hide-narrow' }, 'Value'), el('th', { scope: 'col', class: 'num hide-narrow' }, 'Price')),
      ),
      el('tbody', {}, ...rows),
    ),
  );
}

/** #/indexes: every index with its NAV and basket, and where the figures come from. */
export async function renderIndexes(main: HTMLElement): Promise<void> {
  const [list, protocol] = await Promise.all([apiGet<IndexList>('/v1/indexes'), apiGet<Protocol>('/v1/protocol')]);
  const readAt = Math.floor(Date.now() / 1000);
  const priceSource = [list.prices.kind, list.prices.date, list.prices.detail].filter(Boolean).join(', ');
  main.replaceChildren(
    el('h1', {}, 'Indexes'),
    el('p', { class: 'lead' }, 'Net asset value per token and the basket each token holds, read from the chain and priced by the protocol’s price source.'),
    ...list.indexes.map((index) =>
      el(
        'section',
        { class: 'card', 'aria-labelledby': `index-${index.symbol}` },
        el('header', {}, el('h2', { id: `index-${index.symbol}` }, el('a', { href: `#/index?symbol=${encodeURIComponent(index.symbol)}` }, `${index.name} (${index.symbol})`)), el('span', { class: 'mono' }, index.address)),
        facts([
          ['NAV per token', `${usd(index.navUsd)} USD`],
          ['Supply', `${units(index.totalSupply)} ${index.symbol}`],
          ['Market cap', `${usd(index.marketCapUsd)} USD`],
        ]),
        basket(index),
      ),
    ),
    el('p', { class: 'source' }, `Source: GET /v1/indexes at ${utc(readAt)}, chain ${list.chainId} at block ${protocol.blockNumber} (head from GET /v1/protocol); prices: ${priceSource}.`),
  );
}
