/**
 * The AttestedIssuer as the custodian service reads and writes it. The ABI is the compiled
 * interface's, so the service and the contracts cannot disagree on a type.
 */
import { Contract, Interface, type ContractRunner, type Signer } from 'ethers';
import { abi as ATTESTED_ISSUER_ABI } from '../../artifacts/contracts/interfaces/IAttestedIssuer.sol/IAttestedIssuer.json';
import { describeRevert, isRevert } from '../relayer/revert';
import type { AttestedMintSink } from './settle';

export const ATTESTED_ISSUER_INTERFACE = new Interface(ATTESTED_ISSUER_ABI);

/** RequestStatus.Pending in IAttestedIssuer. */
const PENDING = 1n;

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

/**
 * A sink over the AttestedIssuer at `address`: reads through `runner`, submits with `send`, which
 * resolves once the transaction is mined or refused.
 */
export function attestedIssuerSink(address: string, runner: ContractRunner, send: SendTransaction, chainTime: () => Promise<bigint>): AttestedMintSink {
  const issuer = new Contract(address, ATTESTED_ISSUER_INTERFACE, runner);
  return {
    async isPendingMint(requestId) {
      const request = (await issuer.getFunction('getMintRequest')(requestId)) as { status: bigint; deadline: bigint; legsAttested: bigint };
      return request.status === PENDING && request.deadline >= (await chainTime());
    },
    isTxIdUsed: (chain, txId) => issuer.getFunction('isTxIdUsed')(chain, txId) as Promise<boolean>,
    async submitMint(requestId, { leg, signature }) {
      const data = ATTESTED_ISSUER_INTERFACE.encodeFunctionData('attestMint', [requestId, [leg], [signature]]);
      const sent = await send(address, data);
      if (!sent.ok) {
        const decoded = sent.revertData ? describeRevert({ data: sent.revertData }, ATTESTED_ISSUER_INTERFACE).reason : sent.reason;
        return { ok: false, reason: decoded };
      }
      const request = (await issuer.getFunction('getMintRequest')(requestId)) as { status: bigint };
      return { ok: true, completed: request.status === 2n };
    },
  };
}
