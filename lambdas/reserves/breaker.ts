import { Interface } from 'ethers';
import { sendAndWait, type RelayerPort } from '../relayer/port';
import type { BreakerState, ReserveRecords } from './store';
import { ISSUER_ABI } from '../shared/abi';

export const ISSUER_BREAKER_INTERFACE = new Interface(ISSUER_ABI);

export interface BreakerDeps {
  /** Relayer of the operator key (OPERATOR_ROLE on the Issuer). */
  readonly relayer: RelayerPort;
  readonly records: Pick<ReserveRecords, 'breaker' | 'putBreaker'>;
  readonly issuer: string;
}

async function send(relayer: RelayerPort, key: string, issuer: string, index: string, paused: boolean): Promise<string> {
  return (await sendAndWait(relayer, { key, to: issuer, data: ISSUER_BREAKER_INTERFACE.encodeFunctionData('setMintPaused', [index, paused]) })).txHash;
}

/**
 * Trips the mint breaker of one index: pauses its minting on the Issuer (redeems keep working)
 * through the operator relayer, once per (index, day), and records the state in the ops table.
 */
export async function tripBreaker(deps: BreakerDeps, trip: { symbol: string; index: string; day: string; deficitAssets: readonly string[] }): Promise<BreakerState> {
  const txHash = await send(deps.relayer, `breaker:trip:${trip.symbol}:${trip.day}`, deps.issuer, trip.index, true);
  const state: BreakerState = { symbol: trip.symbol, index: trip.index, state: 'tripped', day: trip.day, deficitAssets: [...trip.deficitAssets], trippedAt: new Date().toISOString(), txHash };
  await deps.records.putBreaker(state);
  return state;
}

/**
 * Operator action: resumes minting of an index whose breaker tripped and records who cleared it.
 * The relayer key is unique per clearing (`breaker:clear:<symbol>:<trippedAt>`), so a retry does not send twice.
 */
export async function clearBreaker(deps: BreakerDeps, clear: { symbol: string; index: string; operator: string }): Promise<BreakerState> {
  const current = await deps.records.breaker(clear.symbol);
  const txHash = await send(deps.relayer, `breaker:clear:${clear.symbol}:${current?.trippedAt ?? 'manual'}`, deps.issuer, clear.index, false);
  const state: BreakerState = { ...(current ?? { symbol: clear.symbol, index: clear.index }), state: 'cleared', clearedAt: new Date().toISOString(), clearedBy: clear.operator, txHash };
  await deps.records.putBreaker(state);
  return state;
}
