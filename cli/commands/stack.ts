import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, report } from '../output';
import type { StackFile } from '../../infra/local/stack';

/** Where a running local stack wrote stack.json: --data, then $SSI_DATA_DIR, then the default folder. */
export function readStackFile(dataDir?: string): StackFile {
  const dir = resolve(dataDir ?? process.env.SSI_DATA_DIR ?? resolve(__dirname, '../../.data/local'));
  const path = resolve(dir, 'stack.json');
  if (!existsSync(path)) throw new CliError(`no local stack found: ${path} does not exist (start one with npm start)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  } catch (error) {
    throw new CliError(`${path} is unreadable: ${(error as Error).message}`);
  }
}

export function registerStack(program: Command): void {
  program
    .command('stack')
    .description('show the local stack: endpoints, signers, contracts, and whether each component is healthy')
    .option('--data <dir>', 'the stack data folder (default .data/local or $SSI_DATA_DIR)')
    .option('--json', 'machine-readable output')
    .action(async (options: { data?: string; json?: boolean }) => {
      const stack = readStackFile(options.data);
      let health: { ok: boolean; components: Record<string, { ok: boolean; error?: string }> };
      try {
        const answer = await fetch(stack.health, { signal: AbortSignal.timeout(10_000) });
        health = (await answer.json()) as typeof health;
      } catch (error) {
        throw new CliError(`the local stack at ${stack.api} is not answering (${(error as Error).message}); is npm start running?`);
      }
      report(options, { ...stack, health }, () => [
        `local stack ${health.ok ? 'healthy' : 'UNHEALTHY'} (pid ${stack.pid}, data ${stack.dataDir})`,
        ...Object.entries(health.components).map(([name, c]) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${name}${c.error ? `: ${c.error}` : ''}`),
        `  api ${stack.api}  rpc ${stack.rpc}  chain ${stack.chainId}`,
        ...Object.entries(stack.keys).map(([role, k]) => `  signer ${role}: ${k.address} (${k.alias})`),
        ...Object.entries(stack.indexes).map(([symbol, address]) => `  index ${symbol}: ${address}`),
      ]);
      if (!health.ok) process.exitCode = 1;
    });
}
