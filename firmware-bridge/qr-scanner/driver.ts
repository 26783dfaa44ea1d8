/**
 * Drives a QR / barcode scanner on a serial port: bytes in, `qr.scanned` device events out.
 * Reports the link state and counts malformed lines and reconnections; knows nothing of what a
 * scan means to the business.
 */

import { EventEmitter } from 'node:events';
import { type DriverCounters, isoNow, type LinkState, type QrScannedEvent } from '../device-events.js';
import { type Backoff, type SerialBinding, SerialLink, type SerialSettings } from '../serial/serial-link.js';
import { type QrEncoding, QrLineDecoder, type QrMalformed, type QrScan } from './codec.js';

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_QR_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/** Options of {@link QrScannerDriver}. Line settings are required: a device's are never guessed. */
export interface QrScannerDriverOptions extends SerialSettings {
  deviceId: string;
  /** The scanner's configured text encoding; UTF-8 unless the device says `gbk`. */
  encoding?: QrEncoding;
  /** Reconnection backoff; {@link DEFAULT_QR_BACKOFF} when absent. */
  backoff?: Backoff;
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
  /** Clock for event timestamps, in ms since the epoch. */
  now?: () => number;
}

/** Events of a {@link QrScannerDriver}. */
export interface QrScannerDriverEvents {
  event: [event: QrScannedEvent];
  link: [state: LinkState];
  malformed: [malformed: QrMalformed];
}

/**
 * A QR scanner driver. The constructor only stores its options; `start()` opens the port (or reports
 * it offline and retries) and never throws; `stop()` closes it. Each connection gets a fresh line
 * decoder, so a partial line cut by a disconnect is dropped, never glued to the next scan.
 */
export class QrScannerDriver extends EventEmitter<QrScannerDriverEvents> {
  readonly deviceId: string;
  readonly #options: QrScannerDriverOptions;
  #link: SerialLink | undefined;
  #decoder: QrLineDecoder | undefined;
  #malformed = 0;
  #reconnectsOfEarlierLinks = 0;

  constructor(options: QrScannerDriverOptions) {
    super();
    this.deviceId = options.deviceId;
    this.#options = { ...options };
  }

  /** Malformed lines dropped and reconnections made since construction. */
  get counters(): DriverCounters {
    return {
      malformed: this.#malformed,
      reconnects: this.#reconnectsOfEarlierLinks + (this.#link?.reconnects ?? 0),
    };
  }

  /** True while the serial port is open. */
  get online(): boolean {
    return this.#link?.online === true;
  }

  /** Opens the port; resolves after the first attempt, online or not. Never throws. */
  async start(): Promise<void> {
    if (this.#link !== undefined) return;
    const { path, baudRate, dataBits, parity, stopBits, binding } = this.#options;
    const link = new SerialLink({
      path,
      baudRate,
      dataBits,
      parity,
      stopBits,
      backoff: this.#options.backoff ?? DEFAULT_QR_BACKOFF,
      ...(binding === undefined ? {} : { binding }),
    });
    this.#link = link;
    link.on('data', (chunk) => this.#decoder?.write(chunk));
    link.on('link', (state) => {
      this.#endDecoder();
      if (state.online) this.#decoder = this.#createDecoder();
      this.emit('link', state);
    });
    await link.start();
  }

  /** Closes the port and stops reconnecting. */
  async stop(): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    this.#link = undefined;
    this.#reconnectsOfEarlierLinks += link.reconnects; // a stopping link makes no new connection
    await link.stop();
    link.removeAllListeners();
    this.#endDecoder();
  }

  #createDecoder(): QrLineDecoder {
    const decoder = new QrLineDecoder({ encoding: this.#options.encoding ?? 'utf-8' });
    decoder.on('data', (scan: QrScan) => {
      const event: QrScannedEvent = { type: 'qr.scanned', ts: isoNow(this.#options.now), text: scan.text };
      if (scan.symbology !== undefined) event.symbology = scan.symbology;
      this.emit('event', event);
    });
    decoder.on('malformed', (malformed: QrMalformed) => {
      this.#malformed++;
      this.emit('malformed', malformed);
    });
    return decoder;
  }

  /** Ends the current decoder: complete lines already decoded are still delivered, a partial one is dropped. */
  #endDecoder(): void {
    this.#decoder?.end();
    this.#decoder = undefined;
  }
}
