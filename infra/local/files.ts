import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `data` to `path` through a temporary file beside it and a rename, so a crash mid-write leaves the
 * previous file whole rather than half of the new one. `mode` applies to the new file (0o600 for files
 * holding keys).
 */
export function writeFileAtomically(path: string, data: string, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data, mode === undefined ? undefined : { mode });
  renameSync(temporary, path);
}
