/**
 * A GSM modem simulator: opens a serial port (the far end of a pty pair, or a real port wired to
 * the edge) and answers AT commands as a modem in verbose mode does: `AT`, `ATE0`/`ATE1`,
 * `AT+CMEE`, `AT+CMGF`, `AT+CSQ`, and `AT+CMGS` in PDU mode (prompt `> `, hex up to Ctrl-Z, ESC
 * cancels). Each SMS-SUBMIT is decoded; concatenated parts are reassembled into {@link sent}.
 * Faults for `AT+CMGS` are set at run time with {@link GsmModemSimulator.setFault}.
 */

import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SerialPort } from 'serialport';
import {
  closePort,
  openPort,
  type SerialBinding,
  type SerialSettings,
  writeAndDrain,
} from '../serial/port-io.js';
import { describePortError } from '../serial/serial-link.js';
import { decodeSmsSubmitPdu, type SmsSubmit } from './codec.js';

/** A fault the simulator applies to `AT+CMGS`. */
export type ModemFault =
  /** `ERROR` instead of the prompt. */
  | { kind: 'error' }
  /** `+CMS ERROR: <code>` after the PDU, as a network refusal (330: SMSC address unknown). */
  | { kind: 'cms-error'; code: number }
  /** `+CME ERROR: <code>` instead of the prompt (plain `ERROR` while `AT+CMEE=0`). */
  | { kind: 'cme-error'; code: number }
  /** Never answers the command (a hung modem). */
  | { kind: 'timeout' }
  /** Answers `+CMGS`/`OK` only `delayMs` after the PDU (a slow network). */
  | { kind: 'slow'; delayMs: number }
  /** Closes its port on the command (a modem losing power behind a USB adapter that stays plugged). */
  | { kind: 'drop' };

/** One SMS as a phone would show it: all its parts, reassembled. */
export interface ReceivedSms {
  to: string;
  text: string;
  /** Parts it came in. */
  parts: number;
  /** Concatenation reference (absent for a single SMS). */
  ref?: number;
  /** The TP-MR the simulator answered for each part, in part order. */
  messageRefs: number[];
}

/** Options of {@link GsmModemSimulator}. */
export interface GsmModemSimulatorOptions extends SerialSettings {
  /** Signal quality answered to `AT+CSQ`; 20 when absent. */
  rssi?: number;
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
}

/** Events of a {@link GsmModemSimulator}. */
export interface GsmModemSimulatorEvents {
  /** Each command line received (PDU data excluded). */
  command: [command: string];
  /** A complete SMS (the last of its parts arrived). */
  sms: [sms: ReceivedSms];
  /** A fault was applied to a command. */
  fault: [fault: ModemFault];
  /** The port closed (socat killed, or a `drop` fault). */
  close: [];
}

const CR = 0x0d;
const LF = 0x0a;
const CTRL_Z = 0x1a;
const ESC = 0x1b;
const MAX_INPUT = 4096;

interface Part extends SmsSubmit {
  mr: number;
}

/** A GSM modem on a serial port. The constructor has no side effects; `open()` starts answering. */
export class GsmModemSimulator extends EventEmitter<GsmModemSimulatorEvents> {
  /** Complete SMS received, in order of completion. */
  readonly sent: ReceivedSms[] = [];
  /** Command lines received, in order. */
  readonly commands: string[] = [];
  readonly #options: GsmModemSimulatorOptions;
  #port: SerialPort | undefined;
  #input = '';
  #pduLength: number | undefined; // set while reading a PDU after the prompt
  #echo = true;
  #cmee = 0;
  #cmgf = 0;
  #mr = 0;
  #fault: ModemFault | undefined;
  #faultTimes = Number.POSITIVE_INFINITY;
  #work: Promise<void> = Promise.resolve();
  readonly #partial = new Map<string, Part[]>();

  constructor(options: GsmModemSimulatorOptions) {
    super();
    this.#options = { ...options };
  }

  /** True while the port is open. */
  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  /** Answer to `AT+CSQ` from now on (0–31, 99 unknown). */
  set rssi(rssi: number) {
    this.#options.rssi = rssi;
  }

  /** Applies `fault` to the next `times` `AT+CMGS` commands (every one when absent); `undefined` clears it. */
  setFault(fault: ModemFault | undefined, times = Number.POSITIVE_INFINITY): void {
    this.#fault = fault;
    this.#faultTimes = times;
  }

  /** Opens the port, with the modem state of a power-up (echo on, `+CMEE=0`). */
  async open(): Promise<void> {
    if (this.#port !== undefined) return;
    const { path } = this.#options;
    let port: SerialPort;
    try {
      port = await openPort(this.#options, this.#options.binding);
    } catch (error) {
      throw new Error(`cannot open ${path}: ${describePortError(error, path)}`);
    }
    [this.#input, this.#pduLength, this.#echo, this.#cmee] = ['', undefined, true, 0];
    port.on('data', (chunk: Buffer) => this.#onBytes(chunk));
    port.on('close', () => {
      if (this.#port !== port) return;
      this.#port = undefined;
      this.emit('close');
    });
    this.#port = port;
  }

  /** Closes the port. */
  async close(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    if (port !== undefined) await closePort(port);
  }

  #onBytes(chunk: Buffer): void {
    for (const byte of chunk) {
      if (this.#pduLength !== undefined) {
        if (byte === CTRL_Z) this.#run(this.#submit.bind(this, this.#pduLength, this.#input));
        if (byte === CTRL_Z || byte === ESC) [this.#input, this.#pduLength] = ['', undefined];
        else if (this.#input.length < MAX_INPUT) this.#input += String.fromCharCode(byte);
      } else if (byte === CR) {
        const line = this.#input.trim();
        this.#input = '';
        if (line !== '') this.#run(this.#execute.bind(this, line));
      } else if (byte === ESC) {
        this.#input = '';
      } else if (byte !== LF && this.#input.length < MAX_INPUT) {
        this.#input += String.fromCharCode(byte);
      }
    }
  }

  /** Runs answers one after another, as a modem does; a failed write (port gone) ends nothing else. */
  #run(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch(() => {});
  }

  async #execute(line: string): Promise<void> {
    this.commands.push(line);
    this.emit('command', line);
    if (this.#echo) await this.#write(`${line}\r`);
    const command = line.toUpperCase();
    const handlers: [RegExp, (argument: string) => Promise<void>][] = [
      [/^AT$/, async () => await this.#answer('OK')],
      [/^ATE([01]?)$/, async (value) => this.#set(() => (this.#echo = value === '1'))],
      [/^AT\+CMEE=([012])$/, async (value) => this.#set(() => (this.#cmee = Number(value)))],
      [/^AT\+CMGF=([01])$/, async (value) => this.#set(() => (this.#cmgf = Number(value)))],
      [/^AT\+CSQ$/, async () => await this.#answer(`+CSQ: ${this.#options.rssi ?? 20},99`, 'OK')],
      [/^AT\+CMGS=(\d{1,3})$/, async (value) => await this.#cmgs(Number(value))],
    ];
    for (const [pattern, handle] of handlers) {
      const match = pattern.exec(command);
      if (match !== null) return await handle(match[1] ?? '');
    }
    await this.#answer('ERROR');
  }

  async #set(change: () => unknown): Promise<void> {
    change();
    await this.#answer('OK');
  }

  async #cmgs(length: number): Promise<void> {
    if (this.#cmgf !== 0) return await this.#answer('+CMS ERROR: 302'); // operation not allowed: text mode
    if (length < 7 || length > 164) return await this.#answer('+CMS ERROR: 304'); // invalid PDU parameter
    const fault = this.#takeFault(['error', 'cme-error', 'timeout', 'drop']);
    if (fault?.kind === 'error') return await this.#answer('ERROR');
    if (fault?.kind === 'cme-error')
      return await this.#answer(this.#cmee ? `+CME ERROR: ${fault.code}` : 'ERROR');
    if (fault?.kind === 'timeout') return;
    if (fault?.kind === 'drop') {
      await this.close();
      this.emit('close');
      return;
    }
    this.#pduLength = length;
    await this.#write('\r\n> ');
  }

  async #submit(length: number, hex: string): Promise<void> {
    const sms = decodeSmsSubmitPdu(hex.trim());
    if (sms === null || sms.tpduLength !== length) return await this.#answer('+CMS ERROR: 304');
    const fault = this.#takeFault(['cms-error', 'slow']);
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    if (fault?.kind === 'cms-error') return await this.#answer(`+CMS ERROR: ${fault.code}`);
    const mr = this.#mr;
    this.#mr = (this.#mr + 1) % 256;
    this.#record({ ...sms, mr });
    await this.#answer(`+CMGS: ${mr}`, 'OK');
  }

  #takeFault(kinds: ModemFault['kind'][]): ModemFault | undefined {
    const fault = this.#fault;
    if (fault === undefined || !kinds.includes(fault.kind)) return undefined;
    if (--this.#faultTimes <= 0) this.#fault = undefined;
    this.emit('fault', fault);
    return fault;
  }

  #record(part: Part): void {
    const { concat } = part;
    if (concat === undefined) {
      this.#complete({ to: part.to, text: part.text, parts: 1, messageRefs: [part.mr] });
      return;
    }
    const key = `${part.to}|${concat.ref}|${concat.total}`;
    const parts = (this.#partial.get(key) ?? []).filter((p) => p.concat?.seq !== concat.seq);
    parts.push(part);
    if (parts.length < concat.total) {
      this.#partial.set(key, parts);
      return;
    }
    this.#partial.delete(key);
    parts.sort((a, b) => (a.concat?.seq ?? 0) - (b.concat?.seq ?? 0));
    this.#complete({
      to: part.to,
      text: parts.map((p) => p.text).join(''),
      parts: concat.total,
      ref: concat.ref,
      messageRefs: parts.map((p) => p.mr),
    });
  }

  #complete(sms: ReceivedSms): void {
    this.sent.push(sms);
    this.emit('sms', sms);
  }

  /** Writes result lines in verbose form (`CR LF text CR LF` each). */
  async #answer(...lines: string[]): Promise<void> {
    await this.#write(lines.map((line) => `\r\n${line}\r\n`).join(''));
  }

  async #write(text: string): Promise<void> {
    const port = this.#port;
    if (port === undefined || !port.isOpen) throw new Error(`${this.#options.path} is not open`);
    await writeAndDrain(port, Buffer.from(text, 'latin1'));
  }
}
