import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Contract, JsonRpcProvider, Wallet, parseUnits } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { mintOnLocalStack } from '../../helpers/local-mint';
import { addDays, dayOf } from '../../../lambdas/domain/points/calendar';
import { DEFAULT_POINTS_CONFIG_INPUT } from '../../../lambdas/domain/points/config';

const run = promisify(execFile);
const ONE = 10n ** 18n;
const ROOT = resolve(__dirname, '../../..');

const ERC20 = ['function balanceOf(address) view returns (uint256)', 'function approve(address, uint256) returns (bool)', 'function transfer(address, uint256) returns (bool)'];
const STAKE = [...ERC20, 'function stake(uint256)', 'function unstake(uint256) returns (uint256)', 'function cooldownDuration() view returns (uint64)'];
const DISTRIBUTOR = ['function rootOf(uint32) view returns ((bytes32 root, uint256 totalCumulative, uint64 activatesAt, bool revoked))', 'function claimedOf(address) view returns (uint256)'];

/** Runs the CLI; resolves with exit code and output whatever the code. */
async function ssi(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [resolve(ROOT, 'bin/ssi.js'), ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('points end to end on the local stack: stake, snapshot, close the epoch, claim', () => {
  // Epoch 1 is yesterday, one day long: the scheduled snapshot records yesterday (the day that
  // just ended) and the epoch close sees it over today.
  const yesterday = addDays(dayOf(new Date()), -1);
  let stack: TestStack;
  let provider: JsonRpcProvider;
  let holder: Wallet;
  let staker: Wallet;

  beforeAll(async () => {
    process.env.SSI_POINTS_CONFIG = JSON.stringify({ ...DEFAULT_POINTS_CONFIG_INPUT, epochs: { genesis: yesterday, lengthDays: 1, first: 1 } });
    stack = await startTestStack();
    provider = new JsonRpcProvider(stack.file.rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
    holder = Wallet.createRandom(provider) as unknown as Wallet;
    staker = Wallet.createRandom(provider) as unknown as Wallet;
    for (const wallet of [holder, staker]) await provider.send('hardhat_setBalance', [wallet.address, '0x3635C9ADC5DEA00000']);
  }, 300_000);
  afterAll(async () => {
    provider?.destroy();
    await stack?.stop();
    delete process.env.SSI_POINTS_CONFIG;
  });

  /** The holder gets 2 DEFI.ssi minted through the quote API, keeps 1 and gives 1 to the staker, who stakes it. */
  async function mintAndStake(): Promise<void> {
    const { contracts, indexes } = stack.file;
    await mintOnLocalStack(stack, { index: 'DEFI.ssi', amount: 2n * ONE, to: holder.address });
    await (await new Contract(indexes['DEFI.ssi']!, ERC20, holder).getFunction('transfer')(staker.address, ONE)).wait();
    const sToken = contracts['sDEFI.ssi']!;
    await (await new Contract(indexes['DEFI.ssi']!, ERC20, staker).getFunction('approve')(sToken, ONE)).wait();
    await (await new Contract(sToken, STAKE, staker).getFunction('stake')(ONE)).wait();
  }

  const points = async (address: string) => {
    const answer = await stack.api(`/v1/points/${address}`);
    expect(answer.status).toBe(200);
    return (await answer.json()) as { totalPoints: string; days: Array<{ day: string; epoch: number; total: string }> };
  };
  /** Micro-points of a points figure as the API writes it (trailing zeros dropped: "3000.11288"). */
  const micro = (points: string): bigint => parseUnits(points, 6);

  test('a staked index token earns five times the points of a held one, and the epoch reward is claimed once with the CLI', async () => {
    await mintAndStake();

    const snapshot = await stack.scheduler.run('points-snapshot');
    expect(snapshot.lastRun).toMatchObject({ ok: true });
    // The schedule started the declared state machine, which planned one shard and ran it.
    expect(stack.stateMachines.history().at(-1)).toMatchObject({ stateMachine: 'points-snapshot', status: 'SUCCEEDED', output: { day: yesterday, epoch: 1, users: 2 } });
    const [held, staked] = [await points(holder.address), await points(staker.address)];
    expect(held.days).toEqual([expect.objectContaining({ day: yesterday, epoch: 1 })]);
    // 1 DEFI.ssi at a NAV near 1000 USD: about 3,000 points held, 15,000 staked.
    const [heldMicro, stakedMicro] = [micro(held.totalPoints), micro(staked.totalPoints)];
    expect(heldMicro).toBeGreaterThan(2_900_000_000n);
    expect(heldMicro).toBeLessThan(3_100_000_000n);
    expect(stakedMicro - 5n * heldMicro).toBeGreaterThanOrEqual(-5n);
    expect(stakedMicro - 5n * heldMicro).toBeLessThanOrEqual(5n);

    const close = await stack.scheduler.run('epoch-close');
    expect(close.lastRun).toMatchObject({ ok: true });
    const rewards = (await (await stack.api(`/v1/rewards/${staker.address}`)).json()) as {
      epoch: number;
      cumulativeAmount: string;
      claimed: string;
      claimable: string;
      root: string;
      proof: string[];
    };
    expect(rewards).toMatchObject({ epoch: 1, claimed: '0', claimable: rewards.cumulativeAmount });
    expect(StandardMerkleTree.verify(rewards.root, ['address', 'uint256'], [staker.address.toLowerCase(), rewards.cumulativeAmount], rewards.proof)).toBe(true);
    const distributor = new Contract(stack.file.contracts.rewardsDistributor!, DISTRIBUTOR, provider);
    const onChain = (await distributor.getFunction('rootOf')(1)) as { root: string; totalCumulative: bigint };
    expect(onChain.root).toBe(rewards.root);
    // The staker earned 5/6 of the pool (10,000 SOSO on the local stack), the holder the rest.
    const holderRewards = (await (await stack.api(`/v1/rewards/${holder.address}`)).json()) as { cumulativeAmount: string };
    expect(onChain.totalCumulative).toBe(BigInt(rewards.cumulativeAmount) + BigInt(holderRewards.cumulativeAmount));
    expect(BigInt(rewards.cumulativeAmount) / 10n ** 18n).toBe(8333n);

    await provider.send('evm_increaseTime', [24 * 3600 + 1]);
    await provider.send('evm_mine', []);
    const soso = new Contract(stack.file.contracts.soso!, ERC20, provider);
    const before = (await soso.getFunction('balanceOf')(staker.address)) as bigint;
    const endpoints = ['--api', stack.file.api, '--rpc', stack.file.rpc];
    const first = await ssi(['claim', '--key', staker.privateKey, ...endpoints, '--json']);
    expect(first).toMatchObject({ code: 0 });
    const paid = JSON.parse(first.stdout) as { ok: boolean; paid: string };
    expect(paid).toMatchObject({ ok: true, paid: rewards.cumulativeAmount });
    expect((await soso.getFunction('balanceOf')(staker.address)) as bigint).toBe(before + BigInt(rewards.cumulativeAmount));
    const after = (await (await stack.api(`/v1/rewards/${staker.address}`)).json()) as { claimed: string; claimable: string };
    expect(after).toMatchObject({ claimed: rewards.cumulativeAmount, claimable: '0' });

    const second = await ssi(['claim', '--key', staker.privateKey, ...endpoints, '--json']);
    expect(second.code).not.toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: false });
    expect(second.stderr).toMatch(/NothingToClaim/);
  });

  test('the portfolio shows staked, cooldown with its end date, points and claimed rewards; the APY is 0 with no fee distribution', async () => {
    const sToken = new Contract(stack.file.contracts['sDEFI.ssi']!, STAKE, staker);
    await (await sToken.getFunction('unstake')(ONE / 4n)).wait();
    const cooldown = (await sToken.getFunction('cooldownDuration')()) as bigint;
    const head = await provider.getBlock('latest');

    const answer = await stack.api(`/v1/portfolio/${staker.address}`);
    expect(answer.status).toBe(200);
    const view = (await answer.json()) as {
      indexes: Array<{ symbol: string; navUsd: string; held: { amount: string }; staked: { amount: string; usd: string }; cooldown: { amount: string; requests: Array<{ amount: string; endsAt: string }> } }>;
      points: { total: string; byEpoch: Array<{ epoch: number; points: string }>; pending: string };
      rewards: { cumulative: string; claimed: string; claimable: string };
    };
    expect(view.indexes).toHaveLength(1);
    const [defi] = view.indexes;
    expect(defi).toMatchObject({ symbol: 'DEFI.ssi', held: { amount: '0' }, staked: { amount: String((3n * ONE) / 4n) }, cooldown: { amount: String(ONE / 4n) } });
    expect(defi!.cooldown.requests).toEqual([{ id: expect.any(String), amount: String(ONE / 4n), endsAt: new Date((head!.timestamp + Number(cooldown)) * 1000).toISOString() }]);
    expect(Number(defi!.staked.usd)).toBeCloseTo(Number(defi!.navUsd) * 0.75, 6);
    expect(view.points.total).toBe((await points(staker.address)).totalPoints);
    expect(view.points.byEpoch).toEqual([{ epoch: 1, points: view.points.total }]);
    expect(view.rewards.claimable).toBe('0');
    expect(view.rewards.claimed).toBe(view.rewards.cumulative);

    const apy = (await (await stack.api('/v1/staking/apy')).json()) as { indexes: Array<{ symbol: string; apy: number; windows: Array<{ days: number; paidUsd: string }> }> };
    const defiApy = apy.indexes.find((i) => i.symbol === 'DEFI.ssi');
    expect(defiApy).toMatchObject({ apy: 0 });
    expect(defiApy!.windows.map((w) => [w.days, w.paidUsd])).toEqual([[1, '0'], [7, '0'], [30, '0']]);
  });

  test('fee rewards paid to sDEFI.ssi reach the staker (cooling tokens included), the APY is what they imply and the portfolio shows them', async () => {
    // The stakers' share of a fee sale, paid as the fee vault pays it: approve + distributeRewards (docs/fees.md hops 3-4).
    const feeVault = Wallet.createRandom(provider) as unknown as Wallet;
    await provider.send('hardhat_setBalance', [feeVault.address, '0x3635C9ADC5DEA00000']);
    const usdc = new Contract(stack.file.tokens.USDC!.address, [...ERC20, 'function mint(address, uint256)'], feeVault);
    await (await usdc.getFunction('mint')(feeVault.address, 10_000_000n)).wait();
    const sTokenAddress = stack.file.contracts['sDEFI.ssi']!;
    await (await usdc.getFunction('approve')(sTokenAddress, 10_000_000n)).wait();
    const rewards = ['function distributeRewards(uint256)', 'function claimRewards() returns (uint256)'];
    await (await new Contract(sTokenAddress, rewards, feeVault).getFunction('distributeRewards')(10_000_000n)).wait();

    // The staker is the only earner: 0.75 staked + 0.25 cooling = 1 DEFI.ssi, so 10 USDC per token.
    const apy = (await (await stack.api('/v1/staking/apy')).json()) as {
      indexes: Array<{ symbol: string; navUsd: string; earningSupply: string; apr: number; windows: Array<{ days: number; distributions: number; paidUsd: string; rewardPerTokenUsd: string; apr: number; apy: number }> }>;
    };
    const defi = apy.indexes.find((i) => i.symbol === 'DEFI.ssi')!;
    expect(defi.earningSupply).toBe(String(ONE));
    const nav = Number(defi.navUsd);
    expect(nav).toBeGreaterThan(0);
    expect(defi.windows.map((w) => [w.days, w.distributions, w.paidUsd, w.rewardPerTokenUsd])).toEqual([
      [1, 1, '10', '10'],
      [7, 1, '10', '10'],
      [30, 1, '10', '10'],
    ]);
    expect(defi.windows[0]!.apr).toBeCloseTo((10 / nav) * 365, 6);
    expect(defi.apr).toBeCloseTo(((10 / nav) * 365) / 30, 6);

    const before = (await (await stack.api(`/v1/portfolio/${staker.address}`)).json()) as { indexes: Array<{ symbol: string; feeRewards: { earned: string; claimed: string; claimable: string } }> };
    expect(before.indexes.find((i) => i.symbol === 'DEFI.ssi')!.feeRewards).toMatchObject({ earned: '10000000', claimed: '0', claimable: '10000000' });
    await (await new Contract(sTokenAddress, rewards, staker).getFunction('claimRewards')()).wait();
    expect(await usdc.getFunction('balanceOf')(staker.address)).toBe(10_000_000n);
    // The API reads at the latest block it knows, which may lag a just-mined transaction by the provider's block-number cache (250 ms).
    let after = before;
    for (let tries = 0; tries < 20; tries++) {
      after = (await (await stack.api(`/v1/portfolio/${staker.address}`)).json()) as typeof before;
      if (after.indexes.find((i) => i.symbol === 'DEFI.ssi')!.feeRewards.claimed !== '0') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(after.indexes.find((i) => i.symbol === 'DEFI.ssi')!.feeRewards).toMatchObject({ earned: '10000000', claimed: '10000000', claimable: '0' });
  });
});
