/**
 * Peers of the sync drain, measured on the same database in the same run, from the same records
 * (read back from the edge's journal, 1,000 to a batch as the client sends them, one batch in
 * flight, one transaction each):
 *
 * - `insertFloor`: the database's physical floor: a plain multi-row INSERT of the rows into the
 *   cloud's own, emptied `records` table (same columns, same primary key and unique index), through
 *   the same driver, one statement per batch (`unnest` of column arrays), no lookups, no
 *   projections. Only the time inside the statements counts (reading the journal does not).
 * - `ingestPeer`: the cloud's own `ingest()` (lookups, insert, contiguity, projections) called in
 *   this process for a fresh house: the cloud's work without HTTP, signing, validation or the edge.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SyncRecord } from '../cloud-sync/protocol/record.js';
import type { Db } from '../cloud-sync/server/db/db.js';
import { ingest } from '../cloud-sync/server/ingest.js';
import { registerHouse } from '../cloud-sync/server/tenancy.js';
import { RecordLog } from '../edge/store/record-log.js';

const BATCH = 1000;

/** The journal's records in batches of BATCH, in LSN order. */
async function* batches(journalDir: string, house: string): AsyncGenerator<SyncRecord[]> {
  const log = await RecordLog.open({ dir: journalDir, house, clock: () => 'synced' });
  try {
    let batch: SyncRecord[] = [];
    for await (const { record } of log.read(1)) {
      batch.push(record);
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    await log.close();
  }
}

const result = (records: number, seconds: number) => ({
  records,
  seconds: Math.round(seconds * 100) / 100,
  recordsPerS: Math.round(records / seconds),
});

/** Empties `records` (the drain's rows are verified by then) and inserts the journal's rows raw. */
export async function insertFloor(db: Db, journalDir: string, house: string) {
  await db.exec('TRUNCATE records');
  let busy = 0;
  let n = 0;
  for await (const b of batches(journalDir, house)) {
    const cols = {
      id: b.map((r) => r.id),
      stream: b.map((r) => r.stream),
      seq: b.map((r) => r.seq),
      type: b.map((r) => r.type),
      ts: b.map((r) => r.ts),
      clock: b.map((r) => r.clock),
      body: b.map((r) => JSON.stringify(r.body)),
    };
    const t0 = performance.now();
    await db.transaction((tx) =>
      tx.query(
        `INSERT INTO records (id, house, stream, seq, type, ts, clock, body)
         SELECT u.id, $1, u.stream, u.seq, u.type, u.ts, u.clock, u.body::jsonb
           FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[])
             AS u (id, stream, seq, type, ts, clock, body)`,
        [house, cols.id, cols.stream, cols.seq, cols.type, cols.ts, cols.clock, cols.body],
      ),
    );
    busy += performance.now() - t0;
    n += b.length;
  }
  return result(n, busy / 1000);
}

/**
 * Empties `records` again and ingests the journal's rows for a newly registered house through the
 * cloud's `ingest()`; only the time inside `ingest()` counts.
 */
export async function ingestPeer(db: Db, journalDir: string, house: string) {
  await db.exec('TRUNCATE records');
  const peer = await registerHouse(
    db,
    { city: '沈阳市', district: '和平区', street: '基准街道', community: '基准社区', name: 'ingest peer' },
    randomBytes(32),
  );
  let busy = 0;
  let n = 0;
  for await (const b of batches(journalDir, house)) {
    const mine = b.map((r) => ({ ...r, house: peer.id }));
    const t0 = performance.now();
    const r = await ingest(db, peer.id, mine, []);
    busy += performance.now() - t0;
    if (r.stored !== mine.length) throw new Error(`ingest peer stored ${r.stored} of ${mine.length}`);
    n += b.length;
  }
  return result(n, busy / 1000);
}
