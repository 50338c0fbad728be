import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type RunningStack, type StackOptions } from '../../infra/local/stack';
import { freePort } from './dynamo';

/** A running test stack and a fetch on its HTTP API. */
export type TestStack = RunningStack & { api: (path: string, init?: RequestInit) => Promise<Response> };

/**
 * The whole local stack in this test process, on free ports and a fresh data folder, with
 * schedules fired only on demand (`stack.scheduler.run(name)`). Functions run from their bundles in
 * Lambda-shaped workers, exactly as under `npm start`. One per test file; SSI_TEST_STACK_LOG=1 prints
 * the stack's log (failed invocations included) to stderr.
 */
export async function startTestStack(options: Pick<StackOptions, 'dynamodbInMemory' | 'synthesize'> = {}): Promise<TestStack> {
  const ports = { api: await freePort(), chain: await freePort(), dynamodb: await freePort(), kms: await freePort(), s3: await freePort() };
  const stack = await startStack({
    dataDir: mkdtempSync(join(tmpdir(), 'ssi-test-stack-')),
    ports,
    scheduler: false,
    log: process.env.SSI_TEST_STACK_LOG ? (line) => process.stderr.write(`${line}\n`) : () => undefined,
    ...options,
  });
  return { ...stack, api: (path, init) => fetch(`${stack.file.api}${path}`, init) };
}
