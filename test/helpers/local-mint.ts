/**
 * Index tokens in circulation on a test stack, the way a WLP gets them: a firm quote from the
 * stack's quote API (`POST /v1/quotes` with the local WLP's API key, signed by the PMM simulator),
 * then `Issuer.mint` or `Issuer.redeem` sent by the local WLP (Hardhat account #1, which the
 * deploy gives PARTICIPANT_ROLE and USDC). End-to-end tests of other features use it to set up
 * holders; the WLP journey itself is tested through the CLI in test/lambdas/quotes/journey.integration.test.ts.
 */
import { Contract, JsonRpcProvider, Network, Wallet, type TransactionReceipt } from 'ethers';
import { ISSUER_ABI } from '../../cli/commands/wlp';
import { hashQuoteOrder, issuerDomain, quoteOrderFromJson, type QuoteOrder } from '../../lambdas/domain/orders';
import { formatAmount } from '../../lambdas/domain/quotes/amounts';
import { quoteSchema } from '../../lambdas/quotes/schemas';
import type { TestStack } from './stack';

const ERC20_ABI = ['function approve(address, uint256) returns (bool)', 'function transfer(address, uint256) returns (bool)'];

/** A firm quote for the local WLP, as the Issuer takes it. */
export interface LocalQuote {
  /** The order hash (the quote id). */
  id: string;
  side: 'mint' | 'redeem';
  order: QuoteOrder;
  signature: string;
  /** The fee in force, passed as the Issuer's maxFeeBps. */
  maxFeeBps: number;
  /** Cash allowance the Issuer needs from the WLP (mints only). */
  approve: { token: string; amount: bigint } | null;
}

/**
 * Asks the stack's quote API for a firm quote of `amount` index units of `index` (a symbol of the
 * deployment) for the local WLP, and checks the returned order hashes to the quote id under the
 * stack's Issuer domain.
 */
export async function quoteOnLocalStack(stack: TestStack, request: { index: string; side: 'mint' | 'redeem'; amount: bigint }): Promise<LocalQuote> {
  const response = await stack.api('/v1/quotes', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': stack.file.wlp.apiKey },
    body: JSON.stringify({ index: request.index, side: request.side, amount: formatAmount(request.amount, 18) }),
  });
  const body: unknown = await response.json();
  if (response.status !== 200) throw new Error(`the quote API refused a ${request.side} of ${request.index}: HTTP ${response.status} ${JSON.stringify(body)}`);
  const quote = quoteSchema.parse(body);
  const order = quoteOrderFromJson(quote.order);
  const hash = hashQuoteOrder(issuerDomain(stack.file.chainId, stack.file.contracts.issuer), order);
  if (hash !== quote.id) throw new Error(`quote ${quote.id} carries an order hashing to ${hash}`);
  if (order.indexAmount !== request.amount) throw new Error(`asked for ${request.amount} index units, quoted ${order.indexAmount}`);
  const approve = quote.submit.approve && { token: quote.submit.approve.token, amount: BigInt(quote.submit.approve.amount) };
  return { id: quote.id, side: request.side, order, signature: quote.signature, maxFeeBps: quote.submit.maxFeeBps, approve };
}

/** Runs `use` with the local WLP's wallet on a provider of its own, closed afterwards. */
async function asLocalWlp<T>(stack: TestStack, use: (wlp: Wallet) => Promise<T>): Promise<T> {
  const provider = new JsonRpcProvider(stack.file.rpc, Network.from(stack.file.chainId), { staticNetwork: true, cacheTimeout: -1 });
  try {
    return await use(new Wallet(stack.file.wlp.privateKey, provider));
  } finally {
    provider.destroy();
  }
}

/**
 * Submits a quote as the local WLP: approves the cash a mint needs, then `Issuer.mint` or
 * `Issuer.redeem`. The call is simulated first, so a refusal throws with the Issuer's error
 * (e.g. MintPaused) and mines nothing.
 */
export async function submitOnLocalStack(stack: TestStack, quote: LocalQuote): Promise<TransactionReceipt> {
  return asLocalWlp(stack, async (wlp) => {
    if (quote.approve) await (await new Contract(quote.approve.token, ERC20_ABI, wlp).getFunction('approve')(stack.file.contracts.issuer, quote.approve.amount)).wait();
    const settle = new Contract(stack.file.contracts.issuer, ISSUER_ABI, wlp).getFunction(quote.side);
    const args = [quote.order, quote.signature, quote.maxFeeBps] as const;
    await settle.staticCall(...args);
    const receipt = (await (await settle(...args)).wait()) as TransactionReceipt | null;
    if (receipt?.status !== 1) throw new Error(`the ${quote.side} of quote ${quote.id} failed`);
    return receipt;
  });
}

/**
 * Mints `amount` index units of `index` through the quote API and the Issuer as the local WLP,
 * and hands them to `to` when given (otherwise the local WLP keeps them).
 */
export async function mintOnLocalStack(stack: TestStack, request: { index: string; amount: bigint; to?: string }): Promise<LocalQuote> {
  const quote = await quoteOnLocalStack(stack, { index: request.index, side: 'mint', amount: request.amount });
  await submitOnLocalStack(stack, quote);
  if (request.to !== undefined) {
    const to = request.to;
    await asLocalWlp(stack, async (wlp) => (await new Contract(quote.order.index, ERC20_ABI, wlp).getFunction('transfer')(to, request.amount)).wait());
  }
  return quote;
}

/** Redeems `amount` index units of `index` the local WLP holds, through the quote API and the Issuer. */
export async function redeemOnLocalStack(stack: TestStack, request: { index: string; amount: bigint }): Promise<LocalQuote> {
  const quote = await quoteOnLocalStack(stack, { ...request, side: 'redeem' });
  await submitOnLocalStack(stack, quote);
  return quote;
}
