import type { QrScannedEvent } from '../../firmware-bridge/device-events.js';
import type { QrScannedView } from '../api/types.js';
import type { EventBus } from '../events/event-bus.js';
import type { RecordLog } from '../store/record-log.js';

/**
 * A QR scan becomes a record in stream `service` (type `qr.scanned`), then — once it is on
 * disk — a view for the screens. Later issues teach it badges and grid-cell codes.
 */
export function qrScanHandler(records: RecordLog, bus: EventBus) {
  return async (deviceId: string, event: QrScannedEvent): Promise<void> => {
    const body = {
      deviceId,
      text: event.text,
      ...(event.symbology ? { symbology: event.symbology } : {}),
      scannedAt: event.ts,
    };
    const rec = await records.append('service', 'qr.scanned', body);
    const view: QrScannedView = {
      deviceId,
      ts: event.ts,
      text: event.text,
      ...(event.symbology ? { symbology: event.symbology } : {}),
      kind: /^https?:\/\/\S+$/i.test(event.text) ? 'url' : 'text',
      recordId: rec.id,
    };
    bus.emit('qr.scanned', view);
  };
}
