/**
 * The quote API's requests and answers as zod schemas: the handler validates requests with them,
 * the tests validate answers with them, and lambdas/quotes/openapi.ts turns them into the OpenAPI
 * document, so the three cannot disagree.
 */
import { z } from 'zod';

import { addressSchema } from '../domain/address';

export { addressSchema };
const uintString = z.string().regex(/^(0|[1-9]\d*)$/, 'must be a decimal integer');
const decimalString = z.string().regex(/^-?(0|[1-9]\d*)(\.\d+)?$/, 'must be a decimal number');
const hash32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be a 32-byte hex hash');

/**
 * An amount as a person writes it: the decimal string "1.5", plain notation. JSON numbers are
 * refused: a client's float (0.1 + 0.2) would be quoted as 0.30000000000000004 tokens.
 */
export const amountInputSchema = z
  .string({ invalid_type_error: 'must be a decimal string like "1.5" (JSON numbers lose digits)' })
  .max(64, 'must be at most 64 characters')
  .regex(/^(0|[1-9]\d{0,29})(\.\d{1,18})?$/, 'must be a plain decimal number like "1.5" (at most 18 decimals, no exponent)')
  .describe('A positive amount in whole tokens, e.g. "1.5"; strings keep every digit');

export const quoteRequestSchema = z
  .object({
    index: z.string().min(1).max(64).describe('Index symbol (e.g. MAG7.ssi) or token address'),
    side: z.enum(['mint', 'redeem']).describe('mint: pay cash, receive index tokens; redeem: give index tokens, receive cash'),
    amount: amountInputSchema.optional().describe('Index tokens to mint or redeem (give this or cashAmount)'),
    cashAmount: amountInputSchema.optional().describe('Cash (e.g. USDC) to spend or receive, at NAV (give this or amount)'),
    wlp: addressSchema.optional().describe("The WLP's address; must be the one the API key belongs to (default)"),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.amount === undefined) === (body.cashAmount === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give exactly one of amount (index tokens) or cashAmount', path: ['amount'] });
    }
  });
export type QuoteRequest = z.infer<typeof quoteRequestSchema>;

export const symbolPathSchema = z.object({ symbol: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'must be an index symbol like MAG7.ssi') }).strict();
export const quoteIdPathSchema = z
  .object({ id: z.string().regex(/^(0x[0-9a-fA-F]{64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, 'must be a quote id (0x + 64 hex) or a request id (uuid)') })
  .strict();

const priceSchema = z.object({
  priceUsd: z.number().describe('Reference price in USD'),
  source: z.string().describe('daily-close, snapshot, carried, migrated, dropout-bound, fixed or provider'),
  observedOn: z.string().describe('Date of the observation the price is based on'),
  ageDays: z.number().int().describe('Days the price was carried forward (0: observed on the price date)'),
});

export const legSchema = z.object({
  symbol: z.string(),
  asset: addressSchema,
  decimals: z.number().int(),
  amount: decimalString.describe('In whole asset tokens'),
  amountUnits: uintString.describe('In the asset smallest units, as in the order'),
  valueUsd: decimalString,
  price: priceSchema,
});

const issuanceSchema = z.object({
  minAmount: decimalString,
  maxAmount: decimalString,
  issueFeeBps: z.number().int(),
  redeemFeeBps: z.number().int(),
  requestTimeoutSeconds: z.number().int(),
  rebalancing: z.boolean(),
});

export const indexSummarySchema = z.object({
  symbol: z.string(),
  name: z.string(),
  address: addressSchema,
  totalSupply: decimalString.describe('Index tokens in circulation'),
  navUsd: decimalString.describe('Value of one index token at the reference prices'),
  marketCapUsd: decimalString,
  tokenset: z.array(legSchema).describe('Underlying per one index token'),
  issuance: issuanceSchema,
});

export const indexDetailSchema = indexSummarySchema.extend({
  basket: z.array(legSchema).describe('Aggregate basket custody must hold: ceil(unit amount x supply)'),
  prices: z.object({ kind: z.string(), date: z.string().optional(), detail: z.string().optional() }),
});

export const indexListSchema = z.object({
  chainId: z.number().int(),
  issuer: addressSchema,
  cashToken: z.object({ symbol: z.string(), address: addressSchema, decimals: z.number().int() }),
  prices: z.object({ kind: z.string(), date: z.string().optional(), detail: z.string().optional() }),
  indexes: z.array(indexSummarySchema),
});

export const orderSchema = z.object({
  index: addressSchema,
  side: z.number().int().min(0).max(1).describe('0 mint, 1 redeem (the Solidity enum)'),
  indexAmount: uintString,
  assets: z.array(addressSchema),
  amounts: z.array(uintString),
  cashToken: addressSchema,
  cashAmount: uintString,
  maker: addressSchema,
  requester: addressSchema,
  deadline: uintString,
  nonce: uintString,
});

const rejectionSchema = z.object({ pmm: z.string(), code: z.string(), reason: z.string(), latencyMs: z.number() });

/** The fields a signed and an attested quote share: whose, for what, in which cash. */
const firmQuoteFields = {
  requestId: z.string().uuid(),
  status: z.literal('firm'),
  wlp: addressSchema,
  index: z.object({ symbol: z.string(), address: addressSchema }),
  side: z.enum(['mint', 'redeem']),
  indexAmount: decimalString,
  cashToken: z.object({ symbol: z.string(), address: addressSchema, decimals: z.number().int() }),
};

/** The reference the PMM's price is held to, shared by signed and attested quotes. */
const navFields = {
  nav: z.object({
    perTokenUsd: decimalString,
    orderUsd: decimalString.describe('Value of the legs at the reference prices'),
    referenceCashAmount: decimalString.describe('The same in the cash token: what the PMM price is checked against'),
  }),
  priceVsNavBps: z.number().describe('(cashAmount - referenceCashAmount) / referenceCashAmount in bps'),
};

export const quoteSchema = z.object({
  id: hash32.describe('The order hash (EIP-712 digest), also the on-chain request key'),
  ...firmQuoteFields,
  cashAmount: decimalString.describe('Price of the basket: paid by the WLP on a mint, received on a redeem (before the fee)'),
  fee: z.object({ bps: z.number().int(), amount: decimalString }),
  total: z.object({ amount: decimalString, meaning: z.string() }),
  ...navFields,
  legs: z.array(legSchema),
  prices: z.object({ kind: z.string(), date: z.string().optional(), detail: z.string().optional() }),
  pmm: z.object({ name: z.string(), maker: addressSchema }),
  rfq: z.object({ asked: z.number().int(), accepted: z.number().int(), rejected: z.array(rejectionSchema) }),
  deadline: z.number().int().describe('Unix seconds: last moment the order may be submitted'),
  expiresAt: z.string().describe('The deadline as an ISO date'),
  order: orderSchema,
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
  submit: z.object({
    chainId: z.number().int(),
    issuer: addressSchema,
    function: z.string().describe('Issuer function to call with (order, signature, maxFeeBps)'),
    maxFeeBps: z.number().int().describe('The fee in force; pass it or more as maxFeeBps'),
    approve: z
      .object({ token: addressSchema, amount: uintString })
      .nullable()
      .describe('Allowance the Issuer needs from the WLP before a mint (none for an atomic redeem)'),
  }),
});

/**
 * A quote for an attested index (custodian legs on their native chains, docs/custody.md): the best PMM's
 * price for the basket, to be named with that PMM in a request on the AttestedIssuer. Nothing is signed:
 * the PMM agrees by delivering the basket (mint) or accepting the redeem, or leaves the request to be
 * refunded after its deadline.
 */
export const attestedQuoteSchema = z.object({
  id: z.string().uuid().describe('The quote id (a uuid, the same as requestId): there is no order to hash'),
  attested: z.literal(true).describe('Settles through the AttestedIssuer by custodian attestation'),
  ...firmQuoteFields,
  cashAmount: decimalString.describe('Cash the WLP escrows on a mint (paid to the PMM on completion), or receives on a redeem; the AttestedIssuer takes no fee'),
  ...navFields,
  legs: z.array(legSchema).describe('The basket of indexAmount; custodian assets appear at their placeholder address'),
  prices: z.object({ kind: z.string(), date: z.string().optional(), detail: z.string().optional() }),
  pmm: z.object({ name: z.string(), maker: addressSchema.describe('The PMM address the request must name') }),
  rfq: z.object({ asked: z.number().int(), accepted: z.number().int(), rejected: z.array(rejectionSchema) }),
  expiresAt: z.string().describe('Until when the quote is meant to bind the PMM (ISO date); no contract checks it'),
  submit: z.object({
    chainId: z.number().int(),
    attestedIssuer: addressSchema,
    method: z.enum(['requestMint', 'requestRedeem']),
    function: z.string().describe('AttestedIssuer function and its arguments, given in args'),
    args: z.object({ index: addressSchema, indexAmount: uintString, cashToken: addressSchema, cashAmount: uintString, pmm: addressSchema }),
    approve: z.object({ token: addressSchema, amount: uintString }).describe('Allowance the AttestedIssuer needs from the WLP: the cash on a mint, the index tokens on a redeem'),
  }),
});

export const storedQuoteSchema = z.object({
  quote: z.union([quoteSchema, attestedQuoteSchema]).optional(),
  id: z.string(),
  requestId: z.string(),
  status: z
    .enum(['open', 'expired', 'used', 'refused'])
    .describe('open: may still be submitted; used: its nonce is spent on chain (an attested quote is open until it expires: nothing on chain names it)'),
  createdAt: z.string(),
  reason: z.string().optional(),
  rfq: z.object({ asked: z.number().int(), accepted: z.number().int(), rejected: z.array(rejectionSchema) }).optional(),
});

export const errorSchema = z.object({
  error: z.string().describe('Stable machine-readable code, e.g. unknown_index'),
  message: z.string().describe('What was wrong, for people'),
  details: z.unknown().optional(),
});
