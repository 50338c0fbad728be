import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** Runs `node bin/ssi.js backtest ...` as a user would, with the test process environment. */
function ssi(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/ssi.js'), 'backtest', ...args], { cwd: ROOT, encoding: 'utf8', env: process.env, timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('ssi backtest', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'ssi-cli-backtest-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('prints the report as JSON with --json, writes the files and exits 0', () => {
    // act
    const run = ssi(['--index', 'MAG7.ssi', '--from', '2021-01-01', '--to', '2021-07-01', '--json', '--out', out]);
    // assert
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, indexId: 'MAG7.ssi', start: '2021-01-01', end: '2021-07-01', benchmarkSymbol: 'BTC' });
    expect(report.rebalances).toHaveLength(6);
    expect(report.daily).toHaveLength(182);
    for (const series of ['index', 'benchmark', 'marketCap']) {
      expect(Number.isFinite(report.metrics[series].cumulativeReturn)).toBe(true);
      expect(Number.isFinite(report.metrics[series].annualizedVolatility)).toBe(true);
      expect(report.metrics[series].maxDrawdown).toBeLessThanOrEqual(0);
    }
    expect(report.methodology.weighting).toEqual({ scheme: 'market-cap', floor: 0.1 });
    expect(report.files.json).toBe(path.join(out, 'MAG7.ssi_2021-01-01_2021-07-01.json'));
    expect(JSON.parse(readFileSync(report.files.json, 'utf8')).metrics).toEqual(report.metrics);
    expect(existsSync(report.files.svg)).toBe(true);
    expect(run.stderr).toContain('loading market data');
  });

  it('prints a summary table for people', () => {
    const run = ssi(['--index', 'defi.ssi', '--from', '2021-01-01', '--to', '2021-04-01', '--out', out]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('DEFI.ssi backtest 2021-01-01 -> 2021-04-01: 3 monthly rebalances');
    expect(run.stdout).toMatch(/Cumulative return\s+[+-]\d+\.\d%\s+[+-]\d+\.\d%\s+[+-]\d+\.\d%/);
    expect(run.stdout).toContain(`Chart:  ${path.join(out, 'DEFI.ssi_2021-01-01_2021-04-01.svg')}`);
  });

  it('prints the sensitivity table: the same index and dates under each price policy, with the market-cap variant and BTC', () => {
    // act
    const text = ssi(['--index', 'DEFI.ssi', '--from', '2022-01-01', '--to', '2022-04-01', '--prices', 'snapshot', '--out', out]);
    const json = ssi(['--index', 'DEFI.ssi', '--from', '2022-01-01', '--to', '2022-04-01', '--prices', 'snapshot', '--json', '--out', out]);
    // assert
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Cumulative return 2022-01-01 -> 2022-04-01 under each price policy:');
    expect(text.stdout).toMatch(/Price policy\s+DEFI\.ssi\s+market-cap wtd\s+BTC hold/);
    for (const policy of ['auto', 'daily', 'snapshot \\(this report\\)']) expect(text.stdout).toMatch(new RegExp(`\n${policy}\\s+[+-]\\d+\\.\\d%\\s+[+-]\\d+\\.\\d%\\s+[+-]\\d+\\.\\d%`));
    expect(text.stdout).toContain('Prices (snapshot): every constituent of every holding period is valued from the monthly snapshot prices');
    expect(text.stdout).toContain('Rebalance timing: the snapshot of the scheduled rebalance date');
    const report = JSON.parse(json.stdout);
    expect(report.pricing.policy).toBe('snapshot');
    expect(report.pricing.periods).toHaveLength(3);
    expect(report.sensitivity.map((row: { policy: string }) => row.policy)).toEqual(['auto', 'daily', 'snapshot']);
    expect(report.sensitivity[2].index).toBe(report.metrics.index.cumulativeReturn);
    expect(report.timing.tradeLagDays).toBe(0);
  });

  it.each([
    [['--index', 'MAG7.ssi', '--from', '2021-01-01', '--to', '2022-01-01', '--prices', 'close'], 'unknown price policy close; known: auto, daily, snapshot'],
    [['--index', 'TOP10.ssi', '--from', '2021-01-01', '--to', '2022-01-01'], 'unknown index TOP10.ssi; known: MAG7.ssi, DEFI.ssi, MEME.ssi'],
    [['--index', 'MAG7.ssi', '--from', '2022-01-01', '--to', '2021-01-01'], '--from 2022-01-01 must be before --to 2021-01-01'],
    [['--index', 'MAG7.ssi', '--from', '2021-1-1', '--to', '2022-01-01'], '--from 2021-1-1 is not a date (YYYY-MM-DD)'],
    [['--index', 'MAG7.ssi', '--from', '2019-01-01', '--to', '2022-01-01'], 'range 2019-01-01..2022-01-01 is outside the market data (2020-01-01..2025-10-25)'],
    [['--index', 'MEME.ssi', '--from', '2021-01-01', '--to', '2022-01-01'], 'the first rebalance date it can be compiled on is 2021-06-01'],
  ])('fails with a clear message and exit code 1 for %j', (args, message) => {
    const run = ssi([...args, '--json', '--out', out]);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(false);
    expect(report.error).toContain(message);
    expect(run.stderr).toContain(`ssi: `);
  });

  it('exits 2 with usage help when a required option is missing', () => {
    const run = ssi(['--from', '2021-01-01', '--to', '2022-01-01']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("required option '--index <id>' not specified");
  });
});
