/**
 * `ssi quote|mint|redeem|status` for an attested index (one minted by the AttestedIssuer, whose
 * custodian assets move on their native chains; see docs/custody.md). How the cash is fixed: the quote
 * API asks the registered PMMs for their attested price (each prices the basket at its reference prices
 * plus its spread, minus on a redeem), records the best and answers it (`POST /v1/quotes`); with
 * `--pmm <url>` the CLI asks that PMM directly (`POST <url>/rfq/attested`) and nothing is recorded. The
 * WLP's request names that cash and that PMM. There is no quote signature: the PMM agrees by delivering
 * (mint) or accepting (redeem), and a PMM that does neither leaves the request to be refunded after its
 * deadline.
 */
import { Contract, Interface, JsonRpcProvider, formatUnits, getAddress, parseUnits, type Wallet } from 'ethers';
import type { z } from 'zod';
import { ATTESTED_ISSUER_ABI, ERC20_ABI, ERC20_ERRORS_ABI, INDEX_TOKEN_ABI, withErrorsOf } from '../../lambdas/shared/abi';
import { basketOf } from '../../lambdas/domain/fees';
import { nativeKey } from '../../lambdas/domain/custody/attestation';
import { readCustodianRegistry } from '../../lambdas/reserves/custodian';
import { attestedQuoteSchema } from '../../lambdas/quotes/schemas';
import { CliError, progress } from '../output';
import type { DeploymentRecord } from '../../topology/deployment';

const attestedInterface = new Interface(withErrorsOf(ATTESTED_ISSUER_ABI, ERC20_ERRORS_ABI));
const STATUS = ['none', 'pending', 'completed', 'refunded', 'settled'];

/** What `/v1/protocol` says about custody: the deployment record's fields (topology/deployment.ts). */
export type ProtocolCustody = Pick<DeploymentRecord, 'chainId' | 'contracts' | 'tokens' | 'indexes' | 'custodianAssets'>;

export interface AttestedContext {
  protocol: ProtocolCustody;
  index: { symbol: string; address: string };
  attestedIssuer: string;
  cash: { symbol: string; address: string; decimals: number };
}

/** The attested index named `symbol` in `protocol` (`GET /v1/protocol`), or undefined when the quote-order Issuer mints it. */
export async function attestedIndex(protocol: ProtocolCustody, provider: JsonRpcProvider, symbol: string): Promise<AttestedContext | undefined> {
  const attestedIssuer = protocol.contracts.attestedIssuer;
  const entry = Object.entries(protocol.indexes).find(([s]) => s.toLowerCase() === symbol.toLowerCase());
  if (!attestedIssuer || !entry) return undefined;
  const allowed = (await new Contract(attestedIssuer, attestedInterface, provider).getFunction('isIndexAllowed')(entry[1])) as boolean;
  if (!allowed) return undefined;
  const usdc = protocol.tokens.USDC;
  if (!usdc) throw new CliError('the deployment has no USDC cash token');
  return { protocol, index: { symbol: entry[0], address: getAddress(entry[1]) }, attestedIssuer: getAddress(attestedIssuer), cash: { symbol: 'USDC', ...usdc } };
}

/** The PMM `--pmm` names, asked directly instead of through the quote API. */
export const pmmUrl = (option: string): string => option.replace(/\/$/, '');

export interface AttestedQuote {
  /** The quote API's id of the quote (absent when a PMM was asked directly with --pmm). */
  id?: string;
  attested: true;
  side: 'mint' | 'redeem';
  index: { symbol: string; address: string };
  indexAmount: string;
  cashToken: { symbol: string; address: string; decimals: number };
  cashAmount: string;
  /** The PMM the request names: its registered name through the quote API, its URL when asked directly. */
  pmm: { name?: string; url?: string; maker: string };
  /** Until when the quote is meant to bind the PMM (through the quote API). */
  expiresAt?: string;
  submit: { attestedIssuer: string; method: 'requestMint' | 'requestRedeem' };
}

type WithUnits = AttestedQuote & { units: { indexAmount: bigint; cashAmount: bigint } };

/** The quote API's answer (`POST /v1/quotes`) for an attested index. */
export type AttestedAnswer = z.infer<typeof attestedQuoteSchema>;

/** `answer` as the quote API's attested quote, or a CLI error saying what is wrong with it. */
export function parseAttestedAnswer(answer: unknown, index: string): AttestedAnswer {
  const parsed = attestedQuoteSchema.safeParse(answer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`the quote API did not answer an attested quote for ${index}: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return parsed.data;
}

/** What the CLI shows of the quote API's attested quote: the fields of a PMM's direct quote, with the quote id and expiry. */
export const attestedView = (q: AttestedAnswer): AttestedQuote => ({
  id: q.id,
  attested: true,
  side: q.side,
  index: { symbol: q.index.symbol, address: getAddress(q.index.address) },
  indexAmount: q.indexAmount,
  cashToken: { ...q.cashToken, address: getAddress(q.cashToken.address) },
  cashAmount: q.cashAmount,
  pmm: { name: q.pmm.name, maker: getAddress(q.pmm.maker) },
  expiresAt: q.expiresAt,
  submit: { attestedIssuer: getAddress(q.submit.attestedIssuer), method: q.submit.method },
});

/**
 * The quote API's attested quote, held to what the WLP's own view of the deployment says (`ctx`: the
 * AttestedIssuer, the index and the cash token), so a wrong answer cannot make it approve or request elsewhere.
 */
export function attestedFromApi(ctx: AttestedContext, side: 'mint' | 'redeem', answer: unknown): WithUnits {
  const q = parseAttestedAnswer(answer, ctx.index.symbol);
  const same = (a: string, b: string) => getAddress(a) === getAddress(b);
  const matches =
    q.side === side &&
    same(q.submit.attestedIssuer, ctx.attestedIssuer) &&
    same(q.index.address, ctx.index.address) &&
    same(q.submit.args.index, ctx.index.address) &&
    same(q.cashToken.address, ctx.cash.address) &&
    same(q.submit.args.cashToken, ctx.cash.address) &&
    same(q.submit.args.pmm, q.pmm.maker);
  if (!matches) {
    throw new CliError(`the quote API's attested quote ${q.id} does not match the deployment (AttestedIssuer ${ctx.attestedIssuer}, ${ctx.index.symbol} ${ctx.index.address}, ${ctx.cash.symbol} ${ctx.cash.address})`);
  }
  return { ...attestedView(q), units: { indexAmount: BigInt(q.submit.args.indexAmount), cashAmount: BigInt(q.submit.args.cashAmount) } };
}

/** The attested quote of the PMM at `pmm` (`--pmm`), asked directly: the quote API keeps no record of it. */
export async function attestedQuote(ctx: AttestedContext, pmm: string, side: 'mint' | 'redeem', amount: string): Promise<WithUnits> {
  let indexAmount: bigint;
  try {
    indexAmount = parseUnits(amount, 18);
  } catch {
    throw new CliError(`--amount ${amount} is not a token amount`);
  }
  if (indexAmount <= 0n) throw new CliError('--amount must be above zero');
  let response: Response;
  try {
    response = await fetch(`${pmm}/rfq/attested`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ index: ctx.index.address, side, indexAmount: indexAmount.toString() }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CliError(`the PMM at ${pmm} is not answering (${(error as Error).message})`);
  }
  const body = (await response.json().catch(() => ({}))) as { cashAmount?: string; maker?: string; error?: string };
  if (!response.ok || !body.cashAmount || !body.maker) throw new CliError(`the PMM refused the quote: HTTP ${response.status} ${body.error ?? ''}`.trim());
  const cashAmount = BigInt(body.cashAmount);
  return {
    attested: true,
    side,
    index: ctx.index,
    indexAmount: formatUnits(indexAmount, 18),
    cashToken: ctx.cash,
    cashAmount: formatUnits(cashAmount, ctx.cash.decimals),
    pmm: { url: pmm, maker: getAddress(body.maker) },
    submit: { attestedIssuer: ctx.attestedIssuer, method: side === 'mint' ? 'requestMint' : 'requestRedeem' },
    units: { indexAmount, cashAmount },
  };
}

export const attestedQuoteLines = (q: AttestedQuote): string[] => [
  `${q.side} ${q.indexAmount} ${q.index.symbol} (attested: custodian legs on their native chains): ${q.side === 'mint' ? 'you pay' : 'you receive'} ${q.cashAmount} ${q.cashToken.symbol}`,
  `  PMM ${q.pmm.maker} (${q.pmm.name ?? q.pmm.url}); submit ${q.submit.method} on the AttestedIssuer ${q.submit.attestedIssuer} with this cash and PMM`,
  ...(q.id ? [`  quote id ${q.id}${q.expiresAt ? `; binds the PMM until ${q.expiresAt}` : ''}`] : []),
];

/** Approves what the request escrows and opens it; resolves with the request id and its deadline. */
export async function submitAttested(
  ctx: AttestedContext,
  wallet: Wallet,
  quote: WithUnits,
  explainRevert: (error: unknown, contract: Interface) => string,
) {
  const issuer = new Contract(ctx.attestedIssuer, attestedInterface, wallet);
  const mint = quote.side === 'mint';
  const escrow = mint ? { token: ctx.cash.address, amount: quote.units.cashAmount, what: ctx.cash.symbol } : { token: ctx.index.address, amount: quote.units.indexAmount, what: ctx.index.symbol };
  const token = new Contract(escrow.token, ERC20_ABI, wallet);
  if (((await token.allowance(wallet.address, ctx.attestedIssuer)) as bigint) < escrow.amount) {
    progress(`approving ${escrow.what} to the AttestedIssuer`);
    await (await token.approve(ctx.attestedIssuer, escrow.amount)).wait();
  }
  const args = [ctx.index.address, quote.units.indexAmount, ctx.cash.address, quote.units.cashAmount, quote.pmm.maker] as const;
  const method = issuer.getFunction(mint ? 'requestMint' : 'requestRedeem');
  progress(`submitting ${mint ? 'requestMint' : 'requestRedeem'} of ${quote.indexAmount} ${ctx.index.symbol} naming PMM ${quote.pmm.maker}`);
  try {
    await method.staticCall(...args);
  } catch (error) {
    throw new CliError(`the AttestedIssuer refused the ${quote.side}: ${explainRevert(error, attestedInterface)}`);
  }
  const receipt = await (await method(...args)).wait();
  if (!receipt || receipt.status !== 1) throw new CliError(`the ${quote.side} request transaction failed`);
  const event = receipt.logs.map((l: { topics: readonly string[]; data: string }) => attestedInterface.parseLog(l)).find((l: ReturnType<typeof attestedInterface.parseLog>) => l?.name === (mint ? 'MintRequested' : 'RedeemRequested'))!;
  return { requestId: event.args.requestId as string, deadline: new Date(Number(event.args.deadline) * 1000).toISOString(), tx: { hash: receipt.hash, block: receipt.blockNumber } };
}

export interface AttestedRequestView {
  requestId: string;
  side: 'mint' | 'redeem';
  index: string;
  indexAmount: string;
  cashAmount: string;
  status: string;
  deadline: string;
  /** What a pending request waits for, when it is not the legs: a redeem the AttestedIssuer accepts only once the index's rebalance ends. */
  waiting?: string;
  /** One line per custodian asset: what moves where, and its attestation once accepted. */
  legs: Array<{
    asset: string;
    chain: string;
    amount: string;
    /** Mint: the registered custodian wallet the PMM delivers to. */
    custodianWallet?: string;
    /** Redeem: keccak256 of the PMM's native address the custodian releases to (fixed on acceptance). */
    destination?: string;
    attestation?: { txId: string; signer: string; amount: string; block: number };
  }>;
}

/** The WLP's attested requests since `fromBlock`, each with its custodian legs and their attestations. */
export async function attestedRequests(ctx: AttestedContext, provider: JsonRpcProvider, requester: string, fromBlock: number, custodianUrl?: string): Promise<AttestedRequestView[]> {
  const issuer = new Contract(ctx.attestedIssuer, attestedInterface, provider);
  const requested = [attestedInterface.getEvent('MintRequested')!.topicHash, attestedInterface.getEvent('RedeemRequested')!.topicHash];
  const logs = await provider.getLogs({ address: ctx.attestedIssuer, topics: [requested, null, `0x${requester.slice(2).toLowerCase().padStart(64, '0')}`], fromBlock });
  const custodian = ctx.protocol.custodianAssets ?? {};
  const byPlaceholder = new Map(Object.entries(custodian).map(([symbol, a]) => [getAddress(a.address), { symbol, ...a }]));
  const registry = ctx.protocol.contracts.custodyRegistry;
  const wallets = registry ? (await readCustodianRegistry(provider, registry, await provider.getBlockNumber())).wallets : {};
  const out: AttestedRequestView[] = [];
  for (const entry of logs) {
    const event = attestedInterface.parseLog(entry)!;
    const mint = event.name === 'MintRequested';
    const requestId = event.args.requestId as string;
    const request = (await issuer.getFunction(mint ? 'getMintRequest' : 'getRedeemRequest')(requestId)) as { status: bigint; deadline: bigint; index: string; indexAmount: bigint; accepted?: boolean };
    const indexToken = new Contract(request.index, INDEX_TOKEN_ABI, provider);
    const waitsForRebalance =
      !mint && STATUS[Number(request.status)] === 'pending' && !request.accepted && ((await indexToken.getFunction('feeState')()) as { rebalancing: boolean }).rebalancing;
    const attestations = new Map<string, { txId: string; signer: string; amount: string; block: number }>();
    for (const leg of await provider.getLogs({ address: ctx.attestedIssuer, topics: [attestedInterface.getEvent('LegAttested')!.topicHash, requestId], fromBlock })) {
      const parsed = attestedInterface.parseLog(leg)!;
      const info = byPlaceholder.get(getAddress(parsed.args.asset as string));
      const txHash = parsed.args.txId as string;
      const txId = info && custodianUrl ? await nativeTxId(custodianUrl, info.chain, wallets[info.chain] ?? [], txHash) : undefined;
      attestations.set(getAddress(parsed.args.asset as string), {
        txId: txId ?? txHash,
        signer: parsed.args.signer as string,
        amount: formatUnits(parsed.args.amount as bigint, info?.decimals ?? 0),
        block: leg.blockNumber,
      });
    }
    const [assets, units, factor] = (await indexToken.getFunction('baseTokenset')()) as [string[], bigint[], bigint];
    const due = basketOf(request.indexAmount, [...units], factor);
    const legs: AttestedRequestView['legs'] = [];
    for (const [i, raw] of assets.entries()) {
      const asset = getAddress(raw);
      const info = byPlaceholder.get(asset);
      if (!info) continue; // an on-chain leg settles atomically at completion
      const amount = mint ? due[i]! : ((await issuer.getFunction('redeemDue')(requestId, asset)) as bigint);
      const destination = mint ? undefined : ((await issuer.getFunction('redeemDestination')(requestId, asset)) as string);
      legs.push({
        asset: info.symbol,
        chain: info.chain,
        amount: formatUnits(amount, info.decimals),
        ...(mint ? { custodianWallet: (wallets[info.chain] ?? [])[0] } : { destination: /^0x0+$/.test(destination!) ? 'not accepted yet' : destination }),
        ...(attestations.has(asset) ? { attestation: attestations.get(asset)! } : {}),
      });
    }
    out.push({
      requestId,
      side: mint ? 'mint' : 'redeem',
      index: ctx.index.symbol,
      indexAmount: formatUnits(request.indexAmount, 18),
      cashAmount: formatUnits(event.args.cashAmount as bigint, ctx.cash.decimals),
      status: STATUS[Number(request.status)] ?? String(request.status),
      deadline: new Date(Number(request.deadline) * 1000).toISOString(),
      ...(waitsForRebalance ? { waiting: `${ctx.index.symbol} is rebalancing: the PMM can accept this redeem only once the rebalance ends (before the deadline; refundable after it)` } : {}),
      legs,
    });
  }
  return out;
}

/** The native transaction id whose keccak256 the attestation carries, looked up at the custodian's API (the ledger simulators locally). */
async function nativeTxId(custodianUrl: string, chain: string, wallets: readonly string[], hash: string): Promise<string | undefined> {
  if (wallets.length === 0) return undefined;
  try {
    const query = [...wallets.map((w) => `address=${encodeURIComponent(w)}`), 'fromHeight=0'].join('&');
    const response = await fetch(`${custodianUrl.replace(/\/$/, '')}/chains/${chain}/transfers?${query}`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return undefined;
    const { transfers } = (await response.json()) as { transfers: Array<{ txId: string }> };
    return transfers.find((t) => nativeKey(t.txId) === hash)?.txId;
  } catch {
    return undefined;
  }
}

export const attestedRequestLines = (requests: readonly AttestedRequestView[], cash: string): string[] =>
  requests.length === 0
    ? ['no attested requests']
    : [
        'attested requests:',
        ...requests.flatMap((r) => [
          `  ${r.side} ${r.indexAmount} ${r.index} for ${r.cashAmount} ${cash}: ${r.status}, deadline ${r.deadline} (${r.requestId})`,
          ...(r.waiting ? [`    waiting: ${r.waiting}`] : []),
          ...r.legs.map(
            (l) =>
              `    ${l.asset.padEnd(5)} ${l.chain.padEnd(9)} ${l.amount.padStart(20)} ${r.side === 'mint' ? `to ${l.custodianWallet}` : `to ${l.destination}`}: ` +
              (l.attestation ? `attested tx ${l.attestation.txId} by ${l.attestation.signer}, ${l.attestation.amount}` : 'not attested yet'),
          ),
        ]),
      ];
