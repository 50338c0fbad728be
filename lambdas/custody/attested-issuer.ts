/**
 * The AttestedIssuer and CustodyRegistry as the custodian service reads and writes them. The ABIs
 * are the compiled interfaces', so the service and the contracts cannot disagree on a type.
 */
import { Contract, Interface, type ContractRunner } from 'ethers';
import { abi as ATTESTED_ISSUER_ABI } from '../../artifacts/contracts/interfaces/IAttestedIssuer.sol/IAttestedIssuer.json';
import { abi as CUSTODY_REGISTRY_ABI } from '../../artifacts/contracts/interfaces/ICustodyRegistry.sol/ICustodyRegistry.json';
import { describeRevert, isRevert } from '../relayer/revert';
import type { AttestedMintSink } from './settle';

export const ATTESTED_ISSUER_INTERFACE = new Interface(ATTESTED_ISSUER_ABI);
export const CUSTODY_REGISTRY_INTERFACE = new Interface(CUSTODY_REGISTRY_ABI);

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

/** The active custodian wallets per chain name, rebuilt from the registry's WalletSet events. */
export async function registeredWallets(registry: string, runner: ContractRunner, fromBlock = 0): Promise<Record<string, string[]>> {
  const contract = new Contract(registry, CUSTODY_REGISTRY_INTERFACE, runner);
  const events = await contract.queryFilter(contract.filters.WalletSet!(), fromBlock);
  const active = new Map<string, { chain: string; wallet: string; active: boolean }>();
  for (const event of events) {
    const { chainName, wallet, active: on } = (event as unknown as { args: { chainName: string; wallet: string; active: boolean } }).args;
    active.set(`${chainName}|${wallet}`, { chain: chainName, wallet, active: on });
  }
  const byChain: Record<string, string[]> = {};
  for (const entry of active.values()) if (entry.active) (byChain[entry.chain] ??= []).push(entry.wallet);
  return byChain;
}
