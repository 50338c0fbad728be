import { parseUnits } from 'ethers';
import type { KeyRole } from '../../topology';
import { dynamo, kms } from '../shared/aws';
import { chainProvider } from '../shared/chain';
import { keyId, loadSettings, tableName } from '../shared/config';
import { RELAYER_SETTINGS } from '../../topology/settings';
import { KmsSigner } from '../signing/kms-signer';
import { Relayer } from './relayer';
import { RelayerStore } from './store';

export { Relayer, RelayerTimeout, ChainUnavailable, type RelayRequest, type RelayerOptions, type TickReport } from './relayer';
export { RelayerStore, isTerminal, type ActionRecord, type ActionStatus, type Attempt, type Failure } from './store';

/** Relayer settings a function may set; all have defaults. */

/** The relayer's fee policy from a function's settings: always with a maxFeePerGas ceiling. */
export function relayerFeePolicy(env: NodeJS.ProcessEnv = process.env): { maxFeePerGasCap: bigint } {
  return { maxFeePerGasCap: parseUnits(loadSettings(['RELAYER_MAX_FEE_GWEI'], env).RELAYER_MAX_FEE_GWEI, 'gwei') };
}

const relayers = new Map<KeyRole, Relayer>();

/**
 * The relayer of one role's KMS key, made once per container from the function's configuration
 * (SSI_RPC_URL, SSI_CHAIN_ID, KMS_KEY_<ROLE>, TABLE_RELAYER_ACTIONS, TABLE_RELAYER_NONCES). The
 * function must declare the key and both relayer tables (write) in topology/index.ts.
 */
export function relayerFor(role: KeyRole, env: NodeJS.ProcessEnv = process.env): Relayer {
  let relayer = relayers.get(role);
  if (!relayer) {
    const config = loadSettings(RELAYER_SETTINGS, env);
    relayer = new Relayer({
      signer: new KmsSigner(kms(), keyId(role, env)),
      provider: chainProvider(config.SSI_RPC_URL, config.SSI_CHAIN_ID),
      chainId: config.SSI_CHAIN_ID,
      store: new RelayerStore(dynamo(), { actions: tableName('relayer-actions', env), nonces: tableName('relayer-nonces', env) }),
      confirmations: config.RELAYER_CONFIRMATIONS,
      stuckAfterMs: config.RELAYER_STUCK_AFTER_SECONDS * 1000,
      fees: relayerFeePolicy(env),
    });
    relayers.set(role, relayer);
  }
  return relayer;
}
