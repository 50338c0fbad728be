import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { Contract, JsonRpcProvider, JsonRpcSigner as RpcSigner, Wallet, getBytes, parseEther, toBeHex, type JsonRpcSigner } from 'ethers';
import { startTestStack } from '../helpers/stack';
import { basketFor, issuerDomain, QUOTE_ORDER_TYPES, Side, type QuoteOrder } from '../../lambdas/domain/orders';
import { decayFactor, MAX_FEE_RATE_PPM } from '../../lambdas/domain/fees';
import { parseSignedReport, reportHash, signedReportJson, type ReserveReport, type SignedReport } from '../../lambdas/reserves/report';
import { KmsSigner } from '../../lambdas/signing/kms-signer';

const ROOT = path.resolve(__dirname, '../..');
const ONE = 10n ** 18n;
const MAX = (1n << 256n) - 1n;
const ISSUER_ABI = [
  'function grantRole(bytes32 role, address account)',
  'function MAKER_ROLE() view returns (bytes32)',
  'function PARTICIPANT_ROLE() view returns (bytes32)',
  'function isMintPaused(address index) view returns (bool)',
  'function mint((address index,uint8 side,uint256 indexAmount,address[] assets,uint256[] amounts,address cashToken,uint256 cashAmount,address maker,address requester,uint256 deadline,uint256 nonce) order, bytes signature, uint256 maxFeeBps)',
  'function redeem((address index,uint8 side,uint256 indexAmount,address[] assets,uint256[] amounts,address cashToken,uint256 cashAmount,address maker,address requester,uint256 deadline,uint256 nonce) order, bytes signature, uint256 maxFeeBps)',
  'error MintPaused(address index)',
];
const TOKEN_ABI = ['function mint(address to, uint256 amount)', 'function approve(address, uint256) returns (bool)', 'function transfer(address, uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)'];
const INDEX_ABI = ['function baseTokenset() view returns (address[], uint256[], uint256)', 'function balanceOf(address) view returns (uint256)'];

describe('proof of reserve on the local stack', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let provider: JsonRpcProvider;
  let admin: JsonRpcSigner;
  let pmm: JsonRpcSigner;
  let wlp: JsonRpcSigner;
  let wlp2: JsonRpcSigner;
  let issuer: Contract;
  let nonce = 1n;
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

  async function order(symbol: string, side: Side, indexAmount: bigint, requester: JsonRpcSigner): Promise<[QuoteOrder, string]> {
    const indexAddress = stack.file.indexes[symbol]!;
    const [assets, unitAmounts, factorNow] = (await new Contract(indexAddress, INDEX_ABI, provider).getFunction('baseTokenset')()) as [string[], bigint[], bigint];
    // Mint legs are lower bounds at today's fee factor; redeem legs are upper bounds, so they are
    // priced at the factor the fastest allowed fee would leave by the order's deadline.
    const factor = side === Side.Mint ? factorNow : decayFactor(factorNow, MAX_FEE_RATE_PPM, 3600n);
    const legs = basketFor({ assets: [...assets], unitAmounts: [...unitAmounts], factor }, indexAmount, side);
    const block = await provider.getBlock('latest');
    const o: QuoteOrder = {
      index: indexAddress,
      side,
      indexAmount,
      assets: legs.assets,
      amounts: legs.amounts,
      cashToken: stack.file.tokens.USDC!.address,
      cashAmount: 1_000n * 10n ** 6n,
      maker: await pmm.getAddress(),
      requester: await requester.getAddress(),
      deadline: BigInt(block!.timestamp) + 3600n,
      nonce: nonce++,
    };
    return [o, await pmm.signTypedData(issuerDomain(stack.file.chainId, stack.file.contracts.issuer!), QUOTE_ORDER_TYPES, o)];
  }

  async function mint(symbol: string, amount: bigint, to: JsonRpcSigner): Promise<void> {
    const [o, signature] = await order(symbol, Side.Mint, amount, to);
    for (let i = 0; i < o.assets.length; i++) {
      await (await (new Contract(o.assets[i]!, TOKEN_ABI, admin).getFunction('mint'))(await pmm.getAddress(), o.amounts[i]!)).wait();
    }
    await (await (issuer.connect(to) as Contract).getFunction('mint')(o, signature, 100)).wait();
  }

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
    [admin, pmm, wlp, wlp2] = await Promise.all([0, 1, 2, 3].map((i) => provider.getSigner(i)));
    issuer = new Contract(stack.file.contracts.issuer!, ISSUER_ABI, admin);
    await (await issuer.getFunction('grantRole')(await issuer.getFunction('MAKER_ROLE')(), await pmm.getAddress())).wait();
    for (const w of [wlp, wlp2]) await (await issuer.getFunction('grantRole')(await issuer.getFunction('PARTICIPANT_ROLE')(), await w.getAddress())).wait();
    const usdc = new Contract(stack.file.tokens.USDC!.address, TOKEN_ABI, admin);
    for (const account of [pmm, wlp, wlp2]) {
      await (await usdc.getFunction('mint')(await account.getAddress(), 1_000_000n * 10n ** 6n)).wait();
      await (await (usdc.connect(account) as Contract).getFunction('approve')(stack.file.contracts.issuer, MAX)).wait();
    }
    for (const symbol of Object.keys(stack.file.indexes)) {
      const [assets] = (await new Contract(stack.file.indexes[symbol]!, INDEX_ABI, provider).getFunction('baseTokenset')()) as [string[]];
      for (const asset of assets) await (await (new Contract(asset, TOKEN_ABI, pmm).getFunction('approve'))(stack.file.contracts.issuer, MAX)).wait();
    }
    await mint('MAG7.ssi', ONE, wlp);
    await mint('MAG7.ssi', 2n * ONE, wlp2);
    await mint('DEFI.ssi', ONE / 2n, wlp);
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
    const mag7 = reports.find((r) => r.report.index.symbol === 'MAG7.ssi')!.report;
    expect(mag7.day).toBe(day);
    expect(mag7.totalSupply).toBe(3n * ONE);
    expect(mag7.holders.count).toBe(2);
    expect(mag7.deficit).toBe(false);
    expect(mag7.supplyCrossCheck).toBe(true);
    expect(mag7.signer).toBe(stack.file.keys.reserve!.address);

    const run = await ssi(['verify-reserves', '--holder', await wlp.getAddress()]);

    expect(run.stderr).not.toContain('unexpected');
    expect(run.status).toBe(0);
    expect(run.json.ok).toBe(true);
    expect(run.json.reports).toHaveLength(3);
    const names = run.json.reports.find((r: { index: string }) => r.index === 'MAG7.ssi').checks.map((c: { name: string }) => c.name);
    expect(names).toEqual(['report-hash', 'signature', 'block', 'recompute', 'registry', 'holder-proof']);
  });

  test('a second run the same day changes nothing: the stored reports and registry posts are reused', async () => {
    const before = await latestReports();
    await publish();
    const after = await latestReports();
    expect(after.map((r) => r.reportHash)).toEqual(before.map((r) => r.reportHash));
  });

  test('the auditor fails a report whose figures were altered after signing', async () => {
    const signed = (await latestReports()).find((r) => r.report.index.symbol === 'MAG7.ssi')!;
    const assets = signed.report.assets.map((a, i) => (i === 0 ? { ...a, custodyBalance: a.custodyBalance + 1_000n } : a));
    const file = writeReport('tampered.json', { ...signed, report: { ...signed.report, assets } });

    const run = await ssi(['verify-reserves', '--file', file]);

    expect(run.status).toBe(1);
    expect(failed(run.json)).toEqual(expect.arrayContaining(['report-hash', 'recompute']));
    expect(failed(run.json)).not.toContain('signature');
  });

  test('the auditor fails a report signed by a key other than the published reserve signer', async () => {
    const signed = (await latestReports()).find((r) => r.report.index.symbol === 'MAG7.ssi')!;
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
    const signed = (await latestReports()).find((r) => r.report.index.symbol === 'MAG7.ssi')!;
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
    const holder = await wlp2.getAddress();
    const body = (await (await stack.api(`/v1/reserves/${day}/proof/${holder}`)).json()) as { proofs: Array<{ symbol: string; leaf: [string, string] }> };
    const genuine = body.proofs.find((p) => p.symbol === 'MAG7.ssi')!;
    expect(genuine.leaf).toEqual([holder, (2n * ONE).toString()]);
    const good = path.join(work, 'proof-good.json');
    writeFileSync(good, JSON.stringify(genuine));
    const bad = path.join(work, 'proof-bad.json');
    writeFileSync(bad, JSON.stringify({ ...genuine, leaf: [holder, (3n * ONE).toString()] }));

    const ok = await ssi(['verify-reserves', '--index', 'MAG7.ssi', '--proof', good]);
    const wrong = await ssi(['verify-reserves', '--index', 'MAG7.ssi', '--proof', bad]);

    expect(ok.status).toBe(0);
    expect(wrong.status).toBe(1);
    expect(failed(wrong.json)).toEqual(['holder-proof']);
  });

  test('a drained custody balance shows as a deficit, fires the alarm metric and pauses minting of that index only; redeeming still works', async () => {
    // prepare: move half of one MAG7 asset out of the vault
    const mag7 = stack.file.indexes['MAG7.ssi']!;
    const [assets] = (await new Contract(mag7, INDEX_ABI, provider).getFunction('baseTokenset')()) as [string[]];
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
    const report = byIndex.get('MAG7.ssi')!;
    expect(report.deficit).toBe(true);
    expect(report.deficitAssets).toContain(drained);
    const line = report.assets.find((a) => a.asset === drained)!;
    expect(line.surplus).toBeLessThan(0n);
    expect(line.allocatedReserves).toBeLessThan(line.liabilities);
    // the alarm metric, with exactly the declared dimension
    const emf = emitted.flatMap((text) => text.split('\n')).filter((text) => text.includes('ReserveDeficit')).map((text) => JSON.parse(text));
    expect(emf.length).toBeGreaterThan(0);
    expect(emf[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'SSI', Dimensions: [['Index']] });
    expect(emf.map((e) => e.Index)).toContain('MAG7.ssi');
    // minting of MAG7 is paused, other indexes are not
    expect(await issuer.getFunction('isMintPaused')(mag7)).toBe(true);
    const otherDeficit = [...byIndex.values()].filter((r) => r.deficit).map((r) => r.index.symbol);
    for (const symbol of Object.keys(stack.file.indexes).filter((s) => !otherDeficit.includes(s))) {
      expect(await issuer.getFunction('isMintPaused')(stack.file.indexes[symbol])).toBe(false);
    }
    const [mintOrder, mintSignature] = await order('MAG7.ssi', Side.Mint, ONE, wlp);
    await expect((issuer.connect(wlp) as Contract).getFunction('mint').staticCall(mintOrder, mintSignature, 100)).rejects.toThrow(/MintPaused/);
    // redeeming still works
    const [redeemOrder, redeemSignature] = await order('MAG7.ssi', Side.Redeem, ONE / 2n, wlp2);
    await (await (issuer.connect(wlp2) as Contract).getFunction('redeem')(redeemOrder, redeemSignature, 100)).wait();
    expect(await new Contract(mag7, INDEX_ABI, provider).getFunction('balanceOf')(await wlp2.getAddress())).toBe(2n * ONE - ONE / 2n);

    // the operator clears the breaker: minting resumes
    const clear = await run(['reserves', 'clear-breaker', '--index', 'MAG7.ssi', '--data', stack.file.dataDir, '--json']);
    expect(clear.stderr + clear.stdout).toBe('clearing the mint breaker of MAG7.ssi\n' + clear.stdout);
    expect(clear.status).toBe(0);
    expect(await issuer.getFunction('isMintPaused')(mag7)).toBe(false);
  });
});
