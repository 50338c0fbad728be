/**
 * The custodian adapter over the native-chain ledger simulators (infra/local/ledger-simulators.ts),
 * reached over HTTP as a custodian's API would be. It is the adapter the local stack runs; a Cobo or
 * Ceffu adapter implements the same `CustodianAdapter` against that custodian's API.
 */
import type { NativeChain } from '../domain/custody/addresses';
import type { CustodianAdapter, NativeTransfer, WalletBalances } from '../domain/custody/port';
import { SsiError } from '../shared/errors';

interface WireTransfer {
  txId: string;
  asset: string;
  from: string;
  to: string;
  amount: string;
  height: string;
  memo?: string;
  final: boolean;
}

/** A ledger transfer as the custodian sees it from `wallets`; undefined when it touches none of them or has no sender (a genesis credit). */
function toNative(chain: NativeChain, t: WireTransfer, wallets: ReadonlySet<string>): NativeTransfer | undefined {
  const incoming = wallets.has(t.to);
  if (!t.from || (!incoming && !wallets.has(t.from))) return undefined;
  return {
    chain,
    asset: t.asset,
    txId: t.txId,
    wallet: incoming ? t.to : t.from,
    counterparty: incoming ? t.from : t.to,
    direction: incoming ? 'in' : 'out',
    amount: BigInt(t.amount),
    height: BigInt(t.height),
    final: t.final,
    ...(t.memo === undefined ? {} : { reference: t.memo }),
  };
}

export class SimulatorCustodianAdapter implements CustodianAdapter {
  /** `baseUrl`: the simulators' HTTP root, e.g. http://127.0.0.1:38030. */
  constructor(private readonly baseUrl: string) {}

  private async call<T>(chain: NativeChain, path: string, init?: { method: 'POST'; body: unknown }): Promise<T> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/chains/${chain}${path}`;
    let response: Response;
    try {
      response = await fetch(url, init ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : undefined);
    } catch (error) {
      throw new SsiError(`custodian ledger ${chain} unreachable: ${(error as Error).message}`, 503, 'custodian_unreachable');
    }
    const body = (await response.json().catch(() => ({}))) as T & { message?: string };
    if (!response.ok) throw new SsiError(`custodian ledger ${chain}: ${body.message ?? response.status}`, response.status >= 500 ? 502 : response.status, 'custodian_refused');
    return body;
  }

  async watch(chain: NativeChain, wallets: readonly string[], fromHeight: bigint): Promise<{ transfers: NativeTransfer[]; cursor: bigint }> {
    if (wallets.length === 0) return { transfers: [], cursor: fromHeight };
    const query = [...wallets.map((w) => `address=${encodeURIComponent(w)}`), `fromHeight=${fromHeight}`].join('&');
    const read = await this.call<{ height: string; transfers: WireTransfer[] }>(chain, `/transfers?${query}`);
    const transfers = read.transfers.map((t) => toNative(chain, t, new Set(wallets))).filter((t): t is NativeTransfer => t !== undefined);
    return { transfers, cursor: BigInt(read.height) };
  }

  async transaction(chain: NativeChain, txId: string, wallets: readonly string[]): Promise<NativeTransfer | undefined> {
    let read: WireTransfer;
    try {
      read = await this.call<WireTransfer>(chain, `/tx/${encodeURIComponent(txId)}`);
    } catch (error) {
      if (error instanceof SsiError && error.status === 404) return undefined;
      throw error;
    }
    return toNative(chain, read, new Set(wallets));
  }

  async release(request: { chain: NativeChain; asset: string; wallet: string; to: string; amount: bigint; reference: string }): Promise<{ txId: string }> {
    const sent = await this.call<WireTransfer>(request.chain, '/transfers', {
      method: 'POST',
      body: { from: request.wallet, to: request.to, asset: request.asset, amount: request.amount.toString(), memo: request.reference },
    });
    return { txId: sent.txId };
  }

  async whitelist(chain: NativeChain): Promise<string[]> {
    return (await this.call<{ addresses: string[] }>(chain, '/whitelist')).addresses;
  }

  async balances(chain: NativeChain, wallets: readonly string[]): Promise<WalletBalances> {
    const query = wallets.map((w) => `address=${encodeURIComponent(w)}`).join('&');
    const read = await this.call<{ height: string; balances: { wallet: string; asset: string; amount: string }[] }>(chain, `/balances?${query}`);
    return { chain, height: BigInt(read.height), balances: read.balances.map((b) => ({ wallet: b.wallet, asset: b.asset, amount: BigInt(b.amount) })) };
  }
}
