/**
 * Per-WLP rate limit (requests per second) and quota (requests per UTC day), counted per API key
 * (each key record carries its limits), correct across any number of Lambda containers and cheap
 * on the hot path.
 *
 * Each limit is a fixed-window counter in the wlp-usage table (`rate#<key id>#<epoch second>`,
 * `quota#<key id>#<day>`). A container does not add 1 per request: it leases a block of tokens with
 * one atomic UpdateItem (`ADD used :n` on condition `used <= limit - n`) and serves the block from
 * memory. The condition makes the sum of all leases in a window at most the limit, so the limit
 * holds across containers; when a full block no longer fits, single tokens are leased until the
 * window is spent. Tokens a container leased but did not use are lost at the window's end: the
 * limiter errs on the side of admitting fewer, by at most one block per container.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { TooManyRequests, Unauthorized, Unavailable } from '../shared/errors';
import { addressSchema } from '../domain/address';

export interface Limits {
  /** Requests per second. */
  ratePerSecond: number;
  /** Requests per UTC day. */
  quotaPerDay: number;
}

export type LimitDecision = { ok: true } | { ok: false; limit: 'rate' | 'quota'; retryAfterSeconds: number; reason: string };

/** Leases counter tokens from a shared store; `DynamoLeaseStore` is the real one. */
export interface LeaseStore {
  /** Adds `n` to the counter `key` if the result stays within `limit`; false when it would not. */
  lease(key: string, n: number, limit: number, expiresAt: number): Promise<boolean>;
}

export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async lease(key: string, n: number, limit: number, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: key },
          UpdateExpression: 'ADD used :n SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(used) OR used <= :most',
          ExpressionAttributeValues: { ':n': n, ':most': limit - n, ':expiresAt': expiresAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

interface Window {
  id: number;
  remaining: number;
  /** The shared counter is spent for this window: refuse without asking again. */
  spent: boolean;
  leasing?: Promise<void>;
}

const DAY_SECONDS = 86_400;

/** Block size: a twentieth of the limit for the rate, a thousandth for the quota, within bounds. */
export const rateBlock = (limit: number): number => Math.max(1, Math.min(100, Math.floor(limit / 20)));
export const quotaBlock = (limit: number): number => Math.max(1, Math.min(1000, Math.floor(limit / 1000)));

export class LeaseLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly store: LeaseStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request's worth of both limits for `subject` (an API key id), or says which limit refuses and for how long. */
  async take(subject: string, limits: Limits): Promise<LimitDecision> {
    const second = () => Math.floor(this.now() / 1000);
    const rate = await this.takeFrom(`rate#${subject}`, limits.ratePerSecond, rateBlock(limits.ratePerSecond), () => ({ id: second(), expiresAt: second() + 60 }));
    if (!rate) {
      return { ok: false, limit: 'rate', retryAfterSeconds: 1, reason: `rate limit of ${limits.ratePerSecond} requests per second reached` };
    }
    const day = () => Math.floor(second() / DAY_SECONDS);
    const quota = await this.takeFrom(`quota#${subject}`, limits.quotaPerDay, quotaBlock(limits.quotaPerDay), () => ({ id: day(), expiresAt: (day() + 2) * DAY_SECONDS }));
    if (!quota) {
      const retryAfterSeconds = Math.max(1, (day() + 1) * DAY_SECONDS - second());
      return { ok: false, limit: 'quota', retryAfterSeconds, reason: `daily quota of ${limits.quotaPerDay} requests used up; it resets at 00:00 UTC` };
    }
    return { ok: true };
  }

  private async takeFrom(name: string, limit: number, block: number, current: () => { id: number; expiresAt: number }): Promise<boolean> {
    if (limit <= 0) return false;
    for (;;) {
      const { id, expiresAt } = current();
      let window = this.windows.get(name);
      if (!window || window.id < id) {
        window = { id, remaining: 0, spent: false };
        this.windows.set(name, window);
      }
      if (window.remaining > 0) {
        window.remaining--;
        return true;
      }
      if (window.spent) return false;
      if (!window.leasing) {
        const leased = window;
        leased.leasing = this.lease(`${name}#${id}`, block, limit, expiresAt)
          .then((granted) => {
            if (granted > 0) leased.remaining += granted;
            else leased.spent = true;
          })
          .finally(() => {
            leased.leasing = undefined;
          });
      }
      await window.leasing;
    }
  }

  /** A full block if it fits, else a single token; 0 when the window is spent. */
  private async lease(key: string, block: number, limit: number, expiresAt: number): Promise<number> {
    if (await this.store.lease(key, block, limit, expiresAt)) return block;
    if (block > 1 && (await this.store.lease(key, 1, limit, expiresAt))) return 1;
    return 0;
  }
}

/** The caller, as the WLP authorizer describes it: the key's WLP, and the key's own limits. */
export interface WlpIdentity {
  wlp: string;
  name: string;
  keyId: string;
  rateLimit: number;
  quota: number;
}

const identitySchema = z.object({
  wlp: addressSchema,
  name: z.string(),
  keyId: z.string(),
  rateLimit: z.coerce.number().int().nonnegative(),
  quota: z.coerce.number().int().nonnegative(),
});

/** The WLP the authorizer let through; a route reached without one is refused. */
export function wlpIdentity(event: APIGatewayProxyEventV2): WlpIdentity {
  const context = (event.requestContext as { authorizer?: { lambda?: unknown } }).authorizer?.lambda;
  const parsed = identitySchema.safeParse(context);
  if (!parsed.success) throw new Unauthorized();
  return parsed.data;
}

/** What a metered API asks of its limiter (`LeaseLimiter` is the real one). */
export interface WlpLimiter {
  take(subject: string, limits: Limits): Promise<LimitDecision>;
}

/**
 * Spends one request of the caller's key's rate and quota, or refuses with 429 (and when to retry).
 * Call it only once a request has passed validation and the identity check, so a refused request
 * costs the WLP nothing; and before any work that costs the protocol (an RFQ, a KMS signature).
 */
export async function admit(limiter: WlpLimiter, identity: WlpIdentity): Promise<void> {
  let decision: LimitDecision;
  try {
    // Counted per API key: each key carries its own limits (a WLP normally has one).
    decision = await limiter.take(identity.keyId, { ratePerSecond: identity.rateLimit, quotaPerDay: identity.quota });
  } catch (error) {
    throw new Unavailable('the rate limiter is not answering; retry shortly', 'limiter_unavailable', error);
  }
  if (!decision.ok) throw new TooManyRequests(decision.reason, decision.retryAfterSeconds);
}
