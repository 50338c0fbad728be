import { Contract, Interface, type Provider } from 'ethers';
import type { DeploymentConfig } from '../shared/config';
import { dayOf, type Day } from '../domain/points/calendar';
import { formatFixed, formatPoints } from '../domain/points/decimal';
import type { Prices } from '../domain/points/rules';
import { ChainSnapshotSources, stakedIndexes, type ReferencePrices } from './chain-sources';
import { DISTRIBUTOR_ABI } from './distributor';
import type { PointsStore } from './store';
import type { EpochCalendar } from '../domain/points/calendar';

export interface PortfolioDeps {
  readonly provider: Provider;
  readonly deployment: Pick<DeploymentConfig, 'contracts' | 'tokens' | 'indexes'>;
  readonly prices: ReferencePrices;
  readonly sosoSymbol: string;
  readonly store: PointsStore;
  readonly calendar: EpochCalendar;
  readonly now?: () => Date;
}

const COOLDOWNS_ABI = ['function cooldownsOf(address) view returns ((uint256 id, uint256 amount, uint64 endsAt)[])'];
const usd = (atto: bigint): string => formatFixed(atto, 18);
const valueOf = (prices: Prices, key: string, amount: bigint): bigint | null => {
  const price = prices.get(key);
  return price ? (amount * price.usd) / 10n ** BigInt(price.decimals) : null;
};

/**
 * GET /v1/portfolio/{address}: index tokens held, staked and in cooldown (with end dates) per
 * index and their USD value at today's NAV (tokenset x reference prices), locked tokens, staked
 * $SOSO, points (total, by epoch, and pending: the current epoch's) and rewards (cumulative,
 * claimed on-chain, claimable). Read at the latest block.
 */
export async function portfolio(deps: PortfolioDeps, address: string) {
  const now = deps.now?.() ?? new Date();
  const today: Day = dayOf(now);
  const sources = new ChainSnapshotSources({ provider: deps.provider, deployment: deps.deployment, prices: deps.prices, sosoSymbol: deps.sosoSymbol, pinBlock: async () => deps.provider.getBlockNumber() });
  const block = await sources.block(today);
  const [positions, prices, epochs, claim] = await Promise.all([
    sources.positions(today, block, [address]).then(([found]) => found ?? { address: address.toLowerCase(), lines: [], sosoStaked: 0n }),
    sources.prices(today, block).catch(() => new Map() as Prices),
    deps.store.userEpochs(address),
    deps.store.latestClaim(address),
  ]);
  const indexes = await Promise.all(
    stakedIndexes(deps.deployment).map(async (index) => {
      const amount = (kind: string) => positions.lines.find((l) => l.kind === kind && l.token === index.symbol)?.amount ?? 0n;
      const cooldowns = index.sToken
        ? ((await new Contract(index.sToken, COOLDOWNS_ABI, deps.provider).getFunction('cooldownsOf')(address, { blockTag: block })) as Array<{ id: bigint; amount: bigint; endsAt: bigint }>)
        : [];
      const [held, staked, cooling] = [amount('hold'), amount('stake'), amount('cooldown')];
      const nav = prices.get(index.symbol)?.usd;
      const value = (units: bigint) => (nav === undefined ? null : usd(valueOf(prices, index.symbol, units)!));
      return {
        symbol: index.symbol,
        token: index.token,
        sToken: index.sToken ?? null,
        navUsd: nav === undefined ? null : usd(nav),
        held: { amount: held, usd: value(held) },
        staked: { amount: staked, usd: value(staked) },
        cooldown: {
          amount: cooling,
          usd: value(cooling),
          requests: cooldowns.map((c) => ({ id: c.id, amount: c.amount, endsAt: new Date(Number(c.endsAt) * 1000).toISOString() })),
        },
      };
    }),
  );
  const locked = positions.lines.filter((l) => l.kind === 'lock').map((l) => {
    const value = valueOf(prices, l.token, l.amount);
    return { token: l.token, amount: l.amount, usd: value === null ? null : usd(value) };
  });
  const sosoValue = valueOf(prices, deps.sosoSymbol, positions.sosoStaked);
  const currentEpoch = deps.calendar.epochOf(today);
  const distributor = deps.deployment.contracts.rewardsDistributor;
  const claimed = distributor ? ((await new Contract(distributor, DISTRIBUTOR_ABI, deps.provider).getFunction('claimedOf')(address, { blockTag: block })) as bigint) : 0n;
  const cumulative = claim?.cumulativeAmount ?? 0n;
  return {
    address,
    block,
    indexes: indexes.filter((i) => i.held.amount > 0n || i.staked.amount > 0n || i.cooldown.amount > 0n),
    locked,
    sosoStaked: { amount: positions.sosoStaked, usd: sosoValue === null ? null : usd(sosoValue) },
    points: {
      total: formatPoints(epochs.reduce((sum, e) => sum + e.points, 0n)),
      byEpoch: epochs.map((e) => ({ epoch: e.epoch, points: formatPoints(e.points) })),
      currentEpoch: currentEpoch ?? null,
      pending: formatPoints(epochs.find((e) => e.epoch === currentEpoch)?.points ?? 0n),
    },
    rewards: { epoch: claim?.epoch ?? null, cumulative, claimed, claimable: cumulative > claimed ? cumulative - claimed : 0n },
  };
}

const FEE_SOLD = new Interface([
  'event FeeSold(bytes32 indexed orderHash, address indexed index, address indexed maker, address[] assets, uint256[] amounts, address cashToken, uint256 cashAmount, address feeVault)',
]);
const SUPPLY_ABI = ['function totalSupply() view returns (uint256)'];

export interface ApyDeps extends Omit<PortfolioDeps, 'store' | 'calendar'> {
  /** Window the fee distributions are summed over (default 30 days). */
  readonly windowDays?: number;
}

/**
 * GET /v1/staking/apy: per index, from actual fee distributions. Formula:
 *   apr = (fee cash distributed in the window, USD) / (staked value now, USD) x 365 / windowDays
 *   apy = (1 + apr / 365)^365 - 1 (daily compounding)
 * where fee cash = the Rebalancer's FeeSold `cashAmount` for the index (cash tokens valued at
 * 1 USD) with block time in the window, and staked value = sToken totalSupply x NAV. No
 * distribution (or nothing staked) in the window: 0, with the window it looked at.
 */
export async function stakingApy(deps: ApyDeps) {
  const windowDays = deps.windowDays ?? 30;
  const now = deps.now?.() ?? new Date();
  const today = dayOf(now);
  const head = await deps.provider.getBlock('latest');
  if (!head) throw new Error('no latest block');
  const from = head.timestamp - windowDays * 86_400;
  const sources = new ChainSnapshotSources({ provider: deps.provider, deployment: deps.deployment, prices: deps.prices, sosoSymbol: deps.sosoSymbol, pinBlock: async () => head.number });
  const prices = await sources.prices(today, head.number);
  const cashDecimals = new Map(Object.values(deps.deployment.tokens).map((t) => [t.address.toLowerCase(), t.decimals]));
  const fees = new Map<string, bigint>();
  const rebalancer = deps.deployment.contracts.rebalancer;
  if (rebalancer) {
    const logs = await deps.provider.getLogs({ address: rebalancer, topics: [FEE_SOLD.getEvent('FeeSold')!.topicHash], fromBlock: 0, toBlock: head.number });
    const times = new Map<number, number>();
    for (const log of logs) {
      if (!times.has(log.blockNumber)) times.set(log.blockNumber, (await deps.provider.getBlock(log.blockNumber))!.timestamp);
      if (times.get(log.blockNumber)! < from) continue;
      const event = FEE_SOLD.parseLog(log)!;
      const decimals = cashDecimals.get((event.args.cashToken as string).toLowerCase()) ?? 18;
      const atto = (event.args.cashAmount as bigint) * 10n ** BigInt(18 - decimals);
      const index = (event.args.index as string).toLowerCase();
      fees.set(index, (fees.get(index) ?? 0n) + atto);
    }
  }
  const indexes = await Promise.all(
    stakedIndexes(deps.deployment).map(async (index) => {
      const staked = index.sToken ? ((await new Contract(index.sToken, SUPPLY_ABI, deps.provider).getFunction('totalSupply')({ blockTag: head.number })) as bigint) : 0n;
      const stakedUsd = valueOf(prices, index.symbol, staked) ?? 0n;
      const feesUsd = fees.get(index.token.toLowerCase()) ?? 0n;
      const apr = stakedUsd > 0n && feesUsd > 0n ? (Number(feesUsd) / Number(stakedUsd)) * (365 / windowDays) : 0;
      return { symbol: index.symbol, stakedUsd: usd(stakedUsd), feesUsd: usd(feesUsd), apr, apy: Math.pow(1 + apr / 365, 365) - 1 };
    }),
  );
  return {
    window: { days: windowDays, from: new Date(from * 1000).toISOString(), to: new Date(head.timestamp * 1000).toISOString(), block: head.number },
    formula: 'apr = fees distributed in window (FeeSold cash, USD) / staked value (sToken supply x NAV) x 365 / windowDays; apy = (1 + apr/365)^365 - 1',
    indexes,
  };
}
