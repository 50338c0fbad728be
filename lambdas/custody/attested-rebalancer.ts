/**
 * The AttestedRebalancer as the custodian service reads and writes it. The ABI is the compiled
 * interface's, so the service and the contract cannot disagree on a type.
 */
import { Contract, Interface, type Provider } from 'ethers';
import { abi as ATTESTED_REBALANCER_ABI } from '../../artifacts/contracts/interfaces/IAttestedRebalancer.sol/IAttestedRebalancer.json';
import type { RebalanceOrder } from '../domain/rebalance-orders';
import { INDEX_TOKEN_ABI } from '../shared/abi';
import { describeRevert } from '../relayer/revert';
import type { SendTransaction } from './attested-issuer';
import type { AttestedRebalanceSink, RebalanceView } from './settle';

export const ATTESTED_REBALANCER_INTERFACE = new Interface(ATTESTED_REBALANCER_ABI);

/** RebalanceStatus in IAttestedRebalancer, by its numeric value. */
export const REBALANCE_STATUS = ['none', 'pending', 'completed', 'cancelled', 'settled'] as const;

/**
 * The order a rebalance was opened with. The contract keeps only its hash and the event leaves out the
 * nonce, so it is read back from the opening transaction's calldata and checked against that hash.
 * An `open` sent through a forwarder or multicall is not decoded: such a rebalance reads as unknown.
 */
async function openedOrder(contract: Contract, provider: Provider, rebalanceId: string, orderHash: string): Promise<RebalanceOrder | undefined> {
  const [log] = await contract.queryFilter(contract.filters.RebalanceOpened!(rebalanceId));
  if (!log) return undefined;
  const tx = await provider.getTransaction(log.transactionHash);
  const parsed = tx ? ATTESTED_REBALANCER_INTERFACE.parseTransaction({ data: tx.data }) : null;
  if (parsed?.name !== 'open') return undefined;
  const o = parsed.args[0] as unknown as RebalanceOrder;
  const order: RebalanceOrder = {
    index: o.index,
    sellAssets: [...o.sellAssets],
    sellAmounts: [...o.sellAmounts],
    buyAssets: [...o.buyAssets],
    buyAmounts: [...o.buyAmounts],
    maker: o.maker,
    deadline: o.deadline,
    nonce: o.nonce,
  };
  const hash = (await contract.getFunction('hashRebalanceOrder')(order)) as string;
  return hash === orderHash ? order : undefined;
}

/** The rebalances accepted in blocks `fromBlock`..`toBlock` and the assets each sells (RebalanceAccepted). */
export async function acceptedRebalances(provider: Provider, address: string, fromBlock: number, toBlock: number): Promise<Array<{ rebalanceId: string; sellAssets: string[]; blockNumber: number }>> {
  if (toBlock < fromBlock) return [];
  const event = ATTESTED_REBALANCER_INTERFACE.getEvent('RebalanceAccepted')!;
  const logs = await provider.getLogs({ address, topics: [event.topicHash], fromBlock, toBlock });
  return logs.map((log) => {
    const parsed = ATTESTED_REBALANCER_INTERFACE.parseLog(log)!;
    return { rebalanceId: (parsed.args.rebalanceId as string).toLowerCase(), sellAssets: [...(parsed.args.sellAssets as string[])], blockNumber: log.blockNumber };
  });
}

/**
 * A sink over the AttestedRebalancer at `address`: reads through `provider`, submits with `send`, which
 * resolves once the transaction is mined or refused. Orders are read once per rebalance and kept.
 */
export function attestedRebalancerSink(address: string, provider: Provider, send: SendTransaction, chainTime: () => Promise<bigint>): AttestedRebalanceSink {
  const contract = new Contract(address, ATTESTED_REBALANCER_INTERFACE, provider);
  const orders = new Map<string, RebalanceOrder>();
  return {
    async rebalance(rebalanceId): Promise<RebalanceView | undefined> {
      const r = (await contract.getFunction('getRebalance')(rebalanceId)) as {
        orderHash: string;
        deadline: bigint;
        buysDue: bigint;
        buysAttested: bigint;
        accepted: boolean;
        status: bigint;
      };
      const status = REBALANCE_STATUS[Number(r.status)] ?? 'none';
      if (status === 'none') return undefined;
      let order = orders.get(rebalanceId);
      if (!order) {
        order = await openedOrder(contract, provider, rebalanceId, r.orderHash);
        if (!order) return undefined;
        orders.set(rebalanceId, order);
      }
      const [assets, amounts] = (await new Contract(order.index, INDEX_TOKEN_ABI, provider).getFunction('basket')()) as [string[], bigint[]];
      const held = new Map(assets.map((a, i) => [a.toLowerCase(), amounts[i]!]));
      return {
        status,
        order,
        live: r.deadline >= (await chainTime()),
        accepted: r.accepted,
        buysOutstanding: Number(r.buysDue - r.buysAttested),
        sellsCovered: order.sellAssets.every((asset, i) => (held.get(asset.toLowerCase()) ?? 0n) >= order.sellAmounts[i]!),
      };
    },
    destination: (rebalanceId, asset) => contract.getFunction('destination')(rebalanceId, asset) as Promise<string>,
    isLegAttested: (rebalanceId, asset) => contract.getFunction('isLegAttested')(rebalanceId, asset) as Promise<boolean>,
    async submitRebalance(rebalanceId, order, { leg, signature }) {
      const data = ATTESTED_REBALANCER_INTERFACE.encodeFunctionData('attest', [rebalanceId, order, [leg], [signature]]);
      const sent = await send(address, data);
      if (!sent.ok) {
        const decoded = sent.revertData ? describeRevert({ data: sent.revertData }, ATTESTED_REBALANCER_INTERFACE).reason : sent.reason;
        return { ok: false, reason: decoded };
      }
      const status = REBALANCE_STATUS[Number(((await contract.getFunction('getRebalance')(rebalanceId)) as { status: bigint }).status)];
      return { ok: true, completed: status === 'completed' };
    },
  };
}
