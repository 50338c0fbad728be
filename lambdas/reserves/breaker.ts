import { Interface } from 'ethers';
import { sendAndWait, type RelayerPort } from '../relayer/port';
import type { BreakerState, ReserveRecords } from './store';
import { ISSUER_ABI } from '../shared/abi';

export const ISSUER_BREAKER_INTERFACE = new Interface(ISSUER_ABI);

/** AttestedIssuer's per-index allow list: the breaker of attested (custodian-asset) mints. */
const ATTESTED_BREAKER_INTERFACE = new Interface(['function setIndex(address index, bool allowed)']);

export interface BreakerDeps {
  /** Relayer of the operator key (OPERATOR_ROLE on the Issuer). */
  readonly relayer: RelayerPort;
  readonly records: Pick<ReserveRecords, 'breaker' | 'putBreaker'>;
  readonly issuer: string;
  /** The AttestedIssuer (operator key holds its OPERATOR_ROLE): a tripped index also stops minting there. */
  readonly attestedIssuer?: string;
}

async function send(relayer: RelayerPort, key: string, to: string, data: string): Promise<string> {
  return (await sendAndWait(relayer, { key, to, data })).txHash;
}

/**
 * Trips the mint breaker of one index: pauses its minting on the Issuer (redeems keep working) and,
 * when `attestedIssuer` is given, takes the index off the AttestedIssuer's allow list (refunds keep working),
 * through the operator relayer, once per (index, day), and records the state in the ops table.
 */
export async function tripBreaker(deps: BreakerDeps, trip: { symbol: string; index: string; day: string; deficitAssets: readonly string[] }): Promise<BreakerState> {
  const txHash = await send(deps.relayer, `breaker:trip:${trip.symbol}:${trip.day}`, deps.issuer, ISSUER_BREAKER_INTERFACE.encodeFunctionData('setMintPaused', [trip.index, true]));
  if (deps.attestedIssuer) {
    await send(deps.relayer, `breaker:trip-attested:${trip.symbol}:${trip.day}`, deps.attestedIssuer, ATTESTED_BREAKER_INTERFACE.encodeFunctionData('setIndex', [trip.index, false]));
  }
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
  const txHash = await send(deps.relayer, `breaker:clear:${clear.symbol}:${current?.trippedAt ?? 'manual'}`, deps.issuer, ISSUER_BREAKER_INTERFACE.encodeFunctionData('setMintPaused', [clear.index, false]));
  if (deps.attestedIssuer) {
    await send(deps.relayer, `breaker:clear-attested:${clear.symbol}:${current?.trippedAt ?? 'manual'}`, deps.attestedIssuer, ATTESTED_BREAKER_INTERFACE.encodeFunctionData('setIndex', [clear.index, true]));
  }
  const state: BreakerState = { ...(current ?? { symbol: clear.symbol, index: clear.index }), state: 'cleared', clearedAt: new Date().toISOString(), clearedBy: clear.operator, txHash };
  await deps.records.putBreaker(state);
  return state;
}
