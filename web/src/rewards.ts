import { Contract, type ContractTransactionReceipt } from 'ethers';
import { apiFind, apiGet } from './api';
import { chainReader, connectFirst, runAction, takeDone, units } from './actions';
import { el, facts } from './dom';
import { connectedAccount, signer } from './wallet';

/** GET /v1/rewards/{address} (lambdas/points/api.ts): the latest cumulative claim with its proof. */
interface Rewards {
  epoch: number;
  cumulativeAmount: string;
  claimed: string | null;
  claimable: string | null;
  proof: string[];
  distributor: string | null;
}

/** GET /v1/epochs: the started epochs and what was recorded of each. */
interface Epochs {
  currentEpoch: number | null;
  epochs: Array<{ epoch: number; start: string; end: string; status: string; pool: string | null; totalPoints: string | null; publishTx: string | null }>;
}

const DISTRIBUTOR_ABI = ['function claim(address, uint256, bytes32[]) returns (uint256)', 'function rewardToken() view returns (address)'];

function epochTable(list: Epochs, symbol: string): HTMLElement {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'epochs' },
      el('caption', {}, 'Epochs'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Epoch'), el('th', { scope: 'col' }, 'Days'), el('th', { scope: 'col' }, 'Status'), el('th', { scope: 'col', class: 'num' }, 'Pool'), el('th', { scope: 'col', class: 'num hide-narrow' }, 'Points'))),
      el(
        'tbody',
        {},
        ...[...list.epochs].reverse().map((e) =>
          el(
            'tr',
            { 'data-epoch': String(e.epoch) },
            el('th', { scope: 'row' }, `#${e.epoch}`),
            el('td', {}, `${e.start} – ${e.end}`),
            el('td', {}, e.status),
            el('td', { class: 'num' }, e.pool === null ? '–' : units(e.pool, symbol)),
            el('td', { class: 'num hide-narrow' }, e.totalPoints === null ? '–' : `${e.totalPoints} points`),
          ),
        ),
      ),
    ),
  );
}

/** #/rewards: the connected wallet's epoch rewards (earned, paid, claimable) with a claim through the wallet, and the epochs behind them. */
export async function renderRewards(main: HTMLElement): Promise<void> {
  const address = connectedAccount();
  if (!address) return connectFirst(main, 'Rewards', 'Connect a wallet to see its claimable epoch rewards and claim them.');
  const { rpc, chainId } = await chainReader();
  const [rewards, epochs, head] = await Promise.all([apiFind<Rewards>(`/v1/rewards/${address}`), apiGet<Epochs>('/v1/epochs'), rpc.getBlockNumber()]);
  const distributor = rewards?.distributor ?? null;
  const token = distributor ? ((await new Contract(distributor, DISTRIBUTOR_ABI, rpc).getFunction('rewardToken')()) as string) : null;
  const symbol = token ? ((await new Contract(token, ['function symbol() view returns (string)'], rpc).getFunction('symbol')()) as string) : 'reward tokens';
  const done = takeDone();
  const status = el('p', { class: 'lead', role: 'status', 'data-status': 'rewards' });
  const parts: Array<HTMLElement> = [];
  if (!rewards) {
    parts.push(el('p', { class: 'lead' }, 'No epoch rewards yet: rewards are allocated by points when an epoch closes.'));
  } else {
    parts.push(
      facts([
        ['Latest epoch', `epoch ${rewards.epoch}`],
        ['Earned (cumulative)', units(rewards.cumulativeAmount, symbol)],
        ['Claimed', rewards.claimed === null ? 'unknown' : units(rewards.claimed, symbol)],
        ['Claimable', rewards.claimable === null ? 'unknown' : units(rewards.claimable, symbol)],
      ]),
    );
    if (distributor && rewards.claimable !== null && BigInt(rewards.claimable) > 0n) {
      const claimable = rewards.claimable;
      const button = el('button', { type: 'button', id: 'claim' }, `Claim ${units(claimable, symbol)}`);
      button.addEventListener('click', () => {
        void runAction(button, status, 'Confirm the claim in your wallet…', async () => {
          const claim = new Contract(distributor, DISTRIBUTOR_ABI, await signer()).getFunction('claim');
          const receipt = (await (await claim(address, rewards.cumulativeAmount, rewards.proof)).wait()) as ContractTransactionReceipt | null;
          return `Claimed ${units(claimable, symbol)} in block ${receipt?.blockNumber}.`;
        });
      });
      parts.push(button);
    }
  }
  main.replaceChildren(
    el('h1', {}, 'Rewards'),
    el('p', { class: 'mono', id: 'account' }, address),
    ...(done ? [el('p', { class: 'summary', role: 'status', id: 'done' }, done)] : []),
    el('section', { class: 'card', id: 'rewards', 'aria-labelledby': 'rewards-heading' }, el('h2', { id: 'rewards-heading' }, 'Epoch rewards'), ...parts, status),
    el('section', { class: 'card', 'aria-label': 'Epochs' }, epochTable(epochs, symbol)),
    el('p', { class: 'source' }, `Source: GET /v1/rewards and GET /v1/epochs; claimed amounts read from the RewardsDistributor on chain ${chainId} (head block ${head}).`),
  );
}
