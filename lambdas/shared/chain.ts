import { JsonRpcProvider, Network, type Provider } from 'ethers';

const providers = new Map<string, JsonRpcProvider>();

/**
 * One JSON-RPC provider per URL and container. The network is fixed from configuration so the
 * provider never spends a round trip detecting it, and a wrong chain is caught by callers that
 * compare chain ids instead of silently following whatever the node says.
 */
export function chainProvider(rpcUrl: string, chainId: number): JsonRpcProvider {
  const key = `${rpcUrl}#${chainId}`;
  let provider = providers.get(key);
  if (!provider) {
    provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1 });
    providers.set(key, provider);
  }
  return provider;
}

/** The latest block's timestamp: the time contracts compare deadlines against, not this machine's clock. */
export async function chainTime(provider: Provider): Promise<bigint> {
  const block = await provider.getBlock('latest');
  if (!block) throw new Error('the chain returned no latest block');
  return BigInt(block.timestamp);
}
