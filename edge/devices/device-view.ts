import type { DeviceView } from '../api/types.js';
import type { DeviceRow } from '../state/edge-state.js';
import type { DeviceHealthState } from './device-health.js';

/** A registered device with its live health, as the API shows it (no credential hash). */
export function deviceView(row: DeviceRow, h: DeviceHealthState | undefined): DeviceView {
  const { secretHash: _secret, ...rest } = row;
  return {
    ...rest,
    online: h?.online ?? false,
    lastSeen: h?.lastSeen ?? null,
    ...(h?.offlineReason ? { offlineReason: h.offlineReason } : {}),
    counters: { ...(h?.counters ?? { events: 0, errors: 0, reconnects: 0 }) },
    ...(h?.hb !== undefined ? { hb: h.hb } : {}),
    ...(h?.fw !== undefined ? { fw: h.fw } : {}),
    ...(h?.battery !== undefined ? { battery: h.battery } : {}),
  };
}
