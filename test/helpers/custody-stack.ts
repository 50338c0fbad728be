/**
 * What the local-stack custody tests do to the stack: run the CLI as the local WLP, call the native-chain ledger
 * simulators, make blocks pass until transfers are final, fire the custody-watch schedule once, and wait.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestStack } from './stack';

const run = promisify(execFile);
const SSI = resolve(__dirname, '../../bin/ssi.js');

/** The simulated native chains the local stack's custodian wallets live on. */
export const NATIVE_CHAINS = ['bitcoin', 'dogecoin', 'solana', 'xrpl', 'cardano'] as const;

export function custodyStackTools(stack: () => TestStack) {
  /** `npx ssi <args> --json` against the stack's data folder. */
  const cli = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [SSI, ...args, '--json', '--data', stack().file.dataDir], { timeout: 180_000 });
    return JSON.parse(stdout) as Record<string, any>;
  };
  /** GET (no body) or POST (body) on the ledger simulators' HTTP API; an error answer throws with its message. */
  const ledger = async <T>(path: string, body?: unknown): Promise<T> => {
    const init = body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const response = await fetch(`${stack().file.custody.ledgersUrl}${path}`, init);
    const json = (await response.json()) as T & { message?: string };
    if (!response.ok) throw new Error(`${path}: ${json.message}`);
    return json;
  };
  /** Every transfer into or out of `address` on `chain`. */
  const transfersOf = (chain: string, address: string) =>
    ledger<{ transfers: Array<{ txId: string; memo?: string; from: string; to: string; asset: string; amount: string }> }>(
      `/chains/${chain}/transfers?address=${encodeURIComponent(address)}&fromHeight=0`,
    );
  /** Blocks pass on every native chain until what was sent is final. */
  const finalizeAll = async () => {
    for (const chain of NATIVE_CHAINS) await ledger(`/chains/${chain}/mine`, { blocks: '40' });
  };
  /** One run of the custody-watch schedule, as the scheduler fires it; it must succeed. */
  const watch = async () => {
    const state = await stack().scheduler.run('custody-watch');
    expect(state.lastRun).toEqual(expect.objectContaining({ ok: true }));
  };
  return { cli, ledger, transfersOf, finalizeAll, watch };
}

/** Polls `check` every half second until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
