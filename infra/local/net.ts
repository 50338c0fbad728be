import type { Server } from 'node:http';
import { createServer } from 'node:net';

/** Thrown when the stack cannot start; the message is what the operator needs to fix it. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

/** Binds `server` to 127.0.0.1:port, turning "address in use" into one clear message. */
export function listen(server: Server, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new StackError(`port ${port} for the ${what} is already in use: stop whatever holds it or pick another port`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Fails with a clear message when a port another process must bind (chain, DynamoDB) is taken. */
export async function ensurePortFree(port: number, what: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new StackError(`port ${port} for ${what} is already in use: stop whatever holds it or pick another port`) : error),
    );
    // Every process the stack starts binds 127.0.0.1 (DynamoDB Local through infra/local/java/LocalDynamoDb.java).
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** Polls `check` until it resolves true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, isAlive?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = isAlive?.();
    if (dead) throw new StackError(`${what} exited while starting: ${dead}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new StackError(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
