import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const AUTOCANNON = require.resolve('autocannon/autocannon.js');

/** A port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  '2xx': number;
}

/** JSON POSTs of `body` with the WLP API key from `connections` connections for `seconds`, by autocannon in a child process (the load generator does not share the caller's event loop). */
export async function autocannon(url: string, apiKey: string, body: string, connections: number, seconds: number): Promise<AutocannonResult> {
  const { stdout } = await run(
    process.execPath,
    [AUTOCANNON, '-j', '-m', 'POST', '-c', String(connections), '-d', String(seconds), '-H', 'content-type=application/json', '-H', `x-api-key=${apiKey}`, '-b', body, url],
    { maxBuffer: 64 * 1024 * 1024, timeout: (seconds + 60) * 1000 },
  );
  return JSON.parse(stdout) as AutocannonResult;
}
