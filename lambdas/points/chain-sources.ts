import { AbiCoder, Contract, Interface, getAddress, type Provider } from 'ethers';
import { mapConcurrent } from '../shared/concurrency';
import { bytecode as LENS_BYTECODE } from '../../artifacts/contracts/points/PositionsLens.sol/PositionsLens.json';
import type { DeploymentConfig } from '../shared/config';
import type { Day } from '../domain/points/calendar';
import { parseFixed } from '../domain/points/decimal';
import type { AccountPositions, PositionLine, Prices, TokenPrice } from '../domain/points/rules';
import type { SnapshotSources } from './snapshot';
import { ASSET_LOCKING_ABI, ERC20_ABI, INDEX_TOKEN_ABI } from '../shared/abi';

/*
 * The snapshot's view of the chain. Every address that ever received an index token, an sToken
 * or sSOSO (Transfer logs) or locked a token (AssetLocking Locked logs) is a holder candidate; the
 * positions of a shard's holders are then read at the day's pinned block in a few `eth_call`s of
 * the never-deployed PositionsLens (contracts/points), `LENS_ACCOUNTS` accounts a call: index
 * tokens held, staked (sToken.balanceOf), in cooldown (sToken.coolingBalanceOf), locked
 * (AssetLocking.lockedOf per lockable token), staked $SOSO (sSOSO.balanceOf). NAV per index token
 * = its tokenset at the pinned block x the day's reference prices.
 */

/** Accounts per PositionsLens call: about 12 reads each, well inside a 30M-gas call. */
export const LENS_ACCOUNTS = 200;

const ERC20 = new Interface(ERC20_ABI);
const LENS_ARGS = AbiCoder.defaultAbiCoder();
const LOCKING = new Interface(ASSET_LOCKING_ABI);
const ZERO = '0x0000000000000000000000000000000000000000';

/** USD reference prices of assets by market symbol for a day (configured prices, then the reference-price source). */
export interface ReferencePrices {
  usd(symbol: string, day: Day): number | undefined;
}

/**
 * Configured prices first (e.g. $SOSO, which no price document lists), then the latest prices of
 * the function's reference-price source (the same on every day: the snapshot values today's holdings).
 */
export function referencePrices(configured: Readonly<Record<string, number>>, latest?: { priceOf(symbol: string): { priceUsd: number } | undefined }): ReferencePrices {
  return {
    usd: (symbol) => configured[symbol] ?? latest?.priceOf(symbol)?.priceUsd,
  };
}

/** atto-USD from a USD number (12 decimals kept: more than any price source carries). */
export function attoUsd(usd: number): bigint {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`not a price: ${usd}`);
  return parseFixed(usd.toFixed(12), 18, 'price');
}

export interface ChainSourcesOptions {
  readonly provider: Provider;
  readonly deployment: Pick<DeploymentConfig, 'contracts' | 'tokens' | 'indexes' | 'custodianAssets'>;
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

export class ChainSnapshotSources implements SnapshotSources {
  private readonly pinned = new Map<Day, Promise<number>>();
  private readonly chunk: number;
  private readonly concurrency: number;

  constructor(private readonly options: ChainSourcesOptions) {
    this.chunk = options.logChunk ?? 10_000;
    this.concurrency = options.concurrency ?? 16;
  }

  /** The block the day is read at (asked once per day and instance, so positions and prices agree). */
  block(day: Day): Promise<number> {
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

  /** Holder candidates from the logs up to the block; contracts holding tokens for users (the locking contract, sTokens) are not users. */
  async holders(_day: Day, block: number): Promise<string[]> {
    const { deployment } = this.options;
    const candidates = new Set<string>();
    for (const index of stakedIndexes(deployment)) {
      for (const token of [index.token, index.sToken]) if (token) for (const a of await this.receivers(token, block)) candidates.add(a);
    }
    if (deployment.contracts.sSoso) for (const a of await this.receivers(deployment.contracts.sSoso, block)) candidates.add(a);
    const locking = deployment.contracts.assetLocking;
    if (locking) {
      for (const log of await this.logs(locking, [LOCKING.getEvent('Locked')!.topicHash], block)) candidates.add(getAddress(`0x${log.topics[1]!.slice(26)}`));
    }
    for (const contract of Object.values(deployment.contracts)) candidates.delete(getAddress(contract));
    return [...candidates].sort();
  }

  /** Positions of `addresses` at the block, `LENS_ACCOUNTS` a call, `concurrency` calls at once; addresses without any position are left out. */
  async positions(_day: Day, block: number, addresses: readonly string[]): Promise<AccountPositions[]> {
    const { provider, deployment } = this.options;
    const indexes = stakedIndexes(deployment);
    const locking = deployment.contracts.assetLocking;
    const lockable = locking ? ((await new Contract(locking, ASSET_LOCKING_ABI, provider).getFunction('lockableTokens')({ blockTag: block })) as string[]).map((t) => getAddress(t)) : [];
    const chunks: string[][] = [];
    for (let i = 0; i < addresses.length; i += LENS_ACCOUNTS) chunks.push(addresses.slice(i, i + LENS_ACCOUNTS).map((a) => getAddress(a)));
    const width = indexes.length * 3 + lockable.length + 1;
    const read = await mapConcurrent(chunks, this.concurrency, async (accounts) => {
      const args = LENS_ARGS.encode(
        ['address[]', 'address[]', 'address[]', 'address', 'address[]', 'address'],
        [accounts, indexes.map((x) => x.token), indexes.map((x) => x.sToken ?? ZERO), locking ?? ZERO, lockable, deployment.contracts.sSoso ?? ZERO],
      );
      const reply = await provider.call({ data: LENS_BYTECODE + args.slice(2), blockTag: block });
      const [readings] = LENS_ARGS.decode(['uint256[]'], reply) as unknown as [bigint[]];
      if (readings.length !== accounts.length * width) throw new Error(`PositionsLens returned ${readings.length} readings for ${accounts.length} accounts of ${width}`);
      return accounts.map((address, a): AccountPositions => {
        let at = a * width;
        const lines: PositionLine[] = [];
        for (const index of indexes) {
          const [held, staked, cooling] = [readings[at++]!, readings[at++]!, readings[at++]!];
          if (held > 0n) lines.push({ kind: 'hold', token: index.symbol, amount: held });
          if (staked > 0n) lines.push({ kind: 'stake', token: index.symbol, amount: staked });
          if (cooling > 0n) lines.push({ kind: 'cooldown', token: index.symbol, amount: cooling });
        }
        for (const token of lockable) {
          const locked = readings[at++]!;
          if (locked > 0n) lines.push({ kind: 'lock', token: this.priceKeyOf(token), amount: locked });
        }
        return { address: address.toLowerCase(), lines, sosoStaked: readings[at]! };
      });
    });
    return read.flat().filter((a) => a.lines.length > 0 || a.sosoStaked > 0n);
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
  async prices(day: Day, blockTag: number): Promise<Prices> {
    const { provider, deployment, prices } = this.options;
    // Custodian assets are named in baskets by their placeholders and priced by their symbols.
    const priced = [...Object.entries(deployment.tokens), ...Object.entries(deployment.custodianAssets ?? {})];
    const bySymbolAddress = new Map(priced.map(([symbol, t]) => [t.address.toLowerCase(), { symbol, decimals: t.decimals }]));
    const out = new Map<string, TokenPrice>();
    for (const index of stakedIndexes(deployment)) {
      const [assets, units] = (await new Contract(index.token, INDEX_TOKEN_ABI, provider).getFunction('tokenset')({ blockTag })) as [string[], bigint[]];
      let nav = 0n;
      assets.forEach((asset, i) => {
        const meta = bySymbolAddress.get(asset.toLowerCase());
        if (!meta) throw new RangeError(`${index.symbol} holds ${asset}, which the deployment does not list`);
        const usd = prices.usd(meta.symbol, day);
        if (usd === undefined) throw new RangeError(`no ${day} price for ${meta.symbol} (in ${index.symbol})`);
        nav += (units[i]! * attoUsd(usd)) / 10n ** BigInt(meta.decimals);
      });
      out.set(index.symbol, { usd: nav, decimals: 18, index: true });
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
