/**
 * SMS-SUBMIT in PDU mode (3GPP TS 23.040 §9.2.2.2, TS 27.005 §3.3.1/§4.3): what the edge hands the
 * modem after `AT+CMGS=<length>`. GSM 7-bit when every character is in the GSM alphabet, otherwise
 * UCS2 (UTF-16 big-endian, so emoji travel as surrogate pairs). Texts longer than one SMS are
 * split into concatenated parts, each with a User Data Header (IEI 0x00: 8-bit reference, total,
 * part number; TS 23.040 §9.2.3.24.1). Parts are cut between grapheme clusters (a surrogate pair,
 * an emoji with its modifiers, a letter with its accents stay whole) unless one cluster alone is
 * longer than a part; then between code points. Errors never quote the number or the text.
 */

import { gsm7Septets, gsm7Text, isGsm7, packSeptets, unpackSeptets } from './gsm7.js';

/** One part ready for the modem: the hex after the prompt, and the length `AT+CMGS=` announces. */
export interface SmsSubmitPdu {
  /** Hex (upper case) of the whole PDU: SMSC address (`00`: the SIM's) followed by the TPDU. */
  pdu: string;
  /** Octets of the TPDU, the SMSC address excluded: the `<length>` of `AT+CMGS=<length>`. */
  tpduLength: number;
}

/** Characters (UTF-16 code units) in one UCS2 SMS, and in each part of a concatenated one. */
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;
/** Septets in one GSM 7-bit SMS, and in each part of a concatenated one. */
export const GSM7_SINGLE = 160;
export const GSM7_PART = 153;
/** TP-VP, relative format: 0xA7 = 24 hours; an alarm older than a day is not worth delivering. */
export const VALIDITY_24H = 0xa7;

/** TS 23.038 data coding schemes used here. */
const DCS_GSM7 = 0x00;
const DCS_UCS2 = 0x08;
/** First octet: TP-MTI 01 (SMS-SUBMIT), TP-VPF 10 (relative); TP-UDHI adds 0x40. */
const FIRST_OCTET = 0x11;
const UDHI = 0x40;
const TOA_INTERNATIONAL = 0x91;
const TOA_UNKNOWN = 0x81;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * TP-DA (TS 23.040 §9.1.2.5): `+8613800138000` is international (TON 1), `13800138000` is sent
 * as "unknown" (TON 0), which networks read as a national number. Digits only after the optional
 * `+`, 1 to 20 of them; throws a `RangeError` (not quoting the number) otherwise.
 */
export function encodeAddress(number: string): Buffer {
  const international = number.startsWith('+');
  const digits = international ? number.slice(1) : number;
  if (!/^\d{1,20}$/.test(digits)) {
    throw new RangeError('recipient is not a phone number: 1 to 20 digits with an optional leading +');
  }
  const padded = digits.length % 2 === 1 ? `${digits}F` : digits;
  const swapped = padded.replace(/(.)(.)/g, '$2$1');
  return Buffer.concat([
    Buffer.from([digits.length, international ? TOA_INTERNATIONAL : TOA_UNKNOWN]),
    Buffer.from(swapped, 'hex'),
  ]);
}

const ucs2Cost = (piece: string): number => piece.length;
const gsm7Cost = (piece: string): number => gsm7Septets(piece)?.length ?? 0;

/** Splits text into parts of at most `part` units (one part when the whole fits in `single`). */
function splitText(text: string, cost: (piece: string) => number, single: number, part: number): string[] {
  let total = 0;
  for (const char of text) total += cost(char);
  if (total <= single) return [text];
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    let segmentCost = 0;
    for (const char of segment) segmentCost += cost(char);
    const pieces = segmentCost <= part ? [segment] : [...segment];
    for (const piece of pieces) {
      const pieceCost = segmentCost <= part ? segmentCost : cost(piece);
      if (used + pieceCost > part) {
        parts.push(current);
        current = '';
        used = 0;
      }
      current += piece;
      used += pieceCost;
    }
  }
  parts.push(current);
  return parts;
}

/** The texts of the parts `text` is sent in: one element when it fits in a single SMS. */
export function splitSmsText(text: string): string[] {
  return isGsm7(text)
    ? splitText(text, gsm7Cost, GSM7_SINGLE, GSM7_PART)
    : splitText(text, ucs2Cost, UCS2_SINGLE, UCS2_PART);
}

/**
 * The PDUs that send `text` to `to`: one, or one per part of a concatenated SMS, all with the
 * reference `ref` (0–255; use a new one per message, so a phone never mixes two messages' parts).
 * Throws a `RangeError` for a bad number or reference, or a text over 255 parts.
 */
export function encodeSmsSubmitPdus(to: string, text: string, ref: number): SmsSubmitPdu[] {
  if (!Number.isInteger(ref) || ref < 0 || ref > 255) throw new RangeError('ref must be an integer 0-255');
  const address = encodeAddress(to);
  const gsm7 = isGsm7(text);
  const parts = splitSmsText(text);
  if (parts.length > 255) throw new RangeError(`text too long: ${parts.length} parts, at most 255`);
  return parts.map((part, index) => {
    const udh =
      parts.length === 1 ? Buffer.alloc(0) : Buffer.from([5, 0x00, 3, ref, parts.length, index + 1]);
    let body: Buffer;
    let udl: number;
    if (gsm7) {
      const septets = [...part].flatMap((char) => gsm7Septets(char) ?? []);
      const headerSeptets = Math.ceil((udh.length * 8) / 7);
      body = packSeptets(septets, headerSeptets * 7 - udh.length * 8);
      udl = headerSeptets + septets.length;
    } else {
      body = Buffer.from(part, 'utf16le').swap16();
      udl = udh.length + body.length;
    }
    const tpdu = Buffer.concat([
      Buffer.from([FIRST_OCTET | (udh.length > 0 ? UDHI : 0), 0x00]), // TP-MR 0: the modem sets it
      address,
      Buffer.from([0x00, gsm7 ? DCS_GSM7 : DCS_UCS2, VALIDITY_24H, udl]), // TP-PID, TP-DCS, TP-VP, TP-UDL
      udh,
      body,
    ]);
    return { pdu: `00${tpdu.toString('hex').toUpperCase()}`, tpduLength: tpdu.length };
  });
}

/** A decoded SMS-SUBMIT (for tests and the simulator). */
export interface SmsSubmit {
  /** Destination as given: `+` and digits when international. */
  to: string;
  text: string;
  /** TP-DCS octet. */
  dcs: number;
  /** TP-MR as sent (the edge sends 0; the modem fills it in). */
  messageReference: number;
  /** Octets after the SMSC address: what `AT+CMGS=` must have announced. */
  tpduLength: number;
  /** Present for a part of a concatenated SMS. */
  concat?: { ref: number; total: number; seq: number };
}

/** A reading cursor that turns every overrun into `undefined` instead of a throw. */
class Reader {
  offset = 0;
  constructor(readonly bytes: Buffer) {}
  byte(): number | undefined {
    return this.offset < this.bytes.length ? this.bytes[this.offset++] : undefined;
  }
  take(n: number): Buffer | undefined {
    if (this.offset + n > this.bytes.length) return undefined;
    this.offset += n;
    return this.bytes.subarray(this.offset - n, this.offset);
  }
}

function decodeAddress(reader: Reader): string | undefined {
  const digits = reader.byte();
  const toa = reader.byte();
  if (digits === undefined || toa === undefined || digits > 20) return undefined;
  const octets = reader.take(Math.ceil(digits / 2));
  if (octets === undefined) return undefined;
  const semi = octets
    .toString('hex')
    .replace(/(.)(.)/g, '$2$1')
    .slice(0, digits);
  if (!/^\d*$/.test(semi)) return undefined;
  return ((toa & 0x70) === 0x10 ? '+' : '') + semi;
}

function decodeConcat(udh: Buffer): SmsSubmit['concat'] | null {
  for (let i = 0; i + 1 < udh.length; i += 2 + (udh[i + 1] ?? 0)) {
    const [iei, length] = [udh[i], udh[i + 1]];
    const data = udh.subarray(i + 2, i + 2 + (length ?? 0));
    if (data.length !== length) return null;
    const concat =
      iei === 0x00 && length === 3
        ? { ref: data[0] ?? 0, total: data[1] ?? 0, seq: data[2] ?? 0 }
        : iei === 0x08 && length === 4
          ? { ref: data.readUInt16BE(0), total: data[2] ?? 0, seq: data[3] ?? 0 }
          : undefined;
    if (concat === undefined) continue;
    return concat.total >= 1 && concat.seq >= 1 && concat.seq <= concat.total ? concat : null;
  }
  return undefined;
}

/**
 * Decodes a PDU as {@link encodeSmsSubmitPdus} makes it (any SMSC address, any validity format,
 * GSM 7-bit, 8-bit or UCS2). Returns `null` for anything that is not a well-formed SMS-SUBMIT;
 * never throws.
 */
export function decodeSmsSubmitPdu(hex: string): SmsSubmit | null {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) return null;
  const reader = new Reader(Buffer.from(hex, 'hex'));
  const smscLength = reader.byte() ?? 0;
  if (reader.take(smscLength) === undefined) return null;
  const tpduStart = reader.offset;
  const first = reader.byte();
  const messageReference = reader.byte();
  if (first === undefined || messageReference === undefined || (first & 0x03) !== 0x01) return null;
  const to = decodeAddress(reader);
  const pid = reader.byte();
  const dcs = reader.byte();
  if (to === undefined || pid === undefined || dcs === undefined) return null;
  const vpf = (first >> 3) & 0x03; // 0 none, 2 relative (1 octet), 1 enhanced and 3 absolute (7 octets)
  if (reader.take(vpf === 0 ? 0 : vpf === 2 ? 1 : 7) === undefined) return null;
  const udl = reader.byte();
  const alphabet = (dcs & 0xc0) === 0 ? (dcs >> 2) & 0x03 : (dcs & 0xf0) === 0xf0 ? (dcs >> 2) & 0x01 : -1;
  if (udl === undefined || alphabet < 0 || alphabet > 2) return null;
  const ud = reader.take(alphabet === 0 ? Math.ceil((udl * 7) / 8) : udl);
  if (ud === undefined || reader.offset !== reader.bytes.length) return null;
  const udhLength = first & UDHI ? 1 + (ud[0] ?? 0) : 0;
  if (udhLength > ud.length) return null;
  const concat = udhLength > 0 ? decodeConcat(ud.subarray(1, udhLength)) : undefined;
  if (concat === null) return null;
  const payload = ud.subarray(udhLength);
  let text: string;
  if (alphabet === 0) {
    const headerSeptets = Math.ceil((udhLength * 8) / 7);
    text = gsm7Text(unpackSeptets(payload, udl - headerSeptets, headerSeptets * 7 - udhLength * 8));
  } else if (alphabet === 2) {
    if (payload.length % 2 !== 0) return null;
    text = Buffer.from(payload).swap16().toString('utf16le');
  } else {
    text = payload.toString('latin1');
  }
  const tpduLength = reader.bytes.length - tpduStart;
  return { to, text, dcs, messageReference, tpduLength, ...(concat === undefined ? {} : { concat }) };
}
