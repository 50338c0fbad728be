import type { Provider } from 'ethers';
import type { DeploymentConfig } from '../shared/config';
import { Unavailable } from '../shared/errors';

export interface ProtocolInfo {
  chainId: number;
  blockNumber: number;
  contracts: Record<string, string>;
  tokens: Record<string, { address: string; decimals: number }>;
  indexes: Record<string, string>;
  /** Custodian assets by symbol: their native chain and the basket placeholder standing for them (when custody is deployed). */
  custodianAssets?: Record<string, { chain: string; assetId: string; address: string; decimals: number }>;
  /** Signer addresses: the operator, and the reserve-report key auditors check report signatures against. */
  signers: { operator: string; reserve?: string };
}

/** What a client needs to talk to the protocol: chain, head, contract addresses, operator signer. */
export async function protocolInfo(deps: {
  provider: Provider;
  deployment: DeploymentConfig;
  operatorAddress: () => Promise<string>;
  reserveAddress?: () => Promise<string>;
}): Promise<ProtocolInfo> {
  let blockNumber: number;
  try {
    blockNumber = await deps.provider.getBlockNumber();
  } catch (error) {
    throw new Unavailable('the chain RPC is not answering', 'chain_unavailable', error);
  }
  return {
    chainId: deps.deployment.chainId,
    blockNumber,
    contracts: deps.deployment.contracts,
    tokens: deps.deployment.tokens,
    indexes: deps.deployment.indexes,
    ...(deps.deployment.custodianAssets ? { custodianAssets: deps.deployment.custodianAssets } : {}),
    signers: { operator: await deps.operatorAddress(), ...(deps.reserveAddress ? { reserve: await deps.reserveAddress() } : {}) },
  };
}
