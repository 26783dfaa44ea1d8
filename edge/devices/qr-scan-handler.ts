import type { QrScannedEvent } from '../../firmware-bridge/device-events.js';
import type { QrScannedView } from '../api/types.js';
import type { EventBus } from '../events/event-bus.js';
import type { RecordLog } from '../store/record-log.js';

/** What a scanned text is to this house: an elder's badge, a link, or plain text. */
export type QrMeaning =
  | { kind: 'badge'; residentId: string; view: NonNullable<QrScannedView['badge']> }
  | { kind: 'url' | 'text' };

/** Plain classification when nothing more specific matches. */
export function plainMeaning(text: string): QrMeaning {
  return { kind: /^https?:\/\/\S+$/i.test(text) ? 'url' : 'text' };
}

/**
 * A QR scan becomes a record in stream `service` (type `qr.scanned`), then — once it is on
 * disk — a view for the screens. A badge scan is recorded by resident id and badge code, never
 * with its token (the record travels to the cloud); later issues teach it grid-cell codes.
 */
export function qrScanHandler(records: RecordLog, bus: EventBus, meaning: (text: string) => QrMeaning) {
  return async (deviceId: string, event: QrScannedEvent): Promise<void> => {
    const m = meaning(event.text);
    const sym = event.symbology ? { symbology: event.symbology } : {};
    const body =
      m.kind === 'badge'
        ? {
            deviceId,
            kind: 'badge',
            residentId: m.residentId,
            code: m.view.code,
            ...sym,
            scannedAt: event.ts,
          }
        : { deviceId, text: event.text, ...sym, scannedAt: event.ts };
    const rec = await records.append('service', 'qr.scanned', body);
    const view: QrScannedView = {
      deviceId,
      ts: event.ts,
      text: m.kind === 'badge' ? m.view.code : event.text,
      ...sym,
      kind: m.kind,
      ...(m.kind === 'badge' ? { badge: m.view } : {}),
      recordId: rec.id,
    };
    bus.emit('qr.scanned', view);
  };
}
