/**
 * A virtual contactless card for the vpcd virtual reader of pcscd (TESTBED.md, "PC/SC"): a tiny vpcd
 * client. The card is on the reader while its TCP connection to vpcd is open (`insert()` … `remove()`).
 *
 * vpcd wire protocol: every message, both ways, is a 2-byte big-endian length and a payload. A 1-byte
 * payload from vpcd is a control code — 0 power off, 1 power on, 2 reset (none of them answered),
 * 4 "send the ATR" (answered with the ATR); a longer payload is a C-APDU, answered with the R-APDU.
 * The card answers GET DATA / UID (`FF CA 00 00 00`, PC/SC part 3) with its UID and `90 00`, and every
 * other command with `6A 81` (function not supported).
 */

import { EventEmitter, once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** vpcd's TCP port for reader 0 (`Virtual PCD 00 00`); reader 1 listens on the next one. */
export const VPCD_BASE_PORT = 35963;

/**
 * MIFARE Classic 1K as a PC/SC reader reports it (PC/SC part 3 storage card ATR: byte 5 = `4F`, RID
 * `A0 00 00 03 06`, standard `03` = ISO 14443 A part 3, card name `00 01`).
 */
export const MIFARE_CLASSIC_ATR = '3B8F8001804F0CA000000306030001000000006A';

/**
 * An ISO 14443-4 type A CPU card as a PC/SC reader reports it: `3B 81 80 01` + the ATS historical
 * byte `80` + TCK, as NXP DESFire cards show (transport CPU cards are ISO 14443-4 too).
 */
export const ISO14443_4A_ATR = '3B8180018080';

/**
 * An ISO 14443-4 type B card (`3B 88 80 01` + ATQB application data and protocol info + TCK): the
 * shape of identity cards, which ignore HALT and are seen again and again.
 */
export const ISO14443_4B_ATR = '3B888001000000000000000009';

/** GET DATA, UID (PC/SC part 3, 3.2.2.1.3): `FF CA 00 00 00`. */
export const GET_UID_APDU = Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]);

const SW_OK = Buffer.from([0x90, 0x00]);
const SW_NOT_SUPPORTED = Buffer.from([0x6a, 0x81]);
const CTRL_ATR = 4;

/** The vpcd port of reader `index` (0 = `Virtual PCD 00 00`, 1 = `Virtual PCD 00 01`). */
export function vpcdPort(index: number): number {
  return VPCD_BASE_PORT + index;
}

/** Parses hex (spaces and colons allowed) into bytes; throws a `RangeError` naming `what`. */
export function parseHex(text: string, what: string): Buffer {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(clean)) {
    throw new RangeError(`${what} must be an even number of hex digits, got ${JSON.stringify(text)}`);
  }
  return Buffer.from(clean, 'hex');
}

/** Options of {@link VirtualCard}. */
export interface VirtualCardOptions {
  /** The card's UID in hex, e.g. `04A1B2C3` (4, 7 or 10 bytes on real cards; any length accepted). */
  uid: string;
  /** The ATR in hex; {@link MIFARE_CLASSIC_ATR} when absent. */
  atr?: string;
  /** vpcd's port; {@link VPCD_BASE_PORT} (reader 0) when absent. */
  port?: number;
  /** vpcd's host; `127.0.0.1` when absent. */
  host?: string;
}

/** Events of a {@link VirtualCard}. */
export interface VirtualCardEvents {
  /** A C-APDU vpcd sent and the R-APDU the card answered. */
  apdu: [command: Buffer, response: Buffer];
  /** A control code from vpcd (0 off, 1 on, 2 reset, 4 ATR). */
  control: [code: number];
  /** The connection ended (removed, or vpcd went away). */
  removed: [];
}

/**
 * A card on a vpcd reader. The constructor validates its hex options and has no other effect;
 * `insert()` connects (rejects when vpcd is not listening), `remove()` disconnects.
 */
export class VirtualCard extends EventEmitter<VirtualCardEvents> {
  readonly uid: Buffer;
  readonly atr: Buffer;
  readonly #port: number;
  readonly #host: string;
  #socket: Socket | undefined;
  #pending = Buffer.alloc(0);

  constructor(options: VirtualCardOptions) {
    super();
    this.uid = parseHex(options.uid, 'uid');
    this.atr = parseHex(options.atr ?? MIFARE_CLASSIC_ATR, 'atr');
    this.#port = options.port ?? VPCD_BASE_PORT;
    this.#host = options.host ?? '127.0.0.1';
  }

  /** True while the card is on the reader (connected to vpcd). */
  get inserted(): boolean {
    return this.#socket !== undefined;
  }

  /** Puts the card on the reader: connects to vpcd. Rejects with a plain reason when it cannot. */
  async insert(): Promise<void> {
    if (this.#socket !== undefined) return;
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    try {
      await once(socket, 'connect');
    } catch (error) {
      socket.destroy();
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new Error(`vpcd not reachable on ${this.#host}:${this.#port} (${code}): is pcscd running?`);
    }
    this.#socket = socket;
    this.#pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', () => socket.destroy()); // vpcd gone: 'close' follows
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.emit('removed');
    });
  }

  /** Takes the card off the reader: closes the connection and waits until it is closed. */
  async remove(): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined) return;
    const closed = once(socket, 'close');
    socket.end();
    socket.destroySoon();
    await closed;
  }

  /** The R-APDU this card gives for a C-APDU. */
  respond(command: Buffer): Buffer {
    if (command.length >= 4 && command.subarray(0, 4).equals(GET_UID_APDU.subarray(0, 4))) {
      return Buffer.concat([this.uid, SW_OK]);
    }
    return SW_NOT_SUPPORTED;
  }

  #onData(socket: Socket, chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= 2) {
      const length = this.#pending.readUInt16BE(0);
      if (this.#pending.length < 2 + length) return;
      const payload = this.#pending.subarray(2, 2 + length);
      this.#pending = this.#pending.subarray(2 + length);
      if (length === 1) {
        const code = payload[0] ?? -1;
        this.emit('control', code);
        if (code === CTRL_ATR) send(socket, this.atr);
      } else if (length > 1) {
        const command = Buffer.from(payload);
        const response = this.respond(command);
        send(socket, response);
        this.emit('apdu', command, response);
      }
    }
  }
}

function send(socket: Socket, payload: Buffer): void {
  const header = Buffer.alloc(2);
  header.writeUInt16BE(payload.length);
  socket.write(Buffer.concat([header, payload]));
}
