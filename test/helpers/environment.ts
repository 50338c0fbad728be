/**
 * The node test environment, plus one fix: a failed assertion on bigints reaches the report.
 *
 * jest-worker sends each file's results to the parent as JSON, and a failure's details carry the
 * matcher's raw `actual` and `expected`. A bigint there makes the send throw, and jest reports only
 * "Do not know how to serialize a BigInt" in place of the assertion that failed. This environment
 * rewrites bigints in a failed test's errors as strings ("5n") before the results leave the worker;
 * the printed message, already formatted, is untouched.
 */
import NodeEnvironment from 'jest-environment-node';

/** Replaces bigints reachable from `value`'s own properties, in place; objects are visited once. */
export function stringifyBigInts(value: unknown, seen = new Set<object>()): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  for (const key of Object.getOwnPropertyNames(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (!descriptor || !('value' in descriptor) || !descriptor.writable) continue;
    const replaced = stringifyBigInts(descriptor.value, seen);
    if (replaced !== descriptor.value) (value as Record<string, unknown>)[key] = replaced;
  }
  return value;
}

export default class BigIntSafeEnvironment extends NodeEnvironment {
  async handleTestEvent(event: { name: string; test?: { errors: unknown[] } }): Promise<void> {
    if (event.name === 'test_done') stringifyBigInts(event.test?.errors);
  }
}
