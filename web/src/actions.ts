/** What the wallet pages share: token amounts in words, progress and errors, and the re-render after a transaction. */
import { JsonRpcProvider, Network, formatUnits } from 'ethers';
import { appConfig } from './api';
import { el } from './dom';
import { connect, walletError } from './wallet';

/** Index tokens, their sTokens and the reward token have 18 decimals. */
export const DECIMALS = 18;

export const units = (atto: string | bigint, symbol: string) => `${Number(formatUnits(atto, DECIMALS)).toLocaleString('en-US', { maximumFractionDigits: 8 })} ${symbol}`;
export const usd = (value: string | null) => (value === null ? 'no price' : `$${Number(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USD`);

/** Announces progress (polite) or a failure in words (an alert) in a card's status line. */
export function say(status: HTMLElement, text: string, failed = false): void {
  status.className = failed ? 'error' : 'lead';
  status.setAttribute('role', failed ? 'alert' : 'status');
  status.textContent = text;
}

/** The outcome of the last wallet action, shown once on the re-rendered page. */
let lastDone: string | null = null;

/** The last action's outcome, once: the page that shows it clears it. */
export function takeDone(): string | null {
  const done = lastDone;
  lastDone = null;
  return done;
}

/**
 * Runs one wallet action from `trigger` (disabled meanwhile): its outcome is kept for the
 * re-rendered page (main.ts re-renders on 'wallet:refresh'), a failure is announced in `status`.
 */
export async function runAction(trigger: HTMLButtonElement, status: HTMLElement, waiting: string, action: () => Promise<string>): Promise<void> {
  trigger.disabled = true;
  say(status, waiting);
  try {
    lastDone = await action();
    window.dispatchEvent(new Event('wallet:refresh'));
  } catch (error) {
    say(status, walletError(error).message, true);
    trigger.disabled = false;
  }
}

/** A read-only connection to the deployment's chain (from /config.json), for balances and checks before a transaction. */
export async function chainReader(): Promise<{ rpc: JsonRpcProvider; chainId: number }> {
  const config = await appConfig();
  return { rpc: new JsonRpcProvider(config.rpc, Network.from(config.chainId), { staticNetwork: true }), chainId: config.chainId };
}

/** The page a wallet page shows before a wallet is connected: what it would show, and a connect button. */
export function connectFirst(main: HTMLElement, title: string, what: string): void {
  const status = el('p', { class: 'lead', role: 'status' });
  const button = el('button', { type: 'button', id: 'connect-here' }, 'Connect wallet');
  button.addEventListener('click', () => {
    connect().catch((error) => say(status, walletError(error).message, true));
  });
  main.replaceChildren(el('h1', {}, title), el('p', { class: 'lead' }, what), button, status);
}
