import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TypedDataDomain } from 'ethers';
import type { FeeSaleOrder, PriceAttestation, RebalanceOrder } from '../../lambdas/domain/rebalance-orders';

type Messages<T> = { rebalanceOrder: T; priceAttestation: T; feeSaleOrder: T };

/** test/vectors/rebalance-orders.json with its numbers as bigints. */
export interface RebalanceOrdersVector {
  keys: { deployer: string; maker: string; requester: string };
  domain: TypedDataDomain;
  rebalanceOrder: RebalanceOrder;
  priceAttestation: PriceAttestation;
  feeSaleOrder: FeeSaleOrder;
  digests: Messages<string>;
  signatures: Messages<string>;
}

const big = (values: string[]): bigint[] => values.map(BigInt);

export function loadRebalanceOrdersVector(): RebalanceOrdersVector {
  const raw = JSON.parse(readFileSync(join(__dirname, '../vectors/rebalance-orders.json'), 'utf8'));
  const r = raw.rebalanceOrder;
  const p = raw.priceAttestation;
  const f = raw.feeSaleOrder;
  return {
    keys: raw.keys,
    domain: { ...raw.domain, chainId: BigInt(raw.domain.chainId) },
    rebalanceOrder: {
      index: r.index,
      sellAssets: r.sellAssets,
      sellAmounts: big(r.sellAmounts),
      buyAssets: r.buyAssets,
      buyAmounts: big(r.buyAmounts),
      maker: r.maker,
      deadline: BigInt(r.deadline),
      nonce: BigInt(r.nonce),
    },
    priceAttestation: { index: p.index, assets: p.assets, prices: big(p.prices), validUntil: BigInt(p.validUntil), nonce: BigInt(p.nonce) },
    feeSaleOrder: {
      index: f.index,
      assets: f.assets,
      amounts: big(f.amounts),
      cashToken: f.cashToken,
      cashAmount: BigInt(f.cashAmount),
      maker: f.maker,
      deadline: BigInt(f.deadline),
      nonce: BigInt(f.nonce),
    },
    digests: raw.digests,
    signatures: raw.signatures,
  };
}
