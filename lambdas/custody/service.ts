/**
 * The custodian service: turns what a custodian adapter sees into signed statements. Each final
 * transfer becomes a CustodyLeg attestation, and each chain's wallet balances a daily balance
 * statement, both signed with the custodian KMS key (the `custodian` key role; signing only).
 */
import type { AbstractSigner, TypedDataDomain } from 'ethers';
import { checkAddress } from '../domain/custody/addresses';
import { CUSTODY_LEG_TYPES, LegDirection, assetKey, chainKey, nativeKey, type CustodyLeg } from '../domain/custody/attestation';
import type { CustodianAdapter, NativeTransfer } from '../domain/custody/port';
import { BALANCE_STATEMENT_TYPES, statementDomain, toStored, type BalanceStatement, type SignedBalanceStatement } from '../domain/custody/statement';
import { SsiError } from '../shared/errors';
import type { NativeChain } from '../domain/custody/addresses';

export interface SignedLeg {
  leg: CustodyLeg;
  signature: string;
}

export class CustodianService {
  constructor(
    private readonly adapter: CustodianAdapter,
    private readonly signer: AbstractSigner,
    /** The deployment chain id, named in every EIP-712 domain the service signs under. */
    private readonly chainId: number,
  ) {}

  /** The CustodyLeg a transfer proves for `requestId`; refuses transfers that are not final or carry malformed addresses. */
  static legFor(requestId: string, transfer: NativeTransfer): CustodyLeg {
    if (!transfer.final) throw new SsiError(`transfer ${transfer.txId} on ${transfer.chain} is not final yet`, 409, 'transfer_not_final');
    for (const [what, address] of [['wallet', transfer.wallet], ['counterparty', transfer.counterparty]] as const) {
      const check = checkAddress(transfer.chain, address);
      if (!check.ok) throw new SsiError(`${what} ${address}: ${check.reason}`, 400, 'bad_address');
    }
    if (transfer.amount <= 0n) throw new SsiError(`transfer ${transfer.txId} moves no units`, 400, 'bad_amount');
    return {
      requestId,
      direction: transfer.direction === 'in' ? LegDirection.Received : LegDirection.Released,
      chain: chainKey(transfer.chain),
      asset: assetKey(transfer.asset),
      amount: transfer.amount,
      txId: nativeKey(transfer.txId),
      wallet: nativeKey(transfer.wallet),
      counterparty: nativeKey(transfer.counterparty),
    };
  }

  /** Signs the attestation of `transfer` as a leg of `requestId`, for the attested-leg contract at `domain`. */
  async attest(domain: TypedDataDomain, requestId: string, transfer: NativeTransfer): Promise<SignedLeg> {
    const leg = CustodianService.legFor(requestId, transfer);
    const signature = await this.signer.signTypedData(domain, CUSTODY_LEG_TYPES, leg as unknown as Record<string, unknown>);
    return { leg, signature };
  }

  /** Reads `wallets`' balances on `chain` through the adapter and signs them as the statement of `day`. */
  async statement(chain: NativeChain, day: string, wallets: readonly string[]): Promise<SignedBalanceStatement> {
    const read = await this.adapter.balances(chain, wallets);
    const statement: BalanceStatement = { chain, day, height: read.height, balances: read.balances };
    const signature = await this.signer.signTypedData(statementDomain(this.chainId), BALANCE_STATEMENT_TYPES, statement as unknown as Record<string, unknown>);
    return toStored(statement, this.chainId, await this.signer.getAddress(), signature);
  }
}
