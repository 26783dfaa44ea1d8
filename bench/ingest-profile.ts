/**
 * Where `ingest()` spends its time as the records table grows: one house's backlog (bodies as in
 * sync-backlog.ts) ingested in batches of 1,000 through the cloud's own `ingest()` on PGlite or
 * PostgreSQL, every statement timed through a wrapped `Db`; prints, per slice of the run, the
 * mean time per batch of each statement (by its first words). A tool for issue 5's drain work, not
 * part of `npm run bench`.
 *
 *   node --import tsx bench/ingest-profile.ts [pglite|postgres] [records]
 *   EXPLAIN=1 …   also prints the plan of the slot lookup for the last batch
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { v7 } from 'uuid';
import type { Stream, SyncRecord } from '../cloud-sync/protocol/record.js';
import type { Db, Queryable } from '../cloud-sync/server/db/db.js';
import { openDb } from '../cloud-sync/server/db/open.js';
import { TestDatabases } from '../cloud-sync/server/db/test-targets.js';
import { ingest } from '../cloud-sync/server/ingest.js';
import { registerHouse } from '../cloud-sync/server/tenancy.js';
import { recordOf, streamOf } from './sync-backlog.js';

const target = process.argv[2] === 'postgres' ? 'postgres' : 'pglite';
const total = Number(process.argv[3] ?? 200_000);
const times = new Map<string, number>();

const label = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 60);
function timed(q: Queryable): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]) {
      const t0 = performance.now();
      try {
        return await q.query<R>(sql, params);
      } finally {
        const k = label(sql);
        times.set(k, (times.get(k) ?? 0) + performance.now() - t0);
      }
    },
    exec: (sql) => q.exec(sql),
  };
}

const databases = new TestDatabases('ingest_profile');
const db: Db = await openDb(target === 'postgres' ? { databaseUrl: await databases.create() } : {});
const wrapped: Db = { ...db, transaction: (fn) => db.transaction((tx) => fn(timed(tx))) };
try {
  const { id: house } = await registerHouse(
    db,
    { city: 'c', district: 'd', street: 's', community: 'm', name: 'profile' },
    randomBytes(32),
  );
  const seqs = new Map<Stream, number>();
  const slice = Math.max(1000, Math.floor(total / 5));
  let t0 = performance.now();
  for (let done = 0; done < total; ) {
    const batch: SyncRecord[] = [];
    for (let i = 0; i < 1000; i++, done++) {
      const stream = streamOf(done);
      const seq = (seqs.get(stream) ?? 0) + 1;
      seqs.set(stream, seq);
      const { type, body } = recordOf(stream, done);
      const ts = new Date().toISOString();
      batch.push({ id: v7(), house, stream, seq, type, ts, clock: 'synced', v: 1, body });
    }
    if (process.env.EXPLAIN && done >= total) {
      const plan = await db.query<Record<string, string>>(
        `EXPLAIN (ANALYZE) SELECT 'r' AS kind, id::text, house, stream, seq FROM records WHERE id = ANY($1::uuid[])
       UNION
       SELECT 'r', r.id::text, r.house, r.stream, r.seq
         FROM unnest($3::text[], $4::bigint[]) AS k (stream, seq)
         JOIN records r ON r.house = $2 AND r.stream = k.stream AND r.seq = k.seq`,
        [batch.map((r) => r.id), house, batch.map((r) => r.stream), batch.map((r) => r.seq)],
      );
      for (const row of plan) process.stdout.write(`${Object.values(row)[0]}\n`);
    }
    await ingest(wrapped, house, batch, []);
    if (done % slice === 0) {
      const ms = performance.now() - t0;
      const perBatch = slice / 1000;
      process.stdout.write(`\n${target} up to ${done}: ${Math.round(slice / (ms / 1000))} records/s\n`);
      for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) {
        process.stdout.write(`  ${(v / perBatch).toFixed(1).padStart(8)} ms/batch  ${k}\n`);
      }
      times.clear();
      t0 = performance.now();
    }
  }
} finally {
  await db.close();
  await databases.dropAll();
}
