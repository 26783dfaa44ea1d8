/**
 * Serial card reader wire protocol (DESIGN.md, "Card reader"; docs/protocols.md, "Card readers").
 *
 * The reader sends each card's UID as one ASCII line ended by CR, LF or CR LF (one terminator, even
 * when CR and LF arrive in separate chunks); surrounding spaces and tabs are ignored, an empty line
 * yields nothing. The device's `uidFormat` says how the UID is written:
 *
 * - `hex`: the UID bytes as read, two hex digits each, either case, optionally separated by one
 *   space, `:` or `-` (`04A1B2C3`, `04 a1 b2 c3`, `04:A1:B2:C3`); 4 to 10 bytes.
 * - `decimal`: the UID as an unsigned decimal number, **little-endian**: the first UID byte is the
 *   least significant, as cheap 125 kHz / 13.56 MHz "10-digit" readers print it. Below 2^32 it is a
 *   4-byte UID (`3283263748` = 0xC3B2A104 → `04A1B2C3`; `0000000001` → `01000000`), up to 2^56 a
 *   7-byte one (`24682604806648324` = 0x57B0B2C3A1B204 → `04B2A1C3B2B057`); larger is refused.
 *
 * Lines over {@link CARD_MAX_LINE_BYTES} bytes and lines that are not a UID in the device's format are
 * dropped and reported through the `'malformed'` event.
 */

import { LineSplitter } from '../serial/line-splitter.js';

/** Longest accepted line in bytes, terminator excluded (10 bytes as hex with separators is 29). */
export const CARD_MAX_LINE_BYTES = 64;

/** How a serial reader writes the UID. */
export type UidFormat = 'hex' | 'decimal';

/** Why a line was dropped. */
export type CardMalformedReason = 'too-long' | 'bad-hex' | 'bad-decimal';

/** Payload of the decoder's `'malformed'` event. */
export interface CardMalformed {
  reason: CardMalformedReason;
}

const HEX_LINE = /^[0-9A-Fa-f]{2}(?:[ :-]?[0-9A-Fa-f]{2}){3,9}$/;
const DECIMAL_LINE = /^\d{1,20}$/;
const MAX_4_BYTE = 2n ** 32n;
const MAX_7_BYTE = 2n ** 56n;

/** A decimal reading (little-endian, see the module comment) as the UID in upper-case hex, or null. */
export function uidFromDecimal(text: string): string | null {
  if (!DECIMAL_LINE.test(text)) return null;
  const value = BigInt(text);
  const length = value < MAX_4_BYTE ? 4 : value < MAX_7_BYTE ? 7 : 0;
  if (length === 0) return null;
  const bytes = Buffer.alloc(length);
  let rest = value;
  for (let i = 0; i < length; i++) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes.toString('hex').toUpperCase();
}

/** The decimal a reader prints for a 4- or 7-byte UID in hex (the inverse of {@link uidFromDecimal}). */
export function uidToDecimal(uid: string): string {
  const bytes = Buffer.from(uid, 'hex');
  if (bytes.length !== 4 && bytes.length !== 7) {
    throw new RangeError(`a decimal reader prints 4- or 7-byte UIDs, got ${bytes.length} bytes`);
  }
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value.toString(10);
}

/**
 * The UID (upper-case hex, bytes as read) in one complete line (terminator removed), a malformed
 * verdict, or `null` for a blank line. Pure; never throws.
 */
export function parseCardLine(line: Uint8Array, format: UidFormat): string | CardMalformed | null {
  if (line.length > CARD_MAX_LINE_BYTES) return { reason: 'too-long' };
  const text = Buffer.from(line).toString('latin1').trim();
  if (text === '') return null;
  if (format === 'hex') {
    return HEX_LINE.test(text) ? text.replace(/[ :-]/g, '').toUpperCase() : { reason: 'bad-hex' };
  }
  return uidFromDecimal(text) ?? { reason: 'bad-decimal' };
}

/**
 * Bytes in, UIDs (strings, upper-case hex) out. Emits `'malformed'` ({@link CardMalformed}) once for
 * each dropped line; never throws. Holds at most {@link CARD_MAX_LINE_BYTES} bytes of a pending line:
 * a longer one is reported as soon as it overflows and then skipped up to its terminator. A pending
 * partial line is discarded at end of stream.
 */
export class CardLineDecoder extends LineSplitter {
  readonly #format: UidFormat;

  constructor(format: UidFormat) {
    super(CARD_MAX_LINE_BYTES);
    this.#format = format;
  }

  protected line(bytes: Buffer): void {
    const result = parseCardLine(bytes, this.#format);
    if (result === null) return;
    if (typeof result === 'string') this.push(result);
    else this.emit('malformed', result);
  }

  protected tooLong(): void {
    this.emit('malformed', { reason: 'too-long' } satisfies CardMalformed);
  }
}

/** The bytes a serial reader sends for a card: the UID in `format`, then `terminator` (CR LF by default). */
export function encodeCardLine(
  uid: string,
  format: UidFormat,
  terminator: '\r' | '\n' | '\r\n' = '\r\n',
): Buffer {
  if (!/^(?:[0-9A-Fa-f]{2}){4,10}$/.test(uid)) {
    throw new RangeError(`uid must be 4 to 10 bytes of hex, got ${JSON.stringify(uid)}`);
  }
  const text = format === 'hex' ? uid.toUpperCase() : uidToDecimal(uid);
  return Buffer.from(`${text}${terminator}`, 'latin1');
}
