import { Contract, Interface, zeroPadValue, type Provider } from 'ethers';
import type { DeploymentConfig } from '../shared/config';
import { dayOf, type Day } from '../domain/points/calendar';
import { formatFixed, formatPoints } from '../domain/points/decimal';
import { accountPoints, boostTierOf, type Prices } from '../domain/points/rules';
import type { PointsConfig } from '../domain/points/config';
import { ChainSnapshotSources, stakedIndexes, type ReferencePrices } from './chain-sources';
import type { PointsStore } from './store';
import type { EpochCalendar } from '../domain/points/calendar';
import { APY_WINDOWS, trailingApy, type Distribution } from '../domain/staking-apy';
import { ERC20_ABI, REWARDS_DISTRIBUTOR_ABI, STAKE_TOKEN_ABI } from '../shared/abi';

export interface PortfolioDeps {
  readonly provider: Provider;
  readonly deployment: Pick<DeploymentConfig, 'contracts' | 'tokens' | 'indexes'>;
  readonly prices: ReferencePrices;
  readonly sosoSymbol: string;
  readonly store: PointsStore;
  readonly calendar: EpochCalendar;
  readonly now?: () => Date;
}

const usd = (atto: bigint): string => formatFixed(atto, 18);
const valueOf = (prices: Prices, key: string, amount: bigint): bigint | null => {
  const price = prices.get(key);
  return price ? (amount * price.usd) / 10n ** BigInt(price.decimals) : null;
};

/**
 * GET /v1/portfolio/{address}: index tokens held, staked and in cooldown (with end dates) per
 * index and their USD value at today's NAV (tokenset x reference prices), locked tokens, staked
 * $SOSO, points (total, by epoch, and pending: the current epoch's), epoch rewards (cumulative,
 * claimed on-chain, claimable) and per index the sToken's fee rewards (earned = claimed + claimable,
 * in the reward token's units) and the boost tier today's positions reach under the points rules
 * (null when a position has no price). Read at the latest block.
 */
export async function portfolio(deps: PortfolioDeps & { readonly rules: PointsConfig }, address: string) {
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
        ? ((await new Contract(index.sToken, STAKE_TOKEN_ABI, deps.provider).getFunction('cooldownsOf')(address, { blockTag: block })) as Array<{ id: bigint; amount: bigint; endsAt: bigint }>)
        : [];
      const [held, staked, cooling] = [amount('hold'), amount('stake'), amount('cooldown')];
      const feeRewards = index.sToken ? await feeRewardsOf(deps.provider, index.sToken, address, block) : null;
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
        feeRewards,
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
  const claimed = distributor ? ((await new Contract(distributor, REWARDS_DISTRIBUTOR_ABI, deps.provider).getFunction('claimedOf')(address, { blockTag: block })) as bigint) : 0n;
  const cumulative = claim?.cumulativeAmount ?? 0n;
  return {
    ...boostOf(positions, prices, deps.rules),
    address,
    block,
    indexes: indexes.filter((i) => i.held.amount > 0n || i.staked.amount > 0n || i.cooldown.amount > 0n || (i.feeRewards?.earned ?? 0n) > 0n),
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

/** The boost tier positions reach today, as the points snapshot values them; null when one of them has no price. */
function boostOf(positions: Parameters<typeof accountPoints>[0], prices: Prices, rules: PointsConfig) {
  let day: ReturnType<typeof accountPoints>;
  try {
    day = accountPoints(positions, prices, rules);
  } catch (error) {
    if (error instanceof RangeError) return { boost: null };
    throw error;
  }
  const tier = boostTierOf(day.sosoUsd, day.indexUsd, rules);
  const next = rules.boostTiers[tier + 1];
  return {
    boost: {
      tier: tier + 1,
      tiers: rules.boostTiers.length,
      multiplier: formatFixed(rules.boostTiers[tier]!.boost, 6),
      sosoStakedUsd: usd(day.sosoUsd),
      indexUsd: usd(day.indexUsd),
      next: next ? { minRatio: formatFixed(next.minRatio, 6), multiplier: formatFixed(next.boost, 6) } : null,
    },
  };
}

const STAKE_REWARDS = new Interface(STAKE_TOKEN_ABI);

/** The sToken's reward token and its decimals, or null while none is set. */
async function rewardTokenOf(provider: Provider, sToken: string, blockTag: number): Promise<{ address: string; decimals: number } | null> {
  const address = (await new Contract(sToken, STAKE_REWARDS, provider).getFunction('rewardToken')({ blockTag })) as string;
  if (/^0x0{40}$/i.test(address)) return null;
  return { address, decimals: Number(await new Contract(address, ERC20_ABI, provider).getFunction('decimals')()) };
}

/** `address`'s fee rewards from `sToken`: claimed so far (RewardsClaimed events), claimable now, and their sum (earned). */
async function feeRewardsOf(provider: Provider, sToken: string, address: string, blockTag: number) {
  const token = await rewardTokenOf(provider, sToken, blockTag);
  if (!token) return null;
  const contract = new Contract(sToken, STAKE_REWARDS, provider);
  const logs = await provider.getLogs({ address: sToken, topics: [STAKE_REWARDS.getEvent('RewardsClaimed')!.topicHash, zeroPadValue(address, 32)], fromBlock: 0, toBlock: blockTag });
  const claimed = logs.reduce((sum, log) => sum + (STAKE_REWARDS.parseLog(log)!.args.amount as bigint), 0n);
  const claimable = (await contract.getFunction('claimableRewardsOf')(address, { blockTag })) as bigint;
  return { rewardToken: token.address, decimals: token.decimals, earned: claimed + claimable, claimed, claimable };
}

export type ApyDeps = Omit<PortfolioDeps, 'store' | 'calendar'>;

/**
 * GET /v1/staking/apy: per index, the trailing 1-, 7- and 30-day APY from the fee rewards actually
 * paid to its sToken's holders (RewardsDistributed events; lambdas/domain/staking-apy.ts), with the
 * inputs: NAV, earning supply now, and per window the distributions, USD paid and USD per token.
 */
export async function stakingApy(deps: ApyDeps) {
  const now = deps.now?.() ?? new Date();
  const head = await deps.provider.getBlock('latest');
  if (!head) throw new Error('no latest block');
  const sources = new ChainSnapshotSources({ provider: deps.provider, deployment: deps.deployment, prices: deps.prices, sosoSymbol: deps.sosoSymbol, pinBlock: async () => head.number });
  const prices = await sources.prices(dayOf(now), head.number);
  const indexes = await Promise.all(
    stakedIndexes(deps.deployment).map(async (index) => {
      const navUsd = prices.get(index.symbol)?.usd ?? 0n;
      const token = index.sToken ? await rewardTokenOf(deps.provider, index.sToken, head.number) : null;
      if (!index.sToken || !token) return { symbol: index.symbol, sToken: index.sToken ?? null, rewardToken: null, navUsd: usd(navUsd), earningSupply: 0n, windows: [], apr: 0, apy: 0 };
      const sToken = new Contract(index.sToken, STAKE_REWARDS, deps.provider);
      const [staked, cooling, stakedDecimals] = (await Promise.all([
        sToken.getFunction('totalSupply')({ blockTag: head.number }),
        sToken.getFunction('totalCooling')({ blockTag: head.number }),
        sToken.getFunction('decimals')(),
      ])) as [bigint, bigint, bigint];
      const from = head.timestamp - Math.max(...APY_WINDOWS) * 86_400;
      const logs = await deps.provider.getLogs({ address: index.sToken, topics: [STAKE_REWARDS.getEvent('RewardsDistributed')!.topicHash], fromBlock: 0, toBlock: head.number });
      const times = new Map<number, number>();
      const distributions: Distribution[] = [];
      for (const log of logs) {
        if (!times.has(log.blockNumber)) times.set(log.blockNumber, (await deps.provider.getBlock(log.blockNumber))!.timestamp);
        const timestamp = times.get(log.blockNumber)!;
        if (timestamp <= from) continue;
        const event = STAKE_REWARDS.parseLog(log)!;
        distributions.push({ timestamp, amount: event.args.amount as bigint, earningSupply: event.args.earningSupply as bigint });
      }
      const windows = trailingApy({ distributions, now: head.timestamp, navUsd, stakedDecimals: Number(stakedDecimals), rewardDecimals: token.decimals }).map((w) => ({
        days: w.days,
        from: new Date(w.from * 1000).toISOString(),
        distributions: w.distributions,
        paidUsd: usd(w.paidUsd),
        rewardPerTokenUsd: usd(w.rewardPerTokenUsd),
        apr: w.apr,
        apy: w.apy,
      }));
      const headline = windows[windows.length - 1]!;
      return { symbol: index.symbol, sToken: index.sToken, rewardToken: token.address, navUsd: usd(navUsd), earningSupply: staked + cooling, windows, apr: headline.apr, apy: headline.apy };
    }),
  );
  return {
    asOf: { block: head.number, time: new Date(head.timestamp * 1000).toISOString() },
    formula:
      'per window: rewardPerTokenUsd = sum over RewardsDistributed of amount (USD) / earningSupply (staked + cooling tokens); apr = rewardPerTokenUsd / NAV x 365 / days; apy = (1 + apr/365)^365 - 1; apr/apy at the top: the 30-day window',
    indexes,
  };
}
