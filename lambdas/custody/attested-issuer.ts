/**
 * The AttestedIssuer as the custodian service reads and writes it. The ABI is the compiled
 * interface's, so the service and the contracts cannot disagree on a type.
 */
import { Contract, Interface, type ContractRunner, type Provider, type Signer } from 'ethers';
import { abi as ATTESTED_ISSUER_ABI } from '../../artifacts/contracts/interfaces/IAttestedIssuer.sol/IAttestedIssuer.json';
import { describeRevert, isRevert } from '../relayer/revert';
import { firstBlockSince } from '../shared/chain';
import type { AttestedMintSink, AttestedRedeemSink } from './settle';
import type { SignedLeg } from './service';

export const ATTESTED_ISSUER_INTERFACE = new Interface(ATTESTED_ISSUER_ABI);

/** RequestStatus values of IAttestedIssuer. */
const PENDING = 1n;
const COMPLETED = 2n;
const SETTLED = 4n;

/** What sending one transaction came to: mined, or refused by the contract (its revert data when the chain gave it). */
export type SendOutcome = { ok: true } | { ok: false; reason: string; revertData?: string };

/** Sends one transaction through the relayer in a Lambda, or a signer in a tool or test. */
export type SendTransaction = (to: string, data: string) => Promise<SendOutcome>;

/** A SendTransaction over an ethers signer: a revert (at estimation or on chain) is a refusal, anything else throws. */
export function sendWithSigner(signer: Signer): SendTransaction {
  return async (to, data) => {
    try {
      await (await signer.sendTransaction({ to, data })).wait();
      return { ok: true };
    } catch (error) {
      if (!isRevert(error)) throw error;
      const described = describeRevert(error, ATTESTED_ISSUER_INTERFACE);
      return { ok: false, reason: described.reason, ...(described.data ? { revertData: described.data } : {}) };
    }
  };
}

type Outcome = { ok: true; completed: boolean } | { ok: false; reason: string };

/** Whether a mint or redeem request as the AttestedIssuer returns it is pending and inside its deadline at chain time `now`. */
export const isOpenRequest = (request: { status: bigint; deadline: bigint }, now: bigint): boolean => request.status === PENDING && request.deadline >= now;

/**
 * The first block a request still inside its deadline at chain time `now` can have been made in: a request was made at
 * most MAX_REQUEST_TIMEOUT (7 days) before its deadline, whatever the timeout was then. Scans for open requests start
 * here rather than at genesis.
 */
export async function firstBlockOfOpenRequests(provider: Provider, issuer: Contract, now: bigint): Promise<number> {
  return firstBlockSince(provider, now - ((await issuer.getFunction('MAX_REQUEST_TIMEOUT')()) as bigint));
}

/**
 * A sink over the AttestedIssuer at `address`, both sides: reads through `runner`, submits with `send`,
 * which resolves once the transaction is mined or refused.
 */
export function attestedIssuerSink(address: string, runner: ContractRunner, send: SendTransaction, chainTime: () => Promise<bigint>): AttestedMintSink & AttestedRedeemSink {
  const issuer = new Contract(address, ATTESTED_ISSUER_INTERFACE, runner);
  const read = <T>(name: string, ...args: unknown[]) => issuer.getFunction(name)(...args) as Promise<T>;
  /** Submits one leg; `status` reads the request after it is mined. */
  const submit = async (method: 'attestMint' | 'attestRedeem', requestId: string, leg: SignedLeg['leg'], signature: string): Promise<Outcome> => {
    const sent = await send(address, ATTESTED_ISSUER_INTERFACE.encodeFunctionData(method, [requestId, [leg], [signature]]));
    if (!sent.ok) return { ok: false, reason: sent.revertData ? describeRevert({ data: sent.revertData }, ATTESTED_ISSUER_INTERFACE).reason : sent.reason };
    const request = await read<{ status: bigint }>(method === 'attestMint' ? 'getMintRequest' : 'getRedeemRequest', requestId);
    return { ok: true, completed: request.status === COMPLETED };
  };
  return {
    async isPendingMint(requestId) {
      return isOpenRequest(await read<{ status: bigint; deadline: bigint }>('getMintRequest', requestId), await chainTime());
    },
    isTxIdUsed: (chain, txId) => read<boolean>('isTxIdUsed', chain, txId),
    submitMint: (requestId, { leg, signature }) => submit('attestMint', requestId, leg, signature),
    async isReleasable(requestId) {
      const request = await read<{ status: bigint; deadline: bigint; accepted: boolean }>('getRedeemRequest', requestId);
      if (request.status === SETTLED) return true;
      return request.accepted && isOpenRequest(request, await chainTime());
    },
    redeemDue: (requestId, asset) => read<bigint>('redeemDue', requestId, asset),
    redeemDestination: (requestId, asset) => read<string>('redeemDestination', requestId, asset),
    async isReleased(requestId, asset) {
      return (await read<bigint>('attestedLeg', requestId, asset)) > 0n;
    },
    submitRedeem: (requestId, { leg, signature }) => submit('attestRedeem', requestId, leg, signature),
  };
}

/** The redeems accepted in blocks `fromBlock`..`toBlock` and the basket assets each owes (RedeemAccepted). */
export async function acceptedRedeems(provider: Provider, address: string, fromBlock: number, toBlock: number): Promise<Array<{ requestId: string; assets: string[]; blockNumber: number }>> {
  if (toBlock < fromBlock) return [];
  const event = ATTESTED_ISSUER_INTERFACE.getEvent('RedeemAccepted')!;
  const logs = await provider.getLogs({ address, topics: [event.topicHash], fromBlock, toBlock });
  return logs.map((log) => {
    const parsed = ATTESTED_ISSUER_INTERFACE.parseLog(log)!;
    return { requestId: (parsed.args.requestId as string).toLowerCase(), assets: [...(parsed.args.assets as string[])], blockNumber: log.blockNumber };
  });
}

/**
 * The attested requests of `index` that an attested rebalance opened now would wrong, at chain time `now`: mints
 * pending inside their deadline, and redeems pending, not accepted, inside their deadline. A redeem's acceptance burns
 * part of the basket, so one accepted between a rebalance's plan and its opening leaves a planned sell above the basket
 * (the opening reverts; once open, AttestedIssuer refuses acceptances until it ends). A mint's legs are sized on the
 * basket of their attestation, so one whose legs straddle a rebalance's completion can fall short of the new basket
 * (AttestedIssuer then refuses to complete it and the WLP is refunded). Read from the MintRequested and
 * RedeemRequested events of the AttestedIssuer at `address` of the last MAX_REQUEST_TIMEOUT (7 days).
 */
export async function requestsHoldingRebalance(provider: Provider, address: string, index: string, now: bigint): Promise<{ mints: string[]; redeems: string[] }> {
  const issuer = new Contract(address, ATTESTED_ISSUER_INTERFACE, provider);
  const requested = ['MintRequested', 'RedeemRequested'].map((name) => ATTESTED_ISSUER_INTERFACE.getEvent(name)!.topicHash);
  const logs = await provider.getLogs({ address, topics: [requested], fromBlock: await firstBlockOfOpenRequests(provider, issuer, now) });
  const holding = { mints: [] as string[], redeems: [] as string[] };
  for (const log of logs) {
    const event = ATTESTED_ISSUER_INTERFACE.parseLog(log)!;
    if ((event.args.index as string).toLowerCase() !== index.toLowerCase()) continue;
    const requestId = event.args.requestId as string;
    const mint = event.name === 'MintRequested';
    const request = (await issuer.getFunction(mint ? 'getMintRequest' : 'getRedeemRequest')(requestId)) as { status: bigint; accepted?: boolean; deadline: bigint };
    if (!isOpenRequest(request, now)) continue;
    if (mint) holding.mints.push(requestId);
    else if (!request.accepted) holding.redeems.push(requestId);
  }
  return holding;
}
