import { BadRequest, Forbidden, NotFound } from '../shared/errors';
import { EpochCalendar, dayOf, type Day } from '../domain/points/calendar';
import { formatFixed, formatPoints } from '../domain/points/decimal';
import { REFERRAL_MAX_VALIDITY_SECONDS, isReferralSigned } from '../domain/points/referral';
import type { PointsStore } from './store';
import type { Provider } from 'ethers';
import { claimedOf } from './distributor';

/*
 * The read side of points and rewards, and referral registration: what the points routes answer.
 * Points are decimal strings of points (micro-point exact), token amounts decimal strings of
 * base units.
 */

export interface PointsApiDeps {
  readonly store: PointsStore;
  readonly calendar: EpochCalendar;
  readonly chainId: number;
  readonly now?: () => Date;
  /** The chain and its contracts, for what only the chain knows (claimed rewards, positions). */
  readonly chain?: { readonly provider: Provider; readonly contracts: Readonly<Record<string, string>> };
  /** The deployment's index tokens by symbol. */
  readonly indexes?: Readonly<Record<string, string>>;
}

/**
 * GET /v1/indexes/{symbol}/history: the index's NAV per token on each day its points snapshot
 * ran from `from` to `to`, priced at the snapshot's pinned block (USD, 18 decimals). Days without
 * a snapshot (no epoch, or not run yet) are absent.
 */
export async function indexHistory(deps: PointsApiDeps, symbol: string, range: { from: Day; to: Day }) {
  const address = deps.indexes?.[symbol];
  if (!address) throw new NotFound(`no index ${symbol}`, 'unknown_index');
  const navs = await deps.store.indexNavs(symbol, range.from, range.to);
  return { index: symbol, address, unit: 'USD per token', from: range.from, to: range.to, days: navs.map((n) => ({ day: n.day, block: n.block, navUsd: formatFixed(n.navUsd, 18) })) };
}

/** What POST /v1/referrals needs beyond the store. */
export interface ReferralDeps {
  readonly store: Pick<PointsStore, 'registerReferral'>;
  readonly chainId: number;
  /** The deployment a signed referral names (`referralDomain`). */
  readonly domain: string;
  /** Most users one address may refer (SSI_REFERRALS_PER_REFERRER). */
  readonly perReferrer: number;
  /** Whether the address holds a position now: index tokens, staked or cooling sTokens, locked tokens or staked $SOSO. */
  readonly hasPosition: (address: string) => Promise<boolean>;
  readonly now?: () => Date;
}

/** The deployment a referral signature is for: its Issuer's address, or its network name when it has none. */
export function referralDomain(deployment: { readonly network: string; readonly contracts: Readonly<Record<string, string | undefined>> }): string {
  return (deployment.contracts.issuer ?? deployment.network).toLowerCase();
}

/** GET /v1/points/{address}: epoch totals, recent days, referrer and referred users. */
export async function userPoints(deps: PointsApiDeps, address: string, options: { days?: number } = {}) {
  const [epochs, history, referrer, referred] = await Promise.all([
    deps.store.userEpochs(address),
    deps.store.history(address, { limit: options.days ?? 30 }),
    deps.store.referrerOf(address),
    deps.store.referredBy(address),
  ]);
  const today = dayOf(deps.now?.() ?? new Date());
  return {
    address,
    currentEpoch: deps.calendar.epochOf(today) ?? null,
    totalPoints: formatPoints(epochs.reduce((sum, e) => sum + e.points, 0n)),
    epochs: epochs.map((e) => ({ epoch: e.epoch, points: formatPoints(e.points), days: e.days.size })),
    days: history.items.map((d) => ({
      day: d.day,
      epoch: d.epoch,
      base: formatPoints(d.base),
      boost: formatPoints(d.boost),
      own: formatPoints(d.own),
      referral: formatPoints(d.referral),
      total: formatPoints(d.total),
    })),
    referrer: referrer?.referrer ?? null,
    referred: referred.length,
  };
}

/** GET /v1/epochs: the calendar's started epochs with what is recorded about each. */
export async function listEpochs(deps: PointsApiDeps) {
  const today = dayOf(deps.now?.() ?? new Date());
  const records = new Map((await deps.store.listEpochs()).map((r) => [r.epoch, r]));
  return {
    currentEpoch: deps.calendar.epochOf(today) ?? null,
    epochs: deps.calendar.startedBy(today).map((range) => {
      const record = records.get(range.epoch);
      return {
        ...range,
        status: record?.status ?? (deps.calendar.isOver(range.epoch, today) ? 'closed' : 'open'),
        pool: record?.pool ?? null,
        participants: record?.participants ?? null,
        totalPoints: record?.totalPoints === undefined ? null : formatPoints(record.totalPoints),
        root: record?.root ?? null,
        publishTx: record?.publishTx ?? null,
      };
    }),
  };
}

/** GET /v1/epochs/{id}/leaderboard. */
export async function epochLeaderboard(deps: PointsApiDeps, epoch: number, limit: number) {
  try {
    deps.calendar.range(epoch);
  } catch {
    throw new NotFound(`no epoch ${epoch}`, 'unknown_epoch');
  }
  const entries = await deps.store.leaderboard(epoch, limit);
  return { epoch, entries: entries.map((e) => ({ rank: e.rank, address: e.address, points: formatPoints(e.points) })) };
}

/**
 * GET /v1/rewards/{address}: the latest cumulative claim with its proof, as the distributor's
 * `claim(account, cumulativeAmount, proof)` takes it, what the distributor already paid
 * (`claimedOf`) and the claimable difference. The root of the latest epoch may still be in its
 * activation delay on-chain: the distributor then pays against the previous root, so a claim
 * with this proof reverts until the root activates.
 */
export async function userRewards(deps: PointsApiDeps, address: string) {
  const claim = await deps.store.latestClaim(address);
  if (!claim) throw new NotFound(`${address} has no rewards yet`, 'no_rewards');
  const distributor = deps.chain?.contracts.rewardsDistributor;
  const claimed = deps.chain && distributor ? await claimedOf(deps.chain.provider, distributor, address) : undefined;
  const cumulative = BigInt(claim.cumulativeAmount);
  return {
    address,
    epoch: claim.epoch,
    cumulativeAmount: claim.cumulativeAmount.toString(),
    claimed: claimed === undefined ? null : claimed.toString(),
    claimable: claimed === undefined ? null : (cumulative > claimed ? cumulative - claimed : 0n).toString(),
    root: claim.root,
    proof: claim.proof,
    distributor: distributor ?? null,
  };
}

/**
 * POST /v1/referrals: registers a referral signed (EIP-191) by the referred user, for this
 * deployment and chain, before its expiry (at most a day ahead), from a wallet that holds a
 * position now; a referrer has at most `perReferrer` referred users.
 */
export async function registerReferral(deps: ReferralDeps, body: { referrer: string; referred: string; nonce: string; expires: number; signature: string }) {
  const link = { referrer: body.referrer.toLowerCase(), referred: body.referred.toLowerCase() };
  const request = { ...link, domain: deps.domain, chainId: deps.chainId, nonce: body.nonce.toLowerCase(), expires: body.expires };
  const now = deps.now?.() ?? new Date();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (body.expires <= nowSeconds) throw new BadRequest(`the signed referral expired at ${body.expires} (now ${nowSeconds})`, 'referral_expired');
  if (body.expires > nowSeconds + REFERRAL_MAX_VALIDITY_SECONDS) {
    throw new BadRequest(`a signed referral may be valid for at most ${REFERRAL_MAX_VALIDITY_SECONDS} seconds; this one expires at ${body.expires}`, 'referral_expiry_too_far');
  }
  if (!isReferralSigned(request, body.signature)) throw new BadRequest('the signature is not the referred address signing the referral message', 'bad_signature');
  if (!(await deps.hasPosition(link.referred))) {
    throw new Forbidden(`${link.referred} holds no position (index tokens, sTokens, locked tokens or staked $SOSO): only holders register referrals`, 'no_position');
  }
  const since: Day = dayOf(now);
  await deps.store.registerReferral({ ...link, since, signature: body.signature, nonce: request.nonce, registeredAt: now.toISOString() }, deps.perReferrer);
  return { referrer: link.referrer, referred: link.referred, since };
}
