import type { BaseContract, Interface } from 'ethers';

interface RevertData {
  data?: string;
  error?: RevertData;
  info?: { error?: RevertData };
}

function revertData(error: unknown): string | undefined {
  let current = error as RevertData | undefined;
  while (current) {
    if (typeof current.data === 'string' && current.data.startsWith('0x')) return current.data;
    current = current.error ?? current.info?.error;
  }
  return undefined;
}

/** The custom error of `contract` that `error` (a failed call or transaction) reverted with, if it decodes as one. */
export function decodeRevert(error: unknown, contract: BaseContract | Interface): { name: string; args: readonly unknown[] } | undefined {
  const data = revertData(error);
  if (data === undefined) return undefined;
  const parsed = ('interface' in contract ? contract.interface : contract).parseError(data);
  return parsed ? { name: parsed.name, args: [...parsed.args] } : undefined;
}

/**
 * Awaits `action` and asserts it reverted with the custom error `name` declared in `contract`'s
 * ABI, and, when given, with exactly these arguments (compared as strings so bigints and
 * addresses read naturally in tests). Pass the action as a function when the expected arguments
 * are awaited inline: it then starts only after they are read, so its rejection cannot arrive
 * before anything listens for it.
 */
export async function expectRevert(
  action: Promise<unknown> | (() => Promise<unknown>),
  contract: BaseContract | Interface,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  let thrown: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error(`expected a revert with ${name}, but the call succeeded`);
  if (revertData(thrown) === undefined) throw new Error(`expected a revert with ${name}, got: ${(thrown as Error).message}`);
  const parsed = decodeRevert(thrown, contract);
  if (parsed === undefined) throw new Error(`expected a revert with ${name}, got undecodable data ${revertData(thrown)}`);
  expect(parsed.name).toBe(name);
  if (args !== undefined) {
    expect(parsed.args.map(String)).toEqual(args.map(String));
  }
}
