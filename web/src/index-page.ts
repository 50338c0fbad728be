import { INDEX_METHODOLOGIES } from '../../lambdas/domain/methodology/indexes';
import type { IndexMethodology } from '../../lambdas/domain/methodology/types';
import { HttpError, apiFind, apiGet, appConfig, getJson, type Protocol } from './api';
import { lineChart } from './chart';
import { el, facts, utc } from './dom';
import { basket, units, usd, type IndexList } from './indexes';
import { requestsCard } from './requests';

/** One entry of /backtests.json (scripts/web-backtests.ts). */
interface Backtest {
  index: string;
  methodologyVersion: number;
  start: string;
  end: string;
  baseLevel: number;
  benchmark: string;
  cumulativeReturn: { index: number; benchmark: number };
  maxDrawdown: number;
  levels: Array<[string, number, number]>;
}

/** GET /v1/indexes/{symbol}/history (lambdas/points/api.ts). */
interface NavHistory {
  unit: string;
  days: Array<{ day: string; block: number; navUsd: string }>;
}

/** GET /v1/quotes/{id} (a WLP's own quotes, behind its API key). */
interface StoredQuote {
  id: string;
  status: 'open' | 'expired' | 'used' | 'refused';
  createdAt: string;
  reason?: string;
  quote?: { side: 'mint' | 'redeem'; index: { symbol: string }; indexAmount: string; cashAmount: string; cashToken: { symbol: string }; deadline: number };
}

/** The header a WLP's API key travels in (topology WLP_API_KEY_HEADER). */
const API_KEY_HEADER = 'x-api-key';

const pct = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} %`;

/** The methodology's rules in words, from the same definition the rebalance compiles. */
function methodology(m: IndexMethodology): HTMLElement {
  const { selection: s, weighting: w, universe: u } = m;
  const money = (n: number) => `$${(n / 1e6).toLocaleString('en-US')}M`;
  const selection = [
    s.maxConstituents ? `the ${s.maxConstituents} largest by circulating market cap` : 'every eligible asset',
    s.minMarketCapUsd ? `market cap at least ${money(s.minMarketCapUsd)}` : null,
    s.minVolume24hUsd ? `24 h volume at least ${money(s.minVolume24hUsd)}` : null,
    `at least ${s.minConstituents} constituents`,
  ].filter(Boolean);
  const buffer = s.buffer
    ? [s.buffer.rank ? `an incumbent stays while ranked within ${(s.maxConstituents ?? 0) + s.buffer.rank}` : null, s.buffer.thresholdRetentionRatio ? `and above ${s.buffer.thresholdRetentionRatio} × each entry threshold` : null].filter(Boolean).join(' ')
    : 'none';
  const weighting = w.scheme === 'equal' ? 'equal weights' : ['market-cap weights', w.floor ? `a ${+(w.floor * 100).toFixed(2)} % floor per constituent` : null, w.cap ? `capped at ${+(w.cap * 100).toFixed(2)} %` : null].filter(Boolean).join(', ');
  const universe = [u.sector ? `the ${u.sector.id} sector list (${u.sector.symbols.length} assets)` : 'all assets', u.excludeStablecoins ? 'no stablecoins or pegged tokens' : null, u.excludeDerivatives ? 'no wrapped, bridged or staked derivatives' : null, `custody-supported only (${u.custodySupported.length} assets)`].filter(Boolean).join('; ');
  return el(
    'section',
    { class: 'card', id: 'methodology', 'aria-labelledby': 'methodology-heading' },
    el('h2', { id: 'methodology-heading' }, `Methodology (version ${m.version})`),
    el('p', {}, m.description),
    facts([
      ['Universe', universe],
      ['Selection', selection.join(', ')],
      ['Turnover buffer', buffer],
      ['Weighting', weighting],
      ['Rebalance', `${m.rebalance.frequency}, at the close of the period's first day`],
    ]),
  );
}

function backtestCard(test: Backtest | undefined, symbol: string): HTMLElement {
  const heading = el('h2', { id: 'backtest-heading' }, 'Backtest');
  if (!test) return el('section', { class: 'card', id: 'backtest', 'aria-labelledby': 'backtest-heading' }, heading, el('p', { class: 'lead' }, 'No backtest is published for this index.'));
  const chart = lineChart({
    id: 'backtest-chart',
    title: `${symbol} backtest against ${test.benchmark} held, ${test.start} to ${test.end}`,
    description: `Both start at ${test.baseLevel}. ${symbol} ends ${pct(test.cumulativeReturn.index)}, ${test.benchmark} held ${pct(test.cumulativeReturn.benchmark)}; the index's largest drawdown was ${pct(test.maxDrawdown)}.`,
    unit: `level (start = ${test.baseLevel})`,
    labels: test.levels.map((l) => l[0]),
    series: [
      { name: symbol, className: 'series-index', values: test.levels.map((l) => l[1]) },
      { name: `${test.benchmark} held`, className: 'series-benchmark', values: test.levels.map((l) => l[2]) },
    ],
  });
  return el(
    'section',
    { class: 'card', id: 'backtest', 'aria-labelledby': 'backtest-heading' },
    heading,
    facts([
      ['Range', `${test.start} to ${test.end}`],
      [`${symbol}`, `${pct(test.cumulativeReturn.index)} cumulative`],
      [`${test.benchmark} held`, `${pct(test.cumulativeReturn.benchmark)} cumulative`],
      ['Max drawdown', pct(test.maxDrawdown)],
    ]),
    el('div', { class: 'chart-wrap' }, chart),
    el('p', { class: 'source' }, `Source: /backtests.json, the methodology (version ${test.methodologyVersion}) replayed over public 2020–2025 market data by npm run web:backtests, weekly levels; a simulation, not the token's own history.`),
  );
}

/** The index's own NAV day by day, as the daily points snapshot priced it at its pinned block. */
function historyCard(history: NavHistory, symbol: string, chainId: number): HTMLElement {
  const heading = el('h2', { id: 'history-heading' }, 'Live NAV history');
  const days = history.days;
  const first = days[0];
  const last = days[days.length - 1];
  const body =
    !first || !last
      ? [el('p', { class: 'lead' }, 'No daily NAV is recorded yet: the daily points snapshot records one per day.')]
      : [
          facts([
            ['Range', `${first.day} to ${last.day} (${days.length} ${days.length === 1 ? 'day' : 'days'})`],
            [`Latest (${last.day})`, `${usd(last.navUsd)} ${history.unit} at block ${last.block}`],
            [`First (${first.day})`, `${usd(first.navUsd)} ${history.unit} at block ${first.block}`],
          ]),
          el(
            'div',
            { class: 'chart-wrap' },
            lineChart({
              id: 'history-chart',
              title: `${symbol} NAV per token, ${first.day} to ${last.day}`,
              description: `${days.length} daily values from ${usd(first.navUsd)} to ${usd(last.navUsd)} ${history.unit}.`,
              unit: history.unit,
              labels: days.map((d) => d.day),
              series: [{ name: `${symbol} NAV`, className: 'series-index', values: days.map((d) => Number(d.navUsd)) }],
            }),
          ),
          el('p', { class: 'source' }, `Source: GET /v1/indexes/${symbol}/history, chain ${chainId}: each day's NAV (the tokenset at the block the daily points snapshot pinned, blocks ${first.block} to ${last.block}, at that day's reference prices).`),
        ];
  return el('section', { class: 'card', id: 'history', 'aria-labelledby': 'history-heading' }, heading, ...body);
}

/** A WLP's quote status by quote id, read with its API key (kept in this page only, never stored). */
function quoteStatus(): HTMLElement {
  const key = el('input', { id: 'wlp-key', name: 'wlp-key', type: 'password', autocomplete: 'off', required: '' });
  const id = el('input', { id: 'quote-id', name: 'quote-id', autocomplete: 'off', required: '', pattern: '0x[0-9a-fA-F]{64}' });
  const submit = el('button', { type: 'submit' }, 'Show status');
  const out = el('div', { id: 'quote-status', role: 'status' });
  const form = el('form', { class: 'holder' }, el('label', { for: 'wlp-key' }, 'WLP API key'), key, el('label', { for: 'quote-id' }, 'Quote id (the order hash)'), id, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      submit.disabled = true;
      try {
        const stored = await getJson<StoredQuote>(`${(await appConfig()).api}/v1/quotes/${encodeURIComponent(id.value.trim())}`, { [API_KEY_HEADER]: key.value.trim() });
        const q = stored.quote;
        out.replaceChildren(
          facts([
            ['Status', stored.status],
            ['Created', stored.createdAt],
            ...(q
              ? ([
                  ['Order', `${q.side} ${units(q.indexAmount)} ${q.index.symbol}`],
                  [q.side === 'mint' ? 'Pays' : 'Receives', `${units(q.cashAmount)} ${q.cashToken.symbol}`],
                  ['Deadline', utc(q.deadline)],
                ] as Array<[string, string]>)
              : []),
            ...(stored.reason ? ([['Reason', stored.reason]] as Array<[string, string]>) : []),
          ]),
        );
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 0;
        const words = status === 401 || status === 403 ? 'The API refused this key.' : status === 404 ? 'No quote with this id for this key.' : (error as Error).message;
        out.replaceChildren(el('p', { class: 'error', role: 'alert' }, words));
      } finally {
        submit.disabled = false;
      }
    })();
  });
  return el(
    'section',
    { class: 'card', id: 'wlp', 'aria-labelledby': 'wlp-heading' },
    el('h2', { id: 'wlp-heading' }, 'Mint and redeem status (WLPs)'),
    el('p', { class: 'lead' }, 'A whitelisted participant reads one of its quotes: open (may still be submitted), used (settled on chain), expired or refused. The key is sent only to this deployment’s API.'),
    form,
    out,
  );
}

/** #/index?symbol=…: one index's NAV and basket, its live NAV history, methodology and backtest, a connected WLP's requests and a quote's status. */
export async function renderIndex(main: HTMLElement, query: URLSearchParams): Promise<void> {
  const symbol = query.get('symbol') ?? '';
  const [list, protocol, backtests, history] = await Promise.all([
    apiGet<IndexList>('/v1/indexes'),
    apiGet<Protocol>('/v1/protocol'),
    getJson<Backtest[]>('/backtests.json'),
    apiFind<NavHistory>(`/v1/indexes/${encodeURIComponent(symbol)}/history`),
  ]);
  const index = list.indexes.find((i) => i.symbol === symbol);
  if (!index) throw new Error(`no index ${symbol || '(none named)'}; this deployment has ${list.indexes.map((i) => i.symbol).join(', ')}`);
  const rules = INDEX_METHODOLOGIES.find((m) => m.id === symbol);
  const readAt = Math.floor(Date.now() / 1000);
  main.replaceChildren(
    el('h1', {}, `${index.name} (${index.symbol})`),
    el('p', { class: 'mono' }, index.address),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'nav-heading' },
      el('h2', { id: 'nav-heading' }, 'Net asset value'),
      facts([
        ['NAV per token', `${usd(index.navUsd)} USD`],
        ['Supply', `${units(index.totalSupply)} ${index.symbol}`],
        ['Market cap', `${usd(index.marketCapUsd)} USD`],
      ]),
      basket(index),
      el('p', { class: 'source' }, `Source: GET /v1/indexes at ${utc(readAt)}, chain ${list.chainId} at block ${protocol.blockNumber}; prices: ${[list.prices.kind, list.prices.date, list.prices.detail].filter(Boolean).join(', ')}.`),
    ),
    historyCard(history ?? { unit: 'USD per token', days: [] }, index.symbol, list.chainId),
    rules ? methodology(rules) : el('p', { class: 'lead' }, 'No published methodology for this index.'),
    backtestCard(backtests.find((b) => b.index === symbol), symbol),
    await requestsCard(index.symbol, index.address, protocol.contracts.issuer),
    quoteStatus(),
  );
}
