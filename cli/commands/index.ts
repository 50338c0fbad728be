import type { Command } from 'commander';

/** Every `ssi` command, one registration function each. */
export const commands: ReadonlyArray<(program: Command) => void> = [];
