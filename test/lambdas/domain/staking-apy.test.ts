import { trailingApy } from '../../../lambdas/domain/staking-apy';

const E18 = 10n ** 18n;
const USDC = 10n ** 6n;
const DAY = 86_400;

describe('trailingApy (staking APY from distributions paid)', () => {
  const now = 100 * DAY;
  // sMAG7.ssi: 1,000 tokens earning, NAV 100 USD; 10 USDC paid yesterday (12h ago), 20 USDC 5 days ago
  // to 2,000 earning tokens, 50 USDC 20 days ago, 999 USDC 40 days ago (outside every window).
  const distributions = [
    { timestamp: now - DAY / 2, amount: 10n * USDC, earningSupply: 1_000n * E18 },
    { timestamp: now - 5 * DAY, amount: 20n * USDC, earningSupply: 2_000n * E18 },
    { timestamp: now - 20 * DAY, amount: 50n * USDC, earningSupply: 1_000n * E18 },
    { timestamp: now - 40 * DAY, amount: 999n * USDC, earningSupply: 1_000n * E18 },
  ];
  const [one, seven, thirty] = trailingApy({ distributions, now, navUsd: 100n * E18, stakedDecimals: 18, rewardDecimals: 6 });

  it('sums what a token held through each window received, per distribution at its own earning supply', () => {
    expect(one).toMatchObject({ days: 1, distributions: 1, paidUsd: 10n * E18, rewardPerTokenUsd: E18 / 100n });
    expect(seven).toMatchObject({ days: 7, distributions: 2, paidUsd: 30n * E18, rewardPerTokenUsd: (2n * E18) / 100n });
    expect(thirty).toMatchObject({ days: 30, distributions: 3, paidUsd: 80n * E18, rewardPerTokenUsd: (7n * E18) / 100n });
  });

  it('annualises the return on the NAV and compounds it daily', () => {
    // 0.01 USD per 100 USD token in one day: 0.01% a day.
    expect(one!.apr).toBeCloseTo(0.0001 * 365, 12);
    expect(one!.apy).toBeCloseTo(Math.pow(1.0001, 365) - 1, 12);
    expect(seven!.apr).toBeCloseTo((0.0002 * 365) / 7, 12);
    expect(thirty!.apr).toBeCloseTo((0.0007 * 365) / 30, 12);
  });

  it('is 0 when nothing was paid or the NAV is unknown', () => {
    expect(trailingApy({ distributions: [], now, navUsd: 100n * E18, stakedDecimals: 18, rewardDecimals: 6 })[0]).toMatchObject({ apr: 0, apy: 0, paidUsd: 0n });
    expect(trailingApy({ distributions, now, navUsd: 0n, stakedDecimals: 18, rewardDecimals: 6 })[0]).toMatchObject({ apr: 0, apy: 0 });
  });

  it('gives the docs/fees.md worked example: 400 USDC to 400 earning MAG7.ssi at a 100 USD NAV', () => {
    const sale = { timestamp: now - 1, amount: 400n * USDC, earningSupply: 400n * E18 };
    const earlier = { timestamp: now - 30 * DAY - 5, amount: 500n * USDC, earningSupply: 300n * E18 };
    const [, , window] = trailingApy({ distributions: [earlier, sale], now, navUsd: 100n * E18, stakedDecimals: 18, rewardDecimals: 6 });
    expect(window).toMatchObject({ distributions: 1, paidUsd: 400n * E18, rewardPerTokenUsd: E18 });
    expect(window!.apr).toBeCloseTo(0.1217, 4);
    expect(window!.apy).toBeCloseTo(0.12935, 5);
  });
});
