import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { AbiCoder, keccak256, toUtf8Bytes } from 'ethers';

/*
 * Every ERC-7201 namespace in contracts/ is pinned here: the slot constant must be the formula's
 * value for the namespace id, the id and names must follow one scheme, and the compiled contract
 * must use the constant. Sources are scanned, so a namespace added later is checked without
 * editing this file.
 *
 * The scheme, for a contract keeping `struct <Name>Storage`:
 *   id        `ssi.storage.<Name>`
 *   constant  `<NAME_IN_SNAKE_CASE>_STORAGE_LOCATION`
 *   accessor  `_get<Name>Storage()`
 */
const ROOT = resolve(__dirname, '../..');
const CONTRACTS = join(ROOT, 'contracts');
const ID_PREFIX = 'ssi.storage.';

/** erc7201(id) = keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff)). */
function erc7201(id: string): string {
  const inner = BigInt(keccak256(toUtf8Bytes(id))) - 1n;
  const outer = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(['uint256'], [inner])));
  return `0x${(outer & ~0xffn).toString(16).padStart(64, '0')}`;
}

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? solidityFiles(join(dir, entry.name)) : entry.name.endsWith('.sol') ? [join(dir, entry.name)] : [],
  );
}

const snake = (name: string): string => name.replace(/(?<=[a-z0-9])(?=[A-Z])/g, '_').toUpperCase();

interface Namespace {
  file: string;
  id: string;
  struct: string;
}

/** Each `@custom:storage-location erc7201:<id>` annotation with the struct it annotates. */
function namespacesIn(file: string, text: string): Namespace[] {
  return [...text.matchAll(/@custom:storage-location erc7201:(\S+)\s*\n\s*struct (\w+)/g)].map((m) => ({
    file: relative(ROOT, file),
    id: m[1]!,
    struct: m[2]!,
  }));
}

const sources = solidityFiles(CONTRACTS).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
const namespaces = sources.flatMap(({ file, text }) => namespacesIn(file, text));
/** Layout stand-ins under contracts/mocks declare an older or broken struct of a real namespace for upgrade tests. */
const isMock = (file: string): boolean => file.startsWith('contracts/mocks/');

function artifactBytecode(file: string): string {
  const name = basename(file, '.sol');
  const artifact = JSON.parse(readFileSync(join(ROOT, 'artifacts', file, `${name}.json`), 'utf8')) as { deployedBytecode: string };
  return artifact.deployedBytecode.toLowerCase();
}

describe('ERC-7201 namespaces', () => {
  it('the formula gives the value the ERC publishes for its example id', () => {
    // EIP-7201's reference example: erc7201("example.main").
    expect(erc7201('example.main')).toBe('0x183a6125c38840424c4a85fa12bab2ab606c4b6d0e7cc73c0c06ba5300eab500');
  });

  it('finds the protocol namespaces in the sources', () => {
    const ids = new Set(namespaces.filter((n) => !isMock(n.file)).map((n) => n.id));
    for (const id of ['Issuer', 'AttestedIssuer', 'Rebalancer', 'IndexToken', 'USSI', 'StakeToken', 'RewardsDistributor']) {
      expect(ids).toContain(`${ID_PREFIX}${id}`);
    }
  });

  it.each(namespaces.map((n) => [`${n.file} ${n.id}`, n] as const))('%s follows the naming scheme', (_label, n) => {
    expect(n.struct).toMatch(/^[A-Z]\w*Storage$/);
    const name = n.struct.slice(0, -'Storage'.length);
    expect(n.id).toBe(`${ID_PREFIX}${name}`);
  });

  const owned = namespaces.filter((n) => !isMock(n.file) || /_STORAGE_LOCATION\s*=/.test(readFileSync(join(ROOT, n.file), 'utf8')));

  it.each(owned.map((n) => [`${n.file} ${n.id}`, n] as const))('%s: the slot constant is erc7201(id) and the contract uses it', (_label, n) => {
    const text = readFileSync(join(ROOT, n.file), 'utf8');
    const name = n.struct.slice(0, -'Storage'.length);
    const constant = `${snake(name)}_STORAGE_LOCATION`;
    const declared = new RegExp(`bytes32 private constant ${constant} =\\s*(0x[0-9a-fA-F]{64});`).exec(text);
    expect(declared?.[1]?.toLowerCase()).toBe(erc7201(n.id));
    // The one accessor reads that constant, and nothing else in the file points storage elsewhere.
    expect(text).toMatch(new RegExp(`function _get${name}Storage\\(\\) private pure returns \\(${n.struct} storage \\$\\)`));
    expect([...text.matchAll(/\.slot\s*:=\s*(\w+)/g)].map((m) => m[1])).toEqual([constant]);
    expect(artifactBytecode(n.file)).toContain(erc7201(n.id).slice(2));
  });

  it('every mock layout stand-in reuses the id of a real namespace, so the upgrade tests compare like with like', () => {
    const real = new Set(namespaces.filter((n) => !isMock(n.file)).map((n) => n.id));
    const standIns = namespaces.filter((n) => isMock(n.file) && !owned.includes(n));
    expect(standIns.length).toBeGreaterThan(0);
    for (const n of standIns) expect(real).toContain(n.id);
  });

  it('no slot constant or assembly slot assignment exists outside a pinned namespace', () => {
    const pinned = new Set(owned.map((n) => n.file));
    const stray = sources
      .filter(({ text }) => /_STORAGE_LOCATION\s*=|\.slot\s*:=/.test(text))
      .map(({ file }) => relative(ROOT, file))
      .filter((file) => !pinned.has(file));
    expect(stray).toEqual([]);
  });

  it('no two namespaces share an id outside the mock stand-ins', () => {
    const ids = owned.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
