import type { Command } from 'commander';
import { registerStack } from './stack';
import { registerBacktest } from './backtest';
import { registerMint, registerQuote, registerRedeem, registerStatus } from './wlp';

/** Every `ssi` command, one registration function each. */
export const commands: ReadonlyArray<(program: Command) => void> = [registerStack, registerBacktest, registerQuote, registerMint, registerRedeem, registerStatus];
