import { Contract, Interface, getAddress, type Provider } from 'ethers';
import type { DeploymentConfig } from '../shared/config';
import type { Day } from '../domain/points/calendar';
import { parseFixed } from '../domain/points/decimal';
import type { AccountPositions, PositionLine, Prices, TokenPrice } from '../domain/points/rules';
import type { PriceSource } from '../domain/market/priceSource';
import type { SnapshotSources } from './snapshot';

/*
 * The snapshot's view of the chain. Every address that ever received an index token, an sToken
 * or sSOSO (Transfer logs) or locked a token (AssetLocking Locked logs) is a candidate; its
 * positions are then read at one pinned block: index tokens held (balanceOf), staked
 * (sToken.balanceOf, valued at the index NAV), in cooldown (sToken.coolingBalanceOf), locked
 * (AssetLocking.lockedOf per lockable token), staked $SOSO (sSOSO.balanceOf). NAV per index token
 * = its tokenset at the pinned block x the day's reference prices.
 */

const ERC20_ABI = ['event Transfer(address indexed from, address indexed to, uint256 value)', 'function balanceOf(address) view returns (uint256)'];
const STAKE_ABI = [...ERC20_ABI, 'function coolingBalanceOf(address) view returns (uint256)', 'function cooldownsOf(address) view returns ((uint256 id, uint256 amount, uint64 endsAt)[])'];
const INDEX_ABI = [...ERC20_ABI, 'function tokenset() view returns (address[] assets, uint256[] unitAmounts)'];
const LOCKING_ABI = [
  'event Locked(address indexed user, address indexed token, uint256 indexed epoch, uint256 amount, uint256 userLocked, uint256 totalLocked)',
  'function lockedOf(address user, address token) view returns (uint256)',
  'function lockableTokens() view returns (address[])',
];
const ERC20 = new Interface(ERC20_ABI);
const LOCKING = new Interface(LOCKING_ABI);
const ZERO = '0x0000000000000000000000000000000000000000';

/** USD reference prices of assets by market symbol for a day (e.g. replayed market data, or configured prices). */
export interface ReferencePrices {
  usd(symbol: string, day: Day): number | undefined;
}

/** Configured prices first (e.g. $SOSO, which no market file lists), then the market-data price source. */
export function referencePrices(configured: Readonly<Record<string, number>>, market?: PriceSource): ReferencePrices {
  return {
    usd: (symbol, day) => configured[symbol] ?? market?.priceAt(symbol, day)?.priceUsd,
  };
}

/** atto-USD from a USD number (12 decimals kept: more than any price source carries). */
export function attoUsd(usd: number): bigint {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`not a price: ${usd}`);
  return parseFixed(usd.toFixed(12), 18, 'price');
}

export interface ChainSourcesOptions {
  readonly provider: Provider;
  readonly deployment: Pick<DeploymentConfig, 'contracts' | 'tokens' | 'indexes'>;
  readonly prices: ReferencePrices;
  /** Price key of $SOSO in the points rules and in `prices`. */
  readonly sosoSymbol: string;
  /** The block a day is read at; default the latest block when the snapshot runs. */
  readonly pinBlock?: (day: Day) => Promise<number>;
  /** Blocks per eth_getLogs request. */
  readonly logChunk?: number;
  /** Parallel eth_call reads. */
  readonly concurrency?: number;
}

/** The index tokens with their sTokens, as the deployment records them (`s<symbol>`). */
export function stakedIndexes(deployment: ChainSourcesOptions['deployment']): Array<{ symbol: string; token: string; sToken?: string }> {
  return Object.entries(deployment.indexes).map(([symbol, token]) => ({ symbol, token, sToken: deployment.contracts[`s${symbol}`] }));
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class ChainSnapshotSources implements SnapshotSources {
  private readonly pinned = new Map<Day, Promise<number>>();
  private readonly chunk: number;
  private readonly concurrency: number;

  constructor(private readonly options: ChainSourcesOptions) {
    this.chunk = options.logChunk ?? 10_000;
    this.concurrency = options.concurrency ?? 16;
  }

  /** The block the day is read at (asked once per day and instance, so positions and prices agree). */
  blockOf(day: Day): Promise<number> {
    let block = this.pinned.get(day);
    if (!block) {
      block = this.options.pinBlock ? this.options.pinBlock(day) : this.options.provider.getBlockNumber();
      this.pinned.set(day, block);
    }
    return block;
  }

  private async logs(address: string, topics: Array<string | null>, toBlock: number) {
    const found = [];
    for (let from = 0; from <= toBlock; from += this.chunk) {
      found.push(...(await this.options.provider.getLogs({ address, topics, fromBlock: from, toBlock: Math.min(toBlock, from + this.chunk - 1) })));
    }
    return found;
  }

  /** Every address that ever received `token` up to the block. */
  private async receivers(token: string, block: number): Promise<Set<string>> {
    const transfer = ERC20.getEvent('Transfer')!.topicHash;
    const out = new Set<string>();
    for (const log of await this.logs(token, [transfer], block)) {
      const to = getAddress(`0x${log.topics[2]!.slice(26)}`);
      if (to !== ZERO) out.add(to);
    }
    return out;
  }

  async positions(day: Day): Promise<AccountPositions[]> {
    const { provider, deployment } = this.options;
    const blockTag = await this.blockOf(day);
    const indexes = stakedIndexes(deployment);
    const sSoso = deployment.contracts.sSoso;
    const locking = deployment.contracts.assetLocking ? new Contract(deployment.contracts.assetLocking, LOCKING_ABI, provider) : undefined;

    const candidates = new Set<string>();
    const lockers = new Set<string>();
    for (const index of indexes) {
      for (const token of [index.token, index.sToken]) if (token) for (const a of await this.receivers(token, blockTag)) candidates.add(a);
    }
    if (sSoso) for (const a of await this.receivers(sSoso, blockTag)) candidates.add(a);
    let lockable: string[] = [];
    if (locking) {
      lockable = ((await locking.getFunction('lockableTokens')({ blockTag })) as string[]).map((t) => getAddress(t));
      for (const log of await this.logs(await locking.getAddress(), [LOCKING.getEvent('Locked')!.topicHash], blockTag)) {
        const user = getAddress(`0x${log.topics[1]!.slice(26)}`);
        lockers.add(user);
        candidates.add(user);
      }
    }
    // Contracts holding tokens for users (the locking contract, sTokens holding the staked index tokens) are not users.
    for (const contract of Object.values(deployment.contracts)) candidates.delete(getAddress(contract));

    const accounts = await pool([...candidates].sort(), this.concurrency, (address) => this.account(address, blockTag, { lockable: lockers.has(address) ? lockable : [] }));
    return accounts.filter((a) => a.lines.length > 0 || a.sosoStaked > 0n);
  }

  /** One address's positions at a block; `lockable` lists the AssetLocking tokens to read (default: all of them). */
  async account(address: string, blockTag: number | 'latest', options: { lockable?: readonly string[] } = {}): Promise<AccountPositions> {
    const { provider, deployment } = this.options;
    const lines: PositionLine[] = [];
    for (const index of stakedIndexes(deployment)) {
      const token = new Contract(index.token, ERC20_ABI, provider);
      const sToken = index.sToken ? new Contract(index.sToken, STAKE_ABI, provider) : undefined;
      const [held, staked, cooling] = await Promise.all([
        token.getFunction('balanceOf')(address, { blockTag }) as Promise<bigint>,
        (sToken?.getFunction('balanceOf')(address, { blockTag }) as Promise<bigint> | undefined) ?? 0n,
        (sToken?.getFunction('coolingBalanceOf')(address, { blockTag }) as Promise<bigint> | undefined) ?? 0n,
      ]);
      if (held > 0n) lines.push({ kind: 'hold', token: index.symbol, amount: held });
      if (staked > 0n) lines.push({ kind: 'stake', token: index.symbol, amount: staked });
      if (cooling > 0n) lines.push({ kind: 'cooldown', token: index.symbol, amount: cooling });
    }
    const lockingAddress = deployment.contracts.assetLocking;
    if (lockingAddress) {
      const locking = new Contract(lockingAddress, LOCKING_ABI, provider);
      const tokens = options.lockable ?? ((await locking.getFunction('lockableTokens')({ blockTag })) as string[]);
      for (const token of tokens) {
        const locked = (await locking.getFunction('lockedOf')(address, token, { blockTag })) as bigint;
        if (locked > 0n) lines.push({ kind: 'lock', token: this.priceKeyOf(token), amount: locked });
      }
    }
    const sSoso = deployment.contracts.sSoso;
    const sosoStaked = sSoso ? ((await new Contract(sSoso, STAKE_ABI, provider).getFunction('balanceOf')(address, { blockTag })) as bigint) : 0n;
    return { address: address.toLowerCase(), lines, sosoStaked };
  }

  /** Price key of a token address: the index symbol, the asset symbol, or the address itself. */
  private priceKeyOf(token: string): string {
    const { deployment } = this.options;
    const lower = token.toLowerCase();
    const index = Object.entries(deployment.indexes).find(([, a]) => a.toLowerCase() === lower);
    if (index) return index[0];
    const asset = Object.entries(deployment.tokens).find(([, t]) => t.address.toLowerCase() === lower);
    return asset ? asset[0] : lower;
  }

  /** NAV of each index (tokenset at the pinned block x reference prices), $SOSO and priceable locked tokens. */
  async prices(day: Day): Promise<Prices> {
    const { provider, deployment, prices } = this.options;
    const blockTag = await this.blockOf(day);
    const bySymbolAddress = new Map(Object.entries(deployment.tokens).map(([symbol, t]) => [t.address.toLowerCase(), { symbol, decimals: t.decimals }]));
    const out = new Map<string, TokenPrice>();
    for (const index of stakedIndexes(deployment)) {
      const [assets, units] = (await new Contract(index.token, INDEX_ABI, provider).getFunction('tokenset')({ blockTag })) as [string[], bigint[]];
      let nav = 0n;
      assets.forEach((asset, i) => {
        const meta = bySymbolAddress.get(asset.toLowerCase());
        if (!meta) throw new RangeError(`${index.symbol} holds ${asset}, which the deployment does not list`);
        const usd = prices.usd(meta.symbol, day);
        if (usd === undefined) throw new RangeError(`no ${day} price for ${meta.symbol} (in ${index.symbol})`);
        nav += (units[i]! * attoUsd(usd)) / 10n ** BigInt(meta.decimals);
      });
      out.set(index.symbol, { usd: nav, decimals: 18 });
    }
    const soso = prices.usd(this.options.sosoSymbol, day);
    if (soso === undefined) throw new RangeError(`no ${day} price for ${this.options.sosoSymbol}: configure it`);
    out.set(this.options.sosoSymbol, { usd: attoUsd(soso), decimals: 18 });
    for (const [symbol, token] of Object.entries(deployment.tokens)) {
      const usd = prices.usd(symbol, day);
      if (usd !== undefined && !out.has(symbol)) out.set(symbol, { usd: attoUsd(usd), decimals: token.decimals });
    }
    return out;
  }
}
