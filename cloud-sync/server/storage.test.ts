/**
 * The cloud's storage, one suite on two targets: PGlite in memory and the machine's PostgreSQL
 * (a database of its own, dropped at the end). Concurrency across instances runs on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { v7 } from 'uuid';
import type { Stream, SyncRecord } from '../protocol/record.js';
import type { Db } from './db/db.js';
import { MIGRATIONS, migrate } from './db/migrations.js';
import { openDb } from './db/open.js';
import { openPglite } from './db/pglite.js';
import { openPostgres } from './db/postgres.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { ingest } from './ingest.js';
import { nonceSeen } from './nonces.js';
import { houseSecret, registerHouse } from './tenancy.js';
import { TestEdge } from './test-edge.js';

const KEY = randomBytes(32);
await requirePostgres();
const databases = new TestDatabases('storage');
t.teardown(() => databases.dropAll());

interface Target {
  name: 'pglite' | 'postgres';
  /** An empty, unmigrated database. */
  open(): Promise<Db>;
}

const targets: Target[] = [
  { name: 'pglite', open: () => openPglite() },
  { name: 'postgres', open: async () => openPostgres(await databases.create()) },
];

let houseN = 0;
async function newHouse(db: Db): Promise<TestEdge> {
  houseN++;
  const { id } = await registerHouse(
    db,
    {
      city: '沈阳市',
      district: '和平区',
      street: '南湖街道',
      community: `社区${houseN % 3}`,
      name: `智慧小屋${houseN}`,
    },
    KEY,
  );
  return new TestEdge(id);
}

async function count(db: Db, sql: string, params: unknown[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return row?.n ?? -1;
}

for (const target of targets) {
  t.test(target.name, async (t) => {
    const db = await target.open();
    t.teardown(() => db.close());

    t.test('migrations: applied once, recorded, idempotent; a newer database is refused', async (t) => {
      t.same(
        await migrate(db),
        MIGRATIONS.map((m) => m.version),
      );
      t.same(await migrate(db), []);
      t.same(await migrate(db), []);
      const rows = await db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      t.same(
        rows.map((r) => r.version),
        MIGRATIONS.map((m) => m.version),
      );
      await db.query(`INSERT INTO schema_migrations (version, name) VALUES (99, 'future')`);
      await t.rejects(migrate(db), /schema version 99, newer/);
      await db.query('DELETE FROM schema_migrations WHERE version = 99');
      t.same(await migrate(db), []);
    });

    t.test('register a house: id and secret once, secret sealed in the table', async (t) => {
      const place = {
        city: '沈阳市',
        district: '皇姑区',
        street: '北塔街道',
        community: '幸福里',
        name: '一号屋',
      };
      const a = await registerHouse(db, place, KEY);
      t.match(a.id, /^[A-Za-z0-9._-]{1,64}$/);
      t.match(a.secret, /^[0-9a-f]{64}$/);
      const b = await registerHouse(db, { ...place, name: '二号屋' }, KEY);
      t.not(a.secret, b.secret);
      t.equal(await houseSecret(db, a.id, KEY), a.secret);
      t.equal(await houseSecret(db, b.id, KEY), b.secret);
      t.equal(await houseSecret(db, 'no-such-house', KEY), undefined);
      await t.rejects(houseSecret(db, a.id, randomBytes(32)), 'another cloud key does not open it');
      const [row] = await db.query<Record<string, unknown>>('SELECT * FROM houses WHERE id = $1', [a.id]);
      const dump = JSON.stringify(row);
      t.notMatch(dump, a.secret, 'the secret is not in plain text');
      t.notMatch(dump, Buffer.from(a.secret).toString('base64'));
      // a sealed secret moved to another house does not open there
      await db.query(
        'UPDATE houses SET secret_enc = (SELECT secret_enc FROM houses WHERE id = $1) WHERE id = $2',
        [a.id, b.id],
      );
      await t.rejects(houseSecret(db, b.id, KEY));
      t.equal(await count(db, 'communities WHERE name = $1', ['幸福里']), 1, 'the hierarchy is reused');
      await t.rejects(registerHouse(db, place, KEY), /already has a house named/);
      await t.rejects(registerHouse(db, { ...place, street: ' ' }, KEY), /street must be/);
    });

    t.test('nonces: seen once per house, purged after the window', async (t) => {
      const h = await newHouse(db);
      const g = await newHouse(db);
      const now = 1_800_000_000_000;
      const ts = now / 1000;
      t.equal(await nonceSeen(db, h.house, 'a1b2c3d4e5f60718', ts, 300, now), false);
      t.equal(await nonceSeen(db, h.house, 'a1b2c3d4e5f60718', ts, 300, now + 1000), true);
      t.equal(await nonceSeen(db, g.house, 'a1b2c3d4e5f60718', ts, 300, now), false, 'per house');
      t.equal(await nonceSeen(db, h.house, 'ffff0000ffff0000', ts + 10, 300, now + 301_000), false);
      t.equal(await count(db, 'nonces WHERE nonce = $1', ['a1b2c3d4e5f60718']), 0, 'old ones purged');
      t.equal(await count(db, 'nonces WHERE nonce = $1', ['ffff0000ffff0000']), 1);
    });

    t.test('ingest: each id stored once whatever is re-sent', async (t) => {
      const e = await newHouse(db);
      const batch = e.range('alarm', 1, 5);
      const first = await ingest(db, e.house, batch, []);
      t.same(first, {
        streams: { alarm: { contiguous: 5, gaps: [] } },
        stored: 5,
        duplicates: 0,
        rejected: [],
      });
      const again = await ingest(
        db,
        e.house,
        [...batch, ...e.range('alarm', 6, 7), batch[0] as SyncRecord],
        [],
      );
      t.same(again, {
        streams: { alarm: { contiguous: 7, gaps: [] } },
        stored: 2,
        duplicates: 6,
        rejected: [],
      });
      t.equal(await count(db, 'records WHERE house = $1', [e.house]), 7);
      const [r] = await db.query<{ body: unknown; ts: Date; clock: string; received_at: Date }>(
        'SELECT body, ts, clock, received_at FROM records WHERE id = $1',
        [e.id('alarm', 3)],
      );
      t.same(r?.body, { n: 3 });
      t.equal(r?.ts.toISOString(), e.rec('alarm', 3).ts);
      t.ok(r?.received_at instanceof Date);
      const upper = { ...e.rec('alarm', 2), id: e.id('alarm', 2).toUpperCase() };
      t.match(await ingest(db, e.house, [upper], []), { stored: 0, duplicates: 1 }, 'ids compare lowercased');
    });

    t.test('ingest: out of order, contiguity waits for the gap, then closes it', async (t) => {
      const e = await newHouse(db);
      const a = await ingest(db, e.house, e.range('payment', 3, 4), []);
      t.same(a.streams, { payment: { contiguous: 0, gaps: [{ from: 1, to: 2 }] } });
      const b = await ingest(db, e.house, [e.rec('payment', 7)], []);
      t.same(b.streams, {
        payment: {
          contiguous: 0,
          gaps: [
            { from: 1, to: 2 },
            { from: 5, to: 6 },
          ],
        },
      });
      const c = await ingest(db, e.house, e.range('payment', 1, 2), []);
      t.same(c.streams, { payment: { contiguous: 4, gaps: [{ from: 5, to: 6 }] } });
      const d = await ingest(db, e.house, e.range('payment', 5, 6), []);
      t.same(d.streams, { payment: { contiguous: 7, gaps: [] } });
      const [st] = await db.query<{ contiguous: number }>(
        'SELECT contiguous FROM stream_state WHERE house = $1 AND stream = $2',
        [e.house, 'payment'],
      );
      t.equal(st?.contiguous, 7);
    });

    t.test('ingest: a rejection holds its seq, and the fixed record replaces it', async (t) => {
      const e = await newHouse(db);
      const bad = { id: e.id('points', 2), stream: 'points', seq: 2, reason: 'schema: body.delta missing' };
      const a = await ingest(db, e.house, [e.rec('points', 1), e.rec('points', 3)], [bad]);
      t.same(a, {
        streams: { points: { contiguous: 3, gaps: [] } },
        stored: 2,
        duplicates: 0,
        rejected: [bad],
      });
      t.equal(await count(db, 'rejections WHERE house = $1', [e.house]), 1);
      const b = await ingest(db, e.house, [], [{ ...bad, reason: 'schema: still wrong' }]);
      t.same(b.rejected, [{ ...bad, reason: 'schema: still wrong' }], 'rejected again: reason updated');
      const [j] = await db.query<{ reason: string }>('SELECT reason FROM rejections WHERE id = $1', [bad.id]);
      t.equal(j?.reason, 'schema: still wrong');
      const c = await ingest(db, e.house, [e.rec('points', 2, { delta: 5 })], []);
      t.same(c, { streams: { points: { contiguous: 3, gaps: [] } }, stored: 1, duplicates: 0, rejected: [] });
      t.equal(await count(db, 'rejections WHERE house = $1', [e.house]), 0, 'the rejection is gone');
      t.equal(await count(db, 'records WHERE house = $1', [e.house]), 3);
      const d = await ingest(db, e.house, [], [bad]);
      t.same(d, { streams: { points: { contiguous: 3, gaps: [] } }, stored: 0, duplicates: 1, rejected: [] });
      // a rejection arriving before its neighbours closes a gap just as a record does
      const f = await ingest(db, e.house, [e.rec('device', 2)], []);
      t.same(f.streams.device, { contiguous: 0, gaps: [{ from: 1, to: 1 }] });
      const g = await ingest(
        db,
        e.house,
        [],
        [{ id: e.id('device', 1), stream: 'device', seq: 1, reason: 'x' }],
      );
      t.same(g.streams.device, { contiguous: 2, gaps: [] });
    });

    t.test('ingest: another id on a taken seq is refused, never overwrites', async (t) => {
      const e = await newHouse(db);
      await ingest(db, e.house, e.range('registry', 1, 2), []);
      const intruder = { ...e.rec('registry', 2), id: v7(), body: { n: 'other' } };
      const twin = { ...e.rec('registry', 3), id: v7() };
      const a = await ingest(db, e.house, [intruder, e.rec('registry', 3), twin], []);
      t.equal(a.stored, 1);
      t.match(a.rejected, [
        { id: intruder.id, stream: 'registry', seq: 2, reason: /registry seq 2 already holds record/ },
        { id: twin.id, seq: 3, reason: /registry seq 3 already holds record/ },
      ]);
      const [r] = await db.query<{ body: unknown }>('SELECT body FROM records WHERE house = $1 AND seq = 2', [
        e.house,
      ]);
      t.same(r?.body, { n: 2 }, 'the first record stays');
      // the same id moved to another seq is refused too
      const moved = { ...e.rec('registry', 1), seq: 4 };
      const b = await ingest(db, e.house, [moved], []);
      t.match(b.rejected, [{ id: moved.id, seq: 4, reason: /already stored as registry seq 1/ }]);
      t.same(b.streams.registry, { contiguous: 3, gaps: [] });
      // another id on a rejected seq is refused as well
      await ingest(db, e.house, [], [{ id: v7(), stream: 'registry', seq: 5, reason: 'bad' }]);
      const c = await ingest(db, e.house, [{ ...e.rec('registry', 5), id: v7() }], []);
      t.match(c.rejected, [{ seq: 5, reason: /already holds rejected record/ }]);
    });

    t.test('ingest: houses and streams are independent; bad records never fail good ones', async (t) => {
      const e = await newHouse(db);
      const o = await newHouse(db);
      await ingest(db, e.house, e.range('service', 1, 3), []);
      const a = await ingest(db, o.house, [...o.range('service', 1, 2), ...o.range('alarm', 2, 2)], []);
      t.same(a.streams, {
        alarm: { contiguous: 0, gaps: [{ from: 1, to: 1 }] },
        service: { contiguous: 2, gaps: [] },
      });
      t.equal(a.stored, 3);
      const foreign = e.rec('service', 9); // house e's record posted by o
      const nul = o.rec('service', 4, { text: 'a\u0000b' });
      const badTs = { ...o.rec('service', 5), ts: 'yesterday' };
      const badStream = { ...o.rec('service', 6), stream: 'gossip' as Stream };
      const b = await ingest(
        db,
        o.house,
        [o.rec('service', 3), foreign, nul, badTs, badStream, o.rec('service', 7)],
        [],
      );
      t.equal(b.stored, 2);
      t.match(
        [...b.rejected].sort((x, y) => x.seq - y.seq),
        [
          { id: nul.id, seq: 4, reason: /NUL/ },
          { id: badTs.id, seq: 5, reason: /ts/ },
          { id: badStream.id, reason: /unknown stream gossip/ },
          { id: foreign.id, reason: /record of house .* sent by house/ },
        ],
      );
      t.same(b.streams.service, { contiguous: 5, gaps: [{ from: 6, to: 6 }] }, 'bad 4 and 5 hold their seqs');
      t.equal(
        await count(db, 'rejections WHERE house = $1', [e.house]),
        0,
        'nothing held in the other house',
      );
      t.equal(await count(db, 'records WHERE house = $1', [e.house]), 3);
      t.same((await ingest(db, o.house, [], [])).streams, {});
    });

    t.test('ingest: a batch of 1,000 in one transaction', async (t) => {
      const e = await newHouse(db);
      const batch = [...e.range('alarm', 1, 500), ...e.range('device', 1, 500)];
      const t0 = performance.now();
      const a = await ingest(db, e.house, batch, []);
      const ms1 = performance.now() - t0;
      const t1 = performance.now();
      const b = await ingest(db, e.house, batch, []);
      const ms2 = performance.now() - t1;
      t.equal(a.stored, 1000);
      t.equal(b.duplicates, 1000);
      t.comment(`${target.name}: 1,000 new records ${ms1.toFixed(0)} ms, 1,000 re-sent ${ms2.toFixed(0)} ms`);
      t.ok(ms1 < 5000, 'fast enough');
    });

    if (target.name === 'pglite') {
      t.test('pglite: a data directory keeps the data and is not migrated twice', async (t) => {
        const dir = await mkdtemp(join(tmpdir(), 'linli-cloud-'));
        t.teardown(() => rm(dir, { recursive: true, force: true }));
        const one = await openDb({ dataDir: dir });
        const { id, secret } = await registerHouse(
          one,
          { city: 'c', district: 'd', street: 's', community: 'm', name: 'h' },
          KEY,
        );
        await one.close();
        const two = await openDb({ dataDir: dir });
        t.equal(await houseSecret(two, id, KEY), secret);
        t.same(await migrate(two), []);
        await two.close();
      });
    }

    if (target.name === 'postgres') {
      t.test('postgres: two migrators at once on an empty database', async (t) => {
        const url = await databases.create();
        const a = await openPostgres(url);
        const b = await openPostgres(url);
        t.teardown(async () => {
          await a.close();
          await b.close();
        });
        const results = await Promise.all([migrate(a), migrate(b), migrate(a), migrate(b)]);
        t.same(
          results.flat(),
          MIGRATIONS.map((m) => m.version),
          'exactly one applied it, the others waited and found it done',
        );
        t.equal(await count(a, 'schema_migrations', []), MIGRATIONS.length);
      });

      t.test('postgres: two instances ingest the same house concurrently', async (t) => {
        const url = await databases.create();
        const a = await openDb({ databaseUrl: url });
        const b = await openDb({ databaseUrl: url });
        t.teardown(async () => {
          await a.close();
          await b.close();
        });
        const e = await newHouse(a);
        const ROUNDS = 20;
        const SIZE = 200; // records per batch
        // Round k, per stream: A sends seqs 100k+1 … 100k+100, B 100k+51 … 100k+150 (half of each
        // batch overlaps the other's), two streams per batch in each instance's own order; both
        // instances post their rounds back to back, at the same time.
        const batchFor = (k: number, shift: number, order: Stream[]) =>
          order.flatMap((s) => e.range(s, 100 * k + shift + 1, 100 * k + shift + SIZE / 2));
        const last = 100 * (ROUNDS - 1) + 50 + SIZE / 2;
        let sent = 0;
        let stored = 0;
        let duplicates = 0;
        const run = async (inst: Db, shift: number, order: Stream[]) => {
          for (let k = 0; k < ROUNDS; k++) {
            const batch = batchFor(k, shift, order);
            sent += batch.length;
            const r = await ingest(inst, e.house, batch, []);
            t.same(r.rejected, []);
            stored += r.stored;
            duplicates += r.duplicates;
          }
        };
        const t0 = performance.now();
        await Promise.all([run(a, 0, ['alarm', 'payment']), run(b, 50, ['payment', 'alarm'])]);
        const ms = performance.now() - t0;
        // Then a wilder round: every batch of both instances in flight at once.
        const t1 = performance.now();
        const wild = await Promise.all(
          Array.from({ length: 2 * ROUNDS }, (_, i) =>
            ingest(
              i % 2 ? a : b,
              e.house,
              batchFor(Math.floor(i / 2), (i % 2) * 50, ['payment', 'alarm']),
              [],
            ),
          ),
        );
        const ms2 = performance.now() - t1;
        t.comment(
          `2 instances, ${ROUNDS} rounds × ${SIZE} records each, half overlapping: ${ms.toFixed(0)} ms; ` +
            `then ${2 * ROUNDS} re-sent batches all in flight: ${ms2.toFixed(0)} ms`,
        );
        const unique = new Set<string>();
        for (const s of ['alarm', 'payment'] as Stream[])
          for (let q = 1; q <= last; q++) unique.add(e.id(s, q));
        t.equal(stored, unique.size, 'every record stored exactly once');
        t.equal(stored + duplicates, sent);
        t.equal(
          wild.reduce((n, r) => n + r.stored, 0),
          0,
        );
        t.equal(await count(a, 'records WHERE house = $1', [e.house]), unique.size);
        const ids = await a.query<{ id: string }>('SELECT id::text FROM records WHERE house = $1', [e.house]);
        t.same(new Set(ids.map((r) => r.id)), unique, 'exactly the sent ids');
        const st = await a.query<{ stream: string; contiguous: number }>(
          'SELECT stream, contiguous FROM stream_state WHERE house = $1 ORDER BY stream',
          [e.house],
        );
        t.same(st, [
          { stream: 'alarm', contiguous: last },
          { stream: 'payment', contiguous: last },
        ]);
      });
    }
  });
}
