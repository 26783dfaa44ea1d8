/**
 * The device end of a serial link, for simulators that only write (a scanner, a UID reader): opens
 * the port (the far end of a pty pair, or a real port wired to the edge), writes bytes exactly as
 * given — optionally split into chunks with a pause, so the reader sees separate reads — and
 * closes. The constructor has no side effects; `open()` rejects with a plain reason.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { SerialPort } from 'serialport';
import { closePort, openPort, type SerialBinding, type SerialSettings, writeAndDrain } from './port-io.js';
import { describePortError } from './serial-link.js';

/** How to cut one write into pieces. */
export interface ChunkOptions {
  /** Sizes of successive chunks in bytes; the rest goes in a last chunk. Whole write when absent. */
  chunks?: number[];
  /** Pause between chunks, in ms; default 20, enough for the reader to see separate reads. */
  gapMs?: number;
}

/** Splits `bytes` into chunks of the given sizes, the remainder (if any) last. */
export function splitBytes(bytes: Uint8Array, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset >= bytes.length) break;
    out.push(Buffer.from(bytes.subarray(offset, offset + Math.max(1, size))));
    offset += Math.max(1, size);
  }
  if (offset < bytes.length) out.push(Buffer.from(bytes.subarray(offset)));
  return out;
}

export class SerialPeer {
  #port: SerialPort | undefined;

  constructor(
    private readonly settings: SerialSettings,
    private readonly binding?: SerialBinding,
  ) {}

  /** True while the port is open. */
  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  /** Opens the port. */
  async open(): Promise<void> {
    if (this.#port !== undefined) return;
    const { path } = this.settings;
    let port: SerialPort;
    try {
      port = await openPort(this.settings, this.binding);
    } catch (error) {
      throw new Error(`cannot open ${path}: ${describePortError(error, path)}`);
    }
    port.on('data', () => {
      // what the edge sends is ignored; reading keeps the port flowing, so a vanished peer is noticed
    });
    port.on('close', () => {
      if (this.#port === port) this.#port = undefined;
    });
    this.#port = port;
  }

  /** Writes bytes exactly as given (a latin1 string maps each char to one byte), optionally in chunks. */
  async writeRaw(bytes: Uint8Array | string, options: ChunkOptions = {}): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    const pieces = options.chunks === undefined ? [Buffer.from(data)] : splitBytes(data, options.chunks);
    const gapMs = options.gapMs ?? 20;
    for (const [index, piece] of pieces.entries()) {
      if (index > 0 && gapMs > 0) await sleep(gapMs);
      const port = this.#port;
      if (port === undefined || !port.isOpen) throw new Error(`${this.settings.path} is not open`);
      await writeAndDrain(port, piece);
    }
  }

  /** Closes the port. */
  async close(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    if (port !== undefined) await closePort(port);
  }
}
