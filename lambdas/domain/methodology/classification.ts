/**
 * Reference data the universe filters read: which symbols are pegged tokens, which are derivatives
 * of another asset, which belong to a sector, and which the custodian supports. Curated by hand from
 * the symbols in the public 2020-2025 top-200 snapshots; symbols are reused over time, so an entry
 * can name the asset(s) it means (`names`) and then only rows with one of those names match.
 */

export interface PeggedAsset {
  readonly symbol: string;
  readonly peg: 'USD' | 'EUR' | 'KRW' | 'gold';
  /** When present, only snapshot rows with one of these names are this asset (symbol reuse). */
  readonly names?: readonly string[];
}

export interface DerivativeAsset {
  readonly symbol: string;
  /** The asset it wraps, bridges or stakes. */
  readonly underlying: string;
  readonly kind: 'wrapped' | 'bridged' | 'staked';
  readonly names?: readonly string[];
}

export interface AssetClassification {
  readonly pegged: readonly PeggedAsset[];
  readonly derivatives: readonly DerivativeAsset[];
  /**
   * Names matching this pattern (case-insensitive) are treated as derivatives even when not listed:
   * "Wrapped X", "Bridged X", "Staked X" are derivatives by definition.
   */
  readonly derivativeNamePattern: string;
}

export const ASSET_CLASSIFICATION: AssetClassification = {
  pegged: [
    { symbol: 'USDT', peg: 'USD' },
    { symbol: 'USDC', peg: 'USD' },
    { symbol: 'BUSD', peg: 'USD' },
    { symbol: 'DAI', peg: 'USD' },
    { symbol: 'SAI', peg: 'USD' },
    { symbol: 'UST', peg: 'USD' },
    { symbol: 'USTC', peg: 'USD' },
    { symbol: 'TUSD', peg: 'USD' },
    { symbol: 'USDe', peg: 'USD' },
    { symbol: 'FDUSD', peg: 'USD' },
    { symbol: 'PAX', peg: 'USD' },
    { symbol: 'USDP', peg: 'USD' },
    { symbol: 'USD1', peg: 'USD' },
    { symbol: 'USDD', peg: 'USD' },
    { symbol: 'PYUSD', peg: 'USD' },
    { symbol: 'HUSD', peg: 'USD' },
    { symbol: 'USDN', peg: 'USD' },
    { symbol: 'GUSD', peg: 'USD' },
    { symbol: 'RLUSD', peg: 'USD' },
    { symbol: 'SUSD', peg: 'USD' },
    { symbol: 'USDK', peg: 'USD' },
    { symbol: 'VAI', peg: 'USD' },
    { symbol: 'FEI', peg: 'USD' },
    // FRAX the stablecoin; since 2025 "Frax (prev. FXS)" is the governance token under the same symbol.
    { symbol: 'FRAX', peg: 'USD', names: ['Frax'] },
    { symbol: 'EURS', peg: 'EUR' },
    { symbol: 'EURC', peg: 'EUR' },
    { symbol: 'KRT', peg: 'KRW' },
    { symbol: 'PAXG', peg: 'gold' },
    { symbol: 'XAUt', peg: 'gold' },
    { symbol: 'XAUT', peg: 'gold' },
  ],
  derivatives: [
    { symbol: 'WBTC', underlying: 'BTC', kind: 'wrapped' },
    { symbol: 'BTCB', underlying: 'BTC', kind: 'bridged' },
    { symbol: 'RENBTC', underlying: 'BTC', kind: 'bridged' },
    { symbol: 'CBBTC', underlying: 'BTC', kind: 'wrapped' },
    { symbol: 'WETH', underlying: 'ETH', kind: 'wrapped' },
    { symbol: 'STETH', underlying: 'ETH', kind: 'staked' },
    { symbol: 'WSTETH', underlying: 'ETH', kind: 'staked' },
    { symbol: 'RETH', underlying: 'ETH', kind: 'staked' },
    { symbol: 'CBETH', underlying: 'ETH', kind: 'staked' },
    { symbol: 'WEETH', underlying: 'ETH', kind: 'staked' },
    { symbol: 'WBETH', underlying: 'ETH', kind: 'staked' },
    { symbol: 'JITOSOL', underlying: 'SOL', kind: 'staked' },
    { symbol: 'MSOL', underlying: 'SOL', kind: 'staked' },
    { symbol: 'WNXM', underlying: 'NXM', kind: 'wrapped' },
    // The Ethereum ERC-20 form of dYdX, beside the native chain token DYDX.
    { symbol: 'ETHDYDX', underlying: 'DYDX', kind: 'bridged' },
  ],
  derivativeNamePattern: '\\b(wrapped|bridged|staked)\\b',
};

/**
 * DeFi protocols' tokens: exchanges (spot and perpetual), lending, liquid staking and restaking,
 * yield, synthetic dollars' governance, DeFi bridges. Oracles (LINK, PYTH...) and general-purpose
 * chains (INJ, SEI...) are infrastructure, not DeFi, and are left out on purpose.
 */
export const DEFI_SECTOR: readonly string[] = [
  'UNI', 'AAVE', 'LEND', 'MKR', 'SKY', 'COMP', 'SNX', 'YFI', 'YFII', 'SUSHI', 'CRV', 'CVX', 'FXS', 'LQTY',
  '1INCH', 'BAL', 'LDO', 'RPL', 'ETHFI', 'JTO', 'CAKE', 'RUNE', 'DYDX', 'GMX', 'PERP', 'AEVO', 'DRIFT',
  'HYPE', 'ASTER', 'MYX', 'PENDLE', 'JUP', 'RAY', 'OSMO', 'AERO', 'MORPHO', 'ENA', 'USUAL', 'SYRUP', 'KNC',
  'ZRX', 'BNT', 'UMA', 'REN', 'ALPHA', 'BADGER', 'XVS', 'DODO', 'BAKE', 'MDX', 'JOE', 'SPELL', 'RGT',
  'BZRX', 'KP3R', 'SFI', 'SWAP', 'LINA', 'UNFI', 'OPIUM', 'CVP', 'IDEX', 'STG', 'SYN', 'MULTI', 'ANC',
  'SUN', 'JST', 'DEXE', 'RSR', 'NXM', 'TRIBE', 'MLN', 'ZKS', 'EPS', 'RBN', 'FF',
];

/** Meme coins: community/joke tokens without a protocol behind them (dog, cat, frog, celebrity...). */
export const MEME_SECTOR: readonly string[] = [
  'DOGE', 'SHIB', 'PEPE', 'FLOKI', 'BONK', 'WIF', 'BabyDoge', 'ELON', 'MEME', 'BOME', 'POPCAT', 'MOG',
  'NEIRO', 'TRUMP', 'MELANIA', 'FARTCOIN', 'PENGU', 'BRETT', 'SPX', 'TURBO', 'MEW', 'DOG', 'PNUT', 'GOAT',
  'MOODENG', 'GIGA', 'CHEEMS', 'PONKE', 'TOSHI', 'SNEK', 'USELESS', 'ACT', 'DOGS', 'PEOPLE', 'SATS', '1000SATS',
];

/**
 * Large assets outside the two sectors that the reference custodian holds. This list is an
 * illustrative stand-in for the custodian's real supported-asset list (replace it with theirs):
 * it leaves out exchange-issued tokens (LEO, OKB, HT, KCS, GT, MX, BGB, FTT, WBT), Monero, BSV,
 * and thinly documented tokens that briefly showed large market caps in 2020 (TAGZ5, 999, MIN, HEDG...).
 */
const MAJOR_ASSETS: readonly string[] = [
  'BTC', 'ETH', 'XRP', 'BNB', 'SOL', 'ADA', 'DOGE', 'TRX', 'DOT', 'LTC', 'BCH', 'LINK', 'AVAX', 'MATIC', 'POL',
  'TON', 'XLM', 'ETC', 'HBAR', 'FIL', 'ICP', 'SUI', 'ATOM', 'ALGO', 'NEAR', 'APT', 'ARB', 'OP', 'XTZ', 'EOS',
  'LUNA', 'LUNC', 'VET', 'THETA', 'EGLD', 'FTM', 'S', 'SAND', 'MANA', 'AXS', 'APE', 'IMX', 'GRT', 'INJ',
  'RNDR', 'RENDER', 'TIA', 'SEI', 'STX', 'KAS', 'TAO', 'FET', 'QNT', 'ZEC', 'DASH', 'XEM', 'NEO', 'MIOTA',
  'IOTA', 'WAVES', 'CHZ', 'FLOW', 'KSM', 'ENS', 'CRO', 'KLAY', 'KAIA', 'MINA', 'CELO', 'ZIL', 'ENJ', 'BAT',
  'OMG', 'ICX', 'ONT', 'QTUM', 'DCR', 'DGB', 'RVN', 'HNT', 'AR', 'PYTH', 'WLD', 'ONDO', 'GALA', 'XDC',
  'CFX', 'FLR', 'JASMY', 'KAVA', 'ROSE', 'XEC', 'BTT', 'HOT', 'TFUEL', 'ONE', 'ZEN', 'SC', 'BAND', 'API3',
  'OCEAN', 'AGIX', 'LPT', 'STORJ', 'ANKR', 'GLM', 'SKL', 'CELR', 'AMP', 'LRC', 'MASK', 'AUDIO', 'CTSI',
  'NMR', 'OXT', 'TRB', 'CVC', 'KDA', 'NEXO', 'BLUR', 'PENDLE', 'MNT', 'STRK', 'ZK', 'W', 'ZRO', 'EIGEN',
  'VIRTUAL', 'WLFI',
];

export const CUSTODY_SUPPORTED: readonly string[] = [...new Set([...MAJOR_ASSETS, ...DEFI_SECTOR, ...MEME_SECTOR])].sort();

/** Pegged-token entry for a snapshot row, honouring `names` when an entry has them. */
export function findPegged(classification: AssetClassification, symbol: string, name: string): PeggedAsset | undefined {
  return classification.pegged.find((entry) => entry.symbol === symbol && (!entry.names || entry.names.includes(name)));
}

/** Derivative entry for a snapshot row, or a synthetic one when the name says "Wrapped/Bridged/Staked". */
export function findDerivative(classification: AssetClassification, symbol: string, name: string): DerivativeAsset | undefined {
  const listed = classification.derivatives.find((entry) => entry.symbol === symbol && (!entry.names || entry.names.includes(name)));
  if (listed) return listed;
  const match = new RegExp(classification.derivativeNamePattern, 'i').exec(name);
  if (!match) return undefined;
  const kind = match[1].toLowerCase() as DerivativeAsset['kind'];
  return { symbol, underlying: name.replace(match[0], '').trim() || 'unknown', kind };
}
