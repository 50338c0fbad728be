import type { Command } from 'commander';
import { registerStack } from './stack';

/** Every `ssi` command, one registration function each. */
export const commands: ReadonlyArray<(program: Command) => void> = [registerStack];
