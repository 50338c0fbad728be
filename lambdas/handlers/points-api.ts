import { z } from 'zod';
import { functionSettings, tableName } from '../shared/config';
import { httpHandler } from '../shared/http';
import { byRoute } from '../shared/router';
import { dynamoClient } from '../shared/aws';
import { EpochCalendar, addDays, dayOf } from '../domain/points/calendar';
import { isIsoDate } from '../domain/market';
import { chainProvider } from '../shared/chain';
import { PointsStore } from '../points/store';
import { configuredPrices, pointsRules } from '../points/settings';
import { portfolio, stakingApy } from '../points/portfolio';
import { epochLeaderboard, indexHistory, listEpochs, referralDomain, registerReferral, userPoints, userRewards } from '../points/api';
import { ChainSnapshotSources } from '../points/chain-sources';
import { addressSchema } from '../domain/address';
import { priceSourceFromSettings, pricesReady } from '../quotes/prices';

const config = functionSettings('points-api');
const rules = pointsRules(config.SSI_POINTS_CONFIG);
const deps = {
  store: new PointsStore(dynamoClient(), tableName('points')),
  calendar: new EpochCalendar(rules.epochs),
  chainId: config.SSI_CHAIN_ID,
  chain: { provider: chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID), contracts: config.SSI_DEPLOYMENT.contracts },
  indexes: config.SSI_DEPLOYMENT.indexes,
};

const priceSource = priceSourceFromSettings(config);
const chainDeps = {
  provider: deps.chain.provider,
  deployment: config.SSI_DEPLOYMENT,
  prices: configuredPrices(config.SSI_REFERENCE_PRICES, priceSource),
  sosoSymbol: rules.sosoToken,
};

/** Positions are read at the head: what the wallet holds when it registers. */
const positions = new ChainSnapshotSources({ ...chainDeps, pinBlock: async () => chainDeps.provider.getBlockNumber() });
const referrals = {
  store: deps.store,
  chainId: config.SSI_CHAIN_ID,
  domain: referralDomain(config.SSI_DEPLOYMENT),
  perReferrer: config.SSI_REFERRALS_PER_REFERRER,
  hasPosition: async (account: string) => {
    const head = await chainDeps.provider.getBlockNumber();
    return (await positions.positions(dayOf(new Date()), head, [account])).length > 0;
  },
};

const address = addressSchema.transform((a) => a.toLowerCase());
const byAddress = z.object({ address });
const day = z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date');
/** At most a year and a day per read; without bounds, the year up to today. */
const MAX_HISTORY_DAYS = 366;
const historyRange = z
  .object({ from: day.optional(), to: day.optional() })
  .strict()
  .transform(({ from, to }) => {
    const end = to ?? dayOf(new Date());
    return { from: from ?? addDays(end, -(MAX_HISTORY_DAYS - 1)), to: end };
  })
  .refine((r) => r.from <= r.to, 'from must not be after to')
  .refine((r) => r.from >= addDays(r.to, -(MAX_HISTORY_DAYS - 1)), `at most ${MAX_HISTORY_DAYS} days at a time`);

export const handler = byRoute({
  'GET /v1/points/{address}': httpHandler({ path: byAddress, query: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }) }, ({ path, query }) =>
    userPoints(deps, path.address, { days: query.days }),
  ),
  'GET /v1/epochs': httpHandler({}, () => listEpochs(deps)),
  'GET /v1/epochs/{id}/leaderboard': httpHandler(
    { path: z.object({ id: z.coerce.number().int().min(0) }), query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
    ({ path, query }) => epochLeaderboard(deps, path.id, query.limit),
  ),
  'GET /v1/rewards/{address}': httpHandler({ path: byAddress }, ({ path }) => userRewards(deps, path.address)),
  'GET /v1/portfolio/{address}': httpHandler({ path: byAddress }, async ({ path }) => {
    await pricesReady(priceSource);
    return portfolio({ ...chainDeps, store: deps.store, calendar: deps.calendar, rules }, path.address);
  }),
  'GET /v1/indexes/{symbol}/history': httpHandler({ path: z.object({ symbol: z.string().min(1).max(64) }), query: historyRange }, ({ path, query }) => indexHistory(deps, path.symbol, query)),
  'GET /v1/staking/apy': httpHandler({}, async () => {
    await pricesReady(priceSource);
    return stakingApy(chainDeps);
  }),
  'POST /v1/referrals': httpHandler(
    {
      body: z
        .object({
          referrer: address,
          referred: address,
          nonce: z.string().regex(/^0x[0-9a-fA-F]{16,64}$/, 'must be 8 to 32 bytes of hex'),
          expires: z.number().int().positive(),
          signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature'),
        })
        .strict(),
    },
    ({ body }) => registerReferral(referrals, body),
  ),
});
