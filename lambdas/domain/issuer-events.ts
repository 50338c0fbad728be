import { Interface, type Log } from 'ethers';

/**
 * The Issuer's request events (IIssuer.sol), as ethers human-readable fragments: a mint or redeem
 * is requested, then filled, cancelled by its requester or rejected by its maker; `mint` and
 * `redeem` settle at once and emit only the fill. `requester` is indexed, so a WLP's own requests
 * are one log filter away. The web app folds a WLP's logs into its requests here
 * (`requestsFromLogs`); it keeps these eight fragments rather than the Issuer's whole compiled ABI
 * (lambdas/shared/abi.ts, which the CLI uses), and test/lambdas/shared/abi.test.ts holds them to it.
 */
export const ISSUER_REQUEST_EVENTS = [
  'event Minted(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee)',
  'event Redeemed(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee)',
  'event MintRequested(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee, uint64 expiresAt)',
  'event RedeemRequested(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee, uint64 expiresAt)',
  'event MintCancelled(bytes32 indexed orderHash, address indexed index, address indexed requester, address cashToken, uint256 refund)',
  'event RedeemCancelled(bytes32 indexed orderHash, address indexed index, address indexed requester, uint256 indexAmount)',
  'event MintRejected(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, address cashToken, uint256 refund)',
  'event RedeemRejected(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount)',
] as const;

const ISSUER = new Interface(ISSUER_REQUEST_EVENTS);

export type RequestStatus = 'pending' | 'filled' | 'cancelled' | 'rejected';

/** One request as its events tell it: the order, where it stands, and the transactions that moved it. */
export interface WlpRequest {
  orderHash: string;
  side: 'mint' | 'redeem';
  status: RequestStatus;
  indexAmount: bigint;
  cashToken: string | null;
  cashAmount: bigint | null;
  /** Pending requests only: when the requester may cancel (chain time, seconds). */
  expiresAt: number | null;
  /** The request's first event: its block orders the list. */
  block: number;
  txs: Array<{ what: string; hash: string }>;
}

const OUTCOMES: Record<string, { side: 'mint' | 'redeem'; status: RequestStatus | 'requested'; what: string }> = {
  MintRequested: { side: 'mint', status: 'requested', what: 'requested' },
  RedeemRequested: { side: 'redeem', status: 'requested', what: 'requested' },
  Minted: { side: 'mint', status: 'filled', what: 'filled' },
  Redeemed: { side: 'redeem', status: 'filled', what: 'filled' },
  MintCancelled: { side: 'mint', status: 'cancelled', what: 'cancelled' },
  RedeemCancelled: { side: 'redeem', status: 'cancelled', what: 'cancelled' },
  MintRejected: { side: 'mint', status: 'rejected', what: 'rejected' },
  RedeemRejected: { side: 'redeem', status: 'rejected', what: 'rejected' },
};

/** Folds the Issuer's request logs (any order) into one entry per order hash, newest request first. */
export function requestsFromLogs(logs: readonly Log[]): WlpRequest[] {
  const sorted = [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const byHash = new Map<string, WlpRequest>();
  for (const log of sorted) {
    const event = ISSUER.parseLog(log);
    const outcome = event && OUTCOMES[event.name];
    if (!event || !outcome) continue;
    const orderHash = event.args.orderHash as string;
    const entry: WlpRequest = byHash.get(orderHash) ?? {
      orderHash,
      side: outcome.side,
      status: 'pending',
      indexAmount: 0n,
      cashToken: null,
      cashAmount: null,
      expiresAt: null,
      block: log.blockNumber,
      txs: [],
    };
    const args = event.args.toObject() as { indexAmount?: bigint; cashToken?: string; cashAmount?: bigint; expiresAt?: bigint };
    if (args.indexAmount !== undefined) entry.indexAmount = args.indexAmount;
    if (args.cashToken !== undefined) entry.cashToken = args.cashToken;
    if (args.cashAmount !== undefined) entry.cashAmount = args.cashAmount;
    if (outcome.status === 'requested') entry.expiresAt = Number(args.expiresAt);
    else {
      entry.status = outcome.status;
      entry.expiresAt = null;
    }
    entry.txs.push({ what: outcome.what, hash: log.transactionHash });
    byHash.set(orderHash, entry);
  }
  return [...byHash.values()].reverse().sort((a, b) => b.block - a.block);
}

/** The topic hashes of every request event: one `eth_getLogs` filter finds a requester's whole history. */
export const ISSUER_REQUEST_TOPICS: readonly string[] = Object.keys(OUTCOMES).map((name) => ISSUER.getEvent(name)!.topicHash);
