/**
 * CSV as RFC 4180 has it, as Excel writes it: fields split by a delimiter (comma; tab in Excel's
 * "Unicode text"), records by CR LF (LF or a lone CR also accepted), a field in double quotes may
 * hold the delimiter, line breaks and doubled quotes (`""`). Each record keeps the line it starts
 * on, so a refused row can be named by the line a person sees in an editor.
 */

export interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number;
  fields: string[];
  /** The record is malformed (a quote problem); its fields are what could be read. */
  error?: 'csv-quote' | 'csv-unterminated';
}

/** The delimiter of the first line outside quotes: tab or semicolon if they beat the comma. */
export function sniffDelimiter(text: string): ',' | '\t' | ';' {
  const counts = { ',': 0, '\t': 0, ';': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch as keyof typeof counts]++;
  }
  if (counts['\t'] > counts[','] && counts['\t'] >= counts[';']) return '\t';
  if (counts[';'] > counts[',']) return ';';
  return ',';
}

/**
 * Parses `text` into records. Never throws: a stray quote inside a field (`ab"c`) is kept as a
 * character (as Excel reads it), text after a closing quote (`"ab"c`) marks the record
 * `csv-quote`, and a quote never closed marks it `csv-unterminated` (it then runs to the end).
 * Blank lines, and lines of delimiters only, are skipped.
 */
export function parseCsv(text: string, delimiter = sniffDelimiter(text)): CsvRecord[] {
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let error: CsvRecord['error'];
    let field = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (text[i] === '"') {
        // Quoted field: up to the closing quote; "" is a quote.
        i++;
        let closed = false;
        while (i < n) {
          const ch = text[i] as string;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === '\r' || ch === '\n') {
            if (ch === '\r' && text[i + 1] === '\n') {
              field += '\r\n';
              i += 2;
            } else {
              field += ch;
              i++;
            }
            line++;
            continue;
          }
          field += ch;
          i++;
        }
        if (!closed) error = 'csv-unterminated';
        // After the closing quote: a delimiter, the end of the record, or (malformed) more text.
        while (i < n && text[i] !== delimiter && text[i] !== '\r' && text[i] !== '\n') {
          error ??= 'csv-quote';
          field += text[i];
          i++;
        }
      } else {
        while (i < n && text[i] !== delimiter && text[i] !== '\r' && text[i] !== '\n') {
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      field = '';
      if (i >= n) {
        endOfRecord = true;
      } else if (text[i] === delimiter) {
        i++;
        if (i >= n) fields.push('');
        endOfRecord = i >= n;
      } else {
        // CR LF, LF or CR ends the record.
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        endOfRecord = true;
      }
    }
    if (fields.every((f) => f.trim() === '') && !error) continue;
    records.push({ line: start, fields, ...(error ? { error } : {}) });
  }
  return records;
}
