/**
 * Drives a QR / barcode scanner on a serial port: bytes in, `qr.scanned` device events out.
 * Reports the link state and counts malformed lines and reconnections; knows nothing of what a
 * scan means to the business.
 */

import type { Transform } from 'node:stream';
import { isoNow, type QrScannedEvent } from '../device-events.js';
import {
  DEFAULT_SERIAL_BACKOFF,
  LineDeviceDriver,
  type LineDeviceOptions,
} from '../serial/line-device-driver.js';
import { type QrEncoding, QrLineDecoder, type QrMalformed, type QrScan } from './codec.js';

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_QR_BACKOFF = DEFAULT_SERIAL_BACKOFF;

/** Options of {@link QrScannerDriver}. Line settings are required: a device's are never guessed. */
export interface QrScannerDriverOptions extends LineDeviceOptions {
  /** The scanner's configured text encoding; UTF-8 unless the device says `gbk`. */
  encoding?: QrEncoding;
}

/** A QR scanner driver (see {@link LineDeviceDriver} for the lifecycle). */
export class QrScannerDriver extends LineDeviceDriver<
  QrScan,
  QrScannedEvent,
  QrMalformed,
  QrScannerDriverOptions
> {
  protected createDecoder(): Transform {
    return new QrLineDecoder({ encoding: this.options.encoding ?? 'utf-8' });
  }

  protected toEvent(scan: QrScan): QrScannedEvent {
    const event: QrScannedEvent = { type: 'qr.scanned', ts: isoNow(this.options.now), text: scan.text };
    if (scan.symbology !== undefined) event.symbology = scan.symbology;
    return event;
  }
}
