import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const WEB_DIR = join(__dirname, '../../web');

/** A reply the local API Gateway sends as it is (the web app's files). */
export interface RawReply {
  statusCode: number;
  headers: Record<string, string>;
  raw: Buffer;
}

/** Where the app finds the API and the chain RPC, and the chain wallets must be on (served as /config.json). */
export interface WebConfig {
  api: string;
  rpc: string;
  chainId: number;
}

/** The built app: path -> content type and bytes. */
export type WebApp = ReadonlyMap<string, { type: string; body: Buffer }>;

/**
 * Bundles web/src/main.ts (with the shared verifier code from lambdas/) for the browser, in memory.
 * Synchronous because the CDK app, which builds constructs synchronously, bundles it too.
 */
export function buildWebApp(): WebApp {
  const result = buildSync({
    entryPoints: [join(WEB_DIR, 'src/main.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    logLevel: 'silent',
    outfile: 'app.js',
  });
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(join(WEB_DIR, 'index.html')) }],
    ['/app.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(WEB_DIR, 'app.css')) }],
    ['/favicon.svg', { type: 'image/svg+xml', body: readFileSync(join(WEB_DIR, 'favicon.svg')) }],
    // Each index's backtest for the index page's chart (npm run web:backtests writes it).
    ['/backtests.json', { type: 'application/json', body: readFileSync(join(WEB_DIR, 'backtests.json')) }],
    ['/app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(result.outputFiles[0]!.contents) }],
  ]);
}

/** Writes the built app's files into `dir` (index.html for `/`), as the CDK app uploads them to the site bucket. */
export function writeWebApp(app: WebApp, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [path, file] of app) writeFileSync(join(dir, path === '/' ? 'index.html' : path.slice(1)), file.body);
}

/** The /config.json the app reads at start: the one place the API and RPC it calls are written. */
export const webConfigJson = (config: WebConfig): string => JSON.stringify(config);

/**
 * The headers every file of the app carries: a content security policy allowing only the app's
 * own origin plus the API and RPC origins it calls, and no framing, sniffing or referrer leaks.
 */
export function securityHeaders(config: WebConfig): Record<string, string> {
  const connect = [...new Set(["'self'", new URL(config.api).origin, new URL(config.rpc).origin])].join(' ');
  return {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

/** The app's reply for a GET of `path`, or undefined when the path is not one of its files. */
export function webReply(app: WebApp, config: WebConfig, path: string): RawReply | undefined {
  const file = path === '/config.json' ? { type: 'application/json', body: Buffer.from(webConfigJson(config)) } : app.get(path === '/index.html' ? '/' : path);
  if (!file) return undefined;
  return { statusCode: 200, headers: { 'content-type': file.type, 'cache-control': 'no-cache', ...securityHeaders(config) }, raw: file.body };
}
