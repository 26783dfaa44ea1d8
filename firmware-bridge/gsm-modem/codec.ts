/**
 * GSM modem wire format (DESIGN.md, "Devices": `gsm-modem`; docs/protocols.md, "GSM modem (SMS)").
 *
 * The edge talks to the modem with AT commands (ITU-T V.250, 3GPP TS 27.007, and TS 27.005 for
 * SMS), each ended by CR. The modem answers with lines framed by CR LF (V.250 §5.7.1, verbose
 * mode): intermediate lines (`+CMGS: 12`, `+CSQ: 20,99`), then one final result code (`OK`,
 * `ERROR`, `+CME ERROR: <n>`, `+CMS ERROR: <n>`). Between commands it may send unsolicited result
 * codes (`RING`, `+CMTI: "SM",3`, `^BOOT:…`). After `AT+CMGS=<n>` it sends the prompt `> ` (TS
 * 27.005 §3.5.1: CR LF, `>`, space) with no line end, and waits for the PDU and Ctrl-Z.
 *
 * {@link ModemLineDecoder} splits the bytes into {@link ModemLine}s. Any CR or LF ends a line and
 * empty lines are skipped, so an echoed command (ended by CR alone, before `ATE0`) is a line too.
 * The PDU codec lives in `sms-pdu.ts` and is re-exported here.
 */

import { Transform, type TransformCallback } from 'node:stream';

export * from './sms-pdu.js';

/** Longest accepted line in bytes, terminator excluded (a PDU line of `+CMGR` is at most ~360). */
export const MODEM_MAX_LINE_BYTES = 1024;

/** One line from the modem, classified. */
export type ModemLine =
  | { kind: 'ok' }
  | { kind: 'error' }
  /** `+CME ERROR: <n>` (TS 27.007 §9.2) or `+CMS ERROR: <n>` (TS 27.005 §3.2.5); `code` absent when verbose. */
  | { kind: 'cme-error' | 'cms-error'; code?: number; text: string }
  | { kind: 'prompt' }
  /** A command echoed back (echo is on until `ATE0`). */
  | { kind: 'echo'; text: string }
  /** An unsolicited result code: never an answer to a command. */
  | { kind: 'urc'; text: string }
  /** Any other line: an intermediate result (`+CMGS: 12`) or information text. */
  | { kind: 'info'; text: string };

/** A final result code: the end of a command's answer. */
export type FinalLine = Extract<ModemLine, { kind: 'ok' | 'error' | 'cme-error' | 'cms-error' }>;

/** Why a line was dropped. */
export type ModemMalformedReason = 'too-long' | 'bad-byte';

/** Payload of the decoder's `'malformed'` event. */
export interface ModemMalformed {
  reason: ModemMalformedReason;
}

/**
 * Unsolicited result codes the edge may meet and ignores: calls (V.250, TS 27.007 §6–7), new
 * messages and reports (TS 27.005 §3.4.1), vendor start-up and status lines (`^BOOT`, `^RSSI`,
 * `RDY`, `SMS Ready`…). `NO CARRIER`, `BUSY`… are final results of a dial, which the edge never
 * sends, so here they can only be unsolicited.
 */
const URC_PREFIXES = [
  'RING',
  '+CRING:',
  '+CLIP:',
  '+CMTI:',
  '+CMT:',
  '+CDSI:',
  '+CDS:',
  '+CBM:',
  '+CUSD:',
  '^',
];
const URC_LINES = new Set([
  'NO CARRIER',
  'BUSY',
  'NO ANSWER',
  'NO DIALTONE',
  'RDY',
  'SMS Ready',
  'Call Ready',
]);
const ERROR_PATTERN = /^\+(CME|CMS) ERROR:\s*(.*)$/;

/** True for a final result code. */
export function isFinal(line: ModemLine): line is FinalLine {
  return (
    line.kind === 'ok' || line.kind === 'error' || line.kind === 'cme-error' || line.kind === 'cms-error'
  );
}

/** Classifies one line (terminator removed, not empty). Pure; never throws. */
export function classifyLine(text: string): ModemLine {
  if (text === 'OK') return { kind: 'ok' };
  if (text === 'ERROR') return { kind: 'error' };
  const error = ERROR_PATTERN.exec(text);
  if (error !== null) {
    const detail = (error[2] ?? '').trim();
    const kind = error[1] === 'CME' ? 'cme-error' : 'cms-error';
    return /^\d{1,5}$/.test(detail) ? { kind, code: Number(detail), text: detail } : { kind, text: detail };
  }
  if (/^AT/i.test(text)) return { kind: 'echo', text };
  if (URC_LINES.has(text) || URC_PREFIXES.some((prefix) => text.startsWith(prefix))) {
    return { kind: 'urc', text };
  }
  return { kind: 'info', text };
}

const CR = 0x0d;
const LF = 0x0a;
const PROMPT = 0x3e; // '>'
const SPACE = 0x20;

/** True for a byte that may not appear in a line: C0 controls other than TAB, DEL, and non-ASCII. */
function isBadByte(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09) || byte >= 0x7f;
}

/**
 * Bytes in, {@link ModemLine} objects out. Emits `'malformed'` ({@link ModemMalformed}) once per
 * dropped line (longer than {@link MODEM_MAX_LINE_BYTES}, or holding a control or non-ASCII byte);
 * never throws. A line that starts with `> ` is the SMS prompt, emitted as soon as the space
 * arrives. Holds at most {@link MODEM_MAX_LINE_BYTES} bytes; a partial line is dropped at the end.
 */
export class ModemLineDecoder extends Transform {
  readonly #line = Buffer.alloc(MODEM_MAX_LINE_BYTES);
  #length = 0;
  #overflow = false;
  #bad = false;

  constructor() {
    super({ readableObjectMode: true });
  }

  /** Bytes of the pending (unterminated) line held in memory. */
  get bufferedBytes(): number {
    return this.#length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const byte of chunk) {
      if (byte === CR || byte === LF) {
        this.#endLine();
        continue;
      }
      if (this.#overflow) continue;
      if (this.#length === MODEM_MAX_LINE_BYTES) {
        this.#overflow = true;
        this.#length = 0;
        this.emit('malformed', { reason: 'too-long' } satisfies ModemMalformed);
        continue;
      }
      if (isBadByte(byte)) this.#bad = true;
      this.#line[this.#length++] = byte;
      if (this.#length === 2 && byte === SPACE && this.#line[0] === PROMPT) {
        this.#reset();
        this.push({ kind: 'prompt' } satisfies ModemLine);
      }
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#reset();
    callback();
  }

  #endLine(): void {
    const skip = this.#overflow || this.#length === 0;
    const bad = this.#bad;
    const text = skip || bad ? '' : this.#line.toString('latin1', 0, this.#length);
    this.#reset();
    if (skip) return;
    if (bad) this.emit('malformed', { reason: 'bad-byte' } satisfies ModemMalformed);
    else this.push(classifyLine(text));
  }

  #reset(): void {
    this.#length = 0;
    this.#overflow = false;
    this.#bad = false;
  }
}
