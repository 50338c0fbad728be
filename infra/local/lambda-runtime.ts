import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../topology';
import { LOCAL_REGION } from './credentials';

const ROOT = resolve(__dirname, '../..');

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export class LambdaTimeout extends Error {
  constructor(readonly functionName: string, readonly timeoutSeconds: number) {
    super(`${functionName} timed out after ${timeoutSeconds} s`);
  }
}

/**
 * Runs the real handlers in this process, the way Lambda would: a fresh context per invocation
 * and the declared timeout enforced. Handler modules load on first use (a cold start).
 */
export class LocalLambdas {
  private readonly handlers = new Map<string, LambdaHandler>();

  spec(name: FunctionName): FunctionSpec {
    const spec = FUNCTIONS.find((f) => f.name === name);
    if (!spec) throw new Error(`no function ${name} in the topology`);
    return spec;
  }

  private handler(spec: FunctionSpec): LambdaHandler {
    let handler = this.handlers.get(spec.name);
    if (!handler) {
      const mod = require(resolve(ROOT, spec.entry)) as { handler?: LambdaHandler };
      if (typeof mod.handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
      handler = mod.handler;
      this.handlers.set(spec.name, handler);
    }
    return handler;
  }

  async invoke(name: FunctionName, event: unknown): Promise<unknown> {
    const spec = this.spec(name);
    const handler = this.handler(spec);
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    const requestId = randomUUID();
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: `ssi-${spec.name}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:ssi-${spec.name}`,
      memoryLimitInMB: String(spec.memoryMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/ssi-${spec.name}`,
      logStreamName: `local/${requestId}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LambdaTimeout(spec.name, spec.timeoutSeconds)), spec.timeoutSeconds * 1000);
    });
    try {
      return await Promise.race([handler(event, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
