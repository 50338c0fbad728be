import { confirmKey, confirmPending, type ConfirmDeps, type UssiRequest } from '../../../lambdas/ussi/confirm';
import { HedgeSide, RequestStatus } from '../../../lambdas/domain/ussi-orders';
import type { ActionRecord } from '../../../lambdas/relayer';

const USDC = '0x00000000000000000000000000000000000000aa';
const NOW = 1_000_000n;

function request(side: HedgeSide, status: RequestStatus, assetAmount = 100n, expiresAt = NOW + 3600n): UssiRequest {
  return { requester: '0x1', side, status, expiresAt, asset: USDC, assetAmount, ussiAmount: 100n };
}

/** A fake chain and relayer: submits are recorded, waits answer `outcome(key)`. */
function fixture(requests: UssiRequest[], options: { float?: bigint; cursor?: bigint; outcome?: (key: string) => string } = {}) {
  const submitted: string[] = [];
  const calls: string[] = [];
  let stored = options.cursor;
  const deps: ConfirmDeps = {
    ussi: '0xussi',
    requestCount: async () => BigInt(requests.length),
    getRequest: async (id) => requests[Number(id) - 1]!,
    floatOf: async () => options.float ?? 0n,
    chainTime: async () => NOW,
    encodeConfirmMint: (id) => `mint:${id}`,
    encodeConfirmRedeem: (id) => `redeem:${id}`,
    encodeMarkPayoutPending: (id) => `payout-pending:${id}`,
    relayer: {
      submit: async ({ key, data }) => {
        submitted.push(key);
        calls.push(data ?? '');
        return { actionKey: key, status: 'queued' } as ActionRecord;
      },
      wait: async (key) => {
        const status = options.outcome?.(key) ?? 'mined';
        return (status === 'mined' ? { actionKey: key, status, txHash: `0x${key}` } : { actionKey: key, status, failure: { code: 'reverted', reason: 'RequestExpired' } }) as ActionRecord;
      },
    },
    cursor: { get: async () => stored ?? 1n, put: async (next) => void (stored = next) },
  };
  return { deps, submitted, calls, cursor: () => stored };
}

describe('confirmPending (the ussi-confirm schedule)', () => {
  test('confirms pending mints, skips settled and expired requests, and moves the cursor past them', async () => {
    const fx = fixture([
      request(HedgeSide.Mint, RequestStatus.Confirmed),
      request(HedgeSide.Mint, RequestStatus.Pending),
      request(HedgeSide.Mint, RequestStatus.Pending, 100n, NOW),
      request(HedgeSide.Redeem, RequestStatus.Cancelled),
    ]);
    const result = await confirmPending(fx.deps);
    expect(fx.submitted).toEqual([confirmKey(2n)]);
    expect(result.outcomes).toEqual([
      { id: '3', action: 'expired' },
      { id: '2', action: 'confirmed', side: 'mint', txHash: '0xussi:confirm:2' },
    ]);
    expect(fx.cursor()).toBe(5n);
  });

  test('pays redeems from the float in id order, counting the float down, and marks the one the float cannot pay payout-pending', async () => {
    const fx = fixture(
      [request(HedgeSide.Redeem, RequestStatus.Pending, 60n), request(HedgeSide.Redeem, RequestStatus.Pending, 60n), request(HedgeSide.Mint, RequestStatus.Pending), request(HedgeSide.Redeem, RequestStatus.Pending, 40n)],
      { float: 100n },
    );
    const result = await confirmPending(fx.deps);
    expect(fx.submitted).toEqual([confirmKey(1n), confirmKey(2n), confirmKey(3n), confirmKey(4n)]);
    // The second redeem needs 60 of the 40 left: tracked off-chain; the fourth fits the 40 exactly.
    expect(fx.calls).toEqual(['redeem:1', 'payout-pending:2', 'mint:3', 'redeem:4']);
    expect(result.outcomes).toContainEqual({ id: '2', action: 'payout-pending', side: 'redeem', txHash: '0xussi:confirm:2' });
    expect(fx.cursor()).toBe(5n);
  });

  test('a confirmation that does not land is reported and keeps the cursor on it', async () => {
    const fx = fixture([request(HedgeSide.Mint, RequestStatus.Pending), request(HedgeSide.Mint, RequestStatus.Pending)], {
      outcome: (key) => (key === confirmKey(1n) ? 'failed' : 'mined'),
    });
    const result = await confirmPending(fx.deps);
    expect(result.outcomes).toContainEqual({ id: '1', action: 'failed', side: 'mint', code: 'reverted', reason: 'RequestExpired' });
    expect(result.nextCursor).toBe('1');
    expect(fx.cursor()).toBeUndefined();
  });

  test('looks at no more than maxPerRun requests from the cursor', async () => {
    const fx = fixture(Array.from({ length: 5 }, () => request(HedgeSide.Mint, RequestStatus.Pending)), { cursor: 2n });
    const result = await confirmPending(fx.deps, { maxPerRun: 2 });
    expect(fx.submitted).toEqual([confirmKey(2n), confirmKey(3n)]);
    expect(result).toMatchObject({ from: '2', to: '3', nextCursor: '4' });
  });
});
