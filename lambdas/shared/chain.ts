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

/**
 * The first block whose timestamp is at least `timestamp` (the block after the head when none is), found by
 * bisection over block timestamps, which never fall: about log2(height) block reads instead of a scan from genesis.
 */
export async function firstBlockSince(provider: Provider, timestamp: bigint): Promise<number> {
  const timeOf = async (number: number): Promise<bigint> => {
    const block = await provider.getBlock(number);
    if (!block) throw new Error(`the chain returned no block ${number}`);
    return BigInt(block.timestamp);
  };
  let low = 0;
  let high = await provider.getBlockNumber();
  if ((await timeOf(high)) < timestamp) return high + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((await timeOf(middle)) < timestamp) low = middle + 1;
    else high = middle;
  }
  return low;
}
