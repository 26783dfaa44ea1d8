/**
 * `GET /api/v1/city/houses`: every house with its place, registration, last contact, the edge's
 * own sync report (backlog per stream, oldest unsynced age aged to now, dead letters, clock offset,
 * config version) beside the cloud's view of its streams (contiguous, highest seq, gap ranges,
 * records stored, rejections held), and a health verdict:
 *
 * - `silent`: no verified request for over `silentAfterS` (default 900 s), or never;
 * - `behind`: the edge reports dead letters, or an unsynced record older than `behindAfterS`
 *   (default 600 s) by now;
 * - `ok` otherwise.
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

export const HEALTH = ['ok', 'behind', 'silent'] as const;
export type Health = (typeof HEALTH)[number];

export const HouseQuery = Type.Object({
  ...PlaceQuery.properties,
  ...PageQuery.properties,
  health: Type.Optional(Type.Union(HEALTH.map((h) => Type.Literal(h)))),
  silentAfterS: Type.Optional(Type.Integer({ minimum: 10, maximum: 90 * 86400, default: 900 })),
  behindAfterS: Type.Optional(Type.Integer({ minimum: 10, maximum: 90 * 86400, default: 600 })),
});
export type HouseQuery = Static<typeof HouseQuery>;

export interface EdgeStreamView {
  lastSeq: number;
  backlog: number;
  oldestUnsyncedAgeMs: number | null;
}

export interface CloudStreamView {
  contiguous: number;
  maxSeq: number;
  /** Missing seq ranges above `contiguous` (counted up to 100). */
  gaps: number;
  records: number;
  rejections: number;
  updatedAt: string;
}

export interface HouseView {
  id: string;
  place: Place;
  registeredAt: string;
  lastContactAt: string | null;
  health: { verdict: Health; reasons: string[] };
  /** The edge's latest sync report, ages as of `serverTime`; null before the first. */
  edge: {
    reportedAt: string;
    edgeTime: string;
    version: string;
    backlog: number;
    oldestUnsyncedAgeMs: number | null;
    deadLetters: number;
    clockOffsetMs: number | null;
    configVersion: number;
    diskFreeBytes: number | null;
    streams: Record<string, EdgeStreamView>;
  } | null;
  cloud: { records: number; streams: Record<string, CloudStreamView> };
}

export interface HousesAnswer {
  total: number;
  /** Houses per verdict under the place filter (whatever `health` asks). */
  summary: Record<Health, number>;
  houses: HouseView[];
}

interface Row extends PlaceRow {
  id: string;
  created_at: Date;
  last_contact_at: Date | null;
  health: Health;
  contact_age_s: number | null;
  received_at: Date | null;
  edge_at: Date | null;
  version: string | null;
  backlog: number | null;
  oldest_ms: number | null;
  dead_letters: number | null;
  clock_offset_ms: number | null;
  config_version: number | null;
  disk_free_bytes: number | null;
  streams: Record<string, EdgeStreamView> | null;
  report_age_ms: number | null;
}

export async function houseView(db: Queryable, q: HouseQuery, nowMs: number): Promise<HousesAnswer> {
  const params: unknown[] = [
    new Date(nowMs).toISOString(),
    q.silentAfterS ?? 900,
    (q.behindAfterS ?? 600) * 1000,
  ];
  const conditions = placeConditions(q, params);
  // $1 now, $2 silent after (s), $3 behind after (ms)
  const base = `
    SELECT h.id, h.created_at, h.last_contact_at, ${PLACE_COLUMNS},
           extract(epoch FROM ($1::timestamptz - h.last_contact_at))::float8 AS contact_age_s,
           r.received_at, r.edge_at, r.version, r.backlog, r.oldest_unsynced_age_ms AS oldest_ms,
           r.dead_letters, r.clock_offset_ms, r.config_version, r.disk_free_bytes, r.streams,
           greatest(0, extract(epoch FROM ($1::timestamptz - r.received_at)) * 1000)::float8 AS report_age_ms,
           CASE
             WHEN h.last_contact_at IS NULL
               OR h.last_contact_at < $1::timestamptz - make_interval(secs => $2) THEN 'silent'
             WHEN r.dead_letters > 0
               OR (r.backlog > 0 AND r.oldest_unsynced_age_ms
                   + extract(epoch FROM ($1::timestamptz - r.received_at)) * 1000 > $3) THEN 'behind'
             ELSE 'ok'
           END AS health
      FROM ${PLACE_JOIN} LEFT JOIN house_reports r ON r.house = h.id
      ${where(conditions)}`;
  const summaryRows = await db.query<{ health: Health; n: number }>(
    `SELECT health, count(*)::int AS n FROM (${base}) v GROUP BY health`,
    params,
  );
  const summary: Record<Health, number> = { ok: 0, behind: 0, silent: 0 };
  for (const r of summaryRows) summary[r.health] = Number(r.n);

  const { limit, offset } = page(q);
  const listParams = [...params];
  let filter = '';
  if (q.health) {
    listParams.push(q.health);
    filter = `WHERE health = $${listParams.length}`;
  }
  listParams.push(limit, offset);
  const rows = await db.query<Row>(
    `SELECT v.* FROM (${base}) v ${filter}
      ORDER BY ${placeOrder('v')}, v.id LIMIT $${listParams.length - 1} OFFSET $${listParams.length}`,
    listParams,
  );
  const streams = await cloudStreams(
    db,
    rows.map((r) => r.id),
  );
  const houses = rows.map((r) => toView(r, streams.get(r.id) ?? {}, q));
  const total = q.health ? summary[q.health] : summary.ok + summary.behind + summary.silent;
  return { total, summary, houses };
}

async function cloudStreams(
  db: Queryable,
  houses: string[],
): Promise<Map<string, Record<string, CloudStreamView>>> {
  const out = new Map<string, Record<string, CloudStreamView>>();
  if (houses.length === 0) return out;
  const rows = await db.query<{
    house: string;
    stream: string;
    contiguous: number;
    max_seq: number;
    gaps: number;
    records: number;
    updated_at: Date;
    rejections: number;
  }>(
    `SELECT st.house, st.stream, st.contiguous, st.max_seq, st.gaps, st.records, st.updated_at,
            coalesce(j.n, 0)::int AS rejections
       FROM stream_state st
       LEFT JOIN (SELECT house, stream, count(*) AS n FROM rejections WHERE house = ANY($1::text[])
                   GROUP BY house, stream) j ON j.house = st.house AND j.stream = st.stream
      WHERE st.house = ANY($1::text[])
      ORDER BY st.house, st.stream`,
    [houses],
  );
  for (const r of rows) {
    let m = out.get(r.house);
    if (!m) {
      m = {};
      out.set(r.house, m);
    }
    m[r.stream] = {
      contiguous: Number(r.contiguous),
      maxSeq: Number(r.max_seq),
      gaps: Number(r.gaps),
      records: Number(r.records),
      rejections: Number(r.rejections),
      updatedAt: iso(r.updated_at) as string,
    };
  }
  return out;
}

function toView(r: Row, streams: Record<string, CloudStreamView>, q: HouseQuery): HouseView {
  const aged = (ms: number | null) =>
    ms === null ? null : Math.round(Number(ms) + Number(r.report_age_ms ?? 0));
  const reasons: string[] = [];
  if (r.health === 'silent') {
    reasons.push(
      r.contact_age_s === null
        ? 'never in contact'
        : `no contact for ${Math.round(r.contact_age_s)} s (over ${q.silentAfterS ?? 900} s)`,
    );
  }
  if (r.dead_letters !== null && Number(r.dead_letters) > 0) reasons.push(`${r.dead_letters} dead letters`);
  const oldest = r.backlog !== null && Number(r.backlog) > 0 ? aged(r.oldest_ms) : null;
  if (oldest !== null && oldest > (q.behindAfterS ?? 600) * 1000) {
    reasons.push(`oldest unsynced record ${Math.round(oldest / 1000)} s old`);
  }
  return {
    id: r.id,
    place: placeOf(r),
    registeredAt: iso(r.created_at) as string,
    lastContactAt: iso(r.last_contact_at),
    health: { verdict: r.health, reasons },
    edge:
      r.received_at === null
        ? null
        : {
            reportedAt: iso(r.received_at) as string,
            edgeTime: iso(r.edge_at) as string,
            version: r.version ?? '',
            backlog: Number(r.backlog),
            oldestUnsyncedAgeMs: aged(r.oldest_ms),
            deadLetters: Number(r.dead_letters),
            clockOffsetMs: r.clock_offset_ms === null ? null : Number(r.clock_offset_ms),
            configVersion: Number(r.config_version),
            diskFreeBytes: r.disk_free_bytes === null ? null : Number(r.disk_free_bytes),
            streams: Object.fromEntries(
              Object.entries(r.streams ?? {}).map(([name, s]) => [
                name,
                { ...s, oldestUnsyncedAgeMs: aged(s.oldestUnsyncedAgeMs) },
              ]),
            ),
          },
    cloud: { records: Object.values(streams).reduce((n, s) => n + s.records, 0), streams },
  };
}
