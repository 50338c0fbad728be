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
  const data = revertData(thrown);
  if (data === undefined) throw new Error(`expected a revert with ${name}, got: ${(thrown as Error).message}`);
  const iface = 'interface' in contract ? contract.interface : contract;
  const parsed = iface.parseError(data);
  if (parsed === null) throw new Error(`expected a revert with ${name}, got undecodable data ${data}`);
  expect(parsed.name).toBe(name);
  if (args !== undefined) {
    expect(parsed.args.map(String)).toEqual(args.map(String));
  }
}
