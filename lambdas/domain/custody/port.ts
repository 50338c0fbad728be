/**
 * The custodian port: what the custodian service needs from a custodian (a ledger simulator
 * locally; Cobo, Ceffu or another custodian in production). An adapter is one file implementing
 * `CustodianAdapter`; the service never calls a custodian's API any other way, so swapping the
 * custodian does not touch attestation, statement or reserve code.
 */
import type { NativeChain } from './addresses';

/** One transfer into or out of a custodian wallet, as the custodian's ledger reports it. */
export interface NativeTransfer {
  chain: NativeChain;
  /** The asset id as the registry names it (e.g. BTC, SOL, XRP). */
  asset: string;
  /** The native transaction id (Bitcoin/Dogecoin txid hex, Solana signature, XRPL hash, Cardano tx hash). */
  txId: string;
  /** The custodian wallet (XRP: `address?dt=<tag>`). */
  wallet: string;
  /** The other side: the sender of an incoming transfer, the receiver of an outgoing one. */
  counterparty: string;
  direction: 'in' | 'out';
  /** Units in the asset's native decimals. */
  amount: bigint;
  /** Block height, slot or ledger index that holds the transfer. */
  height: bigint;
  /** Whether the custodian counts the transfer as final (enough confirmations, finalized slot, validated ledger). */
  final: boolean;
  /**
   * What the sender attached to the transaction (Bitcoin/Dogecoin OP_RETURN, Solana memo, XRP memo,
   * Cardano metadata), when any: a PMM names there the request id (0x + 64 hex) it delivers for.
   */
  reference?: string;
}

/** Balances of one chain's custodian wallets at one height. */
export interface WalletBalances {
  chain: NativeChain;
  /** The block height, slot or ledger index the balances were read at. */
  height: bigint;
  balances: { wallet: string; asset: string; amount: bigint }[];
}

export interface CustodianAdapter {
  /** Transfers touching `wallets` on `chain` at heights after `fromHeight`, oldest first; `cursor` is where to resume. */
  watch(chain: NativeChain, wallets: readonly string[], fromHeight: bigint): Promise<{ transfers: NativeTransfer[]; cursor: bigint }>;
  /** Releases `amount` units of `asset` from custodian wallet `wallet` to `to`; resolves with the native transaction id. */
  release(request: { chain: NativeChain; asset: string; wallet: string; to: string; amount: bigint; reference: string }): Promise<{ txId: string }>;
  /** One transaction touching a custodian wallet in `wallets`, by its native id; undefined when the custodian does not see it. */
  transaction(chain: NativeChain, txId: string, wallets: readonly string[]): Promise<NativeTransfer | undefined>;
  /** The custodian's withdrawal whitelist on `chain`: the only addresses it releases to (a PMM's native addresses). */
  whitelist(chain: NativeChain): Promise<string[]>;
  /** Balances of `wallets` on `chain`, all read at one height. */
  balances(chain: NativeChain, wallets: readonly string[]): Promise<WalletBalances>;
}
