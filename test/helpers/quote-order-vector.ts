import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TypedDataDomain } from 'ethers';
import { quoteOrderFromJson, type QuoteOrder, type Tokenset } from '../../lambdas/domain/orders';

/** test/vectors/quote-order.json with its numbers as bigints. */
export interface QuoteOrderVector {
  keys: { deployer: string; maker: string; requester: string };
  domain: TypedDataDomain;
  tokenset: Tokenset;
  order: QuoteOrder;
  maxFeeBps: number;
  fee: bigint;
  digest: string;
  signature: string;
}

export function loadQuoteOrderVector(): QuoteOrderVector {
  const raw = JSON.parse(readFileSync(join(__dirname, '../vectors/quote-order.json'), 'utf8'));
  return {
    keys: raw.keys,
    domain: { ...raw.domain, chainId: BigInt(raw.domain.chainId) },
    tokenset: { assets: raw.tokenset.assets, unitAmounts: raw.tokenset.unitAmounts.map(BigInt) },
    order: quoteOrderFromJson(raw.order),
    maxFeeBps: raw.maxFeeBps,
    fee: BigInt(raw.fee),
    digest: raw.digest,
    signature: raw.signature,
  };
}
