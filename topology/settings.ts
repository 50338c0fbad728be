import { z } from 'zod';
import { deploymentSchema, deploymentSettingText } from './deployment';
import { isIsoDate } from '../lambdas/domain/market/dates';
import type { FunctionName } from './index';

/*
 * Every setting a function reads from its environment, declared once: its schema (checked at cold
 * start by lambdas/shared/config.ts) and which functions read it (FUNCTION_SETTINGS). The CDK app
 * gives each function exactly its declared settings from the environment's values and fails the
 * synth, naming the function and the setting, when a required one has no value; the local stack
 * resolves its values through the same code (infra/settings.ts). Resource names (tables, keys,
 * buckets) are not settings: topology/index.ts `functionEnvironment` adds them from the function's
 * declared resources.
 */

const json = <T extends z.ZodTypeAny>(schema: T, what: string, decode: (text: string) => string = (text) => text) =>
  z.string().transform((text, ctx): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(decode(text));
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not JSON: ${(error as Error).message}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not ${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` });
      return z.NEVER;
    }
    return parsed.data;
  });

const isoDate = z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date');

export const SETTINGS = {
  SSI_RPC_URL: { schema: z.string().url(), description: 'JSON-RPC endpoint of the chain' },
  SSI_CHAIN_ID: { schema: z.coerce.number().int().positive(), description: 'EVM chain id; must match the deployment record' },
  SSI_DEPLOYMENT: {
    schema: json(deploymentSchema, 'a deployment record', deploymentSettingText),
    description: 'The deployment record (scripts/deploy.ts output): deflated JSON (topology/deployment.ts encodeDeploymentSetting) or plain JSON',
  },
  POWERTOOLS_LOG_LEVEL: { schema: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']).default('INFO'), description: 'Powertools log level' },

  RELAYER_CONFIRMATIONS: { schema: z.coerce.number().int().min(1).default(1), description: 'Blocks before a relayed transaction counts as final' },
  RELAYER_STUCK_AFTER_SECONDS: { schema: z.coerce.number().positive().default(180), description: 'Seconds before an unmined transaction is replaced with a higher fee' },
  RELAYER_MAX_FEE_GWEI: {
    // Far above what the L2s we deploy on charge, yet bounds what a fee spike (or a lying RPC) can take from a signer's gas balance.
    schema: z.string().regex(/^\d+(\.\d+)?$/, 'gwei as a decimal number').default('100'),
    description: 'Ceiling on maxFeePerGas, in gwei',
  },

  SSI_PRICE_SOURCE: {
    schema: z.enum(['bucket', 'http']).default('bucket'),
    description: 'Reference prices: bucket (the reports bucket object SSI_PRICE_KEY, the default) or http (the price-feed adapter: a provider at SSI_PRICE_URL)',
  },
  SSI_PRICE_KEY: { schema: z.string().min(1).default('prices/latest.json'), description: 'Object key of the reference prices in the reports bucket' },
  SSI_PRICE_URL: { schema: z.string().url().optional(), description: 'Price provider answering GET with a price document or {symbol: usd}' },
  SSI_PRICE_DATE: { schema: isoDate.optional(), description: 'Caps the date of the universe snapshot a rebalance compiles its targets from (the local stack also replays its prices on it)' },
  SSI_UNIVERSE_PREFIX: {
    schema: z.string().min(1).default('market/universe/'),
    description: 'Key prefix of the monthly universe snapshots in the reports bucket (<prefix><YYYY-MM-DD>.json, {date, assets}) the rebalance compiles targets from',
  },
  SSI_CASH_TOKEN: { schema: z.string().min(1).default('USDC'), description: "Symbol of the cash token in the deployment's tokens" },

  SSI_QUOTE_TTL_SECONDS: { schema: z.coerce.number().int().min(10).max(3600).default(120), description: 'Seconds a firm quote stays valid' },
  SSI_QUOTE_TOLERANCE_BPS: { schema: z.coerce.number().int().min(1).max(2000).default(100), description: "Largest distance of a PMM's price from the reference NAV" },
  SSI_RFQ_TIMEOUT_MS: { schema: z.coerce.number().int().min(50).max(5000).default(500), description: 'How long the quote API waits for PMM answers' },
  SSI_QUOTE_RETENTION_DAYS: { schema: z.coerce.number().int().min(1).max(3650).default(90), description: 'Days quote records are kept' },
  SSI_PMM_CACHE_SECONDS: { schema: z.coerce.number().int().min(0).max(3600).default(30), description: 'Seconds the PMM registry (table pmms) is cached' },

  SSI_REBALANCE_WEIGHT_TOLERANCE_BPS: { schema: z.coerce.number().min(1).max(1000).default(50), description: 'Largest per-asset |weight - target| after a rebalance before it is reported off target' },
  SSI_REBALANCE_ORDER_TTL_SECONDS: { schema: z.coerce.number().int().min(60).max(86_400).default(1800), description: 'Seconds a rebalance order stays valid' },
  SSI_REBALANCE_RFQ_TIMEOUT_MS: { schema: z.coerce.number().int().min(100).max(30_000).default(5000), description: 'How long a rebalance waits for PMM answers' },
  SSI_REBALANCE_WAIT_TIMEOUT_MS: { schema: z.coerce.number().int().min(1000).max(600_000).default(180_000), description: 'How long a rebalance step waits for its transaction' },

  SSI_POINTS_CONFIG: { schema: z.string().optional(), description: 'Points rules as JSON (default DEFAULT_POINTS_CONFIG)' },
  SSI_EPOCH_POOL: { schema: z.string().regex(/^\d+$/, 'base units as a decimal integer').optional(), description: 'Reward token base units allocated per epoch' },
  SSI_REFERRALS_PER_REFERRER: {
    schema: z.coerce.number().int().min(1).max(100_000).default(100),
    description: 'Most users one address can refer (POST /v1/referrals refuses more with 409 referral_limit)',
  },
  SSI_REFERENCE_PRICES: { schema: z.string().optional(), description: 'JSON {symbol: usd} the points functions check before the reference-price source ($SOSO must be here)' },

  RESERVES_FROM_BLOCK: { schema: z.coerce.number().int().min(0).default(0), description: "First block of the index tokens' Transfer logs" },
  RESERVES_CONFIRMATIONS: {
    // No default: how deep a reorg can go is the chain's, so every environment says it (cdk.json).
    schema: z.coerce.number().int().min(0),
    description: 'Blocks behind the head a reserve report is read at (its pinned block); a reorg of the pinned block re-pins',
  },

  SSI_CUSTODIAN_URL: { schema: z.string().url().optional(), description: "Custodian API base URL the custodian adapter calls (the ledger simulators' on the local stack)" },

  USSI_QUOTE_TTL_SECONDS: { schema: z.coerce.number().int().min(10).max(3600).default(120), description: 'Seconds a signed USSI order stays valid' },
  USSI_QUOTE_SPREAD_BPS: { schema: z.coerce.number().int().min(0).max(1000).default(10), description: "Spread kept out of what the WLP receives; inside the contract's tolerance" },
  USSI_HEDGE_BOOK_URL: { schema: z.string().url().optional(), description: 'Base URL of the hedge-book venue API (positions, funding, P&L, payouts; lambdas/ussi/hedge-book-http.ts)' },
  USSI_NAV_CLAMP: { schema: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'), description: 'Publish the bounded step towards a reading too far away (true) or refuse it (false)' },
} as const;

export type SettingName = keyof typeof SETTINGS;
export type SettingValue<N extends SettingName> = z.infer<(typeof SETTINGS)[N]['schema']>;

const CHAIN = ['SSI_RPC_URL', 'SSI_CHAIN_ID', 'SSI_DEPLOYMENT', 'POWERTOOLS_LOG_LEVEL'] as const;
const RELAYER = ['RELAYER_CONFIRMATIONS', 'RELAYER_STUCK_AFTER_SECONDS', 'RELAYER_MAX_FEE_GWEI'] as const;
/** What the KMS relayer reads (lambdas/relayer). */
export const RELAYER_SETTINGS = ['SSI_RPC_URL', 'SSI_CHAIN_ID', ...RELAYER] as const;
/** What the one reference-price factory reads (lambdas/quotes/prices.ts). */
export const PRICE_SETTINGS = ['SSI_PRICE_SOURCE', 'SSI_PRICE_KEY', 'SSI_PRICE_URL'] as const;
/** What the points functions read (lambdas/points/settings.ts). */
export const POINTS_SETTINGS = ['SSI_POINTS_CONFIG', 'SSI_EPOCH_POOL', 'SSI_REFERENCE_PRICES'] as const;
const PRICES = PRICE_SETTINGS;
const POINTS = POINTS_SETTINGS;

/** The settings each function reads; a function reading one it does not declare fails at cold start. */
export const FUNCTION_SETTINGS = {
  'read-api': [...CHAIN],
  'points-api': [...CHAIN, ...PRICES, ...POINTS, 'SSI_REFERRALS_PER_REFERRER'],
  'points-snapshot': [...CHAIN, ...PRICES, ...POINTS],
  'points-shard': [...CHAIN, ...PRICES, ...POINTS],
  'epoch-close': [...CHAIN, ...RELAYER, ...POINTS],
  'quote-api': [
    ...CHAIN,
    ...PRICES,
    'SSI_CASH_TOKEN',
    'SSI_QUOTE_TTL_SECONDS',
    'SSI_QUOTE_TOLERANCE_BPS',
    'SSI_RFQ_TIMEOUT_MS',
    'SSI_QUOTE_RETENTION_DAYS',
    'SSI_PMM_CACHE_SECONDS',
  ],
  'ussi-api': [...CHAIN, ...PRICES, 'USSI_QUOTE_TTL_SECONDS', 'USSI_QUOTE_SPREAD_BPS'],
  'ussi-nav': [...CHAIN, ...RELAYER, 'USSI_HEDGE_BOOK_URL', 'USSI_NAV_CLAMP'],
  'ussi-confirm': [...CHAIN, ...RELAYER],
  'ussi-payout': [...CHAIN, ...RELAYER, 'USSI_HEDGE_BOOK_URL'],
  'wlp-authorizer': ['POWERTOOLS_LOG_LEVEL'],
  heartbeat: [...CHAIN],
  'relayer-monitor': [...CHAIN, ...RELAYER],
  'reserve-publisher': [...CHAIN, ...RELAYER, 'RESERVES_FROM_BLOCK', 'RESERVES_CONFIRMATIONS'],
  'custody-watch': [...CHAIN, ...RELAYER, 'SSI_CUSTODIAN_URL'],
  'rebalance-run': [
    ...CHAIN,
    ...RELAYER,
    ...PRICES,
    'SSI_PRICE_DATE',
    'SSI_UNIVERSE_PREFIX',
    'SSI_CASH_TOKEN',
    'SSI_PMM_CACHE_SECONDS',
    'SSI_REBALANCE_WEIGHT_TOLERANCE_BPS',
    'SSI_REBALANCE_ORDER_TTL_SECONDS',
    'SSI_REBALANCE_RFQ_TIMEOUT_MS',
    'SSI_REBALANCE_WAIT_TIMEOUT_MS',
  ],
} as const satisfies Record<FunctionName, readonly SettingName[]>;

/** Settings a function cannot run without although their schema allows absence elsewhere. */
export const REQUIRED_FOR: Partial<Record<FunctionName, readonly SettingName[]>> = {
  // The epoch close allocates this pool; other points functions never read it.
  'epoch-close': ['SSI_EPOCH_POOL'],
  // The NAV and the payouts come from the hedge book; an environment without a venue turns USSI off (cdk.json `ussi: false`).
  'ussi-nav': ['USSI_HEDGE_BOOK_URL'],
  'ussi-payout': ['USSI_HEDGE_BOOK_URL'],
  // The custodian service reaches the custodian only there; other functions never read it.
  'custody-watch': ['SSI_CUSTODIAN_URL'],
};

/** True when function `fn` needs a value of `name`: its schema accepts no absence, or REQUIRED_FOR says so. */
export function isRequiredFor(fn: string, name: SettingName): boolean {
  return !SETTINGS[name].schema.safeParse(undefined).success || ((REQUIRED_FOR as Record<string, readonly SettingName[]>)[fn] ?? []).includes(name);
}

/** Checks one setting's value as its function will at cold start; undefined when it passes, else the reason. */
export function settingProblem(name: SettingName, value: string | undefined): string | undefined {
  const parsed = SETTINGS[name].schema.safeParse(value);
  return parsed.success ? undefined : parsed.error.issues.map((i) => i.message).join('; ');
}
