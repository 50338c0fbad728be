import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '../../topology';
import { bundleFunction } from '../../infra/local/lambda-workers';

/**
 * No deployed function reads the repository's market-data folder (../shared/data/market) at run
 * time: each handler bundled exactly as the CDK app bundles it carries neither the folder nor the
 * market files' names, so prices and universe snapshots can only come from the declared sources.
 */
describe('function bundles and the market-data files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssi-bundles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(FUNCTIONS.map((spec) => [spec.name, spec] as const))('%s does not reference data/market', async (_name, spec) => {
    const code = readFileSync(await bundleFunction(spec, dir), 'utf8');
    expect(code.length).toBeGreaterThan(1000);
    for (const marker of ['data/market', 'SSI_MARKET_DATA_DIR', 'coinbase-daily-ohlc', 'cmc-monthly-top200']) expect(code).not.toContain(marker);
  }, 120_000);
});
