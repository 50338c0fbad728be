import { DISTRIBUTOR, RelayerRootPublisher } from '../../../lambdas/points/distributor';
import type { ActionRecord } from '../../../lambdas/relayer';
import type { RelayerPort } from '../../../lambdas/relayer/port';

function fakeRelayer(outcome: Pick<ActionRecord, 'status' | 'txHash' | 'failure'>) {
  const submitted: Array<{ key: string; to: string; data?: string }> = [];
  const relayer: RelayerPort = {
    submit: async (request) => {
      submitted.push(request);
      return { actionKey: request.key, status: 'sent' } as ActionRecord;
    },
    wait: async (key) => ({ actionKey: key, ...outcome }) as ActionRecord,
  };
  return { relayer, submitted };
}

describe('RelayerRootPublisher', () => {
  const distributor = '0x00000000000000000000000000000000000000d1';
  const root = `0x${'ab'.repeat(32)}`;

  test('submits publishRoot(epoch, root, totalCumulative) under the key rewards-root:<epoch> and returns the mined hash', async () => {
    const { relayer, submitted } = fakeRelayer({ status: 'mined', txHash: '0xfeed' });

    const hash = await new RelayerRootPublisher(relayer, distributor).publish(7, root, 12_345n);

    expect(hash).toBe('0xfeed');
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({ key: 'rewards-root:7', to: distributor });
    const call = DISTRIBUTOR.parseTransaction({ data: submitted[0]!.data! })!;
    expect(call.name).toBe('publishRoot');
    expect([...call.args]).toEqual([7n, root, 12_345n]);
  });

  test('fails with the relayer failure when the transaction did not get mined', async () => {
    const { relayer } = fakeRelayer({ status: 'failed', failure: { code: 'would_revert', reason: 'RewardsUnderfunded' } });

    await expect(new RelayerRootPublisher(relayer, distributor).publish(2, root, 1n)).rejects.toThrow(/epoch 2 root ended failed: would_revert RewardsUnderfunded/);
  });
});
