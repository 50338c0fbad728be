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

const declarations = solidityFiles(join(ROOT, 'contracts')).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(error|event) (\w+)\(/gm)].map((m) => ({ kind: m[1]!, name: m[2]!, file: relative(ROOT, file) })),
);

function declaredIn(kind: string, name: string): string[] {
  return declarations.filter((d) => d.kind === kind && d.name === name).map((d) => d.file);
}

describe('shared errors and events', () => {
  it('declares every custom error name exactly once under contracts/', () => {
    const names = [...new Set(declarations.filter((d) => d.kind === 'error').map((d) => d.name))];
    const repeated = names.map((name) => [name, declaredIn('error', name)] as const).filter(([, files]) => files.length > 1);
    expect(repeated).toEqual([]);
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
