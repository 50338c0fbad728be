import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MarketData } from '../domain/market';

/** File names of the public market data set (see its README). */
export const MONTHLY_FILE = 'cmc-monthly-top200-2020-2025.csv';
export const DAILY_FILE = 'coinbase-daily-ohlc-2020-2025.csv';

/** The repository root: this file is lambdas/adapters/market-files.ts. */
const REPO_ROOT = path.resolve(__dirname, '../..');

export class MarketDataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MarketDataError';
  }
}

/**
 * Where the market files are: `SSI_MARKET_DATA_DIR` if set, else `../shared/data/market` beside the
 * repository (how CI checks the repository out).
 */
export function marketDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.SSI_MARKET_DATA_DIR?.trim();
  return override ? path.resolve(override) : path.resolve(REPO_ROOT, '../shared/data/market');
}

const cache = new Map<string, MarketData>();

/** Reads and indexes both files once per directory per process. */
export function loadMarketData(dir: string = marketDataDir()): MarketData {
  const resolved = path.resolve(dir);
  const cached = cache.get(resolved);
  if (cached) return cached;
  const monthlyPath = path.join(resolved, MONTHLY_FILE);
  const dailyPath = path.join(resolved, DAILY_FILE);
  for (const file of [monthlyPath, dailyPath]) {
    if (!existsSync(file)) {
      throw new MarketDataError(`market data file not found: ${file} (set SSI_MARKET_DATA_DIR to the directory holding ${MONTHLY_FILE} and ${DAILY_FILE})`);
    }
  }
  let data: MarketData;
  try {
    data = MarketData.fromCsv(readFileSync(monthlyPath, 'utf8'), readFileSync(dailyPath, 'utf8'));
  } catch (error) {
    throw new MarketDataError(`cannot read market data in ${resolved}: ${(error as Error).message}`, { cause: error });
  }
  cache.set(resolved, data);
  return data;
}
