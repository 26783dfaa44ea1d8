/**
 * A QR / barcode scanner simulator: opens a serial port (the far end of a pty pair, or a real port
 * wired to the edge) and writes scans byte for byte as a real scanner does. For fault injection it
 * also writes raw bytes, and splits writes into chunks with a pause between them, so the reader sees
 * separate reads.
 */

import type { SerialBinding, SerialSettings } from '../serial/port-io.js';
import { type ChunkOptions, SerialPeer } from '../serial/serial-peer.js';
import { type EncodeScanOptions, encodeScan, type QrEncoding } from './codec.js';

export { type ChunkOptions, splitBytes } from '../serial/serial-peer.js';

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

/** Per-scan options: override the simulator's defaults, and optionally split the write. */
export type ScanOptions = EncodeScanOptions & ChunkOptions;

/**
 * A scanner on a serial port. `open()` rejects with a plain reason when the port cannot be opened;
 * writes reject once the port is gone. The constructor has no side effects.
 */
export class QrScannerSimulator extends SerialPeer {
  readonly #options: QrScannerSimulatorOptions;

  constructor(options: QrScannerSimulatorOptions) {
    super(options, options.binding);
    this.#options = { ...options };
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
}
