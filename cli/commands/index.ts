import type { Command } from 'commander';
import { register as registerBacktest } from './backtest';

/** Every `ssi` command, one registration function each. */
export const commands: ReadonlyArray<(program: Command) => void> = [registerBacktest];
