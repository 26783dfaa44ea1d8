import { isStream, type SyncRecord } from '../protocol/record.js';
import type { Db, Queryable } from './db/db.js';
import { project } from './projections/projections.js';

/** A record the request layer refused (schema, unknown type, too large…), with its reason. */
export interface Rejected {
  id: string;
  stream: string;
  seq: number;
  reason: string;
  /**
   * The house the record claims, when known. A record of another house is answered but never
   * stored as a rejection: its seq is not this house's to hold.
   */
  house?: string;
}

export interface StreamAnswer {
  /** Every seq from 1 to here is stored, as a record or a rejection. */
  contiguous: number;
  /** Extension to DESIGN.md's answer: missing seq ranges above `contiguous` (at most 100). */
  gaps: { from: number; to: number }[];
}

/** DESIGN.md's answer to `POST /api/v1/sync/records`, without `serverTime` (the HTTP layer's). */
export interface IngestResult {
  streams: Record<string, StreamAnswer>;
  /** Records stored by this call. */
  stored: number;
  /** Records already stored under the same id and seq (re-sends). */
  duplicates: number;
  /** Every record of this batch refused: the request layer's and conflicts found here. */
  rejected: Rejected[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;
const MAX_GAPS = 100;
/** 0001-01-01T00:00:00Z, the first instant PostgreSQL's timestamptz takes. */
const YEAR_1 = -62_135_596_800_000;

interface Slot {
  id: string;
  house: string;
  stream: string;
  seq: number;
}

/**
 * Stores one batch of a house's records (DESIGN.md, "Records and sync"), in one transaction that
 * first locks the `stream_state` row of every stream it touches, in a fixed (sorted) order. So two
 * instances ingesting the same house serialize per stream in the database and cannot deadlock.
 *
 * - A record is stored once by `id`: a re-send with the same id and seq is a duplicate.
 * - A record claiming a (house, stream, seq) held by another id is refused, never overwrites.
 * - A refused record is kept as a rejection holding its seq (it counts toward contiguity); the fixed
 *   record re-sent with the same id and seq replaces it.
 * - Records that would break the store (bad id, seq, ts, clock, stream, another house, a NUL
 *   in the body) are refused here too, each alone: one bad record never fails its neighbours.
 *
 * The house must be registered (`stream_state` references it).
 */
export async function ingest(
  db: Db,
  house: string,
  accepted: readonly SyncRecord[],
  rejected: readonly Rejected[],
): Promise<IngestResult> {
  const out: Rejected[] = [];
  const toStore: SyncRecord[] = [];
  /** Rejections to keep (valid id, stream and seq); others are only answered. */
  const toReject: Rejected[] = [];

  for (const r of accepted) {
    const problem = checkRecord(r, house);
    const id = typeof r?.id === 'string' ? r.id.toLowerCase() : String(r?.id);
    if (problem) {
      const rej = { id, stream: String(r?.stream), seq: Number(r?.seq), reason: problem };
      (r?.house === house && storable(rej) ? toReject : out).push(rej);
    } else {
      toStore.push({ ...r, id });
    }
  }
  for (const r of rejected) {
    const rej = {
      id: String(r.id).toLowerCase(),
      stream: String(r.stream),
      seq: Number(r.seq),
      reason: r.reason,
    };
    if ((r.house === undefined || r.house === house) && storable(rej)) toReject.push(rej);
    else out.push(rej);
  }

  const streams = [...new Set([...toStore, ...toReject].map((r) => r.stream))].sort();
  if (streams.length === 0) return { streams: {}, stored: 0, duplicates: 0, rejected: out };

  return await db.transaction(async (tx) => {
    await lockStreams(tx, house, streams);

    // The slots are probed one by one through the (house, stream, seq) index (LATERAL … LIMIT 1,
    // which the planner cannot turn into a join): as a plain join, PostgreSQL and PGlite hashed
    // the house's every record per batch (measured: 74 ms per batch at 100k records of one
    // house, growing with the house; bench/ingest-profile.ts), so a backlog drained ever slower.
    const ids = [...new Set([...toStore, ...toReject].map((r) => r.id))];
    const slotStreams = [...toStore, ...toReject].map((r) => r.stream);
    const slotSeqs = [...toStore, ...toReject].map((r) => r.seq);
    const found = await tx.query<Slot & { kind: 'r' | 'j' }>(
      `SELECT 'r' AS kind, id::text, house, stream, seq FROM records WHERE id = ANY($1::uuid[])
       UNION
       SELECT 'j', id::text, house, stream, seq FROM rejections WHERE id = ANY($1::uuid[])
       UNION
       SELECT 'r', r.id::text, r.house, r.stream, r.seq
         FROM unnest($3::text[], $4::bigint[]) AS k (stream, seq)
        CROSS JOIN LATERAL (SELECT id, house, stream, seq FROM records
                             WHERE house = $2 AND stream = k.stream AND seq = k.seq LIMIT 1) r
       UNION
       SELECT 'j', j.id::text, j.house, j.stream, j.seq
         FROM unnest($3::text[], $4::bigint[]) AS k (stream, seq)
        CROSS JOIN LATERAL (SELECT id, house, stream, seq FROM rejections
                             WHERE house = $2 AND stream = k.stream AND seq = k.seq LIMIT 1) j`,
      [ids, house, slotStreams, slotSeqs],
    );
    const recById = new Map<string, Slot>();
    const recBySlot = new Map<string, Slot>();
    const rejById = new Map<string, Slot>();
    const rejBySlot = new Map<string, Slot>();
    const key = (s: { stream: string; seq: number }) => `${s.stream}\u0000${s.seq}`;
    for (const f of found) {
      const slot = { id: f.id, house: f.house, stream: f.stream, seq: Number(f.seq) };
      if (f.kind === 'r') {
        recById.set(slot.id, slot);
        if (slot.house === house) recBySlot.set(key(slot), slot);
      } else {
        rejById.set(slot.id, slot);
        if (slot.house === house) rejBySlot.set(key(slot), slot);
      }
    }
    const sameSlot = (s: Slot | undefined, r: { stream: string; seq: number }) =>
      s !== undefined && s.house === house && s.stream === r.stream && s.seq === r.seq;

    let duplicates = 0;
    const insert: SyncRecord[] = [];
    const replaced: string[] = [];
    const keep: Rejected[] = [];

    // Records first: within the batch the first claim of an id or a slot wins.
    for (const r of toStore) {
      const byId = recById.get(r.id);
      if (byId) {
        if (sameSlot(byId, r)) duplicates++;
        else out.push(conflict(r, `id ${r.id} is already stored as ${where(byId, house)}`));
        continue;
      }
      const atSlot = recBySlot.get(key(r));
      if (atSlot) {
        out.push(conflict(r, `${r.stream} seq ${r.seq} already holds record ${atSlot.id}`));
        continue;
      }
      const rejId = rejById.get(r.id);
      const rejSlot = rejBySlot.get(key(r));
      if (rejId && !sameSlot(rejId, r)) {
        out.push(conflict(r, `id ${r.id} was rejected as ${where(rejId, house)}`));
        continue;
      }
      if (rejSlot && rejSlot.id !== r.id) {
        out.push(conflict(r, `${r.stream} seq ${r.seq} already holds rejected record ${rejSlot.id}`));
        continue;
      }
      if (rejSlot) {
        replaced.push(r.id);
        rejById.delete(r.id);
        rejBySlot.delete(key(r));
      }
      const slot = { id: r.id, house, stream: r.stream, seq: r.seq };
      recById.set(r.id, slot);
      recBySlot.set(key(r), slot);
      insert.push(r);
    }

    for (const r of toReject) {
      const byId = recById.get(r.id);
      if (byId && sameSlot(byId, r)) {
        duplicates++; // already stored: the edge's copy is synced, whatever it looks like now
        continue;
      }
      out.push(r);
      if (byId || recBySlot.has(key(r))) continue; // the slot or the id is taken by a record
      const rejId = rejById.get(r.id);
      const rejSlot = rejBySlot.get(key(r));
      if ((rejId && !sameSlot(rejId, r)) || (rejSlot && rejSlot.id !== r.id)) continue;
      const slot = { id: r.id, house, stream: r.stream, seq: r.seq };
      rejById.set(r.id, slot);
      rejBySlot.set(key(r), slot);
      keep.push(r);
    }

    if (replaced.length > 0) {
      await tx.query('DELETE FROM rejections WHERE house = $1 AND id = ANY($2::uuid[])', [house, replaced]);
    }
    let stored = 0;
    let storedRecords: SyncRecord[] = [];
    if (insert.length > 0) {
      const rows = await tx.query<{ id: string }>(
        `INSERT INTO records (id, house, stream, seq, type, ts, clock, body)
         SELECT x.id, $1, x.stream, x.seq, x.type, x.ts, x.clock, x.body
           FROM jsonb_to_recordset($2::text::jsonb)
             AS x (id uuid, stream text, seq bigint, type text, ts timestamptz, clock text, body jsonb)
          ORDER BY x.id
         ON CONFLICT (id) DO NOTHING
         RETURNING id::text`,
        [
          house,
          JSON.stringify(
            insert.map((r) => ({
              id: r.id,
              stream: r.stream,
              seq: r.seq,
              type: r.type,
              ts: r.ts,
              clock: r.clock,
              body: r.body,
            })),
          ),
        ],
      );
      stored = rows.length;
      const got = new Set(rows.map((r) => r.id));
      storedRecords = stored === insert.length ? insert : insert.filter((r) => got.has(r.id));
      if (stored < insert.length) {
        // Another house's or stream's transaction took one of these ids since we looked.
        for (const r of insert) {
          if (got.has(r.id)) continue;
          out.push(conflict(r, `id ${r.id} is already stored for another record`));
        }
      }
    }
    if (keep.length > 0) {
      await tx.query(
        `INSERT INTO rejections (id, house, stream, seq, reason)
         SELECT x.id, $1, x.stream, x.seq, x.reason
           FROM jsonb_to_recordset($2::text::jsonb) AS x (id uuid, stream text, seq bigint, reason text)
          ORDER BY x.id
         ON CONFLICT (id) DO UPDATE SET reason = EXCLUDED.reason, received_at = now()
          WHERE rejections.house = EXCLUDED.house AND rejections.stream = EXCLUDED.stream
            AND rejections.seq = EXCLUDED.seq`,
        [house, JSON.stringify(keep)],
      );
    }

    const answer = await advance(tx, house, streams);
    // The city views' projections, from exactly the records stored now (once per record).
    await project(tx, { house, stored: storedRecords, heldSeqs: keep, streams: answer });
    return { streams: answer, stored, duplicates, rejected: out };
  });
}

/** Creates missing `stream_state` rows, then locks them all, both in sorted order. */
async function lockStreams(tx: Queryable, house: string, streams: readonly string[]): Promise<void> {
  await tx.query(
    `INSERT INTO stream_state (house, stream)
     SELECT $1, s FROM unnest($2::text[]) WITH ORDINALITY AS u (s, n) ORDER BY n
     ON CONFLICT (house, stream) DO NOTHING`,
    [house, streams],
  );
  await tx.query(
    `SELECT stream FROM stream_state WHERE house = $1 AND stream = ANY($2::text[])
      ORDER BY stream COLLATE "C" FOR UPDATE`,
    [house, streams],
  );
}

/** Advances each stream's contiguous seq over records and rejections; returns it with the gaps. */
async function advance(
  tx: Queryable,
  house: string,
  streams: readonly string[],
): Promise<Record<string, StreamAnswer>> {
  const rows = await tx.query<{ stream: string; kind: 'gap' | 'max' | 'base'; a: number; b: number }>(
    `WITH st AS (
       SELECT stream, contiguous FROM stream_state WHERE house = $1 AND stream = ANY($2::text[])
     ), s AS (
       SELECT r.stream, r.seq FROM st JOIN records r
           ON r.house = $1 AND r.stream = st.stream AND r.seq > st.contiguous
       UNION
       SELECT j.stream, j.seq FROM st JOIN rejections j
           ON j.house = $1 AND j.stream = st.stream AND j.seq > st.contiguous
     ), w AS (
       SELECT s.stream, s.seq,
              coalesce(lag(s.seq) OVER (PARTITION BY s.stream ORDER BY s.seq), st.contiguous) AS prev
         FROM s JOIN st ON st.stream = s.stream
     ), g AS (
       SELECT stream, prev + 1 AS a, seq - 1 AS b,
              row_number() OVER (PARTITION BY stream ORDER BY seq) AS n
         FROM w WHERE seq > prev + 1
     )
     SELECT stream, 'base' AS kind, contiguous AS a, 0 AS b FROM st
     UNION ALL
     SELECT stream, 'max', max(seq), 0 FROM s GROUP BY stream
     UNION ALL
     SELECT stream, 'gap', a, b FROM g WHERE n <= $3`,
    [house, streams, MAX_GAPS],
  );
  const answer: Record<string, StreamAnswer> = {};
  const base = new Map<string, number>();
  const max = new Map<string, number>();
  for (const s of streams) answer[s] = { contiguous: 0, gaps: [] };
  for (const r of rows) {
    const a = Number(r.a);
    if (r.kind === 'base') base.set(r.stream, a);
    else if (r.kind === 'max') max.set(r.stream, a);
    else answer[r.stream]?.gaps.push({ from: a, to: Number(r.b) });
  }
  const changed: { stream: string; contiguous: number }[] = [];
  for (const s of streams) {
    const ans = answer[s] as StreamAnswer;
    ans.gaps.sort((x, y) => x.from - y.from);
    const before = base.get(s) ?? 0;
    const first = ans.gaps[0];
    ans.contiguous = first ? first.from - 1 : Math.max(before, max.get(s) ?? 0);
    if (ans.contiguous !== before) changed.push({ stream: s, contiguous: ans.contiguous });
  }
  if (changed.length > 0) {
    await tx.query(
      `UPDATE stream_state SET contiguous = u.c, updated_at = now()
         FROM unnest($2::text[], $3::bigint[]) AS u (s, c)
        WHERE house = $1 AND stream = u.s`,
      [house, changed.map((c) => c.stream), changed.map((c) => c.contiguous)],
    );
  }
  return answer;
}

function checkRecord(r: SyncRecord, house: string): string | undefined {
  if (r === null || typeof r !== 'object') return 'not a record';
  if (r.house !== house) return `record of house ${String(r.house)} sent by house ${house}`;
  if (typeof r.id !== 'string' || !UUID.test(r.id.toLowerCase())) return 'id is not a UUID';
  if (typeof r.stream !== 'string' || !isStream(r.stream)) return `unknown stream ${String(r.stream)}`;
  if (!Number.isSafeInteger(r.seq) || r.seq < 1) return 'seq is not a positive integer';
  if (typeof r.type !== 'string' || r.type.length === 0) return 'type missing';
  if (typeof r.ts !== 'string' || !ISO_TS.test(r.ts) || Number.isNaN(Date.parse(r.ts))) {
    return 'ts is not an ISO-8601 timestamp';
  }
  // Year 0000 parses in JavaScript but not in PostgreSQL: refused alone, never failing the batch.
  if (Date.parse(r.ts) < YEAR_1) return 'ts is before the year 1';
  if (r.clock !== 'synced' && r.clock !== 'unsynced') return 'clock is not synced or unsynced';
  if (r.body === null || typeof r.body !== 'object' || Array.isArray(r.body)) return 'body is not an object';
  if (JSON.stringify(r.body).includes('\\u0000')) return 'body contains a NUL character (\\u0000)';
  return undefined;
}

/** A rejection can hold its seq only with a UUID, a known stream and a positive seq. */
function storable(r: Rejected): boolean {
  return UUID.test(r.id) && isStream(r.stream) && Number.isSafeInteger(r.seq) && r.seq >= 1;
}

function conflict(r: { id: string; stream: string; seq: number }, reason: string): Rejected {
  return { id: r.id, stream: r.stream, seq: r.seq, reason };
}

function where(s: Slot, house: string): string {
  return s.house === house ? `${s.stream} seq ${s.seq}` : 'a record of another house';
}
