/**
 * The USSI contract as off-chain code sees it: its compiled ABI (lambdas/shared/abi.ts) and readers that turn on-chain state into the inputs of `quoteHedgeOrder` and `runNavUpdate`.
 * Clients come in as arguments; nothing here holds a key.
 */
import { Contract, type ContractRunner } from 'ethers';
import type { OnChainNav } from '../domain/ussi-nav';
import { AssetKind, type HedgeSide, type RequestStatus, type UssiAsset } from '../domain/ussi-orders';
import { USSI_ABI } from '../shared/abi';

export { USSI_ABI };

export function ussiContract(address: string, runner: ContractRunner): Contract {
  return new Contract(address, USSI_ABI, runner);
}

/** A request as `getRequest(id)` returns it, with its enums as numbers. */
export interface UssiRequest {
  requester: string;
  side: HedgeSide;
  status: RequestStatus;
  expiresAt: bigint;
  asset: string;
  assetAmount: bigint;
  ussiAmount: bigint;
}

export async function readRequest(ussi: Contract, id: bigint): Promise<UssiRequest> {
  const r = (await ussi.getFunction('getRequest')(id)) as { requester: string; side: bigint; status: bigint; expiresAt: bigint; asset: string; assetAmount: bigint; ussiAmount: bigint };
  return { requester: r.requester, side: Number(r.side), status: Number(r.status), expiresAt: r.expiresAt, asset: r.asset, assetAmount: r.assetAmount, ussiAmount: r.ussiAmount };
}

/** What `runNavUpdate` reads: NAV state and limits, supply, and the latest block's timestamp. */
export async function readNavState(ussi: Contract): Promise<{ onChain: OnChainNav; supply: bigint; now: bigint }> {
  const provider = ussi.runner?.provider;
  if (!provider) throw new Error('the USSI contract needs a runner with a provider');
  const [[nav, updatedAt], settings, supply, block] = await Promise.all([
    ussi.getFunction('nav')() as Promise<[bigint, bigint]>,
    ussi.getFunction('settings')() as Promise<{ maxNavMoveBps: bigint; minNavInterval: bigint; maxNavAge: bigint }>,
    ussi.getFunction('totalSupply')() as Promise<bigint>,
    provider.getBlock('latest'),
  ]);
  if (block === null) throw new Error('the chain returned no latest block');
  return {
    onChain: {
      nav,
      updatedAt,
      maxNavMoveBps: Number(settings.maxNavMoveBps),
      minNavInterval: Number(settings.minNavInterval),
      maxNavAge: Number(settings.maxNavAge),
    },
    supply,
    now: BigInt(block.timestamp),
  };
}

/** What `quoteHedgeOrder` needs from the chain for `asset`: the NAV, the tolerance and the asset's kind and decimals. */
export async function readQuoteContext(
  ussi: Contract,
  asset: string,
): Promise<{ nav: bigint; navUpdatedAt: bigint; toleranceBps: number; maxNavAge: number; asset: UssiAsset }> {
  const [[nav, navUpdatedAt], settings, [kind, decimals]] = await Promise.all([
    ussi.getFunction('nav')() as Promise<[bigint, bigint]>,
    ussi.getFunction('settings')() as Promise<{ toleranceBps: bigint; maxNavAge: bigint }>,
    ussi.getFunction('assetConfig')(asset) as Promise<[bigint, bigint]>,
  ]);
  return {
    nav,
    navUpdatedAt,
    toleranceBps: Number(settings.toleranceBps),
    maxNavAge: Number(settings.maxNavAge),
    asset: { address: asset, kind: Number(kind) as AssetKind, decimals: Number(decimals) },
  };
}
