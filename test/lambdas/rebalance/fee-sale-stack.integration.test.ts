import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Contract, JsonRpcProvider, Network, Wallet, zeroPadValue } from 'ethers';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { mintOnLocalStack } from '../../helpers/local-mint';
import { scheduledEvent } from '../../../infra/local/scheduler';
import { localCredentials, LOCAL_REGION } from '../../../infra/local/credentials';
import { SCHEDULES } from '../../../topology';
import { FEE_SALE_INTERFACE, FEE_SALE_STEPS, STAKE_REWARDS_INTERFACE, type FeeSaleRecord, type FeeSaleStep } from '../../../lambdas/rebalance/fee-sale';
import { FEE_SALE_PREFIX, RunStore } from '../../../lambdas/rebalance/store';
import { splitFeeCash } from '../../../lambdas/domain/fee-split';

const ONE = 10n ** 18n;
const DAY = 86_400;
const ERC20 = ['function balanceOf(address) view returns (uint256)', 'function approve(address, uint256) returns (bool)', 'function transfer(address, uint256) returns (bool)'];
const STAKE = [...ERC20, 'function stake(uint256)', 'function claimRewards() returns (uint256)', 'function claimableRewardsOf(address) view returns (uint256)'];

/**
 * Issue 20 (fees reach stakers) on the local stack: DEFI.ssi is minted, its fee accrues over
 * (travelled) time, the scheduled fee sale of the `fee-sale-defi` schedule sells the fee basket to
 * the PMM simulator through Rebalancer.sellFee within the attested prices and pays the stakers'
 * share to sDEFI.ssi; stakers are paid by stake x time, the APY endpoint shows what the payments
 * imply, the fee vault keeps only the protocol's share, and a crash between any two steps never
 * sells or pays twice.
 */
describe('the scheduled fee sale on the local stack', () => {
  let stack: TestStack;
  let provider: JsonRpcProvider;
  let store: RunStore<FeeSaleRecord>;
  let alice: Wallet;
  let bob: Wallet;
  let carol: Wallet;
  let sToken: string;
  let usdc: Contract;
  let feeVault: string;
  const schedule = SCHEDULES.find((s) => s.name === 'fee-sale-defi')!;

  beforeAll(async () => {
    stack = await startTestStack();
    provider = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.file.dynamodb, region: LOCAL_REGION, credentials: localCredentials }));
    store = new RunStore<FeeSaleRecord>(doc, stack.file.tables['rebalance-runs']!, FEE_SALE_PREFIX);
    [alice, bob, carol] = [0, 1, 2].map(() => Wallet.createRandom(provider) as unknown as Wallet);
    for (const wallet of [alice, bob, carol]) await provider.send('anvil_setBalance', [wallet.address, '0x3635C9ADC5DEA00000']);
    sToken = stack.file.contracts['sDEFI.ssi']!;
    usdc = new Contract(stack.file.tokens.USDC!.address, ERC20, provider);
    feeVault = stack.file.contracts.feeVault!;
    // Alice stakes 6 DEFI.ssi and carol 2 at day 0; at day 10 carol hands her 2 sTokens to bob, who holds them to day 30.
    const index = stack.file.indexes['DEFI.ssi']!;
    await mintOnLocalStack(stack, { index: 'DEFI.ssi', amount: 8n * ONE });
    const wlp = new Wallet(stack.file.wlp.privateKey, provider);
    for (const [wallet, amount] of [[alice, 6n * ONE], [carol, 2n * ONE]] as const) {
      await (await new Contract(index, ERC20, wlp).getFunction('transfer')(wallet.address, amount)).wait();
      await (await new Contract(index, ERC20, wallet).getFunction('approve')(sToken, amount)).wait();
      await (await new Contract(sToken, STAKE, wallet).getFunction('stake')(amount)).wait();
    }
  }, 600_000);
  afterAll(async () => {
    delete process.env.SSI_REBALANCE_FAULTS;
    provider?.destroy();
    await stack?.stop();
  });

  const travel = async (days: number) => {
    await provider.send('evm_increaseTime', [days * DAY]);
    await provider.send('evm_mine', []);
  };
  const chainTime = async () => (await provider.getBlock('latest'))!.timestamp;
  /** The schedule's event at the chain's time, invoked as the local scheduler invokes it. */
  /** Runs the day's fee sale; `faults` (SSI_REBALANCE_FAULTS) go to a worker of its own, as the handler reads them from its environment. */
  const invokeAtChainTime = async (faults?: unknown) => {
    const time = new Date((await chainTime()) * 1000);
    const event = scheduledEvent(schedule, time);
    if (faults) await stack.lambdas.invokeWithEnvironment('rebalance-run', event, { SSI_REBALANCE_FAULTS: JSON.stringify(faults) });
    else await stack.lambdas.invoke('rebalance-run', event);
    return time.toISOString().slice(0, 10);
  };
  const saleOf = async (day: string) => (await store.get('DEFI.ssi', day))!;
  const feeSoldSince = (fromBlock: number) =>
    provider.getLogs({ address: stack.file.contracts.rebalancer, topics: [FEE_SALE_INTERFACE.getEvent('FeeSold')!.topicHash, null, zeroPadValue(stack.file.indexes['DEFI.ssi']!, 32)], fromBlock, toBlock: 'latest' });
  const distributedSince = (fromBlock: number) => provider.getLogs({ address: sToken, topics: [STAKE_REWARDS_INTERFACE.getEvent('RewardsDistributed')!.topicHash], fromBlock, toBlock: 'latest' });
  const usdcOf = async (address: string) => (await usdc.balanceOf(address)) as bigint;

  const sales: FeeSaleRecord[] = [];
  let vaultBefore: bigint;

  test('two scheduled fee sales pay the stakers by stake x time and leave the fee vault only the protocol share', async () => {
    vaultBefore = await usdcOf(feeVault);
    const fromBlock = (await provider.getBlockNumber()) + 1;
    // Day 10: the scheduler's own tick (its clock is this machine's, so the run is today's).
    await travel(10);
    const state = await stack.scheduler.run('fee-sale-defi');
    expect(state.lastRun?.error).toBeUndefined();
    const first = await saleOf(new Date().toISOString().slice(0, 10));
    await (await new Contract(sToken, STAKE, carol).getFunction('transfer')(bob.address, 2n * ONE)).wait();
    // Day 30: the schedule's event at the chain's day.
    await travel(20);
    const second = await saleOf(await invokeAtChainTime());
    sales.push(first, second);

    for (const sale of sales) {
      expect(sale.status).toBe('completed');
      expect(sale.history.map((h) => h.step)).toEqual([...FEE_SALE_STEPS]);
      // Sold within the attested bound, split by the declared policy, the stakers' share paid to the 8 earning tokens.
      expect(BigInt(sale.verification!.cashValue)).toBeGreaterThanOrEqual((BigInt(sale.verification!.feeValue) * 99n) / 100n);
      const split = splitFeeCash(BigInt(sale.sale!.cashAmount), 'DEFI.ssi');
      expect(sale.sale!.split).toEqual({ stakers: split.stakers.toString(), protocol: split.protocol.toString() });
      expect(sale.distribution).toMatchObject({ amount: split.stakers.toString(), earningSupply: String(8n * ONE) });
    }
    expect(sale(0).cash).toBeGreaterThan(0n);
    // A fee sale pays for the time since the last: the second covers twice the days of the first (within 1%).
    expect(Number(sale(1).cash) / Number(sale(0).cash)).toBeCloseTo(2, 1);
    expect(await feeSoldSince(fromBlock)).toHaveLength(2);
    expect(await distributedSince(fromBlock)).toHaveLength(2);

    const claim = async (wallet: Wallet) => {
      const before = await usdcOf(wallet.address);
      await (await new Contract(sToken, STAKE, wallet).getFunction('claimRewards')()).wait();
      return (await usdcOf(wallet.address)) - before;
    };
    const [aliceGot, bobGot, carolGot] = [await claim(alice), await claim(bob), await claim(carol)];
    // Each sale shares its stakers' part by the stakes held over its period: alice 6 of 8 in both, carol 2 of 8 in the
    // first, bob 2 of 8 in the second; the sToken's reward-per-share index (scale 1e36) and its rounding down, recomputed.
    const SCALE = 10n ** 36n;
    const perShare1 = (sale(0).stakers * SCALE) / (8n * ONE);
    const perShare2 = perShare1 + (sale(1).stakers * SCALE) / (8n * ONE);
    expect(aliceGot).toBe((6n * ONE * perShare2) / SCALE);
    expect(carolGot).toBe((2n * ONE * perShare1) / SCALE);
    expect(bobGot).toBe((2n * ONE * (perShare2 - perShare1)) / SCALE);
    // Stake x time: alice 6 tokens x 30 days, bob 2 tokens x 20 days: 180 : 40.
    expect(Number(aliceGot) / Number(bobGot)).toBeCloseTo(180 / 40, 1);
    // The fee vault (the operator's account) kept exactly the protocol's shares; the sToken only rounding dust.
    expect((await usdcOf(feeVault)) - vaultBefore).toBe(sale(0).protocol + sale(1).protocol);
    expect(await usdcOf(sToken)).toBeLessThanOrEqual(3n);
  }, 300_000);

  /** Cash, stakers' and protocol shares of the i-th sale. */
  function sale(i: number) {
    const s = sales[i]!.sale!;
    return { cash: BigInt(s.cashAmount), stakers: BigInt(s.split.stakers), protocol: BigInt(s.split.protocol) };
  }

  test('/v1/staking/apy shows the 1-, 7- and 30-day figures those payments imply', async () => {
    const apy = (await (await stack.api('/v1/staking/apy')).json()) as {
      asOf: { time: string };
      indexes: Array<{ symbol: string; navUsd: string; earningSupply: string; apr: number; windows: Array<{ days: number; distributions: number; paidUsd: string; rewardPerTokenUsd: string; apr: number }> }>;
    };
    const defi = apy.indexes.find((i) => i.symbol === 'DEFI.ssi')!;
    const nav = Number(defi.navUsd);
    expect(nav).toBeGreaterThan(0);
    const now = Date.parse(apy.asOf.time) / 1000;
    const paidAt = await Promise.all(sales.map(async (s) => (await provider.getBlock((await provider.getTransactionReceipt(s.distribution!.txHash!))!.blockNumber))!.timestamp));
    for (const window of defi.windows) {
      const inWindow = sales.filter((_, i) => paidAt[i]! > now - window.days * DAY);
      // USDC has 6 decimals; each payment was shared by 8 earning tokens.
      const paid = inWindow.reduce((sum, s) => sum + Number(s.distribution!.amount) / 1e6, 0);
      expect(window.distributions).toBe(inWindow.length);
      expect(Number(window.paidUsd)).toBeCloseTo(paid, 6);
      expect(Number(window.rewardPerTokenUsd)).toBeCloseTo(paid / 8, 6);
      expect(window.apr).toBeCloseTo((paid / 8 / nav) * (365 / window.days), 8);
    }
    // The 30-day window holds both payments, the 1- and 7-day ones only the second.
    expect(defi.windows.map((w) => w.distributions)).toEqual([1, 1, 2]);
    expect(defi.apr).toBe(defi.windows[2]!.apr);
  });

  const cases: Array<[string, Record<string, string>]> = [
    ...FEE_SALE_STEPS.map((step: FeeSaleStep): [string, Record<string, string>] => [`after step ${step}`, { crashAfter: step }]),
    ['after submitting the sellFee transaction, before waiting for it', { crashAfterSubmit: 'sell' }],
    ['after submitting the distribution, before waiting for it', { crashAfterSubmit: 'distribute' }],
  ];
  test.each(cases)('a crash %s: the next invocation finishes the run with exactly one sale and one payment', async (_name, fault) => {
    await travel(1);
    const fromBlock = (await provider.getBlockNumber()) + 1;
    const vault = await usdcOf(feeVault);
    await expect(invokeAtChainTime({ feeSale: fault })).rejects.toThrow(/injected crash/);
    const day = await invokeAtChainTime();
    // A third invocation of the same day's event changes nothing.
    await invokeAtChainTime();

    const run = await saleOf(day);
    expect(run.failure).toBeUndefined();
    expect(run.status).toBe('completed');
    expect(run.history.map((h) => h.step)).toEqual([...FEE_SALE_STEPS]);
    const sold = await feeSoldSince(fromBlock);
    expect(sold).toHaveLength(1);
    expect(sold[0]!.transactionHash).toBe(run.sale!.txHash);
    expect(await distributedSince(fromBlock)).toHaveLength(1);
    expect((await usdcOf(feeVault)) - vault).toBe(BigInt(run.sale!.split.protocol));
  }, 180_000);
});
