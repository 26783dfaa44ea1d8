/**
 * Bytes of an uploaded file to text. Files saved by Excel in China ("CSV (逗号分隔)") are GBK, a
 * subset of GB18030; others are UTF-8 with or without a BOM; Excel's "Unicode text" is UTF-16LE
 * with a BOM. Node's TextDecoder knows `gb18030` with full ICU (the official builds).
 */

export type TextEncodingName = 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
  /** Whether the bytes began with a byte order mark (dropped from `text`). */
  bom: boolean;
}

export class TextDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TextDecodeError';
  }
}

const BOMS: [TextEncodingName, number[]][] = [
  ['utf-8', [0xef, 0xbb, 0xbf]],
  ['gb18030', [0x84, 0x31, 0x95, 0x33]],
  ['utf-16le', [0xff, 0xfe]],
  ['utf-16be', [0xfe, 0xff]],
];

/** A charset label of a Content-Type (`text/csv; charset=GBK`) as one of ours, if we know it. */
export function charsetOf(contentType: string | undefined): TextEncodingName | undefined {
  const label = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (!label) return undefined;
  if (label === 'utf-8' || label === 'utf8') return 'utf-8';
  if (['gbk', 'gb2312', 'gb18030', 'cp936', 'x-gbk', 'euc-cn'].includes(label)) return 'gb18030';
  if (label === 'utf-16le') return 'utf-16le';
  if (label === 'utf-16be') return 'utf-16be';
  return undefined;
}

function tryDecode(bytes: Uint8Array, encoding: TextEncodingName): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Decodes `bytes`: a byte order mark decides; else the declared charset if the bytes are valid in
 * it; else UTF-8 if they are valid UTF-8 (GBK text of any length almost never is); else GB18030.
 * Throws {@link TextDecodeError} when no encoding reads the bytes, or the text holds control
 * characters other than tab, CR and LF (not a text file).
 */
export function decodeText(bytes: Uint8Array, declared?: TextEncodingName): DecodedText {
  if (typeof TextDecoder === 'undefined') throw new TextDecodeError('no TextDecoder');
  let result: DecodedText | undefined;
  for (const [encoding, mark] of BOMS) {
    if (bytes.length >= mark.length && mark.every((b, i) => bytes[i] === b)) {
      const text = tryDecode(bytes.subarray(mark.length), encoding);
      if (text === undefined)
        throw new TextDecodeError(
          `the file starts with a ${encoding} byte order mark but is not ${encoding}`,
        );
      result = { text, encoding, bom: true };
      break;
    }
  }
  if (!result && declared) {
    const text = tryDecode(bytes, declared);
    if (text !== undefined) result = { text, encoding: declared, bom: false };
  }
  if (!result) {
    for (const encoding of ['utf-8', 'gb18030'] as const) {
      const text = tryDecode(bytes, encoding);
      if (text !== undefined) {
        result = { text, encoding, bom: false };
        break;
      }
    }
  }
  if (!result) throw new TextDecodeError('the file is neither UTF-8 nor GBK/GB18030 text');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(result.text))
    throw new TextDecodeError('the file holds control characters: not a text file');
  return result;
}
