import type { Logger } from 'pino';
import type { DeviceHealth } from '../devices/device-health.js';
import type { RecordLog } from '../store/record-log.js';
import type { EventBus } from './event-bus.js';
import type { SseHub } from './sse-hub.js';

/**
 * What the screens see: device events as they arrive (a scan only once its record is on disk,
 * with its record id) and every device status change, which is also written as a `device` record.
 */
export function feedScreens(
  bus: EventBus,
  health: DeviceHealth,
  sse: SseHub,
  records: RecordLog,
  log: Logger,
): void {
  bus.on('device.event', ({ deviceId, event }) => {
    if (event.type !== 'qr.scanned') sse.publish(event.type, { ...event, deviceId });
  });
  bus.on('qr.scanned', (view) => sse.publish('qr.scanned', view));
  health.on('status', (s) => {
    sse.publish('device.status', s);
    bus.emit('device.status', s);
    const body = {
      deviceId: s.deviceId,
      online: s.online,
      ...(s.offlineReason ? { reason: s.offlineReason } : {}),
    };
    records
      .append('device', 'device.status', body)
      .catch((err: unknown) => log.error({ err, deviceId: s.deviceId }, 'device status record failed'));
  });
}
