import { LinliError } from '../errors.js';
import { parseCsv } from './csv.js';
import type { ImportField, ImportProblem, ImportProblemCode } from './import-types.js';
import { charsetOf, decodeText, TextDecodeError } from './text-decode.js';

/**
 * Reading an import file: its encoding (GB18030 as Excel saves it in China, UTF-8 with or without
 * BOM), CSV quoting or JSON, and header names in Chinese or English, into rows of text by field.
 * Checking the rows against each other and the store is resident-import.ts's.
 */

/** Largest file taken (bytes) and most data rows: beyond, the whole import is refused. */
export const IMPORT_MAX_BYTES = 4 * 1024 * 1024;
export const IMPORT_MAX_ROWS = 10_000;

/** Accepted names of each column (compared without case, spaces, `_`, `-`, `*` or a note in brackets). */
export const IMPORT_COLUMNS: Record<ImportField, string[]> = {
  id: ['id', 'residentId', '居民编号', '编号'],
  name: ['name', '姓名'],
  community: ['community', '社区', '小区'],
  building: ['building', '楼栋', '楼号', '楼'],
  unit: ['unit', '单元'],
  room: ['room', '房号', '房间号', '门牌号', '室'],
  address: ['address', '地址', '住址'],
  phone: ['phone', 'mobile', '电话', '手机', '手机号', '手机号码', '联系电话'],
  idNumber: ['idNumber', 'idCard', '身份证号', '身份证号码', '身份证', '公民身份号码'],
  branch: ['branch', '党支部', '支部', '所属党支部'],
  roles: ['roles', 'role', '角色', '身份'],
  cardUid: ['cardUid', 'card', 'uid', '卡号', '卡UID', 'IC卡号'],
  cardKind: ['cardKind', '卡类型', '卡片类型'],
};

const headerKey = (s: string) =>
  s
    .normalize('NFKC')
    .replace(/[(（][^)）]*[)）]/g, '')
    .replace(/[\s_*-]/g, '')
    .toLowerCase();

const COLUMN_OF = new Map<string, ImportField>(
  (Object.entries(IMPORT_COLUMNS) as [ImportField, string[]][]).flatMap(([field, names]) =>
    names.map((n) => [headerKey(n), field] as [string, ImportField]),
  ),
);

/** Excel letters of a 1-based column: 1 → A, 27 → AA. */
export function columnLetter(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

/** One data row as read: text values by field (empty cells left out), and what was wrong already. */
export interface ImportRow {
  row: number;
  line?: number;
  values: Partial<Record<ImportField, string>>;
  /** Roles given as a JSON array. */
  roleList?: string[];
  problems: ImportProblem[];
}

export interface ReadImport {
  format: 'csv' | 'json';
  encoding: string;
  bom: boolean;
  /** Problems of the whole file (the header). */
  problems: ImportProblem[];
  rows: ImportRow[];
}

/**
 * Reads an uploaded file: JSON when the content type says so or the text starts with `[` or `{`,
 * else CSV. Throws `IMPORT_INVALID` when it cannot be read at all and `IMPORT_TOO_LARGE` past the
 * limits; everything else becomes a problem of a row or of the header.
 */
export function readImport(bytes: Uint8Array, contentType?: string): ReadImport {
  if (bytes.length > IMPORT_MAX_BYTES) {
    throw new LinliError('IMPORT_TOO_LARGE', `an import file may hold at most ${IMPORT_MAX_BYTES} bytes`);
  }
  let decoded: ReturnType<typeof decodeText>;
  try {
    decoded = decodeText(bytes, charsetOf(contentType));
  } catch (err) {
    if (err instanceof TextDecodeError) throw new LinliError('IMPORT_INVALID', err.message);
    throw err;
  }
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const json =
    type === 'application/json' || type.endsWith('+json')
      ? true
      : ['text/csv', 'text/tab-separated-values', 'application/vnd.ms-excel', 'application/csv'].includes(
            type,
          )
        ? false
        : /^\s*[[{]/.test(decoded.text);
  const read = json ? readJson(decoded.text) : readCsv(decoded.text);
  if (read.rows.length > IMPORT_MAX_ROWS) {
    throw new LinliError(
      'IMPORT_TOO_LARGE',
      `an import may hold at most ${IMPORT_MAX_ROWS} rows (this one has ${read.rows.length}): split the file`,
    );
  }
  return { format: json ? 'json' : 'csv', encoding: decoded.encoding, bom: decoded.bom, ...read };
}

function readCsv(text: string): Pick<ReadImport, 'problems' | 'rows'> {
  const records = parseCsv(text);
  const header = records[0];
  if (!header) throw new LinliError('IMPORT_INVALID', 'the file is empty: it needs a header row and rows');
  const problems: ImportProblem[] = [];
  const columns: (ImportField | undefined)[] = [];
  const seen = new Map<ImportField, number>();
  header.fields.forEach((name, i) => {
    const column = i + 1;
    const key = headerKey(name);
    const field = COLUMN_OF.get(key);
    if (key === '') {
      columns.push(undefined);
    } else if (!field) {
      columns.push(undefined);
      problems.push({
        line: header.line,
        column,
        code: 'column-unknown',
        message: `column ${column} (${columnLetter(column)}) of the header is not a known column`,
      });
    } else if (seen.has(field)) {
      columns.push(undefined);
      problems.push({
        line: header.line,
        column,
        field,
        code: 'column-duplicate',
        message: `column ${column} (${columnLetter(column)}) repeats column ${seen.get(field)} (${field})`,
      });
    } else {
      seen.set(field, column);
      columns.push(field);
    }
  });
  if (header.error) {
    problems.push({ line: header.line, code: header.error, message: csvMessage(header.error) });
  }
  if (!seen.has('name') && !seen.has('id')) {
    problems.push({
      line: header.line,
      code: 'header-missing',
      message:
        'the first line must be a header naming the columns, with at least 姓名 (name) or 居民编号 (id)',
    });
    return { problems, rows: [] };
  }
  const rows = records.slice(1).map((rec, i): ImportRow => {
    const row: ImportRow = { row: i + 1, line: rec.line, values: {}, problems: [] };
    if (rec.error) {
      row.problems.push({ row: row.row, line: rec.line, code: rec.error, message: csvMessage(rec.error) });
    }
    rec.fields.forEach((cell, j) => {
      const field = columns[j];
      const value = cell.trim();
      if (j >= header.fields.length) {
        if (value !== '' && !row.problems.some((p) => p.code === 'extra-fields')) {
          row.problems.push({
            row: row.row,
            line: rec.line,
            code: 'extra-fields',
            message: `the row has more cells than the header (${header.fields.length}): a comma inside a value needs quotes`,
          });
        }
      } else if (field && value !== '') {
        row.values[field] = value;
      }
    });
    return row;
  });
  return { problems, rows };
}

function csvMessage(code: 'csv-quote' | 'csv-unterminated'): string {
  return code === 'csv-quote'
    ? 'text follows a closing quote: inside a quoted value a quote is written twice ("")'
    : 'a quote is opened and never closed: the rest of the file was read as one value';
}

/** 1-based lines where the items of the file's first array start (JSON text already parsed once). */
function itemLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let arrayDepth = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      if (depth === arrayDepth) lines.push(line);
    } else if (ch === '[' || ch === '{') {
      if (depth === arrayDepth) lines.push(line);
      depth++;
      if (ch === '[' && arrayDepth < 0) arrayDepth = depth;
    } else if (ch === ']' || ch === '}') {
      depth--;
    } else if (depth === arrayDepth && /[-0-9tfn]/.test(ch as string)) {
      lines.push(line);
      while (i + 1 < text.length && /[-+.0-9a-zA-Z]/.test(text[i + 1] as string)) i++;
    }
  }
  return lines;
}

function readJson(text: string): Pick<ReadImport, 'problems' | 'rows'> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the text around the fault: keep only where it is.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const line = at === undefined ? undefined : text.slice(0, Number(at)).split('\n').length;
    throw new LinliError(
      'IMPORT_INVALID',
      `the file is not valid JSON${line === undefined ? '' : ` (near line ${line})`}`,
    );
  }
  const list = Array.isArray(data)
    ? data
    : typeof data === 'object' && data !== null && Array.isArray((data as { residents?: unknown }).residents)
      ? (data as { residents: unknown[] }).residents
      : undefined;
  if (!list) {
    throw new LinliError('IMPORT_INVALID', 'JSON import: an array of residents, or {"residents": [...]}');
  }
  const lines = itemLines(text);
  const rows = list.map((item, i): ImportRow => {
    const line = lines[i];
    const row: ImportRow = { row: i + 1, ...(line ? { line } : {}), values: {}, problems: [] };
    const problem = (code: ImportProblemCode, message: string, field?: ImportField) =>
      row.problems.push({
        row: row.row,
        ...(line ? { line } : {}),
        ...(field ? { field } : {}),
        code,
        message,
      });
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problem('row-not-object', 'each item must be an object of fields');
      return row;
    }
    for (const [key, value] of Object.entries(item)) {
      const field = COLUMN_OF.get(headerKey(key));
      if (!field) {
        problem(
          'column-unknown',
          /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(key) ? `unknown field "${key}"` : 'a field name is not known',
        );
        continue;
      }
      if (value === null || value === undefined) continue;
      if (field === 'roles' && Array.isArray(value)) {
        if (value.every((x) => typeof x === 'string')) row.roleList = value.map((x) => x.trim());
        else problem('value-invalid', 'roles: an array of words', field);
        continue;
      }
      if (typeof value === 'number' && (field === 'idNumber' || field === 'cardUid')) {
        // 18 digits do not survive as a JSON number, and a UID is hex.
        problem('value-invalid', `${field}: write it as a string in quotes`, field);
        continue;
      }
      if (typeof value === 'string' || typeof value === 'number') {
        const text = String(value).trim();
        if (text !== '') row.values[field] = text;
      } else {
        problem('value-invalid', `${field}: a string`, field);
      }
    }
    return row;
  });
  return { problems: [], rows };
}
