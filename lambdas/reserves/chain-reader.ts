import { Contract, Interface, ZeroAddress, getAddress, isError, type Provider } from 'ethers';
import type { ChainSnapshot, IndexSnapshot } from './report';
import { CUSTODY_VAULT_ABI, INDEX_TOKEN_ABI } from '../shared/abi';

export const TOKEN_INTERFACE = new Interface(INDEX_TOKEN_ABI);

/**
 * Reads an index's accrued fee basket at `blockTag`, at the positions of `assets`; undefined when
 * the token has none. Pluggable so the management-fee work can swap in its own getter.
 */
export type FeeBasketReader = (provider: Provider, index: string, assets: readonly string[], blockTag: number) => Promise<bigint[] | undefined>;

/**
 * Default fee-basket reader: `feeBasket() returns (address[], uint256[])` when the token has it.
 * A token without the function reverts with empty data: no fee basket (zeros). Any other failure throws.
 */
export const feeBasketGetter: FeeBasketReader = async (provider, index, assets, blockTag) => {
  const token = new Contract(index, INDEX_TOKEN_ABI, provider);
  let result: [string[], bigint[]];
  try {
    result = (await token.getFunction('feeBasket').staticCall({ blockTag })) as unknown as [string[], bigint[]];
  } catch (error) {
    if (isError(error, 'CALL_EXCEPTION') && (error.data === '0x' || error.data === null || error.data === undefined)) return undefined;
    if (isError(error, 'BAD_DATA')) return undefined;
    throw error;
  }
  const byAsset = new Map(result[0].map((a, i) => [getAddress(a), result[1][i]!]));
  return assets.map((a) => byAsset.get(getAddress(a)) ?? 0n);
};

export interface ReaderOptions {
  /** First block to scan Transfer logs from (the token's deploy block; default 0). */
  readonly fromBlock?: number;
  /** Blocks per eth_getLogs call (default 50,000). */
  readonly logChunk?: number;
  readonly feeBasket?: FeeBasketReader;
}

/**
 * Non-zero balances of every holder of `token` at `toBlock`, rebuilt from its Transfer logs (mints
 * are from the zero address, burns to it). One pass over the logs instead of one balanceOf per holder.
 */
export async function holdersFromLogs(provider: Provider, token: string, toBlock: number, options: ReaderOptions = {}): Promise<Array<{ holder: string; balance: bigint }>> {
  const topic = TOKEN_INTERFACE.getEvent('Transfer')!.topicHash;
  const chunk = options.logChunk ?? 50_000;
  const balances = new Map<string, bigint>();
  for (let from = options.fromBlock ?? 0; from <= toBlock; from += chunk) {
    const logs = await provider.getLogs({ address: token, topics: [topic], fromBlock: from, toBlock: Math.min(toBlock, from + chunk - 1) });
    for (const log of logs) {
      const parsed = TOKEN_INTERFACE.parseLog(log);
      if (!parsed) continue;
      const [src, dst, value] = parsed.args as unknown as [string, string, bigint];
      if (src !== ZeroAddress) balances.set(src, (balances.get(src) ?? 0n) - value);
      if (dst !== ZeroAddress) balances.set(dst, (balances.get(dst) ?? 0n) + value);
    }
  }
  return [...balances].filter(([, b]) => b !== 0n).map(([holder, balance]) => ({ holder: getAddress(holder), balance }));
}

/** Reads one index at `blockTag`. */
export async function readIndex(provider: Provider, symbol: string, address: string, blockTag: number, options: ReaderOptions = {}): Promise<IndexSnapshot> {
  const token = new Contract(address, INDEX_TOKEN_ABI, provider);
  const [tokenset, base, basket, totalSupply, holders] = await Promise.all([
    token.getFunction('tokenset').staticCall({ blockTag }) as Promise<[string[], bigint[]]>,
    token.getFunction('baseTokenset').staticCall({ blockTag }) as Promise<[string[], bigint[], bigint]>,
    token.getFunction('basket').staticCall({ blockTag }) as Promise<[string[], bigint[]]>,
    token.getFunction('totalSupply').staticCall({ blockTag }) as Promise<bigint>,
    holdersFromLogs(provider, address, blockTag, options),
  ]);
  const assets = tokenset[0].map((a) => getAddress(a));
  const feeBasket = (await (options.feeBasket ?? feeBasketGetter)(provider, address, assets, blockTag)) ?? assets.map(() => 0n);
  return {
    symbol,
    address: getAddress(address),
    assets,
    unitAmounts: [...tokenset[1]],
    baseTokenset: { unitAmounts: [...base[1]], feeFactor: base[2] },
    totalSupply,
    basket: [...basket[1]],
    feeBasket,
    holders,
  };
}

/** Every index and the vault's balance of every asset they hold, all at `blockNumber`. */
export async function readChainSnapshot(
  provider: Provider,
  params: {
    chainId: number;
    blockNumber: number;
    custody: string;
    registry: string;
    indexes: Record<string, string>;
    /** Basket placeholders of custodian assets: held off chain, so the vault is not asked for them. */
    custodianAssets?: ReadonlySet<string>;
  },
  options: ReaderOptions = {},
): Promise<ChainSnapshot> {
  const block = await provider.getBlock(params.blockNumber);
  if (!block?.hash) throw new Error(`block ${params.blockNumber} not found`);
  const indexes: IndexSnapshot[] = [];
  for (const [symbol, address] of Object.entries(params.indexes).sort(([a], [b]) => (a < b ? -1 : 1))) {
    indexes.push(await readIndex(provider, symbol, address, params.blockNumber, options));
  }
  const allAssets = [...new Set(indexes.flatMap((i) => i.assets))].filter((a) => !params.custodianAssets?.has(getAddress(a))).sort();
  const vault = new Contract(params.custody, CUSTODY_VAULT_ABI, provider);
  const balances = allAssets.length ? ((await vault.getFunction('balancesOf').staticCall(allAssets, { blockTag: params.blockNumber })) as bigint[]) : [];
  return {
    chainId: params.chainId,
    blockNumber: block.number,
    blockHash: block.hash,
    blockTimestamp: block.timestamp,
    custody: getAddress(params.custody),
    registry: getAddress(params.registry),
    indexes,
    custodyBalances: new Map(allAssets.map((a, i) => [a, balances[i]!])),
  };
}
