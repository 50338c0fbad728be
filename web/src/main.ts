import { el } from './dom';
import { renderIndex } from './index-page';
import { renderIndexes } from './indexes';
import { renderPortfolio } from './portfolio';
import { renderReserves } from './reserves';
import { renderRewards } from './rewards';
import { connect, connectedAccount, onAccountChange, walletError } from './wallet';

const PAGES: Record<string, { title: string; render: (main: HTMLElement, query: URLSearchParams) => Promise<void> }> = {
  '#/indexes': { title: 'Indexes', render: renderIndexes },
  '#/index': { title: 'Index', render: renderIndex },
  '#/reserves': { title: 'Proof of reserves', render: renderReserves },
  '#/portfolio': { title: 'Portfolio', render: renderPortfolio },
  '#/rewards': { title: 'Rewards', render: renderRewards },
};

/** The pages that show the connected wallet's own positions (the index page: a WLP's requests). */
const WALLET_PAGES = ['#/portfolio', '#/rewards', '#/index'];

let shown = 0;

async function route(): Promise<void> {
  // A page's parameters ride in the hash after '?', e.g. #/reserves?holder=0x….
  const [base = '', search = ''] = location.hash.split('?', 2);
  const hash = PAGES[base] ? base : '#/indexes';
  const page = PAGES[hash]!;
  const main = document.getElementById('main')!;
  const turn = ++shown;
  document.title = `${page.title} · SSI protocol`;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.getAttribute('href') === hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.removeAttribute('data-ready');
  main.replaceChildren(el('h1', {}, page.title), el('p', { class: 'lead' }, 'Loading…'));
  // Rendered off-page and swapped in only if the reader has not moved on to another page meanwhile.
  const stage = el('div');
  try {
    await page.render(stage, new URLSearchParams(search));
  } catch (error) {
    const retry = el('button', { type: 'button' }, 'Retry');
    retry.addEventListener('click', () => void route());
    stage.replaceChildren(el('h1', {}, page.title), el('p', { class: 'error', role: 'alert' }, `Could not load: ${(error as Error).message}`), retry);
  }
  if (turn !== shown) return;
  main.replaceChildren(...stage.childNodes);
  main.setAttribute('data-ready', hash);
}

/** The header's wallet button: connects, then names the account; errors go to #wallet-error. */
function walletButton(): void {
  const button = document.getElementById('connect') as HTMLButtonElement;
  const problem = document.getElementById('wallet-error')!;
  const show = () => {
    const account = connectedAccount();
    button.textContent = account ? `Connected ${account.slice(0, 6)}…${account.slice(-4)}` : 'Connect wallet';
    problem.textContent = '';
  };
  button.addEventListener('click', () => {
    connect().catch((error) => void (problem.textContent = walletError(error).message));
  });
  onAccountChange(() => {
    show();
    // The wallet pages show the new account; from any other page a connection leads to the portfolio.
    if (WALLET_PAGES.includes(location.hash.split('?', 1)[0]!)) void route();
    else location.hash = '#/portfolio';
  });
}

window.addEventListener('hashchange', () => void route());
window.addEventListener('wallet:refresh', () => void route());
walletButton();
void route();
