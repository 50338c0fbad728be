import { Wallet } from 'ethers';
import { askAttested, attestedRfqUrl, bestAttested, evaluateAttested, type AttestedCandidate } from '../../../../lambdas/domain/quotes/attested-rfq';
import { Side } from '../../../../lambdas/domain/orders';
import type { PmmEndpoint, RfqTransport } from '../../../../lambdas/domain/quotes/rfq';

const INDEX = '0x00000000000000000000000000000000000000E1';
const alice = Wallet.createRandom().address;
const bob = Wallet.createRandom().address;
const REFERENCE = 1_000_000_000n; // 1000 USDC
const options = { referenceCashAmount: REFERENCE, toleranceBps: 100 };

const pmm = (name: string, maker = alice): PmmEndpoint => ({ name, url: `http://${name}/rfq`, maker });
const reply = (body: unknown, status = 200) => ({ status, text: typeof body === 'string' ? body : JSON.stringify(body) });

/** A transport answering by PMM host; a function answer may throw (network failure, timeout). */
function transport(answers: Record<string, (() => Promise<{ status: number; text: string }>) | { status: number; text: string }>) {
  const posts: Array<{ url: string; body: unknown; timeoutMs: number }> = [];
  const send: RfqTransport = async (url, body, timeoutMs) => {
    posts.push({ url, body: JSON.parse(body), timeoutMs });
    const answer = answers[new URL(url).host];
    if (!answer) throw new Error(`no PMM at ${url}`);
    return typeof answer === 'function' ? answer() : answer;
  };
  return { send, posts };
}

const rejectionCodes = (rejected: ReturnType<typeof evaluateAttested>['rejected']) => Object.fromEntries(rejected.map((r) => [r.pmm.name, r.code]));

describe('attested RFQs', () => {
  test('every PMM is asked at once at <rfq url>/attested with {index, side, indexAmount} and the RFQ timeout', async () => {
    const { send, posts } = transport({ a: reply({ cashAmount: '1000', maker: alice }), b: reply({ cashAmount: '1000', maker: bob }) });
    const outcomes = await askAttested([pmm('a'), { ...pmm('b', bob), url: 'http://b/rfq/' }], { index: INDEX, side: Side.Redeem, indexAmount: 15n * 10n ** 17n }, { timeoutMs: 250, transport: send });
    expect(posts).toEqual([
      { url: 'http://a/rfq/attested', body: { index: INDEX, side: 'redeem', indexAmount: '1500000000000000000' }, timeoutMs: 250 },
      { url: 'http://b/rfq/attested', body: { index: INDEX, side: 'redeem', indexAmount: '1500000000000000000' }, timeoutMs: 250 },
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(attestedRfqUrl({ name: 'x', url: 'https://pmm.example/quotes', maker: alice })).toBe('https://pmm.example/quotes/attested');
  });

  test('refusals: a maker other than the registered one, malformed answers, an HTTP error, a timeout and an unreachable PMM, each with its code', async () => {
    const { send } = transport({
      impostor: reply({ cashAmount: '999000000', maker: bob }),
      nomaker: reply({ cashAmount: '999000000' }),
      fraction: reply({ cashAmount: '999.5', maker: alice }),
      negative: reply({ cashAmount: '-1', maker: alice }),
      huge: reply({ cashAmount: (1n << 256n).toString(), maker: alice }),
      badmaker: reply({ cashAmount: '999000000', maker: '0x1234' }),
      text: reply('not json'),
      down: reply({ error: 'cannot price' }, 422),
      sleepy: async () => {
        throw Object.assign(new Error('no answer'), { name: 'TimeoutError' });
      },
    });
    const names = ['impostor', 'nomaker', 'fraction', 'negative', 'huge', 'badmaker', 'text', 'down', 'sleepy', 'gone'];
    const outcomes = await askAttested(names.map((n) => pmm(n)), { index: INDEX, side: Side.Mint, indexAmount: 10n ** 18n }, { timeoutMs: 100, transport: send });
    const { accepted, rejected } = evaluateAttested(outcomes, options);
    expect(accepted).toEqual([]);
    expect(rejectionCodes(rejected)).toEqual({
      impostor: 'maker_mismatch',
      nomaker: 'malformed',
      fraction: 'malformed',
      negative: 'malformed',
      huge: 'malformed',
      badmaker: 'malformed',
      text: 'malformed',
      down: 'http_error',
      sleepy: 'timeout',
      gone: 'unreachable',
    });
    const reasons = Object.fromEntries(rejected.map((r) => [r.pmm.name, r.reason]));
    expect(reasons.impostor).toBe(`answered for maker ${bob}, registered ${alice}`);
    expect(reasons.fraction).toBe('cashAmount: must be a decimal integer');
    expect(reasons.huge).toBe('cashAmount: must fit a uint256');
    expect(reasons.sleepy).toBe('no answer within 100 ms');
    expect(reasons.down).toMatch(/^answered HTTP 422: .*cannot price/);
  });

  test('a zero price and a price beyond the tolerance of the reference NAV are refused; one within it is kept with its deviation', async () => {
    const { send } = transport({
      free: reply({ cashAmount: '0', maker: alice }),
      greedy: reply({ cashAmount: '1010010000', maker: alice }),
      cheapskate: reply({ cashAmount: '989990000', maker: alice }),
      fair: reply({ cashAmount: '1010000000', maker: alice.toLowerCase() }),
    });
    const outcomes = await askAttested(['free', 'greedy', 'cheapskate', 'fair'].map((n) => pmm(n)), { index: INDEX, side: Side.Mint, indexAmount: 10n ** 18n }, { timeoutMs: 100, transport: send });
    const { accepted, rejected } = evaluateAttested(outcomes, options);
    expect(rejectionCodes(rejected)).toEqual({ free: 'zero_price', greedy: 'deviation', cheapskate: 'deviation' });
    expect(accepted).toEqual([expect.objectContaining({ pmm: pmm('fair'), maker: alice, cashAmount: 1_010_000_000n, deviationBps: 100 })]);
  });

  test('the best for the WLP: the lowest cash on a mint, the highest on a redeem, the faster PMM on a tie; none when nothing passed', () => {
    const candidate = (name: string, cashAmount: bigint, latencyMs: number): AttestedCandidate => ({ pmm: pmm(name), maker: alice, cashAmount, deviationBps: 0, latencyMs });
    const answers = [candidate('a', 1_002n, 1), candidate('b', 1_000n, 9), candidate('c', 1_005n, 3), candidate('d', 1_000n, 4)];
    expect(bestAttested(Side.Mint, answers)?.pmm.name).toBe('d');
    expect(bestAttested(Side.Redeem, answers)?.pmm.name).toBe('c');
    expect(bestAttested(Side.Redeem, [candidate('x', 7n, 5), candidate('y', 7n, 2)])?.pmm.name).toBe('y');
    expect(bestAttested(Side.Mint, [])).toBeUndefined();
  });

  test('no PMM answering at all leaves nothing to accept', async () => {
    const { send } = transport({});
    const outcomes = await askAttested([pmm('a'), pmm('b', bob)], { index: INDEX, side: Side.Mint, indexAmount: 1n }, { timeoutMs: 50, transport: send });
    const { accepted, rejected } = evaluateAttested(outcomes, options);
    expect(accepted).toEqual([]);
    expect(rejected.map((r) => r.code)).toEqual(['unreachable', 'unreachable']);
    expect(evaluateAttested([], options)).toEqual({ accepted: [], rejected: [] });
  });
});
