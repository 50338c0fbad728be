/**
 * A small RFC 4180 CSV reader: quoted fields (with `""` escapes, commas and line breaks inside),
 * LF or CRLF line ends, a leading byte-order mark, blank lines skipped. Values stay strings; the
 * callers decide what an empty or malformed value means.
 */
export class CsvFormatError extends Error {
  constructor(message: string, readonly line: number) {
    super(`${message} (line ${line})`);
    this.name = 'CsvFormatError';
  }
}

/** One data row with the 1-based line it started on, for error reports. */
export interface CsvRow {
  readonly line: number;
  readonly fields: readonly string[];
}

export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;

  const endRow = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0] === '' && !fieldStarted;
    if (!blank) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };

  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (quoted) {
      if (char === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
      continue;
    }
    if (char === '"') {
      if (field !== '') throw new CsvFormatError('quote inside an unquoted field', line);
      quoted = true;
      fieldStarted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i += 1;
      endRow();
      line += 1;
      rowLine = line;
    } else {
      field += char;
    }
  }
  if (quoted) throw new CsvFormatError('unterminated quoted field', rowLine);
  if (field !== '' || fields.length > 0 || fieldStarted) endRow();
  return rows;
}

/** A parsed file as records keyed by header name (header names trimmed). */
export interface CsvTable {
  readonly header: readonly string[];
  readonly records: ReadonlyArray<{ readonly line: number; readonly get: (column: string) => string | undefined }>;
}

/** Parses a file with a header row and checks that every required column is there. */
export function parseCsvTable(text: string, requiredColumns: readonly string[], fileLabel = 'csv'): CsvTable {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new CsvFormatError(`${fileLabel}: empty file, expected a header row`, 1);
  const header = rows[0].fields.map((name) => name.trim());
  const missing = requiredColumns.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new CsvFormatError(`${fileLabel}: missing column(s) ${missing.join(', ')}; header is ${header.join(', ')}`, rows[0].line);
  }
  const position = new Map(header.map((name, index) => [name, index] as const));
  const records = rows.slice(1).map((row) => ({
    line: row.line,
    get: (column: string): string | undefined => {
      const index = position.get(column);
      return index === undefined ? undefined : row.fields[index];
    },
  }));
  return { header, records };
}

/** A number from a CSV field: empty, missing or non-numeric gives null (never NaN). */
export function parseNumber(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const text = raw.trim().replace(/^\$/, '').replace(/,/g, '');
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}
