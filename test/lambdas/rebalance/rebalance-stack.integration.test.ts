import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Network, zeroPadValue } from 'ethers';
import { startTestStack, type TestStack } from '../../helpers/stack';
import type { RebalanceRunView as RunView } from '../../helpers/rebalance';
import { mintOnLocalStack } from '../../helpers/local-mint';
import { scheduledEvent } from '../../../infra/local/scheduler';
import { SCHEDULES } from '../../../topology';
import { REBALANCER_INTERFACE } from '../../../lambdas/rebalance/saga';
import { STEPS, type Step } from '../../../lambdas/rebalance/store';
import { WEIGHT_UNIT } from '../../../lambdas/domain/rebalance-orders';

const TOKEN = ['function basket() view returns (address[] assets, uint256[] amounts)', 'function totalSupply() view returns (uint256)'];

/** The tolerance the saga checks and this test re-checks independently: 50 bps of weight per asset. */
const WEIGHT_TOLERANCE_BPS = 50;


describe('the scheduled rebalance saga on the local stack', () => {
  let stack: TestStack;
  let provider: JsonRpcProvider;
  let index: string;
  beforeAll(async () => {
    stack = await startTestStack();
    provider = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
    index = stack.file.indexes['DEFI.ssi'];
    // A basket to rebalance: the local WLP mints 10 DEFI.ssi.
    await mintOnLocalStack(stack, { index: 'DEFI.ssi', amount: 10n * 10n ** 18n });
  }, 300_000);
  afterAll(async () => {
    delete process.env.SSI_REBALANCE_FAULTS;
    provider?.destroy();
    await stack?.stop();
  });

  const rebalancer = () => new Contract(stack.file.contracts.rebalancer, REBALANCER_INTERFACE, provider);
  const settledSince = async (fromBlock: number) =>
    provider.getLogs({
      address: stack.file.contracts.rebalancer,
      topics: [REBALANCER_INTERFACE.getEvent('RebalanceSettled')!.topicHash, null, zeroPadValue(index, 32)],
      fromBlock,
      toBlock: 'latest',
    });
  const windowOpen = async () => ((await rebalancer().window(index)) as { openedAt: bigint }).openedAt !== 0n;
  const getRun = async (runId: string) => {
    const answer = await stack.api(`/v1/rebalances/DEFI.ssi/${encodeURIComponent(runId)}`);
    expect(answer.status).toBe(200);
    return (await answer.json()) as RunView;
  };
  /** Runs the saga for `date`; `faults` (SSI_REBALANCE_FAULTS) go to a worker of its own, as the handler reads them from its environment. */
  const invoke = (date: string, faults?: Record<string, string>) => {
    const schedule = SCHEDULES.find((s) => s.name === 'rebalance-defi')!;
    const event = { ...scheduledEvent(schedule), detail: { index: 'DEFI.ssi', date } };
    return faults ? stack.lambdas.invokeWithEnvironment('rebalance-run', event, { SSI_REBALANCE_FAULTS: JSON.stringify(faults) }) : stack.lambdas.invoke('rebalance-run', event);
  };

  /** Weights of the on-chain basket at the run's prices, against the run's targets: computed here, not by the saga. */
  async function basketDeviationBps(view: RunView): Promise<number> {
    const [assets, amounts] = (await new Contract(index, TOKEN, provider).basket()) as [string[], bigint[]];
    const price = new Map(view.prices.map((p) => [p.asset.toLowerCase(), p]));
    const values = assets.map((a, i) => (amounts[i] * BigInt(price.get(a.toLowerCase())!.price)) / 10n ** BigInt(price.get(a.toLowerCase())!.decimals));
    const total = values.reduce((s, v) => s + v, 0n);
    const held = new Map(assets.map((a, i) => [a.toLowerCase(), Number((values[i] * 1_000_000n) / total) / 100]));
    const deviations = view.targets.map((t) => Math.abs((held.get(t.asset.toLowerCase()) ?? 0) - Number((BigInt(t.weight) * 1_000_000n) / WEIGHT_UNIT) / 100));
    // No asset off target is held.
    for (const asset of held.keys()) expect(view.targets.some((t) => t.asset.toLowerCase() === asset)).toBe(true);
    return Math.max(...deviations);
  }

  test('the monthly schedule rebalances DEFI.ssi end to end: one settlement, basket within 50 bps of the target weights, window closed', async () => {
    const fromBlock = await provider.getBlockNumber();
    const state = await stack.scheduler.run('rebalance-defi');
    expect(state.lastRun?.error).toBeUndefined();
    expect(state.lastRun?.ok).toBe(true);

    const list = (await (await stack.api('/v1/rebalances/DEFI.ssi')).json()) as { runs: Array<{ runId: string; status: string }> };
    expect(list.runs).toHaveLength(1);
    const view = await getRun(list.runs[0].runId);
    expect(view.status).toBe('completed');
    expect(view.steps.map((s) => s.step)).toEqual([...STEPS]);
    // DEFI.ssi's methodology keeps at least 4 constituents (its local universe has that many deployed tokens).
    expect(view.targets.length).toBeGreaterThanOrEqual(4);
    expect(view.check.ok).toBe(true);
    expect(view.check.maxDeviationBps).toBeLessThanOrEqual(WEIGHT_TOLERANCE_BPS);
    expect(await basketDeviationBps(view)).toBeLessThanOrEqual(WEIGHT_TOLERANCE_BPS);
    const settled = await settledSince(fromBlock + 1);
    expect(settled).toHaveLength(1);
    expect(settled[0].transactionHash).toBe(view.settlement.txHash);
    expect(await windowOpen()).toBe(false);
  }, 300_000);

  // Each case is its own run (a different scheduled day, so different market snapshot and targets).
  const cases: Array<[string, Record<string, string>]> = [
    ...STEPS.map((step: Step): [string, Record<string, string>] => [`after step ${step}`, { crashAfter: step }]),
    ['after submitting the settle transaction, before waiting for it', { crashAfterSubmit: 'settle' }],
  ];
  test.each(cases.map(([name, fault], i) => [name, fault, `2024-${String(i + 1).padStart(2, '0')}-01`] as const))(
    'a crash %s is finished by the next invocation with exactly one settlement and the window closed',
    async (_name, fault, date) => {
      const fromBlock = await provider.getBlockNumber();
      await expect(invoke(date, fault)).rejects.toThrow(/injected crash/);
      await invoke(date);

      const view = await getRun(`DEFI.ssi:${date}`);
      expect(view.failure).toBeUndefined();
      expect(view.status).toBe('completed');
      expect(view.steps.map((s) => s.step)).toEqual([...STEPS]);
      expect(await settledSince(fromBlock + 1)).toHaveLength(1);
      expect(await windowOpen()).toBe(false);
      expect(await basketDeviationBps(view)).toBeLessThanOrEqual(WEIGHT_TOLERANCE_BPS);
    },
    180_000,
  );

  test('KMS refusing the settle signature after the relayer reserved its nonce: the next invocation sends it once', async () => {
    const date = '2023-06-01';
    const fromBlock = await provider.getBlockNumber();
    await expect(invoke(date, { crashAfter: 'verify' })).rejects.toThrow(/injected crash/);
    // The next KMS Sign (the settle transaction's) is refused.
    await fetch(`${stack.file.kms}/_local/faults`, { method: 'POST', body: JSON.stringify({ operation: 'Sign', error: 'AccessDeniedException', count: 1 }) });
    await expect(invoke(date)).rejects.toThrow(/settle transaction .* failed transiently/);
    expect(await settledSince(fromBlock + 1)).toHaveLength(0);
    expect(await windowOpen()).toBe(true);

    await invoke(date);
    const view = await getRun(`DEFI.ssi:${date}`);
    expect(view.status).toBe('completed');
    expect(await settledSince(fromBlock + 1)).toHaveLength(1);
    expect(await windowOpen()).toBe(false);
  }, 180_000);

  // Last: it stops the PMM simulator this stack started.
  test('with no PMM answering, the run fails with the reason, trades nothing and closes its window', async () => {
    const lock = JSON.parse(readFileSync(join(stack.file.dataDir, 'stack.pid'), 'utf8')) as { children: number[] };
    const pmm = lock.children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pmm-simulator'));
    expect(pmm).toBeDefined();
    process.kill(pmm!, 'SIGKILL');
    const date = '2023-07-01';
    const fromBlock = await provider.getBlockNumber();
    await invoke(date);
    const view = await getRun(`DEFI.ssi:${date}`);
    expect(view.status).toBe('failed');
    expect(view.failure?.step).toBe('quote');
    expect(view.failure?.reason).toMatch(/no usable PMM quote: local-pmm/);
    expect(view.steps.map((s) => s.step)).toEqual(['targets', 'fee-check', 'open', 'plan', 'quote', 'close']);
    expect(await settledSince(fromBlock + 1)).toHaveLength(0);
    expect(await windowOpen()).toBe(false);
  }, 120_000);
});
