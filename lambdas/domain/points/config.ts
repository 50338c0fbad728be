import { z } from 'zod';
import { PPM, ppm, type Ppm } from './decimal';
import { EpochCalendar, dayNumber, type EpochCalendarConfig } from './calendar';

/** A boost tier: at least `minRatio` USD of staked $SOSO per USD of index holdings gives `boost`. */
export interface BoostTier {
  readonly minRatio: Ppm;
  readonly boost: Ppm;
}

/**
 * The points rules. All ratios are parts per million (see decimal.ts).
 *
 * - `multipliers.hold`: index tokens in the wallet.
 * - `multipliers.stake`: staked index tokens (sTokens, valued 1:1 at the index NAV).
 * - `multipliers.cooldown`: index tokens unstaked and waiting out the 14-day cooldown. They are
 *   locked but no longer staked, so they never earn the staking rate; by default they earn the
 *   holding rate, as they are still index tokens the user owns and bears the price of
 *   (set it to 0 to make a cooldown earn nothing).
 * - `multipliers.lock`: LP and other locked tokens, unless `lockMultipliers` names the token.
 * - `boostTiers`: ascending `minRatio`, the first at 0; the highest tier whose `minRatio` the
 *   ratio reaches (>=) applies. The ratio is USD of staked $SOSO over USD of index holdings
 *   (held + staked + in cooldown); with no index holdings the first tier applies.
 * - `referralShare`: share of a referred user's base (pre-boost) points its referrer earns on
 *   each day of an active epoch from the day the link was registered. Bonuses do not cascade.
 * - `sosoToken`: the price key of $SOSO (staked $SOSO only boosts; it earns no points itself).
 */
export interface PointsConfig {
  readonly multipliers: { readonly hold: Ppm; readonly stake: Ppm; readonly cooldown: Ppm; readonly lock: Ppm };
  readonly lockMultipliers: Readonly<Record<string, Ppm>>;
  readonly boostTiers: readonly BoostTier[];
  readonly referralShare: Ppm;
  readonly sosoToken: string;
  readonly epochs: EpochCalendarConfig;
}

const ratio = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return ppm(value);
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
});

const day = z.string().refine((value) => {
  try {
    dayNumber(value);
    return true;
  } catch {
    return false;
  }
}, 'not a calendar day YYYY-MM-DD');

/** The JSON form of the rules (decimals as numbers or strings), as an operator writes it. */
export const pointsConfigSchema = z
  .object({
    multipliers: z.object({ hold: ratio, stake: ratio, cooldown: ratio, lock: ratio }),
    lockMultipliers: z.record(ratio).default({}),
    boostTiers: z.array(z.object({ minRatio: ratio, boost: ratio })).min(1),
    referralShare: ratio.refine((share) => share <= PPM, 'referral share must be at most 1'),
    sosoToken: z.string().min(1),
    epochs: z.object({
      genesis: day,
      lengthDays: z.number().int().min(1),
      first: z.number().int().min(0).default(1),
      count: z.number().int().min(1).optional(),
    }),
  })
  .superRefine((config, ctx) => {
    const tiers = config.boostTiers;
    if (tiers[0].minRatio !== 0n) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['boostTiers', 0, 'minRatio'], message: 'the first tier must start at ratio 0' });
    tiers.forEach((tier, i) => {
      if (tier.boost < PPM) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['boostTiers', i, 'boost'], message: 'a boost is at least 1' });
      if (i > 0 && tier.minRatio <= tiers[i - 1].minRatio) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['boostTiers', i, 'minRatio'], message: 'tiers must have strictly ascending minRatio' });
      if (i > 0 && tier.boost < tiers[i - 1].boost) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['boostTiers', i, 'boost'], message: 'a higher tier cannot boost less' });
    });
  });

export type PointsConfigInput = z.input<typeof pointsConfigSchema>;

/** Checks and converts the JSON rules; throws a RangeError listing every problem. */
export function parsePointsConfig(input: unknown): PointsConfig {
  const parsed = pointsConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(`invalid points config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  new EpochCalendar(parsed.data.epochs);
  return parsed.data;
}

/** The product's published rules: 3x holding, 15x staking, boost tiers by $SOSO ratio, 10% referral, weekly epochs. */
export const DEFAULT_POINTS_CONFIG_INPUT: PointsConfigInput = {
  multipliers: { hold: 3, stake: 15, cooldown: 3, lock: 3 },
  lockMultipliers: {},
  boostTiers: [
    { minRatio: 0, boost: 1 },
    { minRatio: '0.01', boost: '1.2' },
    { minRatio: '0.05', boost: '1.5' },
    { minRatio: '0.1', boost: 2 },
  ],
  referralShare: '0.1',
  sosoToken: 'SOSO',
  epochs: { genesis: '2025-01-06', lengthDays: 7, first: 1 },
};

export const DEFAULT_POINTS_CONFIG: PointsConfig = parsePointsConfig(DEFAULT_POINTS_CONFIG_INPUT);
