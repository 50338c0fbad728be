import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/*
 * One name, one declaration: an error raised by more than one contract lives in IProtocolCommon (or, for
 * nonces, IUnorderedNonces) with one signature, never redeclared beside it. Sources are scanned, so a new
 * contract that copies a declaration fails here.
 */
const ROOT = resolve(__dirname, '../../..');

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? solidityFiles(join(dir, entry.name)) : entry.name.endsWith('.sol') ? [join(dir, entry.name)] : [],
  );
}

/** `address indexed owner, uint256 word` -> `address,uint256`: the types that make the selector or topic. */
const types = (params: string): string =>
  params
    .split(',')
    .map((p) => p.trim().split(/\s+/)[0])
    .filter(Boolean)
    .join(',');

const declarations = solidityFiles(join(ROOT, 'contracts')).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(error|event) (\w+)\(([^)]*)\)/gm)].map((m) => ({
    kind: m[1]!,
    name: m[2]!,
    signature: `${m[2]}(${types(m[3]!)})`,
    file: relative(ROOT, file),
  })),
);

/*
 * Events that keep one name for different records in different contracts: each is the life-cycle event of
 * its own contract's request or stake model, and off-chain readers index them per contract address.
 */
const PER_CONTRACT_EVENTS = ['Claimed', 'MintRejected', 'MintRequested', 'RebalancingSet', 'RedeemRejected', 'RedeemRequested', 'Withdrawn'];

function declaredIn(kind: string, name: string): string[] {
  return declarations.filter((d) => d.kind === kind && d.name === name).map((d) => d.file);
}

describe('shared errors and events', () => {
  it('declares every custom error name exactly once under contracts/', () => {
    const names = [...new Set(declarations.filter((d) => d.kind === 'error').map((d) => d.name))];
    const repeated = names.map((name) => [name, declaredIn('error', name)] as const).filter(([, files]) => files.length > 1);
    expect(repeated).toEqual([]);
  });

  it('gives every other repeated event name one signature', () => {
    const names = [...new Set(declarations.filter((d) => d.kind === 'event').map((d) => d.name))].filter((n) => !PER_CONTRACT_EVENTS.includes(n));
    const clashing = names.filter((name) => new Set(declarations.filter((d) => d.kind === 'event' && d.name === name).map((d) => d.signature)).size > 1);
    expect(clashing).toEqual([]);
    // The allow-list only names events that really differ, so it cannot hide a copy.
    for (const name of PER_CONTRACT_EVENTS) {
      expect(new Set(declarations.filter((d) => d.kind === 'event' && d.name === name).map((d) => d.signature)).size).toBeGreaterThan(1);
    }
  });

  it('keeps the errors the issue named, and the nonce error and event, in the shared interfaces only', () => {
    for (const name of ['ZeroAddress', 'ZeroAmount', 'UnknownIndex', 'OrderExpired', 'RequestNotPending']) {
      expect(declaredIn('error', name)).toEqual(['contracts/interfaces/IProtocolCommon.sol']);
    }
    expect(declaredIn('event', 'CashTokenSet')).toEqual(['contracts/interfaces/IProtocolCommon.sol']);
    expect(declaredIn('error', 'NonceAlreadyUsed')).toEqual(['contracts/interfaces/IUnorderedNonces.sol']);
    expect(declaredIn('event', 'UnorderedNonceInvalidation')).toEqual(['contracts/interfaces/IUnorderedNonces.sol']);
    expect(declaredIn('event', 'NoncesInvalidated')).toEqual([]);
  });
});
