/**
 * Request for quote for an attested index (one the AttestedIssuer mints: custodian legs move on their
 * native chains, docs/custody.md). There is no order to sign: the WLP's `requestMint` / `requestRedeem`
 * names the cash amount and the PMM, and the PMM agrees by delivering (mint) or accepting (redeem). So a
 * PMM answers `POST <rfq url>/attested {index, side, indexAmount}` with `{cashAmount, maker}` alone, and
 * an answer is checked for what can be checked without a signature: its shape, that its maker is the
 * one the registry holds for that PMM (the address the request will name), a price above zero and
 * within the tolerance of the reference NAV. The best is picked as for signed quotes.
 */
import { z } from 'zod';
import { addressSchema } from '../address';
import { Side } from '../orders';
import { bestForWlp, checkPrice, outcomeOf, parseReply, uint256Schema, type PmmEndpoint, type Rejection, type RfqOptions, type RfqOutcome } from './rfq';

/** What a PMM is asked to price: the index, the side and the index amount in smallest units. */
export interface AttestedRfq {
  index: string;
  side: Side;
  indexAmount: bigint;
}

/** A PMM's attested answer on the wire: the cash it asks (mint) or bids (redeem), and the address it trades as. */
export const attestedAnswerSchema = z.object({ cashAmount: uint256Schema, maker: addressSchema });
export type AttestedAnswer = z.infer<typeof attestedAnswerSchema>;

/** Where a registered PMM takes attested RFQs: `<its rfq url>/attested` (`/rfq/attested` on the PMM simulator). */
export const attestedRfqUrl = (pmm: PmmEndpoint): string => `${pmm.url.replace(/\/$/, '')}/attested`;

/** The RFQ as JSON, the body of `POST <rfq url>/attested`. */
export const attestedRfqToWire = (rfq: AttestedRfq) => ({ index: rfq.index, side: rfq.side === Side.Mint ? 'mint' : 'redeem', indexAmount: rfq.indexAmount.toString() });

/** Asks every PMM at once, each with the same timeout; never throws (a failure is an outcome with its reason). */
export function askAttested(pmms: readonly PmmEndpoint[], rfq: AttestedRfq, options: RfqOptions): Promise<Array<RfqOutcome<AttestedAnswer>>> {
  const body = JSON.stringify(attestedRfqToWire(rfq));
  return Promise.all(
    pmms.map((pmm) =>
      outcomeOf(pmm, async () => {
        const { status, text } = await options.transport(attestedRfqUrl(pmm), body, options.timeoutMs);
        return parseReply(status, text);
      }, attestedAnswerSchema, options),
    ),
  );
}

/** An attested answer that passed every check. */
export interface AttestedCandidate {
  pmm: PmmEndpoint;
  /** The registered maker: the `pmm` argument of the request. */
  maker: string;
  cashAmount: bigint;
  /** Cash amount against the reference, in bps (positive: above). */
  deviationBps: number;
  latencyMs: number;
}

/** Checks every outcome: shape, registered maker, a price above zero and within `toleranceBps` of `referenceCashAmount`. */
export function evaluateAttested(
  outcomes: ReadonlyArray<RfqOutcome<AttestedAnswer>>,
  options: { referenceCashAmount: bigint; toleranceBps: number },
): { accepted: AttestedCandidate[]; rejected: Rejection[] } {
  const accepted: AttestedCandidate[] = [];
  const rejected: Rejection[] = [];
  for (const outcome of outcomes) {
    // No signature binds an attested answer to its PMM: the maker it must name (the schema requires one) is what does.
    const priced = checkPrice(outcome, options.referenceCashAmount, options.toleranceBps);
    if ('rejection' in priced) rejected.push(priced.rejection);
    else accepted.push({ pmm: outcome.pmm, ...priced, latencyMs: outcome.latencyMs });
  }
  return { accepted, rejected };
}

/** The best attested answer for the WLP: lowest cash on a mint, highest on a redeem; ties go to the faster PMM. */
export const bestAttested = (side: Side, accepted: readonly AttestedCandidate[]): AttestedCandidate | undefined => bestForWlp(side, accepted, (c) => c.cashAmount);
