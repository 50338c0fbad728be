/**
 * The ERC-20 stand-ins a local chain gets: the cash token and the underlying assets the local
 * indexes can hold. Symbols are the market-data symbols so prices join on them directly.
 */
export interface LocalAsset {
  symbol: string;
  name: string;
  decimals: number;
}

export const CASH_TOKEN: LocalAsset = { symbol: 'USDC', name: 'USD Coin (local)', decimals: 6 };

export const UNDERLYING_ASSETS: readonly LocalAsset[] = [
  { symbol: 'BTC', name: 'Bitcoin (local)', decimals: 8 },
  { symbol: 'ETH', name: 'Ether (local)', decimals: 18 },
  { symbol: 'XRP', name: 'XRP (local)', decimals: 6 },
  { symbol: 'BNB', name: 'BNB (local)', decimals: 18 },
  { symbol: 'SOL', name: 'Solana (local)', decimals: 9 },
  { symbol: 'DOGE', name: 'Dogecoin (local)', decimals: 8 },
  { symbol: 'ADA', name: 'Cardano (local)', decimals: 6 },
  { symbol: 'TRX', name: 'TRON (local)', decimals: 6 },
  { symbol: 'AVAX', name: 'Avalanche (local)', decimals: 18 },
  { symbol: 'LINK', name: 'Chainlink (local)', decimals: 18 },
  { symbol: 'UNI', name: 'Uniswap (local)', decimals: 18 },
  { symbol: 'AAVE', name: 'Aave (local)', decimals: 18 },
  { symbol: 'MKR', name: 'Maker (local)', decimals: 18 },
  { symbol: 'CRV', name: 'Curve (local)', decimals: 18 },
  { symbol: 'LDO', name: 'Lido DAO (local)', decimals: 18 },
  { symbol: 'PEPE', name: 'Pepe (local)', decimals: 18 },
  { symbol: 'SHIB', name: 'Shiba Inu (local)', decimals: 18 },
  { symbol: 'WIF', name: 'dogwifhat (local)', decimals: 6 },
  { symbol: 'BONK', name: 'Bonk (local)', decimals: 5 },
  { symbol: 'FLOKI', name: 'Floki (local)', decimals: 9 },
];

/**
 * The assets the local custodian holds on their native chains (the ledger simulators'), by market
 * symbol: an index listing one of these in `LOCAL_INDEXES` with `issuance: 'attested'` holds it in
 * custodian wallets there, not as the ERC-20 stand-in above.
 */
export const CUSTODIAN_ASSETS: Readonly<Record<string, { chain: 'bitcoin' | 'solana' | 'xrpl' | 'dogecoin' | 'cardano'; decimals: number }>> = {
  BTC: { chain: 'bitcoin', decimals: 8 },
  SOL: { chain: 'solana', decimals: 9 },
  XRP: { chain: 'xrpl', decimals: 6 },
  DOGE: { chain: 'dogecoin', decimals: 8 },
  ADA: { chain: 'cardano', decimals: 6 },
};
