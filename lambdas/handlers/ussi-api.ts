import { getAddress } from 'ethers';
import { dynamo, kms } from '../shared/aws';
import { keyId, loadSettings, tableName } from '../shared/config';
import { Unavailable } from '../shared/errors';
import { httpHandler } from '../shared/http';
import { byRoute } from '../shared/router';
import { navPerToken } from '../domain/quotes/nav';
import { KmsSigner } from '../signing/kms-signer';
import { ethersChainReader, IndexCatalog } from '../quotes/catalog';
import { priceSourceFromSettings, pricesReady, type ReferencePriceSource } from '../quotes/prices';
import { PRICE_SETTINGS } from '../../topology/settings';
import { DynamoLeaseStore, LeaseLimiter, wlpIdentity } from '../quotes/rate-limit';
import { readQuoteContext } from '../ussi/contract';
import { ussiChain } from '../ussi/chain';
import { UssiQuoteService, ussiQuoteRequestSchema } from '../ussi/quotes';

const { config: chainConfig, deployment, provider, ussi, address, chainTime } = ussiChain();
const config = loadSettings(['USSI_QUOTE_TTL_SECONDS', 'USSI_QUOTE_SPREAD_BPS', ...PRICE_SETTINGS]);

const assets: Record<string, { address: string; decimals: number }> = {};
for (const [symbol, token] of Object.entries(deployment.tokens)) assets[symbol] = token;
for (const [symbol, index] of Object.entries(deployment.indexes)) assets[symbol] = { address: index, decimals: 18 };

let prices: ReferencePriceSource | undefined;
function priceSource(): ReferencePriceSource {
  prices ??= priceSourceFromSettings(config);
  return prices;
}
const issuer = deployment.contracts.issuer;
const catalog = issuer
  ? new IndexCatalog(ethersChainReader(provider, issuer), {
      indexes: deployment.indexes,
      assets: Object.entries(deployment.tokens).map(([symbol, t]) => ({ symbol, address: t.address, decimals: t.decimals })),
    })
  : undefined;

/** USD per index token at the reference prices, as the quote API values it (the effective tokenset). */
async function indexPrice(index: string): Promise<bigint> {
  if (!catalog) throw new Unavailable('no issuer in the deployment: index tokens cannot be priced', 'price_unavailable');
  const source = priceSource();
  await pricesReady(source);
  try {
    const state = await catalog.index(getAddress(index));
    return navPerToken(state.tokenset, catalog.assetInfo, (symbol) => source.priceOf(symbol));
  } catch (error) {
    throw new Unavailable(`cannot price the index token ${index}: ${(error as Error).message}`, 'price_unavailable', error);
  }
}

const service = new UssiQuoteService({
  chainId: chainConfig.SSI_CHAIN_ID,
  ussi: address,
  assets,
  readContext: (asset) => readQuoteContext(ussi, asset),
  orderSigner: () => ussi.getFunction('orderSigner')() as Promise<string>,
  chainTime,
  indexPrice,
  signer: new KmsSigner(kms(), keyId('ussi-orders')),
  limiter: new LeaseLimiter(new DynamoLeaseStore(dynamo(), tableName('wlp-usage'))),
  settings: { ttlSeconds: config.USSI_QUOTE_TTL_SECONDS, spreadBps: config.USSI_QUOTE_SPREAD_BPS },
});

export const handler = byRoute({
  'POST /v1/ussi/quotes': httpHandler({ body: ussiQuoteRequestSchema, maxBodyBytes: 2048 }, ({ event, body }) => service.createQuote(wlpIdentity(event), body)),
});
