/**
 * Help-button panel wire protocol (DESIGN.md, "Serial wire protocols" 2; docs/protocols.md,
 * "Help-button panel").
 *
 * NMEA-style lines `$<body>*<CS>` ended by LF, optionally preceded by CR; at most
 * {@link PANEL_MAX_LINE_BYTES} bytes from `$` to LF inclusive. CS is the XOR of the body bytes as two
 * hex digits (upper case when sent, either case accepted). Bodies:
 *
 * ```
 * hb  = "HB," id "," seq          ; panel → edge, heartbeat
 * al  = "AL," id "," seq "," key  ; panel → edge, alarm; key = "SOS" / "SVC"
 * ak  = "AK," seq                 ; edge → panel, alarm on disk
 * id  = 1*32( ALPHA / DIGIT / "." / "_" / "-" )
 * seq = 1*5DIGIT                  ; value 0–65535
 * ```
 *
 * A dropped line is reported through the `'malformed'` event with one {@link PanelMalformedReason}.
 */

import { Transform, type TransformCallback } from 'node:stream';

/** Longest line in bytes, from `$` to the terminating LF inclusive (CR included when sent). */
export const PANEL_MAX_LINE_BYTES = 82;
/** Largest `seq`; the panel's counter wraps to 0 after it. */
export const PANEL_MAX_SEQ = 65_535;

/** Which key raised an alarm: the red key is `sos`, the green key `service`. */
export type PanelKey = 'sos' | 'service';

/** `$HB`: the panel is alive. */
export interface PanelHeartbeatFrame {
  kind: 'hb';
  panelId: string;
  seq: number;
}

/** `$AL`: a key was pressed (and every 2 s again until acknowledged, with the same `seq`). */
export interface PanelAlarmFrame {
  kind: 'al';
  buttonId: string;
  seq: number;
  key: PanelKey;
}

/** `$AK`: the edge has the alarm `seq` on disk. */
export interface PanelAckFrame {
  kind: 'ak';
  seq: number;
}

/** A frame the panel sends. */
export type PanelFrame = PanelHeartbeatFrame | PanelAlarmFrame;
/** A frame the edge sends. */
export type EdgeFrame = PanelAckFrame;

/** Why a line was dropped (in the order the checks are made). */
export type PanelMalformedReason =
  | 'too-long'
  | 'bad-char'
  | 'framing'
  | 'checksum'
  | 'unknown-sentence'
  | 'form';

/** Payload of the decoder's `'malformed'` event. */
export interface PanelMalformed {
  reason: PanelMalformedReason;
}

/** Which side's lines a decoder reads: the edge reads the panel's, the panel reads the edge's. */
export type PanelLineSource = 'panel' | 'edge';

const CR = 0x0d;
const LF = 0x0a;
const ENVELOPE = /^\$([^$*]*)\*([0-9A-Fa-f]{2})$/;
const ID = /^[A-Za-z0-9._-]{1,32}$/;
const SEQ = /^[0-9]{1,5}$/;
const KEYS: Readonly<Record<string, PanelKey>> = { SOS: 'sos', SVC: 'service' };
const SENTENCES: Readonly<Record<PanelLineSource, readonly string[]>> = {
  panel: ['HB', 'AL'],
  edge: ['AK'],
};

/** XOR of the bytes of `body` (the text between `$` and `*`), as two upper-case hex digits. */
export function panelChecksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i) & 0xff;
  return sum.toString(16).toUpperCase().padStart(2, '0');
}

function parseSeq(field: string | undefined): number | undefined {
  if (field === undefined || !SEQ.test(field)) return undefined;
  const seq = Number(field);
  return seq <= PANEL_MAX_SEQ ? seq : undefined;
}

function parseBody(fields: string[]): PanelFrame | EdgeFrame | undefined {
  const [sentence, first, second, third] = fields;
  if (sentence === 'HB' && fields.length === 3) {
    const seq = parseSeq(second);
    if (first === undefined || !ID.test(first) || seq === undefined) return undefined;
    return { kind: 'hb', panelId: first, seq };
  }
  if (sentence === 'AL' && fields.length === 4) {
    const seq = parseSeq(second);
    const key = third !== undefined && Object.hasOwn(KEYS, third) ? KEYS[third] : undefined;
    if (first === undefined || !ID.test(first) || seq === undefined || key === undefined) return undefined;
    return { kind: 'al', buttonId: first, seq, key };
  }
  if (sentence === 'AK' && fields.length === 2) {
    const seq = parseSeq(first);
    return seq === undefined ? undefined : { kind: 'ak', seq };
  }
  return undefined;
}

/**
 * Judges one complete line: its bytes before the LF, a trailing CR included. Returns the frame,
 * a malformed verdict, or `null` for an empty line (a lone CR LF or LF), which is not an error.
 * Checks in order: length, bytes outside printable ASCII, the `$…*HH` envelope, the checksum, the
 * sentence (one `source` sends), the fields. Pure; never throws.
 */
export function parsePanelLine(line: Uint8Array, source: 'panel'): PanelFrame | PanelMalformed | null;
export function parsePanelLine(line: Uint8Array, source: 'edge'): EdgeFrame | PanelMalformed | null;
export function parsePanelLine(
  line: Uint8Array,
  source: PanelLineSource,
): PanelFrame | EdgeFrame | PanelMalformed | null;
export function parsePanelLine(
  line: Uint8Array,
  source: PanelLineSource,
): PanelFrame | EdgeFrame | PanelMalformed | null {
  if (line.length + 1 > PANEL_MAX_LINE_BYTES) return { reason: 'too-long' };
  const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
  if (end === 0) return null;
  let text = '';
  for (let i = 0; i < end; i++) {
    const byte = line[i] as number;
    if (byte < 0x20 || byte > 0x7e) return { reason: 'bad-char' };
    text += String.fromCharCode(byte);
  }
  const envelope = ENVELOPE.exec(text);
  if (envelope === null) return { reason: 'framing' };
  const body = envelope[1] as string;
  if (panelChecksum(body) !== (envelope[2] as string).toUpperCase()) return { reason: 'checksum' };
  const fields = body.split(',');
  if (!SENTENCES[source].includes(fields[0] as string)) return { reason: 'unknown-sentence' };
  return parseBody(fields) ?? { reason: 'form' };
}

/** Options of {@link PanelLineDecoder}. */
export interface PanelLineDecoderOptions {
  /** Whose lines are read: `panel` (the edge's driver, the default) or `edge` (the simulator). */
  source?: PanelLineSource;
}

/**
 * Bytes in, frames out ({@link PanelFrame} when reading a panel, {@link EdgeFrame} when reading the
 * edge). Emits `'malformed'` ({@link PanelMalformed}) once for each dropped line; never throws, never
 * logs. Holds at most {@link PANEL_MAX_LINE_BYTES} − 1 bytes of a pending line: a longer line is
 * reported as soon as it overflows and then skipped up to its LF. A pending partial line is
 * discarded silently at end of stream.
 */
export class PanelLineDecoder extends Transform {
  readonly #source: PanelLineSource;
  readonly #line = Buffer.alloc(PANEL_MAX_LINE_BYTES - 1);
  #length = 0;
  #discarding = false;

  constructor(options: PanelLineDecoderOptions = {}) {
    super({ readableObjectMode: true });
    this.#source = options.source ?? 'panel';
  }

  /** Bytes of the pending (unterminated) line held in memory. */
  get bufferedBytes(): number {
    return this.#length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    for (let at = chunk.indexOf(LF, start); at !== -1; at = chunk.indexOf(LF, start)) {
      this.#append(chunk.subarray(start, at));
      this.#endLine();
      start = at + 1;
    }
    this.#append(chunk.subarray(start));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#length = 0;
    this.#discarding = false;
    callback();
  }

  #append(bytes: Buffer): void {
    if (this.#discarding || bytes.length === 0) return;
    if (this.#length + bytes.length > this.#line.length) {
      this.#length = 0;
      this.#discarding = true;
      this.emit('malformed', { reason: 'too-long' } satisfies PanelMalformed);
      return;
    }
    bytes.copy(this.#line, this.#length); // copy: the caller may reuse its chunk
    this.#length += bytes.length;
  }

  #endLine(): void {
    const discarded = this.#discarding;
    const line = this.#line.subarray(0, this.#length);
    this.#length = 0;
    this.#discarding = false;
    if (discarded) return;
    const result = parsePanelLine(line, this.#source);
    if (result === null) return;
    if ('reason' in result) this.emit('malformed', result);
    else this.push(result);
  }
}

/** Options of {@link encodeFrame}. */
export interface EncodeFrameOptions {
  /** Line terminator; CR LF (what the protocol sends) when absent. */
  terminator?: '\r\n' | '\n';
  /** Fault injection: send a checksum that does not match the body. */
  badChecksum?: boolean;
  /** Fault injection: send the checksum in lower case (accepted by the edge). */
  lowerCase?: boolean;
}

/**
 * The bytes of one line carrying `body` (the text between `$` and `*`, e.g. `HB,P1,7`). Throws a
 * `RangeError` for a body holding `$`, `*` or a byte outside printable ASCII; it does not check the
 * fields or the length, so a simulator can send faulty lines on purpose.
 */
export function encodeFrame(body: string, options: EncodeFrameOptions = {}): Buffer {
  if (!/^[\x20-\x7e]*$/.test(body) || /[$*]/.test(body)) {
    throw new RangeError(`a frame body is printable ASCII without $ or *, got ${JSON.stringify(body)}`);
  }
  let cs = panelChecksum(body);
  if (options.badChecksum === true) cs = panelChecksum(`${body}!`);
  if (options.lowerCase === true) cs = cs.toLowerCase();
  return Buffer.from(`$${body}*${cs}${options.terminator ?? '\r\n'}`, 'latin1');
}

function checkSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > PANEL_MAX_SEQ) {
    throw new RangeError(`seq must be an integer 0–${PANEL_MAX_SEQ}, got ${seq}`);
  }
}

function checkId(id: string, what: string): void {
  if (!ID.test(id))
    throw new RangeError(`${what} must match [A-Za-z0-9._-]{1,32}, got ${JSON.stringify(id)}`);
}

/** `$AK,<seq>*CS` CR LF: the edge's acknowledgement of alarm `seq`. Throws a `RangeError` for a bad seq. */
export function encodeAck(seq: number, options: EncodeFrameOptions = {}): Buffer {
  checkSeq(seq);
  return encodeFrame(`AK,${seq}`, options);
}

/** `$HB,<panelId>,<seq>*CS` CR LF. Throws a `RangeError` for a bad id or seq. */
export function encodeHeartbeat(panelId: string, seq: number, options: EncodeFrameOptions = {}): Buffer {
  checkId(panelId, 'panelId');
  checkSeq(seq);
  return encodeFrame(`HB,${panelId},${seq}`, options);
}

/** `$AL,<buttonId>,<seq>,<SOS|SVC>*CS` CR LF. Throws a `RangeError` for a bad id or seq. */
export function encodeAlarm(
  buttonId: string,
  seq: number,
  key: PanelKey,
  options: EncodeFrameOptions = {},
): Buffer {
  checkId(buttonId, 'buttonId');
  checkSeq(seq);
  return encodeFrame(`AL,${buttonId},${seq},${key === 'sos' ? 'SOS' : 'SVC'}`, options);
}

/** The seq after `seq`: the panel's counter wraps from {@link PANEL_MAX_SEQ} to 0. */
export function nextPanelSeq(seq: number): number {
  return seq >= PANEL_MAX_SEQ ? 0 : seq + 1;
}
