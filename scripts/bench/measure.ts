import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** One benchmark reading: printed as one JSON line, the form every `npm run bench:*` shares. */
export interface Measurement {
  bench: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
}

export function emit(measurement: Measurement): Measurement {
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
  return measurement;
}

const BENCHMARKS_DOC = resolve(__dirname, '../../docs/benchmarks.md');

function fmt(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/**
 * Replaces this benchmark's section of docs/benchmarks.md (between its begin and end markers)
 * with a table of the readings, the command that produced them and when, leaving other
 * benchmarks' sections untouched.
 */
export function recordTable(bench: string, command: string, rows: Measurement[], notes: string[] = []): void {
  const begin = `<!-- bench:${bench}:begin -->`;
  const end = `<!-- bench:${bench}:end -->`;
  const table = [
    begin,
    `## ${bench}`,
    '',
    `Command: \`${command}\` (last run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${process.platform}/${process.arch}, Node ${process.version})`,
    '',
    '| case | metric | value | unit |',
    '| --- | --- | ---: | --- |',
    ...rows.map((r) => `| ${r.case} | ${r.metric} | ${fmt(r.value)} | ${r.unit} |`),
    ...(notes.length ? ['', ...notes] : []),
    end,
  ].join('\n');
  mkdirSync(dirname(BENCHMARKS_DOC), { recursive: true });
  const doc = existsSync(BENCHMARKS_DOC) ? readFileSync(BENCHMARKS_DOC, 'utf8') : '# Benchmarks\n';
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  const next = start >= 0 && stop > start ? doc.slice(0, start) + table + doc.slice(stop + end.length) : `${doc.trimEnd()}\n\n${table}\n`;
  writeFileSync(BENCHMARKS_DOC, next);
}
