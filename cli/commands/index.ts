import type { Command } from 'commander';
import { registerStack } from './stack';
import { registerBacktest } from './backtest';
import { registerCancel, registerMint, registerQuote, registerRedeem, registerStatus } from './wlp';
import { registerClaim } from './claim';
import { registerReserves } from './reserves';
import { registerVerifyReserves } from './verify-reserves';
import { registerAdmin } from './admin';
import { registerUssi } from './ussi';

/** Every `ssi` command, one registration function each. */
export const commands: ReadonlyArray<(program: Command) => void> = [
  registerStack,
  registerQuote,
  registerMint,
  registerRedeem,
  registerStatus,
  registerCancel,
  registerClaim,
  registerVerifyReserves,
  registerReserves,
  registerBacktest,
  registerAdmin,
  registerUssi,
];
