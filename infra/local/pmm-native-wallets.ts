/**
 * The PMM simulator's wallets on the simulated native chains (infra/local/ledger-simulators.ts):
 * where it holds the custodian assets it delivers on a mint and receives on a redeem. A delivery
 * is one native transfer per basket asset into the registered custodian wallet, with the request
 * id as its memo (OP_RETURN, memo, metadata) so the custodian can tell which request it settles.
 */
import type { Contract } from 'ethers';
import { custodianPlaceholder } from '../../lambdas/domain/custody/placeholder';
import { basketOf } from '../../lambdas/domain/fees';
import type { SimulatedChain } from './ledger-simulators';

/** A custodian asset the PMM trades: its native chain and asset id. */
export interface NativeAsset {
  chain: SimulatedChain;
  asset: string;
}

/** One delivery leg: `amount` of `asset` to the custodian wallet `to` on `chain`. */
export interface DeliveryLeg extends NativeAsset {
  to: string;
  amount: bigint;
}

async function get<T>(url: string): Promise<T> {
  return call<T>(url, await fetch(url));
}

async function post<T>(url: string, body: unknown): Promise<T> {
  return call<T>(url, await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
}

async function call<T>(url: string, response: Response): Promise<T> {
  const reply = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(`${url}: ${reply.message ?? response.status}`);
  return reply;
}

/** Every transfer into or out of `address` on `chain`, from the first block. */
const transfersOf = (ledgersUrl: string, chain: SimulatedChain, address: string) =>
  get<{ transfers: Array<{ txId: string; from: string; to: string; asset: string; memo?: string }> }>(
    `${ledgersUrl}/chains/${chain}/transfers?address=${encodeURIComponent(address)}&fromHeight=0`,
  );

export class PmmNativeWallets {
  private constructor(
    private readonly ledgersUrl: string,
    /** The PMM's address per chain. */
    readonly addresses: Readonly<Record<SimulatedChain, string>>,
  ) {}

  /**
   * Opens the PMM's address per chain of `inventory`, the one the simulators made under `label`, and
   * credits it from their genesis faucet unless the faucet has credited it that asset before. So a
   * restart over kept ledgers (`stateFile`) finds the same addresses and inventory, as a restart finds
   * the PMM's EVM key in the data folder, and does not mint the inventory a second time.
   */
  static async open(ledgersUrl: string, inventory: ReadonlyArray<NativeAsset & { amount: bigint }>, label = 'pmm-simulator'): Promise<PmmNativeWallets> {
    const addresses = {} as Record<SimulatedChain, string>;
    for (const { chain, asset, amount } of inventory) {
      const address = (addresses[chain] ??= (await post<{ address: string }>(`${ledgersUrl}/chains/${chain}/addresses`, { label })).address);
      const { transfers } = await transfersOf(ledgersUrl, chain, address);
      if (transfers.some((t) => t.from === '' && t.to === address && t.asset === asset)) continue;
      await post(`${ledgersUrl}/chains/${chain}/mint`, { to: address, asset, amount: amount.toString() });
    }
    return new PmmNativeWallets(ledgersUrl, addresses);
  }

  /** Sends each leg from the PMM's wallet with `requestId` as the memo; resolves with the native transaction ids. */
  async deliver(requestId: string, legs: readonly DeliveryLeg[]): Promise<Array<DeliveryLeg & { txId: string }>> {
    const sent: Array<DeliveryLeg & { txId: string }> = [];
    for (const leg of legs) {
      const transfer = await post<{ txId: string }>(`${this.ledgersUrl}/chains/${leg.chain}/transfers`, {
        from: this.addresses[leg.chain],
        to: leg.to,
        asset: leg.asset,
        amount: leg.amount.toString(),
        memo: requestId,
      });
      sent.push({ ...leg, txId: transfer.txId });
    }
    return sent;
  }

  /** What the PMM has already sent with `memo` (a request or rebalance id), on every chain it holds an address on. */
  async sentWith(memo: string): Promise<Array<NativeAsset & { txId: string }>> {
    const sent: Array<NativeAsset & { txId: string }> = [];
    for (const [chain, address] of Object.entries(this.addresses) as Array<[SimulatedChain, string]>) {
      const { transfers } = await transfersOf(this.ledgersUrl, chain, address);
      for (const t of transfers) if (t.from === address && t.memo === memo) sent.push({ chain, asset: t.asset, txId: t.txId });
    }
    return sent;
  }

  /**
   * The legs a mint of `indexAmount` of `index` owes: per basket asset, `ceil(indexAmount × base ×
   * factor / 1e45)` (the bound AttestedIssuer checks), sent to `wallets[chain]`. Every basket asset
   * must be one of `assets`.
   */
  static async mintLegs(index: Contract, indexAmount: bigint, assets: readonly NativeAsset[], wallets: Readonly<Partial<Record<SimulatedChain, string>>>): Promise<DeliveryLeg[]> {
    const [basket, baseUnits, factor] = (await index.getFunction('baseTokenset')()) as [string[], bigint[], bigint];
    const byPlaceholder = new Map(assets.map((a) => [custodianPlaceholder(a.chain, a.asset), a]));
    const amounts = basketOf(indexAmount, baseUnits, factor);
    return basket.map((placeholder, i) => {
      const native = byPlaceholder.get(placeholder);
      if (!native) throw new Error(`basket asset ${placeholder} is not a native asset the PMM trades`);
      const to = wallets[native.chain];
      if (!to) throw new Error(`no custodian wallet on ${native.chain}`);
      return { ...native, to, amount: amounts[i]! };
    });
  }
}
