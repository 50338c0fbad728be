import { z } from 'zod';
import { pmmEndpointsSchema } from '../domain/quotes/rfq';
import { loadConfig, settings } from '../shared/config';
import { priceSettings } from './prices';

const jsonOf = <T extends z.ZodTypeAny>(schema: T) =>
  z.string().transform((text, ctx): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not JSON: ${(error as Error).message}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [...issue.path] });
      return z.NEVER;
    }
    return parsed.data;
  });

/** The quote API's settings, from its environment (checked at cold start). */
export const quoteApiConfigShape = {
  SSI_RPC_URL: settings.rpcUrl,
  SSI_CHAIN_ID: settings.chainId,
  SSI_DEPLOYMENT: settings.deployment,
  /** JSON [{name, url, maker}]: the PMMs asked for every quote. */
  SSI_PMM_ENDPOINTS: jsonOf(pmmEndpointsSchema),
  ...priceSettings,
  SSI_QUOTE_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
  SSI_QUOTE_TOLERANCE_BPS: z.coerce.number().int().min(1).max(2000).default(100),
  SSI_RFQ_TIMEOUT_MS: z.coerce.number().int().min(50).max(5000).default(500),
  SSI_QUOTE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Milliseconds a quote record waits to share a DynamoDB batch (0 in Lambda; see DynamoQuoteStore). */
  SSI_QUOTE_STORE_LINGER_MS: z.coerce.number().int().min(0).max(50).default(0),
  /** Worker threads for the maker signature check (0 in Lambda: one request per container; see WorkerSignatures). */
  SSI_SIGNATURE_WORKERS: z.coerce.number().int().min(0).max(8).default(0),
  /** Symbol of the cash token in the deployment's tokens. */
  SSI_CASH_TOKEN: z.string().min(1).default('USDC'),
};

export type QuoteApiConfig = ReturnType<typeof loadQuoteApiConfig>;

export function loadQuoteApiConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(quoteApiConfigShape, env);
}
