import { mapConcurrent } from '../../../lambdas/shared/concurrency';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapConcurrent', () => {
  it('returns results in item order with at most `limit` tasks in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapConcurrent([5, 1, 4, 2, 3, 0], 2, async (n, index) => {
      most = Math.max(most, ++inFlight);
      for (let i = 0; i < n; i++) await tick();
      inFlight--;
      return `${index}:${n * 10}`;
    });
    expect(results).toEqual(['0:50', '1:10', '2:40', '3:20', '4:30', '5:0']);
    expect(most).toBe(2);
  });

  it('starts no item after a failure, lets the running ones finish, then throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('item 1 failed');
      for (let i = 0; i < 3; i++) await tick();
      if (n === 2) throw new Error('item 2 failed too');
      finished.push(n);
    });
    await expect(run).rejects.toThrow('item 1 failed');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([0]);
  });

  it('handles no items and refuses a limit below one', async () => {
    await expect(mapConcurrent([], 4, async () => 1)).resolves.toEqual([]);
    await expect(mapConcurrent([1], 0, async () => 1)).rejects.toThrow(/positive integer/);
  });
});
