import { Contract, Interface, parseUnits, type ContractTransactionReceipt, type JsonRpcProvider } from 'ethers';
import { apiGet } from './api';
import { DECIMALS, chainReader, connectFirst, runAction, say, takeDone, units, usd } from './actions';
import { clock, el, facts, utc } from './dom';
import { WalletError, connectedAccount, signer } from './wallet';

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
  sosoStaked: Amount;
  points: { total: string; pending: string; currentEpoch: number | null };
  boost: { tier: number; tiers: number; multiplier: string; sosoStakedUsd: string; indexUsd: string; next: { minRatio: string; multiplier: string } | null } | null;
  rewards: { epoch: number | null; claimable: string };
}

const ERC20_ABI = ['function balanceOf(address) view returns (uint256)', 'function allowance(address, address) view returns (uint256)', 'function approve(address, uint256) returns (bool)'];
const STAKE = new Interface([
  'function stake(uint256)',
  'function unstake(uint256) returns (uint256)',
  'function withdraw() returns (uint256)',
  'function withdrawableOf(address) view returns (uint256)',
  'event Withdrawn(address indexed user, uint256 amount, uint256 firstRequestId, uint256 lastRequestId, uint256 userStaked, uint256 userCooling)',
]);

const withUsd = (a: Amount, symbol: string) => `${units(a.amount, symbol)} (${usd(a.usd)})`;

/** One labelled amount field and its button; `act` runs with the parsed amount, its outcome is announced in `status`. */
function amountForm(id: string, label: string, button: string, status: HTMLElement, act: (amount: bigint) => Promise<string>): HTMLFormElement {
  const input = el('input', { id, name: id, inputmode: 'decimal', autocomplete: 'off', required: '', pattern: '[0-9]*[.]?[0-9]*' });
  const submit = el('button', { type: 'submit' }, button);
  const form = el('form', { class: 'holder' }, el('label', { for: id }, label), input, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction(submit, status, 'Waiting for the wallet…', async () => {
      let amount: bigint;
      try {
        amount = parseUnits(input.value.trim(), DECIMALS);
      } catch {
        throw new WalletError(`Not an amount: "${input.value}".`);
      }
      if (amount <= 0n) throw new WalletError('Enter an amount above zero.');
      return act(amount);
    });
  });
  return form;
}

/** Withdraws every matured cooldown request of one sToken; refuses, with the next end time, while none has matured on chain. */
function withdrawButton(index: Portfolio['indexes'][number], sToken: string, address: string, rpc: JsonRpcProvider, status: HTMLElement): HTMLButtonElement {
  const button = el('button', { type: 'button', id: `withdraw-${index.symbol}` }, 'Withdraw matured requests');
  button.addEventListener('click', () => {
    void runAction(button, status, 'Checking which requests have matured…', async () => {
      // withdrawableOf reads at the chain's latest block: its clock, not the reader's, decides maturity.
      const ready = (await new Contract(sToken, STAKE, rpc).getFunction('withdrawableOf')(address)) as bigint;
      if (ready === 0n) {
        const next = Math.min(...index.cooldown.requests.map((r) => Date.parse(r.endsAt) / 1000));
        throw new WalletError(`Still cooling down: no request has matured yet (the next ends ${utc(next)}).`);
      }
      say(status, `Confirm the withdrawal of ${units(ready, index.symbol)} in your wallet…`);
      const receipt = (await (await new Contract(sToken, STAKE, await signer()).getFunction('withdraw')()).wait()) as ContractTransactionReceipt | null;
      const paid = receipt?.logs.map((log) => STAKE.parseLog(log)).find((event) => event?.name === 'Withdrawn');
      return `Withdrew ${units(paid ? (paid.args[1] as bigint) : ready, index.symbol)} in block ${receipt?.blockNumber}.`;
    });
  });
  return button;
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
              el('tr', { 'data-request': r.id }, el('th', { scope: 'row' }, `#${r.id}`), el('td', { class: 'num' }, units(r.amount, index.symbol)), el('td', { class: 'ends' }, utc(Date.parse(r.endsAt) / 1000)), el('td', { class: 'clock' }, clock(Date.parse(r.endsAt), now, 'withdrawable'))),
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
        const receipt = await (await new Contract(sToken, STAKE, wallet).getFunction('stake')(amount)).wait();
        return `Staked ${units(amount, index.symbol)} in block ${receipt?.blockNumber}.`;
      }),
      amountForm(`unstake-${index.symbol}`, `Unstake (${sSymbol})`, 'Unstake', status, async (amount) => {
        const staked = (await new Contract(sToken, ERC20_ABI, rpc).getFunction('balanceOf')(address)) as bigint;
        if (staked < amount) throw new WalletError(`Insufficient balance: you have ${units(staked, sSymbol)} staked, not ${units(amount, sSymbol)}.`);
        const wallet = await signer();
        status.textContent = `Confirm the unstake of ${units(amount, sSymbol)} in your wallet…`;
        const receipt = await (await new Contract(sToken, STAKE, wallet).getFunction('unstake')(amount)).wait();
        return `Unstaked ${units(amount, sSymbol)} in block ${receipt?.blockNumber}: its cooldown has started.`;
      }),
    );
    if (requests.length) forms.push(withdrawButton(index, sToken, address, rpc, status));
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

/** The tier the wallet's positions reach today, in words: the multiplier, the USD ratio behind it and the next tier. */
function boostText(boost: Portfolio['boost']): string {
  if (!boost) return 'unknown (a position has no price)';
  const next = boost.next ? `; next tier at $${boost.next.minRatio} of staked SOSO per $1 of index tokens: ${boost.next.multiplier}x` : '; the top tier';
  return `tier ${boost.tier} of ${boost.tiers}: ${boost.multiplier}x points (${usd(boost.sosoStakedUsd)} of staked SOSO against ${usd(boost.indexUsd)} of index tokens${next})`;
}

/** #/portfolio: the connected wallet's index tokens, sTokens, cooldowns, locks, points and boost, with stake, unstake and withdraw through the wallet. */
export async function renderPortfolio(main: HTMLElement): Promise<void> {
  const address = connectedAccount();
  if (!address) return connectFirst(main, 'Portfolio', 'Connect a wallet to see its index tokens, staked tokens, cooldowns, locks, points and boost tier.');
  const { rpc, chainId } = await chainReader();
  const data = await apiGet<Portfolio>(`/v1/portfolio/${address}`);
  // Cooldowns run on chain time: the clocks count from the time of the block the API read, not the reader's clock.
  const block = await rpc.getBlock(data.block);
  const now = (block?.timestamp ?? Math.floor(Date.now() / 1000)) * 1000;
  const done = takeDone();
  const claimable = BigInt(data.rewards.claimable);
  main.replaceChildren(
    el('h1', {}, 'Portfolio'),
    el('p', { class: 'mono', id: 'account' }, address),
    ...(done ? [el('p', { class: 'summary', role: 'status', id: 'done' }, done)] : []),
    el(
      'section',
      { class: 'card', id: 'standing', 'aria-labelledby': 'standing-heading' },
      el('h2', { id: 'standing-heading' }, 'Points and boost'),
      facts([
        ['Points', `${data.points.total} points`],
        [data.points.currentEpoch === null ? 'This epoch' : `Epoch ${data.points.currentEpoch} so far`, `${data.points.pending} points`],
        ['Boost', boostText(data.boost)],
        ['Staked SOSO', withUsd(data.sosoStaked, 'SOSO')],
        ['Locked', data.locked.length ? data.locked.map((l) => `${units(l.amount, l.token)} (${usd(l.usd)})`).join(', ') : 'nothing'],
        ['Epoch rewards', el('a', { href: '#/rewards' }, claimable > 0n ? 'claimable: see Rewards' : 'nothing to claim')],
      ]),
    ),
    ...(data.indexes.length ? data.indexes.map((index) => indexCard(index, address, rpc, now)) : [el('p', { class: 'lead' }, 'This wallet holds no index tokens, staked tokens or cooldowns.')]),
    el('p', { class: 'source' }, `Source: GET /v1/portfolio at block ${data.block} (block time ${utc(Math.floor(now / 1000))}), chain ${chainId}; points from the daily snapshots, boost from today’s positions at that block; cooldown clocks count from that block time.`),
  );
}
