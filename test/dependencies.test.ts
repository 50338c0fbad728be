import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
/** Runtime code: what the Lambdas, the stacks, the CLI and the scripts load (bin/ starts the CLI). */
const RUNTIME_DIRS = ['lambdas', 'infra', 'cli', 'scripts', 'bin'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|js|cjs|mjs)$/.test(name) ? [path] : [];
  });
}

/** Package names a file imports: `from 'x'`, `import 'x'`, `require('x')`, `import('x')`, subpaths folded to the package. */
function importedPackages(source: string): Set<string> {
  const packages = new Set<string>();
  for (const match of source.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire(?:\.resolve)?\s*\(\s*)['"]([^'"./][^'"]*)['"]/g)) {
    const parts = match[1].split('/');
    packages.add(match[1].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return packages;
}

describe('package.json dependencies', () => {
  test('every runtime dependency is imported by runtime code (lambdas/, infra/, cli/, scripts/, bin/)', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    for (const dir of RUNTIME_DIRS) for (const file of sourceFiles(join(ROOT, dir))) for (const name of importedPackages(readFileSync(file, 'utf8'))) imported.add(name);
    const unused = Object.keys(dependencies).filter((name) => !imported.has(name));
    expect(unused).toEqual([]);
  });

  test('the import scan sees static, side-effect, dynamic and require imports, with subpaths', () => {
    const found = importedPackages(
      [
        "import { a } from '@scope/pkg/sub';",
        "import 'side-effect';",
        "const b = await import('dynamic');",
        "require('req/cjs');",
        "require.resolve('resolved/bin.js');",
        "import { c } from './local';",
      ].join('\n'),
    );
    expect([...found].sort()).toEqual(['@scope/pkg', 'dynamic', 'req', 'resolved', 'side-effect']);
  });
});
