/**
 * Device fleet health from the `device` stream (edge/events/screen-feed.ts writes `device.status`
 * `{deviceId, online, reason?}` on every change; edge/devices/counter-rollup.ts writes
 * `device.counters` `{deviceId, from, to, events, errors, reconnects}` per window): per device its
 * latest status and its latest counters window, each by seq, so the order of arrival never matters.
 */
import type { SyncRecord } from '../../protocol/record.js';
import type { Queryable } from '../db/db.js';
import { int, text } from './body-fields.js';

const MAX_COUNT = 1_000_000_000;

export async function projectDevices(
  tx: Queryable,
  house: string,
  records: readonly SyncRecord[],
): Promise<void> {
  const status: object[] = [];
  const counters: object[] = [];
  for (const r of records) {
    const deviceId = text(r.body.deviceId);
    if (deviceId === undefined) continue;
    if (r.type === 'device.status' && typeof r.body.online === 'boolean') {
      status.push({
        device_id: deviceId,
        seq: r.seq,
        online: r.body.online,
        reason: text(r.body.reason, 500) ?? null,
        ts: r.ts,
        clock: r.clock,
      });
    } else if (r.type === 'device.counters') {
      counters.push({
        device_id: deviceId,
        seq: r.seq,
        counters: {
          from: text(r.body.from, 40) ?? null,
          to: text(r.body.to, 40) ?? null,
          events: int(r.body.events, 0, MAX_COUNT) ?? 0,
          errors: int(r.body.errors, 0, MAX_COUNT) ?? 0,
          reconnects: int(r.body.reconnects, 0, MAX_COUNT) ?? 0,
        },
      });
    }
  }
  if (status.length > 0) {
    await tx.query(
      `INSERT INTO device_state AS d
              (house, device_id, online, reason, status_seq, status_at, status_clock, status_received_at)
       SELECT DISTINCT ON (x.device_id) $1, x.device_id, x.online, x.reason, x.seq, x.ts, x.clock, now()
         FROM jsonb_to_recordset($2::text::jsonb)
           AS x (device_id text, seq bigint, online boolean, reason text, ts timestamptz, clock text)
        ORDER BY x.device_id, x.seq DESC
       ON CONFLICT (house, device_id) DO UPDATE
          SET online = EXCLUDED.online, reason = EXCLUDED.reason, status_seq = EXCLUDED.status_seq,
              status_at = EXCLUDED.status_at, status_clock = EXCLUDED.status_clock,
              status_received_at = EXCLUDED.status_received_at
        WHERE d.status_seq IS NULL OR d.status_seq < EXCLUDED.status_seq`,
      [house, JSON.stringify(status)],
    );
  }
  if (counters.length > 0) {
    await tx.query(
      `INSERT INTO device_state AS d (house, device_id, counters_seq, counters)
       SELECT DISTINCT ON (x.device_id) $1, x.device_id, x.seq, x.counters
         FROM jsonb_to_recordset($2::text::jsonb) AS x (device_id text, seq bigint, counters jsonb)
        ORDER BY x.device_id, x.seq DESC
       ON CONFLICT (house, device_id) DO UPDATE
          SET counters_seq = EXCLUDED.counters_seq, counters = EXCLUDED.counters
        WHERE d.counters_seq IS NULL OR d.counters_seq < EXCLUDED.counters_seq`,
      [house, JSON.stringify(counters)],
    );
  }
}
