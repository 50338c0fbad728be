import { Command } from 'commander';
import { CliError } from './output';
import { commands } from './commands';

const program = new Command('ssi')
  .description('SSI protocol CLI for WLPs, operators and auditors')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
  if (code?.startsWith('commander.')) process.exit(2);
  const json = process.argv.includes('--json');
  const message = error instanceof CliError ? error.message : `unexpected failure: ${(error as Error).message ?? String(error)}`;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
  process.stderr.write(`ssi: ${message}\n`);
  process.exit(1);
});
