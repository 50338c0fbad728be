import type { JsonRpcProvider } from 'ethers';

/** EIP-1559 fee fields of one signed attempt. */
export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** What the chain asks now: the fees to send with and the latest base fee they derive from. */
export interface MarketFees extends Fees {
  readonly baseFeePerGas: bigint;
}

export interface FeePolicy {
  /** maxFeePerGas = latest base fee x this + priority fee: room for base fee rises while the transaction waits (default 2). */
  readonly baseFeeMultiplier: bigint;
  /** Priority fee floor, in wei (default 0: whatever the node suggests). */
  readonly minPriorityFeePerGas: bigint;
  /** Priority fee when the node cannot suggest one (no eth_maxPriorityFeePerGas), in wei (default 1 gwei). */
  readonly fallbackPriorityFeePerGas: bigint;
  /** Ceiling on maxFeePerGas, in wei: past it transactions wait (and are reported stuck) rather than overpay. */
  readonly maxFeePerGasCap?: bigint;
  /** Replacement bump in basis points over the previous attempt; nodes need at least 10% (default 1250 = 12.5%). */
  readonly bumpBasisPoints: number;
  /** Added to gas estimates, in percent (default 20). */
  readonly gasBufferPercent: number;
}

export const DEFAULT_FEE_POLICY: FeePolicy = {
  baseFeeMultiplier: 2n,
  minPriorityFeePerGas: 0n,
  fallbackPriorityFeePerGas: 1_000_000_000n,
  bumpBasisPoints: 1250,
  gasBufferPercent: 20,
};

/** The least a node accepts as a replacement: 10% above the previous fees (geth's and Hardhat's rule). */
export const MIN_BUMP_BASIS_POINTS = 1000;

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function cap(fees: Fees, policy: FeePolicy): Fees {
  const ceiling = policy.maxFeePerGasCap;
  if (ceiling === undefined || fees.maxFeePerGas <= ceiling) return fees;
  return { maxFeePerGas: ceiling, maxPriorityFeePerGas: fees.maxPriorityFeePerGas > ceiling ? ceiling : fees.maxPriorityFeePerGas };
}

/** Fees for a transaction sent now, from the latest block's base fee and the node's priority fee suggestion. */
export async function marketFees(provider: JsonRpcProvider, policy: FeePolicy = DEFAULT_FEE_POLICY): Promise<MarketFees> {
  const [block, suggested] = await Promise.all([
    provider.getBlock('latest'),
    provider.send('eth_maxPriorityFeePerGas', []).then(
      (value: string) => BigInt(value),
      (error: { code?: string; error?: { code?: number } }) => {
        // Only a node without the method gets the fallback; an unreachable node is an error.
        if (error?.error?.code === -32601 || /method not found|not supported|does not exist/i.test(String((error as Error)?.message))) return undefined;
        throw error;
      },
    ),
  ]);
  if (!block) throw new Error('the chain returned no latest block');
  if (block.baseFeePerGas == null) throw new Error('the chain has no EIP-1559 base fee; the relayer sends EIP-1559 transactions only');
  let tip = suggested ?? policy.fallbackPriorityFeePerGas;
  if (tip < policy.minPriorityFeePerGas) tip = policy.minPriorityFeePerGas;
  const fees = cap({ maxFeePerGas: block.baseFeePerGas * policy.baseFeeMultiplier + tip, maxPriorityFeePerGas: tip }, policy);
  return { ...fees, baseFeePerGas: block.baseFeePerGas };
}

/**
 * Fees for a replacement: at least `bumpBasisPoints` above the previous attempt on both fields
 * (rounded up, so the node's 10% rule always holds) and never below what the market asks now.
 */
export function bumpFees(previous: Fees, market: Fees, policy: FeePolicy = DEFAULT_FEE_POLICY): Fees {
  if (policy.bumpBasisPoints < MIN_BUMP_BASIS_POINTS) throw new Error(`a fee bump below ${MIN_BUMP_BASIS_POINTS / 100}% is refused by nodes`);
  const factor = 10_000n + BigInt(policy.bumpBasisPoints);
  const bump = (value: bigint) => (value === 0n ? 1n : ceilDiv(value * factor, 10_000n));
  const maxPriorityFeePerGas = [bump(previous.maxPriorityFeePerGas), market.maxPriorityFeePerGas].reduce((a, b) => (a > b ? a : b));
  let maxFeePerGas = [bump(previous.maxFeePerGas), market.maxFeePerGas].reduce((a, b) => (a > b ? a : b));
  if (maxFeePerGas < maxPriorityFeePerGas) maxFeePerGas = maxPriorityFeePerGas;
  // A cap may hold the bump back; the caller then keeps the previous attempt rather than send an underpriced one.
  return cap({ maxFeePerGas, maxPriorityFeePerGas }, policy);
}

/** Whether `next` is accepted by nodes as a replacement for `previous` (both fields at least 10% higher). */
export function isValidReplacement(previous: Fees, next: Fees): boolean {
  const enough = (before: bigint, after: bigint) => after * 10_000n >= before * BigInt(10_000 + MIN_BUMP_BASIS_POINTS) && after > before;
  return enough(previous.maxFeePerGas, next.maxFeePerGas) && enough(previous.maxPriorityFeePerGas, next.maxPriorityFeePerGas);
}

/**
 * Whether an attempt cannot compete now: its fee cap is below the latest base fee plus the
 * suggested tip, or its tip is below the suggestion. Such a transaction may never be mined.
 */
export function isUnderpriced(fees: Fees, market: MarketFees): boolean {
  return fees.maxFeePerGas < market.baseFeePerGas + market.maxPriorityFeePerGas || fees.maxPriorityFeePerGas < market.maxPriorityFeePerGas;
}

/** A gas estimate with the policy's buffer, rounded up. */
export function withGasBuffer(estimate: bigint, policy: FeePolicy = DEFAULT_FEE_POLICY): bigint {
  return ceilDiv(estimate * BigInt(100 + policy.gasBufferPercent), 100n);
}
