import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { ensurePortFree, waitFor, StackError } from './net';
import { stopChild } from './dynamodb';

const ROOT = resolve(__dirname, '../..');
const HARDHAT_CLI = require.resolve('hardhat/internal/cli/cli');

export interface RunningChain {
  rpcUrl: string;
  chainId: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

function hardhat(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [HARDHAT_CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts `hardhat node` on 127.0.0.1 (it compiles the contracts first). */
export async function startChain(port: number): Promise<RunningChain> {
  await ensurePortFree(port, 'the Hardhat node');
  const child = hardhat(['node', '--hostname', '127.0.0.1', '--port', String(port)]);
  let output = '';
  let exited: string | undefined;
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.on('exit', (code, signal) => (exited ??= `exit ${code ?? signal}\n${output.trim()}`));
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
      180_000,
      'the Hardhat node',
      () => exited,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { rpcUrl, chainId, process: child, stop: () => stopChild(child) };
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
