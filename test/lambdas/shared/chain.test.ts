import type { Provider } from 'ethers';
import { firstBlockSince } from '../../../lambdas/shared/chain';

/** A chain whose block `n` has timestamp `times[n]`, counting the reads it serves. */
function chainOf(times: number[]) {
  const reads = { count: 0 };
  const provider = {
    getBlockNumber: async () => times.length - 1,
    getBlock: async (n: number) => {
      reads.count++;
      return n >= 0 && n < times.length ? { timestamp: times[n] } : null;
    },
  } as unknown as Provider;
  return { provider, reads };
}

describe('firstBlockSince', () => {
  const { provider } = chainOf([10, 10, 20, 30, 30, 40]);

  test.each([
    [0n, 0],
    [10n, 0],
    [11n, 2],
    [20n, 2],
    [25n, 3],
    [30n, 3],
    [40n, 5],
  ])('the first block at or after %s is %s', async (timestamp, block) => {
    expect(await firstBlockSince(provider, timestamp)).toBe(block);
  });

  test('a time after the head gives the block after it', async () => {
    expect(await firstBlockSince(provider, 41n)).toBe(6);
  });

  test('reads about log2(height) blocks, not every block', async () => {
    const long = chainOf(Array.from({ length: 1_000_000 }, (_, n) => 1_700_000_000 + 12 * n));
    expect(await firstBlockSince(long.provider, BigInt(1_700_000_000 + 12 * 765_432 - 5))).toBe(765_432);
    expect(long.reads.count).toBeLessThanOrEqual(22);
  });
});
