/**
 * What the quote API knows about the indexes on chain, cached per container so a quote costs no
 * RPC call in the steady state. The tokenset, the issuance settings and the rebalancing flag only
 * change at a rebalance or by an operator, and the Issuer refuses an order whose legs or fee no
 * longer match, so a few seconds of staleness can cost a WLP a failed submission, never money.
 * Entries are refreshed in the background once older than `freshMs` and read again before use
 * once older than `maxAgeMs`; concurrent misses share one read.
 */
import { Contract, type Provider } from 'ethers';
import type { Tokenset } from '../domain/orders';
import { effectiveUnitAmounts } from '../domain/fees';
import type { AssetInfo } from '../domain/quotes/nav';
import { checksum, isHexAddress } from '../domain/address';
import { ATTESTED_ISSUER_ABI, ERC20_ABI, INDEX_TOKEN_ABI, ISSUER_ABI, interfaceOf } from '../shared/abi';

/** Issuance settings, as `Issuer.indexConfig` returns them. */
export interface IssuanceConfig {
  minAmount: bigint;
  maxAmount: bigint;
  feeVault: string;
  issueFeeBps: number;
  redeemFeeBps: number;
  requestTimeout: number;
}

/** One index as read from chain. */
export interface IndexState {
  address: string;
  symbol: string;
  name: string;
  /** Effective tokenset (after the management fee) when read: what one token holds, for NAV. */
  tokenset: Tokenset;
  /**
   * The tokenset before the fee, the fee factor when read and the fee rate: order legs are
   * bounds on base x factor at settlement, and the factor only falls, so quotes project it.
   */
  fee: { base: Tokenset; ratePpm: bigint; readAt: bigint };
  /**
   * The chain's clock against ours when read: block time minus wall time, in seconds. Deadlines
   * are judged by block time, which on a local chain runs ahead (a block per transaction, each a
   * second later) and on a real one lags by up to a block.
   */
  chainClockOffsetSeconds: number;
  config: IssuanceConfig;
  rebalancing: boolean;
  totalSupply: bigint;
  /**
   * The AttestedIssuer, when it allows the index: its custodian legs settle by attestation, priced by a
   * PMM's attested quote rather than a signed order (docs/custody.md).
   */
  attestedIssuer?: string;
}

/** The chain reads the catalog needs; `ethersChainReader` is the real one, tests pass fakes. */
export interface ChainReader {
  readIndex(address: string): Promise<IndexState>;
  readAsset(address: string): Promise<AssetInfo>;
  isMaker(address: string): Promise<boolean>;
}


/** Reads through ethers; one call per value, all of an index's in parallel. Without `attestedIssuerAddress` no index is attested. */
export function ethersChainReader(provider: Provider, issuerAddress: string, attestedIssuerAddress?: string): ChainReader {
  const issuer = new Contract(issuerAddress, interfaceOf(ISSUER_ABI), provider);
  const attestedIssuer = attestedIssuerAddress ? new Contract(attestedIssuerAddress, interfaceOf(ATTESTED_ISSUER_ABI), provider) : undefined;
  let makerRole: Promise<string> | undefined;
  return {
    async readIndex(address) {
      const token = new Contract(address, interfaceOf(INDEX_TOKEN_ABI), provider);
      const wallSeconds = Math.floor(Date.now() / 1000);
      const [head, base, feeState, config, rebalancing, totalSupply, name, symbol, attested] = await Promise.all([
        provider.getBlock('latest'),
        token.baseTokenset() as Promise<[string[], bigint[], bigint]>,
        token.feeState() as Promise<[bigint, bigint, bigint, bigint]>,
        issuer.indexConfig(address) as Promise<[bigint, bigint, string, bigint, bigint, bigint]>,
        issuer.isRebalancing(address) as Promise<boolean>,
        token.totalSupply() as Promise<bigint>,
        token.name() as Promise<string>,
        token.symbol() as Promise<string>,
        (attestedIssuer ? attestedIssuer.isIndexAllowed(address) : false) as Promise<boolean>,
      ]);
      return {
        address: checksum(address),
        symbol,
        name,
        tokenset: { assets: base[0].map((a) => checksum(a)), unitAmounts: effectiveUnitAmounts([...base[1]], base[2]) },
        fee: { base: { assets: base[0].map((a) => checksum(a)), unitAmounts: [...base[1]], factor: base[2] }, ratePpm: feeState[3], readAt: BigInt(head?.timestamp ?? wallSeconds) },
        chainClockOffsetSeconds: (head?.timestamp ?? wallSeconds) - wallSeconds,
        config: {
          minAmount: config[0],
          maxAmount: config[1],
          feeVault: config[2],
          issueFeeBps: Number(config[3]),
          redeemFeeBps: Number(config[4]),
          requestTimeout: Number(config[5]),
        },
        rebalancing,
        totalSupply,
        ...(attested ? { attestedIssuer: checksum(attestedIssuerAddress!) } : {}),
      };
    },
    async readAsset(address) {
      const token = new Contract(address, interfaceOf(ERC20_ABI), provider);
      const [symbol, decimals] = await Promise.all([token.symbol() as Promise<string>, token.decimals() as Promise<bigint>]);
      return { address: checksum(address), symbol, decimals: Number(decimals) };
    },
    async isMaker(address) {
      makerRole ??= issuer.MAKER_ROLE() as Promise<string>;
      return (await issuer.hasRole(await makerRole, address)) as boolean;
    },
  };
}

interface Entry<T> {
  value?: T;
  readAt: number;
  pending?: Promise<T>;
}

/** A read-through cache with background refresh and shared in-flight reads. */
export class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly load: (key: string) => Promise<T>,
    private readonly freshMs: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<T> {
    const entry = this.entries.get(key);
    const age = entry ? this.now() - entry.readAt : Infinity;
    if (entry?.value !== undefined && age <= this.maxAgeMs) {
      if (age > this.freshMs && !entry.pending) void this.refresh(key).catch(() => undefined);
      return entry.value;
    }
    return this.refresh(key);
  }

  /** Forgets a key, e.g. when its tokenset is known to have changed. */
  invalidate(key: string): void {
    this.entries.delete(key);
  }

  private refresh(key: string): Promise<T> {
    const entry = this.entries.get(key) ?? { readAt: 0 };
    if (entry.pending) return entry.pending;
    const pending = this.load(key).then(
      (value) => {
        this.entries.set(key, { value, readAt: this.now() });
        return value;
      },
      (error: unknown) => {
        entry.pending = undefined;
        throw error;
      },
    );
    entry.pending = pending;
    this.entries.set(key, entry);
    return pending;
  }
}

export interface CatalogOptions {
  /** Index symbol -> address, from the deployment record. */
  indexes: Record<string, string>;
  /** Known assets (the deployment's tokens), so their symbol and decimals cost no read. */
  assets: readonly AssetInfo[];
  /** Background refresh after this long (default 5 s). */
  freshMs?: number;
  /** Never use an entry older than this (default 30 s). */
  maxAgeMs?: number;
  now?: () => number;
}

/** The indexes of one deployment, their state and their assets. */
export class IndexCatalog {
  private readonly indexes: TtlCache<IndexState>;
  private readonly makers: TtlCache<boolean>;
  private readonly assets = new Map<string, AssetInfo>();
  private readonly bySymbol = new Map<string, string>();
  private readonly symbolList: string[];

  constructor(
    private readonly reader: ChainReader,
    options: CatalogOptions,
  ) {
    const fresh = options.freshMs ?? 5_000;
    const maxAge = options.maxAgeMs ?? 30_000;
    this.indexes = new TtlCache((address) => reader.readIndex(address), fresh, maxAge, options.now);
    this.makers = new TtlCache(async (address) => reader.isMaker(address), fresh * 6, maxAge * 2, options.now);
    this.symbolList = Object.keys(options.indexes);
    for (const [symbol, address] of Object.entries(options.indexes)) this.bySymbol.set(symbol.toLowerCase(), checksum(address));
    for (const asset of options.assets) this.assets.set(checksum(asset.address), { ...asset, address: checksum(asset.address) });
  }

  /** Index symbols in deployment order. */
  symbols(): string[] {
    return [...this.symbolList];
  }

  /** The address of an index by symbol (case-insensitive) or by address; undefined when unknown. */
  resolve(symbolOrAddress: string): string | undefined {
    const bySymbol = this.bySymbol.get(symbolOrAddress.toLowerCase());
    if (bySymbol) return bySymbol;
    if (isHexAddress(symbolOrAddress)) {
      const address = checksum(symbolOrAddress.toLowerCase());
      for (const known of this.bySymbol.values()) if (known === address) return known;
    }
    return undefined;
  }

  async index(address: string): Promise<IndexState> {
    const state = await this.indexes.get(address);
    await Promise.all(state.tokenset.assets.map((a) => this.asset(a)));
    return state;
  }

  /** Symbol and decimals of an asset; read once from chain when the deployment does not list it. */
  async asset(address: string): Promise<AssetInfo> {
    const key = checksum(address);
    const known = this.assets.get(key);
    if (known) return known;
    const read = await this.reader.readAsset(key);
    this.assets.set(key, read);
    return read;
  }

  /** Synchronous lookup of an asset already seen (every asset of an index returned by `index`). */
  assetInfo = (address: string): AssetInfo => {
    const found = this.assets.get(checksum(address));
    if (!found) throw new Error(`asset ${address} not loaded`);
    return found;
  };

  isMaker = (address: string): Promise<boolean> => this.makers.get(checksum(address));

  invalidate(address: string): void {
    this.indexes.invalidate(checksum(address));
  }
}
