import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { Contract, JsonRpcProvider, JsonRpcSigner as RpcSigner, Wallet, getBytes, parseEther, toBeHex, type JsonRpcSigner } from 'ethers';
import { startTestStack, type TestStack } from '../../helpers/stack';
import { mintOnLocalStack, quoteOnLocalStack, redeemOnLocalStack, submitOnLocalStack } from '../../helpers/local-mint';
import { parseSignedReport, reportHash, signedReportJson, type ReserveReport, type SignedReport } from '../../../lambdas/reserves/report';
import { KmsSigner } from '../../../lambdas/signing/kms-signer';

const ROOT = path.resolve(__dirname, '../../..');
const ONE = 10n ** 18n;
const ISSUER_ABI = ['function isMintPaused(address index) view returns (bool)'];
const TOKEN_ABI = ['function transfer(address, uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)'];
const INDEX_ABI = ['function baseTokenset() view returns (address[], uint256[], uint256)', 'function balanceOf(address) view returns (uint256)'];

describe('proof of reserve on the local stack', () => {
  let stack: TestStack;
  let provider: JsonRpcProvider;
  let admin: JsonRpcSigner;
  /** Two holders: a wallet that was handed its tokens, and the local WLP, who minted its own. */
  let holder: string;
  let wlp: string;
  let issuer: Contract;
  let day: string;
  const work = mkdtempSync(path.join(tmpdir(), 'ssi-reserves-'));

  /** Runs `node bin/ssi.js ...` as a user would; asynchronously, since the stack serves from this process. */
  const run = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; json: any }> => // eslint-disable-line @typescript-eslint/no-explicit-any
    new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/ssi.js'), ...args], { cwd: ROOT, env: process.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.on('close', (status) => {
        let json;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ status, stdout, stderr, json });
      });
    });
  const ssi = (args: string[]) => run([...args, '--api', stack.file.api, '--rpc', stack.file.rpc, '--json']);
  const failed = (json: { reports: Array<{ checks: Array<{ name: string; ok: boolean }> }> }): string[] =>
    json.reports.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => c.name));

  async function publish(forDay?: string): Promise<void> {
    if (forDay === undefined) {
      const state = await stack.scheduler.run('reserve-publisher');
      expect(state.lastRun?.error).toBeUndefined();
      expect(state.lastRun).toMatchObject({ ok: true });
      return;
    }
    await stack.lambdas.invoke('reserve-publisher', {
      version: '0',
      id: `test-${forDay}`,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date().toISOString(),
      resources: [],
      detail: { day: forDay },
    });
  }

  async function latestReports(): Promise<SignedReport[]> {
    const body = (await (await stack.api('/v1/reserves/latest')).json()) as { reports: unknown[] };
    return body.reports.map((r) => parseSignedReport(JSON.stringify(r)));
  }

  const writeReport = (name: string, signed: SignedReport): string => {
    const file = path.join(work, name);
    writeFileSync(file, signedReportJson(signed));
    return file;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    provider = new JsonRpcProvider(stack.file.rpc, undefined, { staticNetwork: true });
    admin = await provider.getSigner(0);
    holder = Wallet.createRandom().address;
    wlp = stack.file.wlp.address;
    issuer = new Contract(stack.file.contracts.issuer!, ISSUER_ABI, provider);
    await mintOnLocalStack(stack, { index: 'DEFI.ssi', amount: ONE, to: holder });
    await mintOnLocalStack(stack, { index: 'DEFI.ssi', amount: 2n * ONE });
    await mintOnLocalStack(stack, { index: 'MEME.ssi', amount: ONE / 2n, to: holder });
    // MAG7.ssi holds custodian assets: its report needs the custodian's signed statements of the day, as the schedule stores them before the publisher runs.
    expect((await stack.scheduler.run('custody-statements')).lastRun).toMatchObject({ ok: true });
    await publish();
    day = new Date().toISOString().slice(0, 10);
  }, 300_000);
  afterAll(async () => {
    provider?.destroy();
    await stack?.stop();
  });

  test('the scheduled run publishes a signed report for every index and the auditor CLI passes every check', async () => {
    const reports = await latestReports();
    expect(reports.map((r) => r.report.index.symbol).sort()).toEqual(Object.keys(stack.file.indexes).sort());
    const defi = reports.find((r) => r.report.index.symbol === 'DEFI.ssi')!.report;
    expect(defi.day).toBe(day);
    expect(defi.totalSupply).toBe(3n * ONE);
    expect(defi.holders.count).toBe(2);
    expect(defi.deficit).toBe(false);
    expect(defi.supplyCrossCheck).toBe(true);
    expect(defi.signer).toBe(stack.file.keys.reserve!.address);

    const run = await ssi(['verify-reserves', '--holder', holder]);

    expect(run.stderr).not.toContain('unexpected');
    expect(run.status).toBe(0);
    expect(run.json.ok).toBe(true);
    expect(run.json.reports).toHaveLength(3);
    const names = run.json.reports.find((r: { index: string }) => r.index === 'DEFI.ssi').checks.map((c: { name: string }) => c.name);
    expect(names).toEqual(['report-hash', 'signature', 'block', 'recompute', 'registry', 'holder-proof']);
  });

  test('a second run the same day changes nothing: the stored reports and registry posts are reused', async () => {
    const before = await latestReports();
    await publish();
    const after = await latestReports();
    expect(after.map((r) => r.reportHash)).toEqual(before.map((r) => r.reportHash));
  });

  test('the auditor fails a report whose figures were altered after signing', async () => {
    const signed = (await latestReports()).find((r) => r.report.index.symbol === 'DEFI.ssi')!;
    const assets = signed.report.assets.map((a, i) => (i === 0 ? { ...a, custodyBalance: a.custodyBalance + 1_000n } : a));
    const file = writeReport('tampered.json', { ...signed, report: { ...signed.report, assets } });

    const run = await ssi(['verify-reserves', '--file', file]);

    expect(run.status).toBe(1);
    expect(failed(run.json)).toEqual(expect.arrayContaining(['report-hash', 'recompute']));
    expect(failed(run.json)).not.toContain('signature');
  });

  test('the auditor fails a report signed by a key other than the published reserve signer', async () => {
    const signed = (await latestReports()).find((r) => r.report.index.symbol === 'DEFI.ssi')!;
    const impostor = Wallet.createRandom();
    const report: ReserveReport = { ...signed.report, signer: impostor.address };
    const hash = reportHash(report);
    const file = writeReport('impostor.json', { report, reportHash: hash, signature: await impostor.signMessage(getBytes(hash)) });

    const run = await ssi(['verify-reserves', '--file', file]);

    expect(run.status).toBe(1);
    expect(failed(run.json)).toContain('signature');
    expect(failed(run.json)).not.toContain('report-hash');
  });

  test('the auditor fails a correctly signed report whose block does not match the chain', async () => {
    const signed = (await latestReports()).find((r) => r.report.index.symbol === 'DEFI.ssi')!;
    const report: ReserveReport = { ...signed.report, block: { ...signed.report.block, hash: toBeHex(1n, 32) } };
    const hash = reportHash(report);
    const kms = new KMSClient({ endpoint: stack.file.kms, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const signature = await new KmsSigner(kms, stack.file.keys.reserve!.keyId).signMessage(getBytes(hash));
    kms.destroy();
    const file = writeReport('wrong-block.json', { report, reportHash: hash, signature });

    const run = await ssi(['verify-reserves', '--file', file]);

    expect(run.status).toBe(1);
    expect(failed(run.json)).toContain('block');
    expect(failed(run.json)).not.toContain('signature');
    expect(failed(run.json)).not.toContain('report-hash');
  });

  test('the auditor fails a holder proof carrying a wrong balance and passes the genuine one', async () => {
    const body = (await (await stack.api(`/v1/reserves/${day}/proof/${wlp}`)).json()) as { proofs: Array<{ symbol: string; leaf: [string, string] }> };
    const genuine = body.proofs.find((p) => p.symbol === 'DEFI.ssi')!;
    expect(genuine.leaf).toEqual([wlp, (2n * ONE).toString()]);
    const good = path.join(work, 'proof-good.json');
    writeFileSync(good, JSON.stringify(genuine));
    const bad = path.join(work, 'proof-bad.json');
    writeFileSync(bad, JSON.stringify({ ...genuine, leaf: [wlp, (3n * ONE).toString()] }));

    const ok = await ssi(['verify-reserves', '--index', 'DEFI.ssi', '--proof', good]);
    const wrong = await ssi(['verify-reserves', '--index', 'DEFI.ssi', '--proof', bad]);

    expect(ok.status).toBe(0);
    expect(wrong.status).toBe(1);
    expect(failed(wrong.json)).toEqual(['holder-proof']);
  });

  test('a drained custody balance shows as a deficit, fires the alarm metric and pauses minting of that index only; redeeming still works', async () => {
    // prepare: move half of one DEFI asset out of the vault
    const defi = stack.file.indexes['DEFI.ssi']!;
    const [assets] = (await new Contract(defi, INDEX_ABI, provider).getFunction('baseTokenset')()) as [string[]];
    const drained = assets[0]!;
    const vault = stack.file.contracts.custodyVault!;
    await provider.send('hardhat_impersonateAccount', [vault]);
    await provider.send('hardhat_setBalance', [vault, toBeHex(parseEther('1'))]);
    const vaultSigner = new RpcSigner(provider, vault);
    const balance = (await new Contract(drained, TOKEN_ABI, provider).getFunction('balanceOf')(vault)) as bigint;
    await (await (new Contract(drained, TOKEN_ABI, vaultSigner).getFunction('transfer'))(await admin.getAddress(), balance / 2n)).wait();
    await provider.send('hardhat_stopImpersonatingAccount', [vault]);
    const emitted: string[] = [];
    const capture = (chunk: unknown) => {
      emitted.push(String(chunk));
      return true;
    };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture as never);
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void emitted.push(args.map(String).join(' ')));

    // act: the next day's run
    try {
      await publish('2099-01-02');
    } finally {
      stdout.mockRestore();
      log.mockRestore();
    }

    // assert: the report shows it
    const reports = (await (await stack.api('/v1/reserves/2099-01-02')).json()) as { reports: unknown[] };
    const byIndex = new Map(reports.reports.map((r) => parseSignedReport(JSON.stringify(r))).map((s) => [s.report.index.symbol, s.report]));
    const report = byIndex.get('DEFI.ssi')!;
    expect(report.deficit).toBe(true);
    expect(report.deficitAssets).toContain(drained);
    const line = report.assets.find((a) => a.asset === drained)!;
    expect(line.surplus).toBeLessThan(0n);
    expect(line.allocatedReserves).toBeLessThan(line.liabilities);
    // the alarm metric, with exactly the declared dimension
    const emf = emitted.flatMap((text) => text.split('\n')).filter((text) => text.includes('ReserveDeficit')).map((text) => JSON.parse(text));
    expect(emf.length).toBeGreaterThan(0);
    expect(emf[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'SSI', Dimensions: [['Index']] });
    expect(emf.map((e) => e.Index)).toContain('DEFI.ssi');
    // minting of DEFI is paused, other indexes are not
    expect(await issuer.getFunction('isMintPaused')(defi)).toBe(true);
    const otherDeficit = [...byIndex.values()].filter((r) => r.deficit).map((r) => r.index.symbol);
    for (const symbol of Object.keys(stack.file.indexes).filter((s) => !otherDeficit.includes(s))) {
      expect(await issuer.getFunction('isMintPaused')(stack.file.indexes[symbol])).toBe(false);
    }
    const paused = await quoteOnLocalStack(stack, { index: 'DEFI.ssi', side: 'mint', amount: ONE });
    await expect(submitOnLocalStack(stack, paused)).rejects.toThrow(/MintPaused/);
    // redeeming still works
    await redeemOnLocalStack(stack, { index: 'DEFI.ssi', amount: ONE / 2n });
    expect(await new Contract(defi, INDEX_ABI, provider).getFunction('balanceOf')(wlp)).toBe(2n * ONE - ONE / 2n);

    // the operator clears the breaker: minting resumes
    const clear = await run(['reserves', 'clear-breaker', '--index', 'DEFI.ssi', '--data', stack.file.dataDir, '--json']);
    expect(clear.stderr + clear.stdout).toBe('clearing the mint breaker of DEFI.ssi\n' + clear.stdout);
    expect(clear.status).toBe(0);
    expect(await issuer.getFunction('isMintPaused')(defi)).toBe(false);
  });
});
