import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Fragment, Interface } from 'ethers';
import * as ABI from '../../../lambdas/shared/abi';

/*
 * Off-chain code takes its ABIs from the compiled artifacts (lambdas/shared/abi.ts). A human-readable
 * fragment written in a source file anyway must say exactly what some compiled contract says: the
 * same name, argument and return types, indexing and mutability.
 */
const ROOT = resolve(__dirname, '../../..');
const SOURCE_DIRS = ['lambdas', 'cli', 'infra', 'scripts', 'topology', 'web/src'];

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name), suffix) : entry.name.endsWith(suffix) && !entry.name.endsWith('.dbg.json') ? [join(dir, entry.name)] : [],
  );
}

/** Every function, event and error of every compiled contract, in ethers' minimal format. */
function compiledFragments(): Set<string> {
  const known = new Set<string>();
  for (const file of files(join(ROOT, 'artifacts'), '.json')) {
    const { abi } = JSON.parse(readFileSync(file, 'utf8')) as { abi?: unknown };
    if (!Array.isArray(abi)) continue;
    for (const fragment of new Interface(abi).fragments) if (['function', 'event', 'error'].includes(fragment.type)) known.add(fragment.format('minimal'));
  }
  return known;
}

/** Human-readable fragments in string literals of `text` (interpolated templates are not fragments). */
function fragmentsIn(text: string): string[] {
  return [...text.matchAll(/(['"`])((?:function|event|error) [A-Za-z_]\w*\((?:(?!\1).)*)\1/g)].map((m) => m[2]!).filter((s) => !s.includes('${'));
}

/** Fragments of `text` that no compiled contract declares (or that do not parse). */
function disagreements(text: string, known: Set<string>): string[] {
  return fragmentsIn(text).filter((source) => {
    try {
      return !known.has(Fragment.from(source).format('minimal'));
    } catch {
      return true;
    }
  });
}

describe('contract ABIs off chain', () => {
  const known = compiledFragments();

  it('every hand-written fragment left in the sources matches a compiled contract', () => {
    const offenders = SOURCE_DIRS.flatMap((dir) => files(join(ROOT, dir), '.ts')).flatMap((file) =>
      disagreements(readFileSync(file, 'utf8'), known).map((fragment) => `${relative(ROOT, file)}: ${fragment}`),
    );
    expect(offenders).toEqual([]);
  });

  it('reports a fragment whose types or return disagree with the contract', () => {
    const source = [
      "'function toleranceBps() view returns (uint256)'",
      "'function toleranceBps() view returns (uint16)'",
      "'event NavPublished(uint256 previousNav, uint256 nav, uint64 updatedAt)'",
      "'event NavPublished(uint256 previousNav, uint256 nav, uint256 updatedAt)'",
      '`function settle(${ORDER} order)`',
    ].join('\n');
    expect(disagreements(source, known)).toEqual(['function toleranceBps() view returns (uint16)', 'event NavPublished(uint256 previousNav, uint256 nav, uint256 updatedAt)']);
  });

  it('exports each compiled ABI the back end uses, each one a valid interface', () => {
    for (const abi of Object.values(ABI)) {
      if (typeof abi === 'function') continue;
      expect(new Interface(abi as never).fragments.length).toBeGreaterThan(0);
    }
    expect(new Interface(ABI.USSI_ABI).getFunction('publishNav')).not.toBeNull();
    expect(new Interface(ABI.withErrorsOf(ABI.REBALANCER_ABI, ABI.ISSUER_ABI)).getError('RequestsInFlight')).not.toBeNull();
  });
});
