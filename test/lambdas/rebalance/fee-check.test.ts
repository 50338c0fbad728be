import { Interface, type Provider } from 'ethers';
import { advance, newRun, InjectedCrash, type SagaDeps } from '../../../lambdas/rebalance/saga';
import { feeSaleNeeded } from '../../../lambdas/rebalance/plan';
import { STEPS, type RunRecord, type RunStore } from '../../../lambdas/rebalance/store';

/*
 * Issue 19 item 1: the rebalance sells the fee basket before it grows near the 64-asset cap.
 * The chain is stubbed at its boundary (the index token's two views); the fee sale is the saga's
 * sellFeeFirst dependency (lambdas/rebalance/fee-sale.ts, proven on the local stack in
 * fee-sale-stack.integration.test.ts).
 */
const TOKEN = new Interface([
  'function feeBasketSize() view returns (uint256 assets, uint256 maxAssets)',
  'function tokenset() view returns (address[] assets, uint256[] unitAmounts)',
]);
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const INDEX = address(0xabc);
const tokenset = [1, 2, 3, 4, 5, 6, 7].map(address);

/** A chain whose index token reports the fee basket sizes in turn (one per read). */
function chainWith(feeAssets: number[]): Provider {
  let reads = 0;
  return {
    call: async (tx: { to: string; data: string }) => {
      expect(tx.to.toLowerCase()).toBe(INDEX.toLowerCase());
      const fn = TOKEN.parseTransaction({ data: tx.data })!;
      if (fn.name === 'feeBasketSize') return TOKEN.encodeFunctionResult(fn.fragment, [feeAssets[Math.min(reads++, feeAssets.length - 1)], 64]);
      return TOKEN.encodeFunctionResult(fn.fragment, [tokenset, tokenset.map(() => 1n)]);
    },
  } as unknown as Provider;
}

/** An in-memory run store with the DynamoDB store's version rule. */
function memoryStore(): RunStore {
  const runs = new Map<string, RunRecord>();
  return {
    save: async (previous: RunRecord, next: RunRecord) => {
      const stored = runs.get(previous.runId);
      if (stored && stored.version !== previous.version) throw new Error('version conflict');
      const item = { ...next, version: previous.version + 1 };
      runs.set(item.runId, item);
      return item;
    },
  } as unknown as RunStore;
}

/** A run whose targets step is done (7 targets), so the next step is fee-check. */
function runAfterTargets(): RunRecord {
  return {
    ...newRun('MAG7.ssi', INDEX, '2026-03-01'),
    step: 'targets',
    targets: tokenset.map((asset, i) => ({ symbol: `T${i}`, asset, weight: String(10n ** 18n / 7n) })),
  };
}

function deps(provider: Provider, sale: SagaDeps['sellFeeFirst']): SagaDeps {
  return { store: memoryStore(), provider, sellFeeFirst: sale, faults: { crashAfter: 'fee-check' } } as unknown as SagaDeps;
}

describe('the rebalance sells fee assets before the fee basket nears its cap', () => {
  test('feeSaleNeeded: fee basket + current tokenset + targets past the cap', () => {
    expect(feeSaleNeeded({ feeAssets: 50, tokensetAssets: 7, targetAssets: 7, maxFeeAssets: 64 })).toBe(false);
    expect(feeSaleNeeded({ feeAssets: 51, tokensetAssets: 7, targetAssets: 7, maxFeeAssets: 64 })).toBe(true);
    expect(feeSaleNeeded({ feeAssets: 0, tokensetAssets: 32, targetAssets: 33, maxFeeAssets: 64 })).toBe(true);
  });

  test('fee-check comes before the window opens', () => {
    expect(STEPS.indexOf('fee-check')).toBe(STEPS.indexOf('targets') + 1);
    expect(STEPS.indexOf('fee-check')).toBeLessThan(STEPS.indexOf('open'));
  });

  test('a fee basket near the cap: the fee sale runs first, then the rebalance goes on', async () => {
    const sale = jest.fn(async () => ({ runId: 'MAG7.ssi:fee-sale:2026-03-01:rebalance', status: 'completed' as const }));
    const failure = advance(deps(chainWith([51, 0]), sale), runAfterTargets());
    await expect(failure).rejects.toBeInstanceOf(InjectedCrash);
    expect(sale).toHaveBeenCalledTimes(1);
    expect(sale).toHaveBeenCalledWith('MAG7.ssi', '2026-03-01');
  });

  test('a fee basket far from the cap: no fee sale', async () => {
    const sale = jest.fn();
    await expect(advance(deps(chainWith([10]), sale), runAfterTargets())).rejects.toBeInstanceOf(InjectedCrash);
    expect(sale).not.toHaveBeenCalled();
  });

  test('a failed fee sale ends the run before any window opens, with the reason', async () => {
    const sale = jest.fn(async () => ({ runId: 'MAG7.ssi:fee-sale:2026-03-01:rebalance', status: 'failed' as const, failure: { reason: 'no usable PMM bid' } }));
    const run = await advance(deps(chainWith([60]), sale), runAfterTargets());
    expect(run.status).toBe('failed');
    expect(run.failure).toEqual({ step: 'fee-check', reason: expect.stringMatching(/near its cap \(60 of 64 assets\).*no usable PMM bid/) });
    expect(run.history.map((h) => h.step)).toEqual(['fee-check']);
  });

  test('a fee basket still near the cap after the sale: the run fails rather than deadlock the token', async () => {
    const sale = jest.fn(async () => ({ runId: 'MAG7.ssi:fee-sale:2026-03-01:rebalance', status: 'completed' as const }));
    const run = await advance(deps(chainWith([60, 58]), sale), runAfterTargets());
    expect(run.status).toBe('failed');
    expect(run.failure?.reason).toMatch(/still near its cap/);
  });
});
