import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { JsonRpcProvider } from 'ethers';
import { ensurePortFree, waitFor, StackError } from './net';
import { stopChild } from './dynamodb';
import { deploymentSchema, type DeploymentRecord } from '../../topology/deployment';

const ROOT = resolve(__dirname, '../..');
const HARDHAT_CLI = require.resolve('hardhat/internal/cli/cli');

export interface RunningChain {
  rpcUrl: string;
  chainId: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface ChainOptions {
  /**
   * anvil loads the chain from this file when it exists and writes it back when it stops (and every
   * STATE_INTERVAL_S while it runs); without it the chain lives in memory only.
   */
  stateFile?: string;
}

/** Seconds between anvil's state dumps, so a killed stack loses at most this much of the chain. */
const STATE_INTERVAL_S = 30;

/**
 * The anvil binary for this platform, found the way the `@foundry-rs/anvil` wrapper finds it: its
 * optional dependency `@foundry-rs/anvil-<platform>-<arch>`. The stack runs the binary itself, not the
 * wrapper, so that stopping it reaches anvil and anvil writes its state file.
 */
export function anvilBinary(): string {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
  const platform = ['linux', 'darwin', 'win32'].includes(process.platform) ? process.platform : undefined;
  if (!arch || !platform) throw new StackError(`anvil has no npm build for ${process.platform}/${process.arch}`);
  const wrapper = createRequire(require.resolve('@foundry-rs/anvil/package.json'));
  const name = platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    return wrapper.resolve(`@foundry-rs/anvil-${platform}-${arch}/bin/${name}`);
  } catch {
    throw new StackError(`the anvil binary for ${platform}/${arch} is not installed: run npm install (package @foundry-rs/anvil-${platform}-${arch})`);
  }
}

/** Waits until the chain child answers eth_chainId on 127.0.0.1:port; kills it when it does not. */
async function readyChain(child: ChildProcess, port: number, what: string, timeoutMs: number, stop: () => Promise<void>): Promise<RunningChain> {
  let output = '';
  let exited: string | undefined;
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.on('exit', (code, signal) => (exited ??= `exit ${code ?? signal}\n${output.trim()}`));
  child.on('error', (error) => (exited ??= error.message));
  const rpcUrl = `http://127.0.0.1:${port}`;
  let chainId = 0;
  try {
    await waitFor(
      async () => {
        const answer = await fetch(rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        });
        chainId = Number(((await answer.json()) as { result: string }).result);
        return chainId > 0;
      },
      timeoutMs,
      what,
      () => exited,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { rpcUrl, chainId, process: child, stop };
}

/**
 * Starts `hardhat node` on 127.0.0.1 (it compiles the contracts first). The relayer's tests and
 * benchmark stay on it: their stuck-transaction replacement case passes here and times out on anvil.
 */
export async function startChain(port: number): Promise<RunningChain> {
  await ensurePortFree(port, 'the Hardhat node');
  const child = hardhat(['node', '--hostname', '127.0.0.1', '--port', String(port)]);
  return readyChain(child, port, 'the Hardhat node', 180_000, () => stopChild(child));
}

/**
 * Starts anvil on 127.0.0.1 for the local stack, set up as Hardhat's node is: chain id 31337, the
 * twenty dev accounts of the "test test ... junk" mnemonic (anvil's default) with 10,000 ETH each,
 * a 60M block gas limit and automine. With `stateFile` the chain survives a restart.
 */
export async function startAnvil(port: number, options: ChainOptions = {}): Promise<RunningChain> {
  await ensurePortFree(port, 'the chain (anvil)');
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', '31337', '--accounts', '20', '--balance', '10000', '--gas-limit', '60000000'];
  if (options.stateFile) {
    mkdirSync(dirname(options.stateFile), { recursive: true });
    args.push('--state', options.stateFile, '--state-interval', String(STATE_INTERVAL_S));
  }
  const child = spawn(anvilBinary(), args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return readyChain(child, port, 'the chain (anvil)', 60_000, () => stopChild(child, 15_000, 'SIGINT')); // anvil writes its state file on SIGINT
}

/**
 * The deployment record in `file` when the chain still holds it (code at every contract, token and
 * index address), so a restart on a kept chain does not deploy again; undefined when it must deploy.
 */
export async function deploymentOnChain(rpcUrl: string, file: string): Promise<DeploymentRecord | undefined> {
  if (!existsSync(file)) return undefined;
  const parsed = deploymentSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) return undefined;
  const record = parsed.data;
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    if (Number(await provider.send('eth_chainId', [])) !== record.chainId) return undefined;
    // The local deploy names some accounts as vaults (the hedge vault a dev account, each fee vault the
    // operator signer's account): accounts, not code.
    const devAccounts = new Set([...((await provider.send('eth_accounts', [])) as string[]), ...Object.values(record.signers ?? {})].map((a) => String(a).toLowerCase()));
    const addresses = [...Object.values(record.contracts), ...Object.values(record.tokens).map((t) => t.address), ...Object.values(record.indexes)].filter(
      (address) => !devAccounts.has(address.toLowerCase()),
    );
    for (const address of addresses) if ((await provider.getCode(address)) === '0x') return undefined;
    return record;
  } finally {
    provider.destroy();
  }
}

function hardhat(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [HARDHAT_CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the deploy script against the running node; it writes <deploymentsDir>/localhost.json. */
export async function deployContracts(rpcUrl: string, deploymentsDir: string, log: (line: string) => void): Promise<void> {
  const child = hardhat(['run', 'scripts/deploy.ts', '--network', 'localhost'], { SSI_RPC_URL: rpcUrl, SSI_DEPLOYMENTS_DIR: deploymentsDir });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    for (const line of d.toString().split('\n').filter(Boolean)) log(`  deploy: ${line}`);
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  if (code !== 0) throw new StackError(`the deploy script failed (exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`);
}
