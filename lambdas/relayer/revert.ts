import { isError, type Interface, type Result } from 'ethers';

/** What a revert said, as far as it can be read. */
export interface RevertDescription {
  readonly reason: string;
  /** The raw revert data, when the node gave some. */
  readonly data?: string;
}

function formatValue(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

function formatArgs(args: Result | readonly unknown[]): string {
  return Array.from(args as readonly unknown[]).map(formatValue).join(', ');
}

function revertData(error: unknown): string | undefined {
  const data = (error as { data?: unknown }).data;
  if (typeof data === 'string' && /^0x[0-9a-fA-F]*$/.test(data) && data.length > 2) return data;
  return undefined;
}

/**
 * Whether `error` says the call itself reverted (as opposed to the node being unreachable or the
 * request being malformed): only then is a failure the transaction's fault.
 */
export function isRevert(error: unknown): boolean {
  if (isError(error, 'CALL_EXCEPTION')) return true;
  const message = String((error as Error)?.message ?? '');
  return /execution reverted|reverted with|VM Exception while processing transaction|invalid opcode/i.test(message);
}

/**
 * Reads a revert: a custom error decoded with `errors` when given (the protocol's interfaces),
 * Error(string) and Panic(uint256) as ethers decodes them, else the selector or the node's words.
 */
export function describeRevert(error: unknown, errors?: Interface): RevertDescription {
  const data = revertData(error);
  if (data && errors) {
    try {
      const parsed = errors.parseError(data);
      if (parsed) return { reason: `${parsed.name}(${formatArgs(parsed.args)})`, data };
    } catch {
      // not one of ours: fall through to the generic forms
    }
  }
  if (isError(error, 'CALL_EXCEPTION')) {
    if (error.revert) {
      const { name, args } = error.revert;
      if (name === 'Error') return { reason: String(args[0]), data };
      return { reason: `${name}(${formatArgs(args)})`, data };
    }
    if (error.reason) return { reason: error.reason, data };
  }
  if (data) return { reason: `custom error ${data.slice(0, 10)}`, data };
  const message = String((error as Error)?.message ?? error);
  const node = /reverted with reason string '([^']*)'/.exec(message)?.[1];
  return { reason: node ?? 'execution reverted without a reason' };
}
