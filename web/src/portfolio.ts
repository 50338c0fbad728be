import { Contract, JsonRpcProvider, Network, formatUnits, parseUnits } from 'ethers';
import { apiGet, appConfig } from './api';
import { el, facts, utc } from './dom';
import { WalletError, connect, connectedAccount, signer, walletError } from './wallet';

interface Amount {
  amount: string;
  usd: string | null;
}

/** The fields of GET /v1/portfolio/{address} the page shows (lambdas/points/portfolio.ts). */
interface Portfolio {
  address: string;
  block: number;
  indexes: Array<{
    symbol: string;
    token: string;
    sToken: string | null;
    navUsd: string | null;
    held: Amount;
    staked: Amount;
    cooldown: Amount & { requests: Array<{ id: string; amount: string; endsAt: string }> };
  }>;
  locked: Array<{ token: string; amount: string; usd: string | null }>;
  points: { total: string; pending: string; currentEpoch: number | null };
  rewards: { epoch: number | null };
}

const ERC20_ABI = ['function balanceOf(address) view returns (uint256)', 'function allowance(address, address) view returns (uint256)', 'function approve(address, uint256) returns (bool)'];
const STAKE_ABI = ['function stake(uint256)', 'function unstake(uint256) returns (uint256)'];
const DISTRIBUTOR_ABI = ['function claim(address, uint256, bytes32[]) returns (uint256)', 'function rewardToken() view returns (address)'];

/** GET /v1/rewards/{address} (lambdas/points/api.ts): the latest cumulative claim with its proof. */
interface Rewards {
  epoch: number;
  cumulativeAmount: string;
  claimed: string | null;
  claimable: string | null;
  proof: string[];
  distributor: string | null;
}
/** Index tokens have 18 decimals and their sTokens mirror them. */
const DECIMALS = 18;

const units = (atto: string | bigint, symbol: string) => `${Number(formatUnits(atto, DECIMALS)).toLocaleString('en-US', { maximumFractionDigits: 8 })} ${symbol}`;
const usd = (value: string | null) => (value === null ? 'no price' : `$${Number(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USD`);
const withUsd = (a: Amount, symbol: string) => `${units(a.amount, symbol)} (${usd(a.usd)})`;

/** The outcome of the last wallet action, shown once on the re-rendered page. */
let lastDone: string | null = null;

/** Time left on a cooldown, in days, hours and minutes, or "withdrawable" once it has ended. */
function clock(endsAt: string, now: number): string {
  const left = Math.floor((Date.parse(endsAt) - now) / 1000);
  if (left <= 0) return 'withdrawable';
  const [d, h, m] = [Math.floor(left / 86_400), Math.floor((left % 86_400) / 3600), Math.floor((left % 3600) / 60)];
  return `${d} d ${h} h ${m} min left`;
}

/** Announces progress (polite) or a failure in words (an alert) in a card's status line. */
function say(status: HTMLElement, text: string, failed = false): void {
  status.className = failed ? 'error' : 'lead';
  status.setAttribute('role', failed ? 'alert' : 'status');
  status.textContent = text;
}

/** One labelled amount field and its button; `act` runs with the parsed amount, its outcome is announced in `status`. */
function amountForm(id: string, label: string, button: string, status: HTMLElement, act: (amount: bigint) => Promise<string>): HTMLFormElement {
  const input = el('input', { id, name: id, inputmode: 'decimal', autocomplete: 'off', required: '', pattern: '[0-9]*[.]?[0-9]*' });
  const submit = el('button', { type: 'submit' }, button);
  const form = el('form', { class: 'holder' }, el('label', { for: id }, label), input, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      submit.disabled = true;
      say(status, 'Waiting for the wallet…');
      try {
        let amount: bigint;
        try {
          amount = parseUnits(input.value.trim(), DECIMALS);
        } catch {
          throw new WalletError(`Not an amount: "${input.value}".`);
        }
        if (amount <= 0n) throw new WalletError('Enter an amount above zero.');
        lastDone = await act(amount);
        // main.ts re-renders the page, which now reads the new balances and shows `lastDone`.
        window.dispatchEvent(new Event('portfolio:refresh'));
      } catch (error) {
        say(status, walletError(error).message, true);
        submit.disabled = false;
      }
    })();
  });
  return form;
}

function indexCard(index: Portfolio['indexes'][number], address: string, rpc: JsonRpcProvider, now: number): HTMLElement {
  const sSymbol = `s${index.symbol}`;
  const id = `position-${index.symbol}`;
  const status = el('p', { class: 'lead', role: 'status', 'data-status': index.symbol });
  const requests = index.cooldown.requests;
  const table = requests.length
    ? el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'cooldowns' },
          el('caption', {}, `Cooldown requests of ${index.symbol}`),
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Request'), el('th', { scope: 'col' }, 'Amount'), el('th', { scope: 'col' }, 'Ends (UTC)'), el('th', { scope: 'col' }, 'Clock'))),
          el(
            'tbody',
            {},
            ...requests.map((r) =>
              el('tr', { 'data-request': r.id }, el('th', { scope: 'row' }, `#${r.id}`), el('td', { class: 'num' }, units(r.amount, index.symbol)), el('td', { class: 'ends' }, utc(Date.parse(r.endsAt) / 1000)), el('td', { class: 'clock' }, clock(r.endsAt, now))),
            ),
          ),
        ),
      )
    : el('p', { class: 'lead' }, 'No cooldown requests.');
  const forms: HTMLElement[] = [];
  if (index.sToken) {
    const sToken = index.sToken;
    forms.push(
      amountForm(`stake-${index.symbol}`, `Stake (${index.symbol})`, 'Stake', status, async (amount) => {
        const held = (await new Contract(index.token, ERC20_ABI, rpc).getFunction('balanceOf')(address)) as bigint;
        if (held < amount) throw new WalletError(`Insufficient balance: you hold ${units(held, index.symbol)}, not ${units(amount, index.symbol)}.`);
        const wallet = await signer();
        const token = new Contract(index.token, ERC20_ABI, wallet);
        const allowed = (await new Contract(index.token, ERC20_ABI, rpc).getFunction('allowance')(address, sToken)) as bigint;
        if (allowed < amount) {
          status.textContent = `Approve ${units(amount, index.symbol)} for staking in your wallet…`;
          await (await token.getFunction('approve')(sToken, amount)).wait();
        }
        status.textContent = `Confirm the stake of ${units(amount, index.symbol)} in your wallet…`;
        const receipt = await (await new Contract(sToken, STAKE_ABI, wallet).getFunction('stake')(amount)).wait();
        return `Staked ${units(amount, index.symbol)} in block ${receipt?.blockNumber}.`;
      }),
      amountForm(`unstake-${index.symbol}`, `Unstake (${sSymbol})`, 'Unstake', status, async (amount) => {
        const staked = (await new Contract(sToken, ERC20_ABI, rpc).getFunction('balanceOf')(address)) as bigint;
        if (staked < amount) throw new WalletError(`Insufficient balance: you have ${units(staked, sSymbol)} staked, not ${units(amount, sSymbol)}.`);
        const wallet = await signer();
        status.textContent = `Confirm the unstake of ${units(amount, sSymbol)} in your wallet…`;
        const receipt = await (await new Contract(sToken, STAKE_ABI, wallet).getFunction('unstake')(amount)).wait();
        return `Unstaked ${units(amount, sSymbol)} in block ${receipt?.blockNumber}: its cooldown has started.`;
      }),
    );
  }
  return el(
    'section',
    { class: 'card', 'aria-labelledby': id, 'data-index': index.symbol },
    el('header', {}, el('h2', { id }, index.symbol), el('span', { class: 'lead' }, index.navUsd === null ? 'NAV: no price' : `NAV ${usd(index.navUsd)} per token`)),
    facts([
      ['Held', withUsd(index.held, index.symbol)],
      ['Staked', withUsd(index.staked, sSymbol)],
      ['In cooldown', withUsd(index.cooldown, index.symbol)],
    ]),
    table,
    ...forms,
    status,
  );
}

/** The epoch rewards: cumulative, claimed and claimable, and a claim through the wallet. */
async function rewardsCard(address: string, rpc: JsonRpcProvider, epoch: number | null): Promise<HTMLElement> {
  const heading = el('h2', { id: 'rewards-heading' }, 'Epoch rewards');
  const card = (...children: HTMLElement[]) => el('section', { class: 'card', id: 'rewards', 'aria-labelledby': 'rewards-heading' }, heading, ...children);
  // The portfolio names the latest epoch with a reward; without one, /v1/rewards would answer 404.
  if (epoch === null) return card(el('p', { class: 'lead' }, 'No epoch rewards yet.'));
  const rewards = await apiGet<Rewards>(`/v1/rewards/${address}`);
  const token = rewards.distributor ? ((await new Contract(rewards.distributor, DISTRIBUTOR_ABI, rpc).getFunction('rewardToken')()) as string) : null;
  const symbol = token ? ((await new Contract(token, ['function symbol() view returns (string)'], rpc).getFunction('symbol')()) as string) : 'reward tokens';
  const status = el('p', { class: 'lead', role: 'status', 'data-status': 'rewards' });
  const parts: HTMLElement[] = [
    facts([
      ['Latest epoch', `epoch ${rewards.epoch}`],
      ['Earned (cumulative)', units(rewards.cumulativeAmount, symbol)],
      ['Claimed', rewards.claimed === null ? 'unknown' : units(rewards.claimed, symbol)],
      ['Claimable', rewards.claimable === null ? 'unknown' : units(rewards.claimable, symbol)],
    ]),
  ];
  if (rewards.distributor && rewards.claimable !== null && BigInt(rewards.claimable) > 0n) {
    const distributor = rewards.distributor;
    const button = el('button', { type: 'button', id: 'claim' }, `Claim ${units(rewards.claimable, symbol)}`);
    button.addEventListener('click', () => {
      void (async () => {
        button.disabled = true;
        say(status, 'Confirm the claim in your wallet…');
        try {
          const claim = new Contract(distributor, DISTRIBUTOR_ABI, await signer()).getFunction('claim');
          const receipt = await (await claim(address, rewards.cumulativeAmount, rewards.proof)).wait();
          lastDone = `Claimed ${units(rewards.claimable!, symbol)} in block ${receipt?.blockNumber}.`;
          window.dispatchEvent(new Event('portfolio:refresh'));
        } catch (error) {
          say(status, walletError(error).message, true);
          button.disabled = false;
        }
      })();
    });
    parts.push(button);
  }
  return card(...parts, status);
}

/** #/portfolio: the connected wallet's index tokens, sTokens and cooldowns, with stake and unstake through the wallet. */
export async function renderPortfolio(main: HTMLElement): Promise<void> {
  const address = connectedAccount();
  if (!address) {
    const status = el('p', { class: 'lead', role: 'status' });
    const button = el('button', { type: 'button', id: 'connect-here' }, 'Connect wallet');
    button.addEventListener('click', () => {
      connect().catch((error) => say(status, walletError(error).message, true));
    });
    main.replaceChildren(el('h1', {}, 'Portfolio'), el('p', { class: 'lead' }, 'Connect a wallet to see its index tokens, staked tokens and cooldowns.'), button, status);
    return;
  }
  const config = await appConfig();
  const rpc = new JsonRpcProvider(config.rpc, Network.from(config.chainId), { staticNetwork: true });
  const data = await apiGet<Portfolio>(`/v1/portfolio/${address}`);
  const rewards = await rewardsCard(address, rpc, data.rewards.epoch);
  // Cooldowns run on chain time: the clocks count from the time of the block the API read, not the reader's clock.
  const block = await rpc.getBlock(data.block);
  const now = (block?.timestamp ?? Math.floor(Date.now() / 1000)) * 1000;
  const done = lastDone;
  lastDone = null;
  main.replaceChildren(
    el('h1', {}, 'Portfolio'),
    el('p', { class: 'mono', id: 'account' }, address),
    ...(done ? [el('p', { class: 'summary', role: 'status', id: 'done' }, done)] : []),
    facts([
      ['Points', `${data.points.total} points`],
      ['Pending this epoch', `${data.points.pending} points`],
      ['Locked', data.locked.length ? data.locked.map((l) => units(l.amount, l.token)).join(', ') : 'nothing'],
    ]),
    rewards,
    ...(data.indexes.length ? data.indexes.map((index) => indexCard(index, address, rpc, now)) : [el('p', { class: 'lead' }, 'This wallet holds no index tokens, staked tokens or cooldowns.')]),
    el('p', { class: 'source' }, `Source: GET /v1/portfolio at block ${data.block} (block time ${utc(Math.floor(now / 1000))}), chain ${config.chainId}; cooldown clocks count from that block time.`),
  );
}
