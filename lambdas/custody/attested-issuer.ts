/**
 * The AttestedIssuer as the custodian service reads and writes it. The ABI is the compiled
 * interface's, so the service and the contracts cannot disagree on a type.
 */
import { Contract, Interface, type ContractRunner } from 'ethers';
import { abi as ATTESTED_ISSUER_ABI } from '../../artifacts/contracts/interfaces/IAttestedIssuer.sol/IAttestedIssuer.json';
import { describeRevert, isRevert } from '../relayer/revert';
import type { AttestedMintSink } from './settle';

export const ATTESTED_ISSUER_INTERFACE = new Interface(ATTESTED_ISSUER_ABI);

/** RequestStatus.Pending in IAttestedIssuer. */
const PENDING = 1n;

/**
 * A sink over the AttestedIssuer at `address`: reads through `runner`, submits with `send` (a
 * relayer in a Lambda, a signer in a tool), which resolves once the transaction is mined.
 */
export function attestedIssuerSink(
  address: string,
  runner: ContractRunner,
  send: (to: string, data: string) => Promise<void>,
  chainTime: () => Promise<bigint>,
): AttestedMintSink {
  const issuer = new Contract(address, ATTESTED_ISSUER_INTERFACE, runner);
  return {
    async isPendingMint(requestId) {
      const request = (await issuer.getFunction('getMintRequest')(requestId)) as { status: bigint; deadline: bigint; legsAttested: bigint };
      return request.status === PENDING && request.deadline >= (await chainTime());
    },
    isTxIdUsed: (chain, txId) => issuer.getFunction('isTxIdUsed')(chain, txId) as Promise<boolean>,
    async submitMint(requestId, { leg, signature }) {
      const data = ATTESTED_ISSUER_INTERFACE.encodeFunctionData('attestMint', [requestId, [leg], [signature]]);
      try {
        await send(address, data);
      } catch (error) {
        if (!isRevert(error)) throw error;
        return { ok: false, reason: describeRevert(error, ATTESTED_ISSUER_INTERFACE).reason };
      }
      const request = (await issuer.getFunction('getMintRequest')(requestId)) as { status: bigint };
      return { ok: true, completed: request.status === 2n };
    },
  };
}
