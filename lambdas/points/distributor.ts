import { Contract, Interface, type Provider } from 'ethers';
import { Unavailable } from '../shared/errors';
import { RelayFailed, sendAndWait, type RelayerPort } from '../relayer/port';
import type { RootPublisher } from './epoch-close';

/** The RewardsDistributor calls the back end makes. */
export const DISTRIBUTOR_ABI = [
  'function publishRoot(uint32 epoch, bytes32 root, uint256 totalCumulative)',
  'function claim(address account, uint256 cumulativeAmount, bytes32[] proof) returns (uint256 amount)',
  'function claimedOf(address account) view returns (uint256)',
  'function totalFunded() view returns (uint256)',
  'function claimableRoot() view returns (uint32 epoch, bytes32 root)',
  'function pendingRoot() view returns (uint32 epoch, bytes32 root, uint64 activatesAt)',
  'function rewardToken() view returns (address)',
  'error NothingToClaim(address account, uint256 cumulativeAmount, uint256 claimed)',
  'error InvalidProof(address account, uint256 cumulativeAmount, uint32 epoch)',
  'error NoClaimableRoot()',
  'error UnauthorizedClaimer(address account, address claimer)',
  'error RootPending(uint32 pendingEpoch, uint64 activatesAt)',
  'error RewardsUnderfunded(uint256 totalCumulative, uint256 totalFunded)',
  'error EpochNotNext(uint32 epoch, uint32 expected)',
  'error RootOverdrawn(uint32 epoch, uint256 totalCumulative, uint256 totalClaimed, uint256 amount)',
  'error EpochOutOfRange(uint32 epoch, uint32 maxEpoch)',
  'event Claimed(address indexed account, address indexed claimer, uint32 indexed epoch, uint256 amount, uint256 totalClaimed)',
];
export const DISTRIBUTOR = new Interface(DISTRIBUTOR_ABI);

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
  return (await new Contract(distributor, DISTRIBUTOR_ABI, provider).getFunction('claimedOf')(account)) as bigint;
}
