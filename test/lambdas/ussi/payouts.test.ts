import { payoutClientId, payoutKey, trackPayouts, type PayoutDeps } from '../../../lambdas/ussi/payouts';
import type { PayoutState, PayoutRequest } from '../../../lambdas/domain/hedge-book';
import type { UssiRequest } from '../../../lambdas/ussi/contract';
import { HedgeSide, RequestStatus } from '../../../lambdas/domain/ussi-orders';
import type { ActionRecord } from '../../../lambdas/relayer';

const USDC = '0x00000000000000000000000000000000000000AA';
const NOW = 1_000_000n;
const TX = `0x${'cd'.repeat(32)}`;

function redeem(status: RequestStatus, expiresAt = NOW + 3600n): UssiRequest {
  return { requester: '0x00000000000000000000000000000000000000b0', side: HedgeSide.Redeem, status, expiresAt, asset: USDC, assetAmount: 250n, ussiAmount: 240n };
}

/** A fake chain, venue and relayer: the venue answers `venue(clientId)`, the relayer `mined` unless told. */
function fixture(requests: UssiRequest[], venue: (request: PayoutRequest) => PayoutState, relayed: (key: string) => string = () => 'mined') {
  const asked: PayoutRequest[] = [];
  const submitted: Array<{ key: string; to: string; data: string }> = [];
  let stored: bigint | undefined;
  const deps: PayoutDeps = {
    ussi: '0xUSSI',
    chainId: 31337,
    requestCount: async () => BigInt(requests.length),
    getRequest: async (id) => requests[Number(id) - 1]!,
    chainTime: async () => NOW,
    assetSymbol: (address) => (address === USDC.toLowerCase() ? 'USDC' : undefined),
    book: {
      requestPayout: async (request) => {
        asked.push(request);
        return venue(request);
      },
    },
    encodeRecordPayout: (id, txHash) => `record:${id}:${txHash}`,
    relayer: {
      submit: async (request) => {
        submitted.push({ key: request.key, to: request.to, data: request.data ?? '' });
        return { actionKey: request.key, status: 'queued' } as ActionRecord;
      },
      wait: async (key) =>
        (relayed(key) === 'mined' ? { actionKey: key, status: 'mined', txHash: '0xrecord' } : { actionKey: key, status: 'failed', failure: { code: 'reverted', reason: 'RequestNotPayoutPending' } }) as ActionRecord,
    },
    cursor: { get: async () => stored ?? 1n, put: async (next) => void (stored = next) },
  };
  return { deps, asked, submitted, cursor: () => stored };
}

describe('trackPayouts (the ussi-payout schedule)', () => {
  test('asks the hedge book to pay each payout-pending redeem under a stable client id and records the sent payout on chain', async () => {
    const fx = fixture([redeem(RequestStatus.Confirmed), redeem(RequestStatus.PayoutPending)], (r) => ({ clientId: r.clientId, status: 'sent', txHash: TX }));
    const result = await trackPayouts(fx.deps);
    expect(fx.asked).toEqual([{ clientId: payoutClientId(31337, '0xUSSI', 2n), to: '0x00000000000000000000000000000000000000b0', asset: 'USDC', amount: 250n }]);
    expect(payoutClientId(31337, '0xUSSI', 2n)).toBe('ussi-31337-0xussi-2');
    expect(fx.submitted).toEqual([{ key: payoutKey(2n), to: '0xUSSI', data: `record:2:${TX}` }]);
    expect(result.outcomes).toEqual([{ id: '2', action: 'recorded', payoutTxHash: TX, txHash: '0xrecord' }]);
    // The cursor stays on the payout until a later run sees it confirmed on chain.
    expect(fx.cursor()).toBe(2n);
  });

  test('waits while the venue has the payout in flight or refused it, and never passes a pending request that may still need one', async () => {
    const fx = fixture([redeem(RequestStatus.PayoutPending), redeem(RequestStatus.PayoutPending), redeem(RequestStatus.Pending)], (r) =>
      r.clientId.endsWith('-1') ? { clientId: r.clientId, status: 'pending' } : { clientId: r.clientId, status: 'failed', reason: 'insufficient margin' },
    );
    const result = await trackPayouts(fx.deps);
    expect(fx.submitted).toEqual([]);
    expect(result.outcomes).toEqual([
      { id: '1', action: 'payout-in-flight' },
      { id: '2', action: 'failed', code: 'payout_failed', reason: 'insufficient margin' },
    ]);
    expect(result.nextCursor).toBe('1');
  });

  test('moves the cursor over settled and expired requests, and reports a record that did not land', async () => {
    const fx = fixture(
      [redeem(RequestStatus.Confirmed), redeem(RequestStatus.Pending, NOW), redeem(RequestStatus.PayoutPending)],
      (r) => ({ clientId: r.clientId, status: 'sent', txHash: TX }),
      () => 'failed',
    );
    const result = await trackPayouts(fx.deps);
    expect(result.outcomes).toEqual([{ id: '3', action: 'failed', code: 'reverted', reason: 'RequestNotPayoutPending' }]);
    expect(fx.cursor()).toBe(3n);
  });
});
