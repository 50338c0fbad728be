/**
 * Request for quote: the API sends every registered PMM the same order draft (legs, requester,
 * deadline; no price), each PMM answers with a cash amount, a nonce and its EIP-712 signature
 * over the completed order. Answers are checked (shape, price against the reference NAV,
 * signature, maker role) and the best one wins: the lowest cash on a mint, the highest on a
 * redeem. Every answer, taken or not, is kept with its reason for the audit trail.
 */
import { z } from 'zod';
import { Side, type QuoteOrder } from '../orders';
import { deviationBps } from './nav';
import { makerSignatureProblem, type SignatureProblem } from './signature';
import type { QuoteOrderHasher } from './order-hash';
import { keccakReady } from '../crypto/keccak';
import { addressSchema, checksum } from '../address';

/** A PMM the API asks: its RFQ endpoint and the maker address it signs with. */
export interface PmmEndpoint {
  name: string;
  url: string;
  maker: string;
  /**
   * Where the PMM takes several RFQs in one request, if it does: `POST {rfqs: [draft, ...]}`
   * answered by `{answers: [{status, body}, ...]}`, each what `url` would have answered alone.
   */
  batchUrl?: string;
}

export const pmmEndpointsSchema = z
  .array(
    z
      .object({
        name: z.string().min(1).max(64),
        url: z.string().url(),
        maker: addressSchema,
        batchUrl: z.string().url().optional(),
      })
      .strict(),
  )
  .min(1, 'at least one PMM endpoint is needed');

/** What the PMMs are asked to price: the order without cash amount and nonce. */
export interface QuoteDraft {
  requestId: string;
  chainId: number;
  issuer: string;
  order: Omit<QuoteOrder, 'cashAmount' | 'nonce' | 'maker'>;
  /** The legs' value at the reference prices, in cash-token units: what a fair price is near. */
  referenceCashAmount: bigint;
}

/** The draft as JSON (amounts as decimal strings), the body of `POST <pmm url>`. */
export function draftToWire(draft: QuoteDraft, maker: string) {
  const o = draft.order;
  return {
    requestId: draft.requestId,
    chainId: draft.chainId,
    issuer: draft.issuer,
    order: {
      index: o.index,
      side: o.side,
      indexAmount: o.indexAmount.toString(),
      assets: o.assets,
      amounts: o.amounts.map(String),
      cashToken: o.cashToken,
      maker,
      requester: o.requester,
      deadline: o.deadline.toString(),
    },
    referenceCashAmount: draft.referenceCashAmount.toString(),
  };
}
export type WireDraft = ReturnType<typeof draftToWire>;

const UINT256 = /^(0|[1-9]\d{0,77})$/;
// zod runs a refinement even after the regex failed: a non-integer ("1.5") must not reach BigInt, which throws.
const fitsUint256 = (v: string) => !UINT256.test(v) || BigInt(v) < 1n << 256n;
/** An amount or nonce on the wire: a decimal integer string that fits a uint256. */
export const uint256Schema = z.string().regex(UINT256, 'must be a decimal integer').refine(fitsUint256, 'must fit a uint256');

/** A PMM's answer on the wire. */
export const pmmAnswerSchema = z.object({
  cashAmount: uint256Schema,
  nonce: uint256Schema,
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte hex signature'),
  maker: addressSchema.optional(),
});
export type PmmAnswer = z.infer<typeof pmmAnswerSchema>;

/** What came of asking one PMM: its answer as `A` (a quote's `PmmAnswer` by default), or why there is none. */
export type RfqOutcome<A = PmmAnswer> =
  | { pmm: PmmEndpoint; ok: true; answer: A; latencyMs: number }
  | { pmm: PmmEndpoint; ok: false; code: 'timeout' | 'unreachable' | 'http_error' | 'malformed'; reason: string; latencyMs: number };

/** Posts a JSON body and resolves with the status and text, or rejects (name TimeoutError on timeout): the adapter is lambdas/adapters/rfq-http.ts. */
export type RfqTransport = (url: string, body: string, timeoutMs: number) => Promise<{ status: number; text: string }>;

export interface RfqOptions {
  timeoutMs: number;
  /** How to post the draft (`httpTransport()` of lambdas/adapters/rfq-http.ts in a function). */
  transport: RfqTransport;
  now?: () => number;
}

/** Most RFQs in one batch request. */
export const MAX_RFQ_BATCH = 32;

/** A PMM's reply to one RFQ: the HTTP status and the parsed body (`NOT_JSON` when it was not JSON). */
export interface PmmReply {
  status: number;
  body: unknown;
  /** The reply as text, for a rejection's reason. */
  text(): string;
}
const NOT_JSON = Symbol('not JSON');
/** The body of an RFQ whose batch was answered with something other than one answer per RFQ. */
const BATCH_MISMATCH = Symbol('batch answer does not match');

export const parseReply = (status: number, text: string): PmmReply => {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = NOT_JSON;
  }
  return { status, body, text: () => text };
};

/** One RFQ waiting in a batch: its draft and how to hand it its reply (or the batch's failure). */
interface Waiting {
  wire: WireDraft;
  settle(reply: PmmReply | Error): void;
}

/**
 * RFQs to a PMM's batch URL gathered in one turn of the event loop and posted together, so a
 * process asking for many quotes at once makes one round trip per turn instead of one per quote.
 * A turn with a single RFQ posts it to the PMM's plain URL, as without batching.
 */
const gathering = new WeakMap<RfqTransport, Map<PmmEndpoint, Waiting[]>>();

const postOne = (pmm: PmmEndpoint, wire: WireDraft, transport: RfqTransport, timeoutMs: number): Promise<PmmReply> =>
  transport(pmm.url, JSON.stringify(wire), timeoutMs).then(({ status, text }) => parseReply(status, text));

function post(pmm: PmmEndpoint, wire: WireDraft, transport: RfqTransport, timeoutMs: number): Promise<PmmReply> {
  if (!pmm.batchUrl) return postOne(pmm, wire, transport, timeoutMs);
  let byPmm = gathering.get(transport);
  if (!byPmm) gathering.set(transport, (byPmm = new Map()));
  let batch = byPmm.get(pmm);
  if (!batch) {
    const gathered: Waiting[] = (batch = []);
    byPmm.set(pmm, gathered);
    setImmediate(() => {
      if (byPmm.get(pmm) === gathered) byPmm.delete(pmm);
      if (gathered.length > 0) void sendBatch(pmm, gathered, transport, timeoutMs);
    });
  }
  const waiting = batch;
  return new Promise<PmmReply>((resolve, reject) => {
    waiting.push({ wire, settle: (reply) => (reply instanceof Error ? reject(reply) : resolve(reply)) });
    if (waiting.length >= MAX_RFQ_BATCH) {
      byPmm.delete(pmm);
      void sendBatch(pmm, waiting.splice(0), transport, timeoutMs);
    }
  });
}

const batchAnswersSchema = z.object({ answers: z.array(z.object({ status: z.number().int(), body: z.unknown() })) });

async function sendBatch(pmm: PmmEndpoint, batch: Waiting[], transport: RfqTransport, timeoutMs: number): Promise<void> {
  if (batch.length === 1) {
    const [only] = batch;
    await postOne(pmm, only.wire, transport, timeoutMs).then(only.settle, (error: Error) => only.settle(error));
    return;
  }
  let reply: PmmReply;
  try {
    const { status, text } = await transport(pmm.batchUrl!, JSON.stringify({ rfqs: batch.map((w) => w.wire) }), timeoutMs);
    reply = parseReply(status, text);
  } catch (error) {
    for (const w of batch) w.settle(error as Error);
    return;
  }
  // A failed batch is every RFQ's failure, with the batch's own status and reason.
  if (reply.status < 200 || reply.status > 299 || reply.body === NOT_JSON) {
    for (const w of batch) w.settle(reply);
    return;
  }
  const parsed = batchAnswersSchema.safeParse(reply.body);
  const answers = parsed.success && parsed.data.answers.length === batch.length ? parsed.data.answers : undefined;
  batch.forEach((w, i) => {
    if (answers) w.settle({ status: answers[i].status, body: answers[i].body, text: () => JSON.stringify(answers[i].body) ?? '' });
    else w.settle({ status: 200, body: BATCH_MISMATCH, text: () => '' });
  });
}

/** Asks one PMM; never throws: a failure is an outcome with its reason. */
export function askPmm(pmm: PmmEndpoint, draft: QuoteDraft, options: RfqOptions): Promise<RfqOutcome> {
  return outcomeOf(pmm, () => post(pmm, draftToWire(draft, pmm.maker), options.transport, options.timeoutMs), pmmAnswerSchema, options);
}

/**
 * What came of one request to a PMM (`send`), its body parsed by `schema`: every RFQ kind's answer goes
 * through the same failure codes (timeout, unreachable, http_error, malformed). Never throws.
 */
export async function outcomeOf<A>(pmm: PmmEndpoint, send: () => Promise<PmmReply>, schema: z.ZodType<A, z.ZodTypeDef, unknown>, options: Pick<RfqOptions, 'timeoutMs' | 'now'>): Promise<RfqOutcome<A>> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const elapsed = () => Math.round((now() - started) * 10) / 10;
  let reply: PmmReply;
  try {
    reply = await send();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return { pmm, ok: false, code: 'timeout', reason: `no answer within ${options.timeoutMs} ms`, latencyMs: elapsed() };
    }
    return { pmm, ok: false, code: 'unreachable', reason: `request failed: ${(error as Error).message}`, latencyMs: elapsed() };
  }
  if (reply.status < 200 || reply.status > 299) {
    return { pmm, ok: false, code: 'http_error', reason: `answered HTTP ${reply.status}: ${reply.text().slice(0, 200)}`, latencyMs: elapsed() };
  }
  if (reply.body === BATCH_MISMATCH) {
    return { pmm, ok: false, code: 'malformed', reason: `batch answer is not {answers: [...]} with one answer per RFQ`, latencyMs: elapsed() };
  }
  if (reply.body === NOT_JSON) return { pmm, ok: false, code: 'malformed', reason: 'answer is not JSON', latencyMs: elapsed() };
  const parsed = schema.safeParse(reply.body);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`).join('; ');
    return { pmm, ok: false, code: 'malformed', reason, latencyMs: elapsed() };
  }
  return { pmm, ok: true, answer: parsed.data, latencyMs: elapsed() };
}

/** Asks every PMM at once, each with the same timeout. */
export function askPmms(pmms: readonly PmmEndpoint[], draft: QuoteDraft, options: RfqOptions): Promise<RfqOutcome[]> {
  return Promise.all(pmms.map((pmm) => askPmm(pmm, draft, options)));
}

/** An answer that passed every check: a complete, signed order. */
export interface Candidate {
  pmm: PmmEndpoint;
  order: QuoteOrder;
  signature: string;
  orderHash: string;
  /** Cash amount against the reference, in bps (positive: above). */
  deviationBps: number;
  latencyMs: number;
}

export type RejectionCode = Extract<RfqOutcome, { ok: false }>['code'];

/** An answer that was not taken, and why. */
export interface Rejection {
  pmm: PmmEndpoint;
  code: RejectionCode | 'maker_mismatch' | 'zero_price' | 'deviation' | 'signature' | 'not_maker';
  reason: string;
  latencyMs: number;
  cashAmount?: bigint;
  deviationBps?: number;
}

export interface EvaluationOptions {
  hasher: QuoteOrderHasher;
  /** Largest accepted |deviation| of the cash amount from the reference, in bps. */
  toleranceBps: number;
  /** Whether the address holds MAKER_ROLE on the Issuer. */
  isMaker: (address: string) => Promise<boolean>;
  /** Why a signature is not the maker's (default `makerSignatureProblem`; `MakerSignatures` is faster). */
  signatureProblem?: SignatureProblem;
}

/**
 * The checks every priced answer passes, signed or attested: it came and parsed, names the maker the registry
 * holds for the PMM (when it names one), asks a cash amount above zero and within `toleranceBps` of the
 * reference. Returns the rejection, or the checked price.
 */
export function checkPrice(
  outcome: RfqOutcome<{ cashAmount: string; maker?: string }>,
  referenceCashAmount: bigint,
  toleranceBps: number,
): { rejection: Rejection } | { maker: string; cashAmount: bigint; deviationBps: number } {
  const { pmm, latencyMs } = outcome;
  if (!outcome.ok) return { rejection: { pmm, code: outcome.code, reason: outcome.reason, latencyMs } };
  const { answer } = outcome;
  const maker = checksum(pmm.maker);
  if (answer.maker !== undefined && checksum(answer.maker) !== maker) {
    return { rejection: { pmm, code: 'maker_mismatch', reason: `answered for maker ${answer.maker}, registered ${maker}`, latencyMs } };
  }
  const cashAmount = BigInt(answer.cashAmount);
  if (cashAmount === 0n) return { rejection: { pmm, code: 'zero_price', reason: 'quoted a zero cash amount', latencyMs, cashAmount } };
  const deviation = deviationBps(cashAmount, referenceCashAmount);
  if (Math.abs(deviation) > toleranceBps) {
    return {
      rejection: {
        pmm,
        code: 'deviation',
        reason: `price is ${deviation} bps from the reference NAV; the tolerance is ${toleranceBps} bps`,
        latencyMs,
        cashAmount,
        deviationBps: deviation,
      },
    };
  }
  return { maker, cashAmount, deviationBps: deviation };
}

/** Checks every outcome: shape, maker, price against the reference, signature, maker role. */
export async function evaluateOutcomes(
  draft: QuoteDraft,
  outcomes: readonly RfqOutcome[],
  options: EvaluationOptions,
): Promise<{ accepted: Candidate[]; rejected: Rejection[] }> {
  await keccakReady; // the order hash below
  const accepted: Candidate[] = [];
  const rejected: Rejection[] = [];
  for (const outcome of outcomes) {
    const { pmm, latencyMs } = outcome;
    const priced = checkPrice(outcome, draft.referenceCashAmount, options.toleranceBps);
    if ('rejection' in priced) {
      rejected.push(priced.rejection);
      continue;
    }
    const { answer } = outcome as Extract<RfqOutcome, { ok: true }>;
    const { maker, cashAmount, deviationBps: deviation } = priced;
    const order: QuoteOrder = { ...draft.order, maker, cashAmount, nonce: BigInt(answer.nonce) };
    const orderHash = options.hasher.hash(order);
    const problem = await (options.signatureProblem ?? makerSignatureProblem)(orderHash, answer.signature, maker);
    if (problem) {
      rejected.push({ pmm, code: 'signature', reason: problem, latencyMs, cashAmount, deviationBps: deviation });
      continue;
    }
    if (!(await options.isMaker(maker))) {
      rejected.push({ pmm, code: 'not_maker', reason: `${maker} does not hold MAKER_ROLE on the Issuer`, latencyMs, cashAmount, deviationBps: deviation });
      continue;
    }
    accepted.push({ pmm, order, signature: answer.signature, orderHash, deviationBps: deviation, latencyMs });
  }
  return { accepted, rejected };
}

/** The best accepted quote for the WLP: lowest cash on a mint, highest on a redeem; ties go to the faster PMM. */
export function bestQuote(side: Side, accepted: readonly Candidate[]): Candidate | undefined {
  return bestForWlp(side, accepted, (c) => c.order.cashAmount);
}

/** The candidate best for the WLP by `cashOf`: lowest on a mint, highest on a redeem; a tie goes to the faster PMM. */
export function bestForWlp<C extends { latencyMs: number }>(side: Side, candidates: readonly C[], cashOf: (candidate: C) => bigint): C | undefined {
  let best: C | undefined;
  for (const candidate of candidates) {
    if (!best) {
      best = candidate;
      continue;
    }
    const a = cashOf(candidate);
    const b = cashOf(best);
    const better = side === Side.Mint ? a < b : a > b;
    if (better || (a === b && candidate.latencyMs < best.latencyMs)) best = candidate;
  }
  return best;
}
