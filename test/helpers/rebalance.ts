import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Contract, Signer, TypedDataDomain } from 'ethers';
import { basketFor, Side, type QuoteOrder } from '../../lambdas/domain/orders';
import { factorAt } from '../../lambdas/domain/fees';
import {
  FEE_SALE_ORDER_TYPES,
  PRICE_ATTESTATION_TYPES,
  REBALANCE_ORDER_TYPES,
  rebalancerDomain,
  sortedLegs,
  type FeeSaleOrder,
  type PriceAttestation,
  type RebalanceOrder,
} from '../../lambdas/domain/rebalance-orders';
import { MAX_UINT256, as, now, type IndexFixture } from './index-protocol';

/** The rebalancer's EIP-712 domain in a fixture. */
export async function rebalanceDomain(hre: HardhatRuntimeEnvironment, fx: IndexFixture): Promise<TypedDataDomain> {
  const { chainId } = await hre.ethers.provider.getNetwork();
  return rebalancerDomain(chainId, await fx.rebalancer.getAddress());
}

/**
 * Grants the fixture's PMM the rebalancer's maker role, allows `assets` as buy legs and approves
 * the PMM for them (minting them `amount` each).
 */
export async function enableRebalanceMaker(fx: IndexFixture, assets: Contract[], amount: bigint): Promise<void> {
  const pmm = await fx.pmm.getAddress();
  const rebalancer = await fx.rebalancer.getAddress();
  await (await fx.rebalancer.grantRole(await fx.rebalancer.MAKER_ROLE(), pmm)).wait();
  for (const asset of assets) {
    await (await fx.rebalancer.setBuyAssetAllowed(await asset.getAddress(), true)).wait();
    if (amount > 0n) await (await asset.mint(pmm, amount)).wait();
    await (await as(asset, fx.pmm).approve(rebalancer, MAX_UINT256)).wait();
  }
  await (await as(fx.usdc, fx.pmm).approve(rebalancer, MAX_UINT256)).wait();
}

let nextNonce = 1_000n;

/** A fresh nonce for rebalancer messages (distinct across a test file). */
export function freshNonce(): bigint {
  return nextNonce++;
}

/** A rebalance order of the fixture's PMM from unsorted legs, valid for an hour. */
export async function rebalanceOrder(
  hre: HardhatRuntimeEnvironment,
  fx: IndexFixture,
  sells: Array<{ asset: string; amount: bigint }>,
  buys: Array<{ asset: string; amount: bigint }>,
  fields: Partial<RebalanceOrder> = {},
): Promise<RebalanceOrder> {
  const sell = sortedLegs(sells);
  const buy = sortedLegs(buys);
  return {
    index: await fx.index.getAddress(),
    sellAssets: sell.assets,
    sellAmounts: sell.amounts,
    buyAssets: buy.assets,
    buyAmounts: buy.amounts,
    maker: await fx.pmm.getAddress(),
    deadline: (await now(hre)) + 3600n,
    nonce: freshNonce(),
    ...fields,
  };
}

/** A price attestation for `prices` (keyed by address), valid for an hour. */
export async function priceAttestation(
  hre: HardhatRuntimeEnvironment,
  fx: IndexFixture,
  prices: ReadonlyMap<string, bigint>,
  fields: Partial<PriceAttestation> = {},
): Promise<PriceAttestation> {
  const legs = sortedLegs([...prices.entries()].map(([asset, price]) => ({ asset: hre.ethers.getAddress(asset), amount: price })));
  return {
    index: await fx.index.getAddress(),
    assets: legs.assets,
    prices: legs.amounts,
    validUntil: (await now(hre)) + 3600n,
    nonce: freshNonce(),
    ...fields,
  };
}

export async function signRebalance(signer: Signer, domain: TypedDataDomain, order: RebalanceOrder): Promise<string> {
  return signer.signTypedData(domain, REBALANCE_ORDER_TYPES, order);
}

export async function signPrices(signer: Signer, domain: TypedDataDomain, prices: PriceAttestation): Promise<string> {
  return signer.signTypedData(domain, PRICE_ATTESTATION_TYPES, prices);
}

export async function signFeeSale(signer: Signer, domain: TypedDataDomain, order: FeeSaleOrder): Promise<string> {
  return signer.signTypedData(domain, FEE_SALE_ORDER_TYPES, order);
}

/** The token's base tokenset and fee state at the latest block. */
export async function readBasis(index: Contract): Promise<{ assets: string[]; baseUnitAmounts: bigint[]; factor: bigint }> {
  const [assets, baseUnitAmounts, factor] = (await index.baseTokenset()) as [string[], bigint[], bigint];
  return { assets: [...assets], baseUnitAmounts: [...baseUnitAmounts], factor };
}

/**
 * A quote whose legs hold until its deadline under a running management fee: mint legs at the fee
 * factor of now, redeem legs at the factor projected to the deadline.
 */
export async function feeAwareQuote(
  hre: HardhatRuntimeEnvironment,
  fx: IndexFixture,
  index: Contract,
  fields: Partial<QuoteOrder> & { side: Side; indexAmount: bigint; nonce: bigint; requester: string },
): Promise<QuoteOrder> {
  const readAt = await now(hre);
  const deadline = readAt + 600n;
  const basis = await readBasis(index);
  const state = await index.feeState();
  const factor = fields.side === Side.Mint ? basis.factor : factorAt(state, readAt, deadline);
  const legs = basketFor({ assets: basis.assets, unitAmounts: basis.baseUnitAmounts, factor }, fields.indexAmount, fields.side);
  return {
    index: await index.getAddress(),
    assets: legs.assets,
    amounts: legs.amounts,
    cashToken: await fx.usdc.getAddress(),
    cashAmount: 1_000n * 10n ** 6n,
    maker: await fx.pmm.getAddress(),
    deadline,
    ...fields,
  };
}

/** A rebalance run as `GET /v1/rebalances/{index}/{runId}` answers it (the fields the stack tests read). */
export interface RebalanceRunView {
  runId: string;
  status: string;
  step: string;
  failure?: { step: string; reason: string };
  targets: Array<{ symbol: string; asset: string; weight: string }>;
  prices: Array<{ asset: string; decimals: number; price: string }>;
  plan: { sellAssets: string[]; sellAmounts: string[]; buyAssets: string[]; buyAmounts: string[]; empty: boolean };
  quote: { maker: string; buyAmounts: string[] };
  attested?: { rebalancer: string; rebalanceId?: string; status?: string };
  check: { ok: boolean; maxDeviationBps: number };
  settlement: { txHash?: string; orderHash?: string; assets?: string[]; unitAmounts?: string[] };
  steps: Array<{ step: string; at: string; note?: string }>;
}
