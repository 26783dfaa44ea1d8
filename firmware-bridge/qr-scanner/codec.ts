/**
 * QR / barcode scanner wire protocol (DESIGN.md, "Serial wire protocols" 1; docs/protocols.md).
 *
 * A scan is a line of text ended by CR, LF or CR LF (one terminator, even when CR and LF arrive in
 * separate chunks). An optional AIM prefix (`]` + code letter + modifier, e.g. `]Q1`) is stripped and
 * kept as `symbology`. Lines over {@link QR_MAX_LINE_BYTES} bytes (AIM prefix included, terminator
 * excluded), lines holding control bytes other than GS (0x1D) and lines that are not valid text in
 * the device's encoding are dropped and reported through the `'malformed'` event.
 */

import { TextDecoder } from 'node:util';
import { LineSplitter } from '../serial/line-splitter.js';
import { encodeGbk } from './gbk-encoder.js';

/** Longest accepted line in bytes, AIM prefix included, terminator excluded. */
export const QR_MAX_LINE_BYTES = 4096;

/** Text encodings a scanner may be configured for. */
export type QrEncoding = 'utf-8' | 'gbk';

/** One decoded scan. */
export interface QrScan {
  text: string;
  /** AIM symbology identifier without the `]`, e.g. `Q1`; absent when the scanner sends no prefix. */
  symbology?: string;
}

/** Why a line was dropped. */
export type QrMalformedReason = 'too-long' | 'control-byte' | 'bad-encoding';

/** Payload of the decoder's `'malformed'` event. */
export interface QrMalformed {
  reason: QrMalformedReason;
}

const GS = 0x1d;
const AIM_FLAG = 0x5d; // ']'
const AIM_PATTERN = /^[A-Za-z][0-9A-Za-z]$/;

/** True for a byte that may not appear inside a line: C0 controls (except GS) and DEL. */
export function isForbiddenByte(byte: number): boolean {
  return (byte < 0x20 && byte !== GS) || byte === 0x7f;
}

/**
 * Turns the bytes of one complete line (terminator removed) into a scan, a malformed verdict, or
 * `null` for a line that carries no text (empty, or an AIM prefix alone). Pure; never throws.
 */
export function parseQrLine(line: Uint8Array, decoder: TextDecoder): QrScan | QrMalformed | null {
  if (line.length > QR_MAX_LINE_BYTES) return { reason: 'too-long' };
  if (line.some(isForbiddenByte)) return { reason: 'control-byte' };
  let body = line;
  let symbology: string | undefined;
  if (line.length >= 3 && line[0] === AIM_FLAG) {
    const id = String.fromCharCode(line[1] ?? 0, line[2] ?? 0);
    if (AIM_PATTERN.test(id)) {
      symbology = id;
      body = line.subarray(3);
    }
  }
  if (body.length === 0) return null;
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return { reason: 'bad-encoding' };
  }
  return symbology === undefined ? { text } : { text, symbology };
}

/** Creates the strict decoder {@link parseQrLine} expects for a scanner encoding. */
export function createTextDecoder(encoding: QrEncoding): TextDecoder {
  return new TextDecoder(encoding, { fatal: true }); // a leading BOM is dropped, as TextDecoder does
}

/** Options of {@link QrLineDecoder}. */
export interface QrLineDecoderOptions {
  /** The scanner's configured encoding; the protocol says UTF-8 unless the device says `gbk`. */
  encoding?: QrEncoding;
}

/**
 * Bytes in, {@link QrScan} objects out. Emits `'malformed'` ({@link QrMalformed}) once for each
 * dropped line; never throws. Holds at most {@link QR_MAX_LINE_BYTES} bytes of a pending line: a
 * longer line is reported as soon as it overflows and then skipped up to its terminator. A pending
 * partial line is discarded at end of stream.
 */
export class QrLineDecoder extends LineSplitter {
  readonly #decoder: TextDecoder;

  constructor(options: QrLineDecoderOptions = {}) {
    super(QR_MAX_LINE_BYTES);
    this.#decoder = createTextDecoder(options.encoding ?? 'utf-8');
  }

  protected line(bytes: Buffer): void {
    const result = parseQrLine(bytes, this.#decoder);
    if (result === null) return;
    if ('reason' in result) this.emit('malformed', result);
    else this.push(result);
  }

  protected tooLong(): void {
    this.emit('malformed', { reason: 'too-long' } satisfies QrMalformed);
  }
}

/** Options of {@link encodeScan}. */
export interface EncodeScanOptions {
  /** AIM symbology identifier to prefix, without the `]` (e.g. `Q1`). */
  aim?: string;
  /** Line terminator; default CR LF. */
  terminator?: '\r' | '\n' | '\r\n';
  /** Text encoding; default UTF-8. */
  encoding?: QrEncoding;
}

/**
 * The bytes a scanner sends for one scan. Throws a `RangeError` for an input no scanner could send
 * (a bad AIM identifier, or text the encoding cannot represent); it does not refuse control bytes
 * in `text`, so a simulator can send faulty lines on purpose.
 */
export function encodeScan(text: string, options: EncodeScanOptions = {}): Buffer {
  const { aim, terminator = '\r\n', encoding = 'utf-8' } = options;
  if (aim !== undefined && !AIM_PATTERN.test(aim)) {
    throw new RangeError(`AIM identifier must be a letter and a letter or digit, got ${JSON.stringify(aim)}`);
  }
  const prefix = aim === undefined ? '' : `]${aim}`;
  const body = encoding === 'gbk' ? encodeGbk(text) : Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(prefix, 'latin1'), body, Buffer.from(terminator, 'latin1')]);
}
