import { Contract, getAddress } from 'ethers';
import { functionSettings, tableName } from '../shared/config';
import { httpHandler } from '../shared/http';
import { byRoute } from '../shared/router';
import { chainProvider } from '../shared/chain';
import { dynamo } from '../shared/aws';
import { ConfigError } from '../shared/errors';
import { issuerDomain } from '../domain/orders';
import { QuoteOrderHasher } from '../domain/quotes/order-hash';
import { warmUp } from '../domain/crypto/secp256k1';
import { ethersChainReader, IndexCatalog } from '../quotes/catalog';
import { priceSourceFromSettings } from '../quotes/prices';
import { PmmRegistry, cachedPmms } from '../quotes/pmm-registry';
import { DynamoQuoteStore } from '../quotes/store';
import { DynamoLeaseStore, LeaseLimiter, wlpIdentity } from '../quotes/rate-limit';
import { QuoteService } from '../quotes/service';
import { openApiDocument } from '../quotes/openapi';
import { quoteIdPathSchema, quoteRequestSchema, symbolPathSchema } from '../quotes/schemas';
import { httpTransport } from '../adapters/rfq-http';
import { ISSUER_ABI, interfaceOf } from '../shared/abi';

const config = functionSettings('quote-api');
const deployment = config.SSI_DEPLOYMENT;
const issuer = deployment.contracts.issuer;
if (!issuer) throw new ConfigError('invalid configuration: the deployment has no issuer contract');
const cashToken = deployment.tokens[config.SSI_CASH_TOKEN];
if (!cashToken) throw new ConfigError(`invalid configuration: the deployment has no ${config.SSI_CASH_TOKEN} token`);
const provider = chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID);
const assets = [...Object.entries(deployment.tokens), ...Object.entries(deployment.custodianAssets ?? {})].map(([symbol, t]) => ({ symbol, address: t.address, decimals: t.decimals }));

// Read only by GET /v1/quotes/{id}; the parsed ABI is the one the catalog's reader shares.
let issuerContract: Contract | undefined;
const issuerOnChain = () => (issuerContract ??= new Contract(issuer, interfaceOf(ISSUER_ABI), provider));
const service = new QuoteService({
  chainId: config.SSI_CHAIN_ID,
  issuer: getAddress(issuer),
  // Indexes the AttestedIssuer allows are quoted by the PMMs' attested prices (lambdas/domain/quotes/attested-rfq.ts).
  catalog: new IndexCatalog(ethersChainReader(provider, issuer, deployment.contracts.attestedIssuer), { indexes: deployment.indexes, assets }),
  prices: priceSourceFromSettings(config),
  cash: { symbol: config.SSI_CASH_TOKEN, address: getAddress(cashToken.address), decimals: cashToken.decimals },
  pmms: cachedPmms(new PmmRegistry(dynamo(), tableName('pmms')), config.SSI_PMM_CACHE_SECONDS * 1000),
  transport: httpTransport(),
  store: new DynamoQuoteStore(dynamo(), tableName('quotes')),
  limiter: new LeaseLimiter(new DynamoLeaseStore(dynamo(), tableName('wlp-usage'))),
  hasher: new QuoteOrderHasher(issuerDomain(config.SSI_CHAIN_ID, getAddress(issuer))),
  settings: {
    ttlSeconds: config.SSI_QUOTE_TTL_SECONDS,
    toleranceBps: config.SSI_QUOTE_TOLERANCE_BPS,
    rfqTimeoutMs: config.SSI_RFQ_TIMEOUT_MS,
    retentionDays: config.SSI_QUOTE_RETENTION_DAYS,
  },
  nonceUsed: (maker, nonce) => issuerOnChain().isNonceUsed(maker, nonce) as Promise<boolean>,
});

// Built on its first request: zod-to-json-schema over every schema is init time no quote needs
// (test/quotes/openapi-gateway.test.ts holds every route to an operation).
let document: ReturnType<typeof openApiDocument> | undefined;
// The generator's signature table costs tens of ms: spend them at cold start, not on the first quote
// (with signature workers each worker builds its own; this thread checks only if a worker dies).
warmUp();

export const handler = byRoute({
  'POST /v1/quotes': httpHandler({ body: quoteRequestSchema, maxBodyBytes: 4096 }, ({ event, body }) => service.createQuote(wlpIdentity(event), body)),
  'GET /v1/quotes/{id}': httpHandler({ path: quoteIdPathSchema }, ({ event, path }) => service.getQuote(wlpIdentity(event), path.id)),
  'GET /v1/indexes': httpHandler({}, () => service.listIndexes()),
  'GET /v1/indexes/{symbol}': httpHandler({ path: symbolPathSchema }, ({ path }) => service.getIndex(path.symbol)),
  'GET /v1/openapi.json': httpHandler({}, async () => (document ??= openApiDocument())),
});
