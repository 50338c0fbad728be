import type { AccountPositions, PositionLine, Prices, ReferralLink } from '../../lambdas/domain/points';

/* The benchmarks' synthetic holders: a fixed seed, so every run measures the same population. */

const E18 = 10n ** 18n;

/** mulberry32: a small deterministic PRNG, so every run measures the same holders. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function synthesize(count: number): { positions: AccountPositions[]; links: ReferralLink[] } {
  const random = prng(42);
  const hex = () => Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  const amount = (maxWhole: number) => BigInt(Math.floor(random() * maxWhole * 1e6)) * 10n ** 12n;
  const indexes = ['MAG7', 'DEFI', 'MEME'];
  const positions: AccountPositions[] = [];
  const links: ReferralLink[] = [];
  const seen = new Set<string>();
  while (positions.length < count) {
    const address = `0x${hex()}${hex()}${hex()}${hex()}${hex()}`;
    if (seen.has(address)) continue;
    seen.add(address);
    const lines: PositionLine[] = [{ kind: 'hold', token: indexes[positions.length % 3], amount: amount(50) }];
    const roll = random();
    if (roll < 0.4) lines.push({ kind: 'stake', token: indexes[(positions.length + 1) % 3], amount: amount(100) });
    if (roll < 0.05) lines.push({ kind: 'cooldown', token: 'MAG7', amount: amount(20) });
    if (roll > 0.9) lines.push({ kind: 'lock', token: 'LP', amount: amount(500) });
    const sosoStaked = random() < 0.2 ? amount(2000) : 0n;
    positions.push({ address, lines, sosoStaked });
    if (positions.length > 1 && random() < 0.1) {
      links.push({ referred: address, referrer: positions[Math.floor(random() * (positions.length - 1))].address, since: '2025-01-06' });
    }
  }
  return { positions, links };
}

export const PRICES: Prices = new Map([
  ['MAG7', { usd: 104n * E18, decimals: 18 }],
  ['DEFI', { usd: 37n * E18, decimals: 18 }],
  ['MEME', { usd: 3n * E18, decimals: 18 }],
  ['LP', { usd: 2n * E18, decimals: 18 }],
  ['SOSO', { usd: E18 / 2n, decimals: 18 }],
]);

