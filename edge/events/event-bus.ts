import { EventEmitter } from 'node:events';
import type { DeviceEvent } from '../../firmware-bridge/device-events.js';
import type { DeviceStatusEvent, QrScannedView } from '../api/types.js';

/**
 * The edge's typed in-process event bus. Features talk over it instead of calling each other:
 * the intake announces device events, health announces status changes, handlers announce what
 * they made of an event once it is on disk.
 */
export interface EdgeEvents {
  /** A valid device event, as received (before any handler ran). */
  'device.event': [{ deviceId: string; event: DeviceEvent }];
  /** A device went online or offline. */
  'device.status': [DeviceStatusEvent];
  /** A QR scan, after its record is on disk. */
  'qr.scanned': [QrScannedView];
}

export class EventBus extends EventEmitter<EdgeEvents> {
  constructor() {
    super({ captureRejections: false });
    this.setMaxListeners(100);
  }
}
