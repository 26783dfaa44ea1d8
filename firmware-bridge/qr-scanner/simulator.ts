/**
 * A QR / barcode scanner simulator: opens a serial port (the far end of a pty pair, or a real port
 * wired to the edge) and writes scans byte for byte as a real scanner does. For fault injection it
 * also writes raw bytes, and splits writes into chunks with a pause between them, so the reader sees
 * separate reads.
 */

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
import { type EncodeScanOptions, encodeScan, type QrEncoding } from './codec.js';

/** Options of {@link QrScannerSimulator}. */
export interface QrScannerSimulatorOptions extends SerialSettings {
  /** Default encoding of scans; UTF-8 when absent. */
  encoding?: QrEncoding;
  /** Default AIM identifier prefixed to scans (e.g. `Q1`); none when absent. */
  aim?: string;
  /** Default terminator; CR LF when absent. */
  terminator?: EncodeScanOptions['terminator'];
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
}

/** How to cut one write into pieces. */
export interface ChunkOptions {
  /** Sizes of successive chunks in bytes; the rest goes in a last chunk. Whole write when absent. */
  chunks?: number[];
  /** Pause between chunks, in ms; default 20, enough for the reader to see separate reads. */
  gapMs?: number;
}

/** Per-scan options: override the simulator's defaults, and optionally split the write. */
export type ScanOptions = EncodeScanOptions & ChunkOptions;

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

/**
 * A scanner on a serial port. `open()` rejects with a plain reason when the port cannot be opened;
 * writes reject once the port is gone. The constructor has no side effects.
 */
export class QrScannerSimulator {
  readonly #options: QrScannerSimulatorOptions;
  #port: SerialPort | undefined;

  constructor(options: QrScannerSimulatorOptions) {
    this.#options = { ...options };
  }

  /** True while the port is open. */
  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  /** Opens the port. */
  async open(): Promise<void> {
    if (this.#port !== undefined) return;
    const { path } = this.#options;
    let port: SerialPort;
    try {
      port = await openPort(this.#options, this.#options.binding);
    } catch (error) {
      throw new Error(`cannot open ${path}: ${describePortError(error, path)}`);
    }
    port.on('data', () => {
      // a scanner ignores what it is sent; reading keeps the port flowing, so a vanished peer
      // (socat killed) is noticed as `close`
    });
    port.on('close', () => {
      if (this.#port === port) this.#port = undefined;
    });
    this.#port = port;
  }

  /** Sends one scan as the scanner would: AIM prefix, text in its encoding, terminator. */
  async scan(text: string, options: ScanOptions = {}): Promise<void> {
    const { aim = this.#options.aim, terminator = this.#options.terminator } = options;
    const encoding = options.encoding ?? this.#options.encoding;
    const bytes = encodeScan(text, {
      ...(aim === undefined ? {} : { aim }),
      ...(terminator === undefined ? {} : { terminator }),
      ...(encoding === undefined ? {} : { encoding }),
    });
    await this.writeRaw(bytes, options);
  }

  /** Writes bytes exactly as given (a latin1 string maps each char to one byte), optionally in chunks. */
  async writeRaw(bytes: Uint8Array | string, options: ChunkOptions = {}): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    const pieces = options.chunks === undefined ? [Buffer.from(data)] : splitBytes(data, options.chunks);
    const gapMs = options.gapMs ?? 20;
    for (const [index, piece] of pieces.entries()) {
      if (index > 0 && gapMs > 0) await sleep(gapMs);
      await this.#write(piece);
    }
  }

  /** Closes the port. */
  async close(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    if (port !== undefined) await closePort(port);
  }

  async #write(bytes: Buffer): Promise<void> {
    const port = this.#port;
    if (port === undefined || !port.isOpen) throw new Error(`${this.#options.path} is not open`);
    await writeAndDrain(port, bytes);
  }
}
