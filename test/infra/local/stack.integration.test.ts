import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { tmpdir } from 'node:os';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { join, resolve } from 'node:path';
import { ATTESTED_ISSUER_INTERFACE } from '../../../lambdas/custody/attested-issuer';
import { waitFor } from '../../helpers/custody-stack';

const ROOT = resolve(__dirname, '../../..');
const BASE_PORT = 23100 + (process.pid % 50) * 10;
const SSI = resolve(ROOT, 'bin/ssi.js');
/** RequestStatus.Completed (AttestedIssuer). */
const COMPLETED = 2n;

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/** Runs the README's start command in its own process group, as a terminal would. */
function npmStart(dataDir: string, extra: string[] = []): Started {
  const child = spawn('npm', ['start', '--silent', '--', '--data', dataDir, '--base-port', String(BASE_PORT), '--no-scheduler', ...extra], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => text, exit };
}

async function until(condition: () => boolean, timeoutMs: number, what: string, started: Started): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (started.child.exitCode !== null) throw new Error(`${what}: the stack exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`${what}: timed out:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How many transfers the PMM sent with `memo`, per chain it holds an address on. */
async function pmmSent(ledgersUrl: string, pmm: Record<string, string>, memo: string): Promise<Record<string, number>> {
  const sent: Record<string, number> = {};
  for (const [chain, address] of Object.entries(pmm)) {
    const reply = (await (await fetch(`${ledgersUrl}/chains/${chain}/transfers?address=${encodeURIComponent(address)}&fromHeight=0`)).json()) as {
      transfers: Array<{ from: string; memo?: string }>;
    };
    sent[chain] = reply.transfers.filter((t) => t.from === address && t.memo === memo).length;
  }
  return sent;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills what a failed test left running and waits for it to go, so its ports are free for the next test. */
async function killGroup(started: Started): Promise<void> {
  try {
    process.kill(-started.child.pid!, 'SIGKILL');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      process.kill(-started.child.pid!, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ctrl-C as a terminal sends it (to the whole group); resolves once the stack process itself is gone. */
async function ctrlC(started: Started, stackPid: number): Promise<void> {
  process.kill(-started.child.pid!, 'SIGINT');
  await started.exit;
  const deadline = Date.now() + 20_000;
  while (alive(stackPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

describe('the local stack started with npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ssi-stack-'));
  // A transfer made on the first run's chain, to be found again after the restart.
  const payee = Wallet.createRandom().address;
  let transfer: { blockNumber: number; value: bigint } | undefined;
  // An attested mint of MAG7.ssi the PMM delivered for on the first run, not yet attested when that run stopped.
  let pendingMint: string | undefined;
  // What the native-chain ledgers hold on the first run: a custodian wallet's BTC and the PMM's inventory.
  let ledgersBefore: { wallets: Record<string, string>; pmm: Record<string, string>; balances: Record<string, string> } | undefined;
  const nativeBalances = async (ledgersUrl: string, addresses: Record<string, string>): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const [chain, address] of Object.entries(addresses)) {
      const reply = (await (await fetch(`${ledgersUrl}/chains/${chain}/balances?address=${encodeURIComponent(address)}`)).json()) as { balances: Array<{ asset: string; amount: string }> };
      for (const { asset, amount } of reply.balances) out[`${chain}|${address}|${asset}`] = amount;
    }
    return out;
  };

  test('comes up healthy, serves declared routes and schedules, and stops without leaving processes behind', async () => {
    const started = npmStart(dataDir);
    try {
      await until(() => started.output().includes('Ctrl-C stops everything.'), 240_000, 'start', started);
      const stack = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
      expect(stack.api).toBe(`http://127.0.0.1:${BASE_PORT}`);
      expect(started.output()).toContain(join(dataDir, 'stack.json'));

      const health = await fetch(`${stack.api}/health`);
      const body = (await health.json()) as { ok: boolean; components: Record<string, { ok: boolean }> };
      expect(health.status).toBe(200);
      expect(Object.fromEntries(Object.entries(body.components).map(([k, v]) => [k, v.ok]))).toEqual({
        chain: true,
        dynamodb: true,
        kms: true,
        s3: true,
        scheduler: true,
      });

      const protocol = (await (await fetch(`${stack.api}/v1/protocol`)).json()) as { chainId: number; signers: { operator: string } };
      expect(protocol.chainId).toBe(31337);
      expect(protocol.signers.operator).toBe(stack.keys.operator.address);

      const run = await fetch(`${stack.api}/_local/schedules/heartbeat/run`, { method: 'POST' });
      expect(run.status).toBe(200);
      expect(((await run.json()) as { lastRun: { ok: boolean } }).lastRun.ok).toBe(true);

      expect((await fetch(`${stack.api}/v1/nothing-here`)).status).toBe(404);

      const chain = new JsonRpcProvider(stack.rpc, undefined, { staticNetwork: true });
      const value = 123_456_789n;
      const sent = await (await chain.getSigner(2)).sendTransaction({ to: payee, value });
      transfer = { blockNumber: (await sent.wait())!.blockNumber, value };
      chain.destroy();

      const { ledgersUrl, wallets, pmmNativeAddresses } = stack.custody as { ledgersUrl: string; wallets: Record<string, string>; pmmNativeAddresses: Record<string, string> };
      const minted = await fetch(`${ledgersUrl}/chains/bitcoin/mint`, { method: 'POST', body: JSON.stringify({ to: wallets.bitcoin, asset: 'BTC', amount: '4242' }) });
      expect(minted.status).toBe(200);
      ledgersBefore = { wallets, pmm: pmmNativeAddresses, balances: { ...(await nativeBalances(ledgersUrl, wallets)), ...(await nativeBalances(ledgersUrl, pmmNativeAddresses)) } };
      expect(ledgersBefore.balances[`bitcoin|${wallets.bitcoin}|BTC`]).toBe('4242');
      expect(Object.keys(pmmNativeAddresses)).toContain('bitcoin');
      // The WLP mints MAG7.ssi; the PMM delivers on every native chain. Nothing attests it on this run (no scheduler).
      pendingMint = (JSON.parse(execFileSync(process.execPath, [SSI, 'mint', '--index', 'MAG7.ssi', '--amount', '0.1', '--json', '--data', dataDir], { encoding: 'utf8' })) as { requestId: string }).requestId;
      const delivered = async () => Object.values(await pmmSent(ledgersUrl, pmmNativeAddresses, pendingMint!)).reduce((n, legs) => n + legs, 0);
      await waitFor('the PMM to deliver the mint on every chain', async () => (await delivered()) === Object.keys(wallets).length);
      ledgersBefore.balances = { ...(await nativeBalances(ledgersUrl, wallets)), ...(await nativeBalances(ledgersUrl, pmmNativeAddresses)) };

      const lock = JSON.parse(readFileSync(join(dataDir, 'stack.pid'), 'utf8')) as { pid: number; children: number[] };
      expect(lock.children.length).toBeGreaterThanOrEqual(2);
      await ctrlC(started, lock.pid);
      expect(started.output()).toMatch(/SIGINT: stopping the local stack\nstopped/);
      expect([lock.pid, ...lock.children].filter(alive)).toEqual([]);
      expect(existsSync(join(dataDir, 'stack.pid'))).toBe(false);
      expect(existsSync(join(dataDir, 'chain', 'anvil-state.json'))).toBe(true);
    } finally {
      await killGroup(started);
    }
  });

  test('a second start resumes the PMM: it completes the mint it delivered for before the restart, sending nothing twice', async () => {
    const started = npmStart(dataDir);
    try {
      await until(() => started.output().includes('Ctrl-C stops everything.'), 240_000, 'restart', started);
      const stack = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
      const { ledgersUrl, wallets, pmmNativeAddresses } = stack.custody as { ledgersUrl: string; wallets: Record<string, string>; pmmNativeAddresses: Record<string, string> };
      for (const chain of Object.keys(wallets)) {
        await fetch(`${ledgersUrl}/chains/${chain}/mine`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ blocks: '40' }) });
      }
      const watch = await fetch(`${stack.api}/_local/schedules/custody-watch/run`, { method: 'POST' });
      expect(((await watch.json()) as { lastRun: { ok: boolean } }).lastRun.ok).toBe(true);

      const chain = new JsonRpcProvider(stack.rpc, undefined, { staticNetwork: true });
      const issuer = new Contract(stack.custody.attestedIssuer, ATTESTED_ISSUER_INTERFACE, chain);
      const status = async () => ((await issuer.getFunction('getMintRequest')(pendingMint)) as { status: bigint }).status;
      try {
        await waitFor('the restarted PMM to complete the mint', async () => (await status()) === COMPLETED);
      } finally {
        chain.destroy();
      }
      expect(Object.values(await pmmSent(ledgersUrl, pmmNativeAddresses, pendingMint!))).toEqual(Object.keys(wallets).map(() => 1));
      await ctrlC(started, stack.pid);
    } finally {
      await killGroup(started);
    }
  });

  test('a second start reuses the data folder: the same KMS signer addresses, DynamoDB items and chain, without a redeploy', async () => {
    const first = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
    const started = npmStart(dataDir);
    try {
      await until(() => started.output().includes('Ctrl-C stops everything.'), 240_000, 'restart', started);
      const second = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
      expect(second.keys).toEqual(first.keys);
      expect(second.startedAt).not.toBe(first.startedAt);
      const health = (await (await fetch(`${second.api}/health`)).json()) as { ok: boolean };
      expect(health.ok).toBe(true);
      const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: second.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }));
      const heartbeat = await dynamo.send(new GetCommand({ TableName: second.tables.ops, Key: { pk: 'heartbeat', sk: 'latest' } }));
      dynamo.destroy();
      expect(heartbeat.Item?.recordedAt).toEqual(expect.any(String));

      expect(started.output()).toContain('contracts kept from the previous run');
      expect(started.output()).not.toContain('deploying contracts');
      expect(second.contracts).toEqual(first.contracts);
      expect(second.tokens).toEqual(first.tokens);
      const chain = new JsonRpcProvider(second.rpc, undefined, { staticNetwork: true });
      const deployed = [...['issuer', 'custodyVault', 'rebalancer', 'rewardsDistributor', 'ussi'].map((name) => second.contracts[name]), ...Object.values(second.indexes)];
      for (const address of deployed as string[]) expect(await chain.getCode(address)).not.toBe('0x');
      expect(await chain.getBalance(payee)).toBe(transfer!.value);
      expect(await chain.getBlockNumber()).toBeGreaterThanOrEqual(transfer!.blockNumber);
      chain.destroy();
      // The native-chain ledgers are kept too: the same custodian wallets and PMM addresses, holding what they held
      // (the PMM's inventory not credited a second time).
      expect(second.custody.wallets).toEqual(ledgersBefore!.wallets);
      expect(second.custody.pmmNativeAddresses).toEqual(ledgersBefore!.pmm);
      expect({ ...(await nativeBalances(second.custody.ledgersUrl, second.custody.wallets)), ...(await nativeBalances(second.custody.ledgersUrl, second.custody.pmmNativeAddresses)) }).toEqual(
        ledgersBefore!.balances,
      );
      const protocol = await fetch(`${second.api}/v1/protocol`);
      expect(protocol.status).toBe(200);
      expect(((await protocol.json()) as { chainId: number }).chainId).toBe(31337);
      await ctrlC(started, second.pid);
      expect(alive(second.pid)).toBe(false);
    } finally {
      await killGroup(started);
    }
  });

  test('a port already in use gives one clear message and a non-zero exit', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(BASE_PORT + 3, '127.0.0.1', () => r()));
    try {
      const started = npmStart(mkdtempSync(join(tmpdir(), 'ssi-stack-port-')));
      const code = await started.exit;
      expect(code).not.toBe(0);
      expect(started.output()).toMatch(new RegExp(`port ${BASE_PORT + 3} for the local KMS endpoint is already in use`));
    } finally {
      blocker.close();
    }
  });

  test('a corrupt data folder gives one clear message naming the file and --reset', async () => {
    const corrupt = mkdtempSync(join(tmpdir(), 'ssi-stack-corrupt-'));
    writeFileSync(join(corrupt, 'stack.json'), '{ not json');
    const started = npmStart(corrupt);
    expect(await started.exit).not.toBe(0);
    expect(started.output()).toMatch(/is corrupt: stack\.json is unreadable.*--reset/);

    mkdirSync(join(corrupt, 'kms'), { recursive: true });
    writeFileSync(join(corrupt, 'stack.json'), JSON.stringify({ startedAt: 'x' }));
    writeFileSync(join(corrupt, 'kms', 'keys.json'), '[garbage');
    const again = npmStart(corrupt);
    expect(await again.exit).not.toBe(0);
    expect(again.output()).toMatch(/key file .*keys\.json is corrupt/);
  });

  test('a machine without Java is told exactly what to install', () => {
    const nodeOnly = mkdtempSync(join(tmpdir(), 'ssi-path-'));
    symlinkSync(process.execPath, join(nodeOnly, 'node'));
    const result = spawnSync(process.execPath, ['scripts/prereqs.js'], { cwd: ROOT, env: { PATH: nodeOnly }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/needs a Java 17 JDK \(java and javac\).*found none/);
    expect(result.stderr).toContain('apt-get install -y openjdk-17-jdk-headless');
  });
});
