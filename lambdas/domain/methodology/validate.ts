import { MethodologyError } from './errors';
import type { IndexMethodology } from './types';

/** Every problem with a methodology config, in words; empty when it is usable. */
export function methodologyProblems(methodology: IndexMethodology): string[] {
  const problems: string[] = [];
  const { selection, weighting, universe } = methodology;
  const isCount = (value: number): boolean => Number.isInteger(value) && value >= 1;
  if (!methodology.id.trim()) problems.push('id is empty');
  if (!Number.isInteger(methodology.version) || methodology.version < 1) problems.push('version must be a positive integer');
  if (universe.custodySupported.length === 0) problems.push('custodySupported is empty: nothing could ever be selected');
  if (universe.sector && universe.sector.symbols.length === 0) problems.push(`sector ${universe.sector.id} has no symbols`);
  if (!isCount(selection.minConstituents)) problems.push('selection.minConstituents must be an integer >= 1');
  if (selection.maxConstituents !== undefined) {
    if (!isCount(selection.maxConstituents)) problems.push('selection.maxConstituents must be an integer >= 1');
    else if (selection.maxConstituents < selection.minConstituents) problems.push('selection.maxConstituents is below minConstituents');
  }
  for (const [label, value] of [
    ['minMarketCapUsd', selection.minMarketCapUsd],
    ['minVolume24hUsd', selection.minVolume24hUsd],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) problems.push(`selection.${label} must be a non-negative number`);
  }
  const buffer = selection.buffer;
  if (buffer?.rank !== undefined) {
    if (!(Number.isInteger(buffer.rank) && buffer.rank >= 0)) problems.push('selection.buffer.rank must be an integer >= 0');
    if (selection.maxConstituents === undefined) problems.push('selection.buffer.rank needs selection.maxConstituents');
  }
  if (buffer?.thresholdRetentionRatio !== undefined && !(buffer.thresholdRetentionRatio > 0 && buffer.thresholdRetentionRatio <= 1)) {
    problems.push('selection.buffer.thresholdRetentionRatio must be in (0, 1]');
  }
  if (weighting.scheme === 'market-cap') {
    const { floor, cap } = weighting;
    if (floor !== undefined && !(floor >= 0 && floor < 1)) problems.push('weighting.floor must be in [0, 1)');
    if (cap !== undefined && !(cap > 0 && cap <= 1)) problems.push('weighting.cap must be in (0, 1]');
    if (floor !== undefined && cap !== undefined && floor > cap) problems.push('weighting.floor is above weighting.cap');
    const most = selection.maxConstituents;
    if (floor !== undefined && most !== undefined && most * floor > 1 + 1e-12) {
      problems.push(`weighting.floor ${floor} x maxConstituents ${most} exceeds 100%`);
    }
    if (cap !== undefined && most !== undefined && most * cap < 1 - 1e-12) {
      problems.push(`weighting.cap ${cap} can never be met with at most ${most} constituents`);
    }
  } else if (weighting.scheme !== 'equal') {
    problems.push(`unknown weighting scheme ${(weighting as { scheme: string }).scheme}`);
  }
  if (!['monthly', 'quarterly'].includes(methodology.rebalance.frequency)) problems.push(`unknown rebalance frequency ${methodology.rebalance.frequency}`);
  const lag = methodology.rebalance.tradeLagDays;
  if (lag !== undefined && !(Number.isInteger(lag) && lag >= 0 && lag <= MAX_TRADE_LAG_DAYS)) {
    problems.push(`rebalance.tradeLagDays ${lag} must be a whole number of days from 0 to ${MAX_TRADE_LAG_DAYS}`);
  }
  return problems;
}

/** A trade must fall before the next monthly selection date. */
export const MAX_TRADE_LAG_DAYS = 27;

export function assertValidMethodology(methodology: IndexMethodology): void {
  const problems = methodologyProblems(methodology);
  if (problems.length > 0) {
    throw new MethodologyError('invalid-methodology', `${methodology.id || 'methodology'} is invalid: ${problems.join('; ')}`, { problems });
  }
}
