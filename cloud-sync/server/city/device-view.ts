/**
 * `GET /api/v1/city/devices`: device fleet health per house — online, offline and unknown counts
 * (from each device's latest `device.status` record) and the offline devices with since when
 * (the status record's ts, and when the cloud received it) and why. Houses with offline devices
 * first; `offline=true` lists only those.
 */
import { type Static, Type } from 'typebox';
import type { Queryable } from '../db/db.js';
import {
  iso,
  PageQuery,
  PLACE_COLUMNS,
  PLACE_JOIN,
  type Place,
  PlaceQuery,
  type PlaceRow,
  page,
  placeConditions,
  placeOf,
  placeOrder,
  where,
} from './city-query.js';

/** Offline devices listed per house at most. */
export const OFFLINE_PER_HOUSE = 50;

export const DeviceQuery = Type.Object({
  ...PlaceQuery.properties,
  ...PageQuery.properties,
  offline: Type.Optional(Type.Boolean()),
});
export type DeviceQuery = Static<typeof DeviceQuery>;

export interface OfflineDevice {
  deviceId: string;
  reason: string | null;
  /** The ts of the status record that took it offline (edge clock). */
  since: string | null;
  /** `unsynced`: the edge's clock was not yet trusted when it wrote `since`. */
  clock: string | null;
  receivedAt: string | null;
  /** Its latest counters window, if any. */
  counters: Record<string, unknown> | null;
}

export interface HouseDevices {
  id: string;
  place: Place;
  online: number;
  offline: number;
  /** Devices seen only through counters so far (no status record yet). */
  unknown: number;
  offlineDevices: OfflineDevice[];
}

export interface DevicesAnswer {
  total: number;
  summary: { houses: number; housesWithOffline: number; online: number; offline: number; unknown: number };
  houses: HouseDevices[];
}

interface Row extends PlaceRow {
  id: string;
  online: number;
  offline: number;
  unknown: number;
}

export async function deviceView(db: Queryable, q: DeviceQuery): Promise<DevicesAnswer> {
  const params: unknown[] = [];
  const conditions = placeConditions(q, params);
  const base = `
    SELECT h.id, ${PLACE_COLUMNS},
           coalesce(a.online, 0)::int AS online, coalesce(a.offline, 0)::int AS offline,
           coalesce(a.unknown, 0)::int AS unknown
      FROM ${PLACE_JOIN}
      LEFT JOIN (
        SELECT house, count(*) FILTER (WHERE online) AS online,
               count(*) FILTER (WHERE online = false) AS offline,
               count(*) FILTER (WHERE online IS NULL) AS unknown
          FROM device_state GROUP BY house
      ) a ON a.house = h.id
      ${where(conditions)}`;
  const [sum] = await db.query<{
    houses: number;
    with_offline: number;
    online: number;
    offline: number;
    unknown: number;
  }>(
    `SELECT count(*)::int AS houses, count(*) FILTER (WHERE offline > 0)::int AS with_offline,
            coalesce(sum(online), 0)::int AS online, coalesce(sum(offline), 0)::int AS offline,
            coalesce(sum(unknown), 0)::int AS unknown
       FROM (${base}) v`,
    params,
  );
  const { limit, offset } = page(q);
  const listParams = [...params, limit, offset];
  const rows = await db.query<Row>(
    `SELECT v.* FROM (${base}) v ${q.offline ? 'WHERE v.offline > 0' : ''}
      ORDER BY v.offline DESC, ${placeOrder('v')}, v.id
      LIMIT $${listParams.length - 1} OFFSET $${listParams.length}`,
    listParams,
  );
  const offline = await offlineDevices(
    db,
    rows.filter((r) => r.offline > 0).map((r) => r.id),
  );
  return {
    total: q.offline ? Number(sum?.with_offline ?? 0) : Number(sum?.houses ?? 0),
    summary: {
      houses: Number(sum?.houses ?? 0),
      housesWithOffline: Number(sum?.with_offline ?? 0),
      online: Number(sum?.online ?? 0),
      offline: Number(sum?.offline ?? 0),
      unknown: Number(sum?.unknown ?? 0),
    },
    houses: rows.map((r) => ({
      id: r.id,
      place: placeOf(r),
      online: Number(r.online),
      offline: Number(r.offline),
      unknown: Number(r.unknown),
      offlineDevices: offline.get(r.id) ?? [],
    })),
  };
}

async function offlineDevices(db: Queryable, houses: string[]): Promise<Map<string, OfflineDevice[]>> {
  const out = new Map<string, OfflineDevice[]>();
  if (houses.length === 0) return out;
  const rows = await db.query<{
    house: string;
    device_id: string;
    reason: string | null;
    status_at: Date | null;
    status_clock: string | null;
    status_received_at: Date | null;
    counters: Record<string, unknown> | null;
  }>(
    `SELECT house, device_id, reason, status_at, status_clock, status_received_at, counters
       FROM (SELECT d.*, row_number() OVER (PARTITION BY house ORDER BY status_at, device_id) AS n
               FROM device_state d WHERE house = ANY($1::text[]) AND online = false) x
      WHERE n <= $2
      ORDER BY house COLLATE "C", status_at, device_id COLLATE "C"`,
    [houses, OFFLINE_PER_HOUSE],
  );
  for (const r of rows) {
    const list = out.get(r.house) ?? [];
    list.push({
      deviceId: r.device_id,
      reason: r.reason,
      since: iso(r.status_at),
      clock: r.status_clock,
      receivedAt: iso(r.status_received_at),
      counters: r.counters,
    });
    out.set(r.house, list);
  }
  return out;
}
