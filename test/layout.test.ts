import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Module specifiers a file imports (static imports, re-exports, require and dynamic import). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

describe('module layering', () => {
  it.each(['lambdas', 'topology'])('%s/ never imports infra/ (the declarations live in topology/)', (folder) => {
    const offenders = sources(join(ROOT, folder)).flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith('.') && relative(ROOT, resolve(file, '..', spec)).split('/')[0] === 'infra')
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('layout rules (README, Layout)', () => {
  it('lambdas/domain is pure: no file, network, process or worker access, and no AWS SDK', () => {
    const impure = /^(node:)?(fs|fs\/promises|http|https|net|tls|dgram|child_process|worker_threads|cluster)$|^@aws-sdk\//;
    const offenders = sources(join(ROOT, 'lambdas/domain')).flatMap((file) => [
      ...importsOf(file)
        .filter((spec) => impure.test(spec))
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
      ...(/\bfetch\(/.test(readFileSync(file, 'utf8')) ? [`${relative(ROOT, file)} calls fetch`] : []),
    ]);
    expect(offenders).toEqual([]);
  });

  it('has no import cycles in the shipped code, the CLI, the scripts or the web app', async () => {
    // madge resolves TypeScript paths the way tsc does and reports each cycle as the files on it.
    const { default: madge } = await import('madge');
    const graph = await madge(['lambdas', 'topology', 'infra', 'cli', 'scripts', 'web/src'].map((dir) => join(ROOT, dir)), {
      baseDir: ROOT,
      fileExtensions: ['ts'],
      tsConfig: join(ROOT, 'tsconfig.json'),
      detectiveOptions: { ts: { skipTypeImports: false } },
    });
    expect(graph.circular()).toEqual([]);
  });
});

describe('handler files', () => {
  it('each function of the topology has its handler at lambdas/handlers/<function>.ts, and nothing else lives there', () => {
    const { FUNCTIONS } = require('../topology') as typeof import('../topology');
    expect(FUNCTIONS.map((fn) => fn.entry)).toEqual(FUNCTIONS.map((fn) => `lambdas/handlers/${fn.name}.ts`));
    const files = readdirSync(join(ROOT, 'lambdas/handlers')).sort();
    expect(files).toEqual(FUNCTIONS.map((fn) => `${fn.name}.ts`).sort());
  });
});
