import { Contract, Interface, type Provider } from 'ethers';
import { Unavailable } from '../shared/errors';
import { RelayFailed, sendAndWait, type RelayerPort } from '../relayer/port';
import type { RootPublisher } from './epoch-close';
import { REWARDS_DISTRIBUTOR_ABI } from '../shared/abi';

export const DISTRIBUTOR = new Interface(REWARDS_DISTRIBUTOR_ABI);

/** The relayer's idempotency key of an epoch's root: one publication per epoch whatever the retries. */
export const rootActionKey = (epoch: number): string => `rewards-root:${epoch}`;

/**
 * Publishes epoch roots with `RewardsDistributor.publishRoot(epoch, root, totalCumulative)`
 * signed by the rewards KMS key (which holds OPERATOR on the distributor) through the relayer,
 * and waits for it to be mined. A retried close re-submits the same key and gets the first
 * action's outcome.
 */
export class RelayerRootPublisher implements RootPublisher {
  constructor(
    private readonly relayer: RelayerPort,
    private readonly distributor: string,
    private readonly timeoutMs = 120_000,
  ) {}

  async publish(epoch: number, root: string, totalCumulative: bigint): Promise<string> {
    const key = rootActionKey(epoch);
    try {
      const request = { key, to: this.distributor, data: DISTRIBUTOR.encodeFunctionData('publishRoot', [epoch, root, totalCumulative]) };
      return (await sendAndWait(this.relayer, request, { timeoutMs: this.timeoutMs })).txHash;
    } catch (error) {
      if (!(error instanceof RelayFailed)) throw error;
      const { status, failure } = error.action;
      throw new Unavailable(`publishing the epoch ${epoch} root ended ${status}${failure ? `: ${failure.code} ${failure.reason}` : ''}`, 'root_not_published');
    }
  }
}

/** What an account has already claimed from the distributor. */
export async function claimedOf(provider: Provider, distributor: string, account: string): Promise<bigint> {
  return (await new Contract(distributor, REWARDS_DISTRIBUTOR_ABI, provider).getFunction('claimedOf')(account)) as bigint;
}
