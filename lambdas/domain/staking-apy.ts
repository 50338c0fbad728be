/**
 * Staking APY from what was paid: the reward each earning sToken unit actually received from the
 * sToken's `RewardsDistributed` events (fee-sale cash paid to stakers), over a trailing window,
 * against the value of one staked token. A holder who stayed staked (or cooling) through the window
 * received exactly `rewardPerTokenUsd` per token, so the APR is what such a holder earned.
 */

/** One `RewardsDistributed` event of an sToken. */
export interface Distribution {
  /** Block time, seconds. */
  readonly timestamp: number;
  /** Reward-token units paid. */
  readonly amount: bigint;
  /** Staked + cooling supply that shared it (staked-token units). */
  readonly earningSupply: bigint;
}

export interface ApyInputs {
  readonly distributions: readonly Distribution[];
  /** Window end, seconds (the head block's time). */
  readonly now: number;
  /** USD per whole staked token, 18 decimals (the index NAV). */
  readonly navUsd: bigint;
  readonly stakedDecimals: number;
  /** The reward token is a USD stablecoin, valued at 1 USD. */
  readonly rewardDecimals: number;
}

export interface ApyWindow {
  readonly days: number;
  readonly from: number;
  readonly distributions: number;
  /** Reward-token units paid to stakers in the window, as USD with 18 decimals. */
  readonly paidUsd: bigint;
  /** USD paid per whole staked token held through the window, 18 decimals. */
  readonly rewardPerTokenUsd: bigint;
  readonly apr: number;
  readonly apy: number;
}

export const APY_WINDOWS = [1, 7, 30] as const;
const E18 = 10n ** 18n;

/**
 * The trailing windows of `inputs`: apr = rewardPerTokenUsd / navUsd x 365 / days,
 * apy = (1 + apr / 365)^365 - 1 (daily compounding). Nothing paid or no NAV: 0.
 */
export function trailingApy(inputs: ApyInputs, windows: readonly number[] = APY_WINDOWS): ApyWindow[] {
  const toUsd = 10n ** BigInt(18 - inputs.rewardDecimals);
  const perToken = 10n ** BigInt(inputs.stakedDecimals);
  return windows.map((days) => {
    const from = inputs.now - days * 86_400;
    const inWindow = inputs.distributions.filter((d) => d.timestamp > from && d.timestamp <= inputs.now && d.earningSupply > 0n);
    const paidUsd = inWindow.reduce((sum, d) => sum + d.amount * toUsd, 0n);
    const rewardPerTokenUsd = inWindow.reduce((sum, d) => sum + (d.amount * toUsd * perToken) / d.earningSupply, 0n);
    const apr = inputs.navUsd > 0n ? (Number((rewardPerTokenUsd * E18) / inputs.navUsd) / 1e18) * (365 / days) : 0;
    return { days, from, distributions: inWindow.length, paidUsd, rewardPerTokenUsd, apr, apy: Math.pow(1 + apr / 365, 365) - 1 };
  });
}
