/**
 * The declared split of fee-sale cash between the protocol and an index's stakers (docs/fees.md).
 * One place: the fee-sale step and the docs read it. The stakers' share goes to the index's sToken
 * (`StakeToken.distributeRewards`); the protocol's share stays in the fee vault.
 */

/** Parts per million in one. */
export const SHARE_PPM = 1_000_000n;

export interface FeeSplitPolicy {
  /** Stakers' share of fee-sale cash, ppm, for indexes not listed in `stakerSharePpmByIndex`. */
  readonly defaultStakerSharePpm: bigint;
  /** Per index symbol (e.g. `MAG7.ssi`). */
  readonly stakerSharePpmByIndex: Readonly<Record<string, bigint>>;
}

/** As the product runs: half of every fee sale to the index's stakers, half kept by the protocol. */
export const FEE_SPLIT_POLICY: FeeSplitPolicy = {
  defaultStakerSharePpm: 500_000n,
  stakerSharePpmByIndex: { 'MAG7.ssi': 500_000n },
};

/**
 * Splits `cash` (cash-token units) of a fee sale of `index`: stakers get `cash x share` rounded down,
 * the protocol keeps the rest, so the two always add up to `cash`.
 */
export function splitFeeCash(cash: bigint, index: string, policy: FeeSplitPolicy = FEE_SPLIT_POLICY): { stakers: bigint; protocol: bigint } {
  if (cash < 0n) throw new Error('fee cash must not be negative');
  const share = policy.stakerSharePpmByIndex[index] ?? policy.defaultStakerSharePpm;
  if (share < 0n || share > SHARE_PPM) throw new Error(`staker share of ${index} must be within 0..${SHARE_PPM} ppm, got ${share}`);
  const stakers = (cash * share) / SHARE_PPM;
  return { stakers, protocol: cash - stakers };
}
