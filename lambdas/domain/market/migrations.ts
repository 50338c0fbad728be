import type { IsoDate } from './dates';

/**
 * A token that was swapped or renamed into another one: 1 `from` became `ratio` `to`. The old symbol
 * vanishes from the data while the holding lives on as the new one, so its value is the new token's
 * price x ratio, not a collapse. `effective` is when the swap opened (for the record).
 */
export interface TokenMigration {
  readonly from: string;
  readonly to: string;
  readonly ratio: number;
  readonly effective: IsoDate;
}

/**
 * Swaps and renames of assets that were large enough to appear in the 2020-2025 snapshots. Terra's
 * LUNA -> LUNC rename is left out on purpose: it happened during the collapse and LUNC only re-enters
 * the top 200 in October 2022, so the dropout bound is the better estimate for the old LUNA.
 * BitTorrent's 1:1000 redenomination kept the symbol BTT and cannot be expressed here (BTT is in no index).
 */
export const TOKEN_MIGRATIONS: readonly TokenMigration[] = [
  { from: 'ERD', to: 'EGLD', ratio: 0.001, effective: '2020-09-03' },
  { from: 'LEND', to: 'AAVE', ratio: 0.01, effective: '2020-10-02' },
  { from: 'XZC', to: 'FIRO', ratio: 1, effective: '2020-10-28' },
  { from: 'GNT', to: 'GLM', ratio: 1, effective: '2020-11-19' },
  { from: 'AGI', to: 'AGIX', ratio: 1, effective: '2021-05-29' },
  { from: 'NANO', to: 'XNO', ratio: 1, effective: '2021-12-01' },
  { from: 'KEEP', to: 'T', ratio: 4.783188, effective: '2022-01-01' },
  { from: 'NU', to: 'T', ratio: 3.259242, effective: '2022-01-01' },
  { from: 'MIOTA', to: 'IOTA', ratio: 1, effective: '2023-10-04' },
  { from: 'RNDR', to: 'RENDER', ratio: 1, effective: '2024-07-01' },
  { from: 'AGIX', to: 'FET', ratio: 0.43335, effective: '2024-07-01' },
  { from: 'OCEAN', to: 'FET', ratio: 0.433226, effective: '2024-07-01' },
  { from: 'KLAY', to: 'KAIA', ratio: 1, effective: '2024-08-29' },
  { from: 'MATIC', to: 'POL', ratio: 1, effective: '2024-09-04' },
  { from: 'MKR', to: 'SKY', ratio: 24_000, effective: '2024-09-18' },
  { from: 'FTM', to: 'S', ratio: 1, effective: '2025-01-13' },
  { from: '1000SATS', to: 'SATS', ratio: 1000, effective: '2025-01-01' },
  { from: 'EOS', to: 'A', ratio: 1, effective: '2025-05-14' },
  { from: 'FXS', to: 'FRAX', ratio: 1, effective: '2025-05-20' },
];

export function findMigration(symbol: string, migrations: readonly TokenMigration[] = TOKEN_MIGRATIONS): TokenMigration | undefined {
  return migrations.find((migration) => migration.from === symbol);
}
