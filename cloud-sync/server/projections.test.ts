/**
 * The city views' projections (projections/), on both targets: kept exactly when records arrive in
 * order, out of order and re-sent (each record counts once), when a rejected record is replaced by
 * its fix, and — on PostgreSQL — when two instances ingest the same house concurrently. Malformed
 * bodies are passed over, never failing their batch.
 */
import t from 'tap';
import type { SyncRecord } from '../protocol/record.js';
import { openDb } from './db/open.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { Clock, rec, SYNC_RECORDS_PATH, TestCloud, targets } from './test-cloud.js';
import { expectedProjections, scenario, seeded, storedProjections } from './test-scenario.js';

await requirePostgres();
const databases = new TestDatabases('proj');
t.teardown(() => databases.dropAll());

/** The records shuffled and cut into batches of 1–`max`. */
function shuffledBatches(records: readonly SyncRecord[], seed: number, max = 40): SyncRecord[][] {
  const rnd = seeded(seed);
  const batches: SyncRecord[][] = [];
  const shuffled = [...records];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as SyncRecord, shuffled[i] as SyncRecord];
  }
  for (let i = 0; i < shuffled.length; ) {
    const n = 1 + Math.floor(rnd() * max);
    batches.push(shuffled.slice(i, i + n));
    i += n;
  }
  return batches;
}

for (const target of targets(databases)) {
  t.test(target.name, async (t) => {
    const { db, url } = await target.open();
    t.teardown(() => db.close());
    const clock = new Clock();
    const cloud = await TestCloud.start(db, clock);
    t.teardown(() => cloud.close());

    t.test('in order, one batch at a time', async (t) => {
      const e = await cloud.register();
      const records = scenario(e);
      t.ok(records.length > 200, `${records.length} records`);
      for (let i = 0; i < records.length; i += 100) {
        const r = await cloud.sync(e, records.slice(i, i + 100));
        t.same(
          r.json.rejected,
          [],
          'nothing refused: odd bodies are the projections’ problem, not the batch’s',
        );
      }
      const stored = await storedProjections(db, e.house);
      const expected = expectedProjections(records);
      t.same(stored, expected);
      // the scenario does reach what it means to test
      t.ok(
        Object.keys(expected.points).some((k) => k.startsWith('2025-10/')),
        'October in Beijing',
      );
      t.ok(
        Object.keys(expected.points).some((k) => k.startsWith('2025-11/')),
        'and November',
      );
      const states = new Set(Object.values(expected.alarms).map((a) => a.state));
      t.ok(
        ['raised', 'notified', 'escalated', 'resolved'].every((x) => states.has(x)),
        [...states].join(),
      );
      const r02 = expected.points['2025-11/r-02'] ?? 0;
      t.ok(r02 >= 1e6 && r02 < 1e6 + 1000, 'a huge credit counts bounded (1,000,000)');
      t.ok(expected.daily['1970-01-01/service'], 'an unsynced clock’s day');
      t.ok(Object.values(expected.devices).some((d) => d.online === false));
    });

    t.test('out of order and re-sent: the same projections, each record once', async (t) => {
      const e = await cloud.register();
      const records = scenario(e);
      const batches = shuffledBatches(records, 7);
      const half = Math.floor(batches.length / 2);
      const sent: SyncRecord[] = [];
      for (const [i, b] of batches.entries()) {
        await cloud.sync(e, b);
        sent.push(...b);
        if (i % 3 === 0) {
          const again = await cloud.sync(e, b);
          t.equal(again.json.stored, 0, 're-sent: nothing new');
        }
        if (i === half) {
          t.same(
            await storedProjections(db, e.house),
            expectedProjections(sent),
            'half-way, with gaps: exactly what arrived',
          );
        }
      }
      for (const b of batches.slice(0, 5)) await cloud.sync(e, b);
      t.same(await storedProjections(db, e.house), expectedProjections(records));
    });

    t.test('a rejected record holds its seq; its fix, re-sent, is projected once', async (t) => {
      const e = await cloud.register();
      const good = scenario(e)
        .filter((r) => r.stream === 'device')
        .slice(0, 10);
      const broken = { ...(good[4] as SyncRecord), ts: 'yesterday' };
      const first = await cloud.sync(e, [...good.slice(0, 4), broken, ...good.slice(5)]);
      t.equal((first.json.rejected as unknown[]).length, 1);
      const without = good.filter((_, i) => i !== 4);
      t.same(await storedProjections(db, e.house), expectedProjections(without));
      const [st] = await db.query<{ max_seq: number; gaps: number }>(
        `SELECT max_seq, gaps FROM stream_state WHERE house = $1 AND stream = 'device'`,
        [e.house],
      );
      t.same(st, { max_seq: 10, gaps: 0 }, 'the rejection holds seq 5');
      await cloud.sync(e, [good[4] as SyncRecord]);
      await cloud.sync(e, [good[4] as SyncRecord]);
      t.same(await storedProjections(db, e.house), expectedProjections(good));
    });

    t.test(
      'a long id cut inside an emoji, and the year 0000: refused or cut, never failing the batch',
      async (t) => {
        const e = await cloud.register();
        const long = `${'x'.repeat(199)}😀-tail`; // the cut at 200 falls between the emoji's two halves
        const r = await cloud.sync(e, [
          rec(e, 'device', 1, 'device.status', {
            deviceId: long,
            online: false,
            reason: `${'y'.repeat(499)}😀`,
          }),
          rec(e, 'device', 2, 'device.status', { deviceId: 'btn-1', online: true }),
          {
            ...rec(e, 'device', 3, 'device.status', { deviceId: 'btn-2', online: true }),
            ts: '0000-06-01T00:00:00.000Z',
          },
        ]);
        t.equal(r.json.stored, 2);
        t.match(r.json.rejected, [{ seq: 3, reason: 'schema', message: /before the year 1/ }]);
        const rows = await db.query<{ device_id: string; reason: string | null }>(
          'SELECT device_id, reason FROM device_state WHERE house = $1 ORDER BY device_id',
          [e.house],
        );
        t.same(
          rows.map((x) => [x.device_id.length, x.reason?.length ?? null]),
          [
            [5, null],
            [199, 499],
          ],
          'cut before the emoji, not inside it',
        );
      },
    );

    if (target.name === 'postgres' && url) {
      t.test(
        'two instances ingesting the same house concurrently: the same projections as one',
        async (t) => {
          const db2 = await openDb({ databaseUrl: url });
          t.teardown(() => db2.close());
          const second = await TestCloud.start(db2, clock);
          t.teardown(() => second.close());
          const e = await cloud.register();
          const records = scenario(e, 3);
          const batches = shuffledBatches(records, 11, 12);
          const sends = batches.flatMap((b, i) => (i % 3 === 0 ? [b, b] : [b]));
          const results = await Promise.all(
            sends.map((b, i) => {
              const target = i % 2 === 0 ? cloud : second;
              return target.signedPost(e, SYNC_RECORDS_PATH, JSON.stringify({ records: b }));
            }),
          );
          for (const r of results) if (r.status !== 200) t.fail(`${r.status} ${r.raw}`);
          t.equal(
            results.reduce((n, r) => n + Number(r.json.stored), 0),
            records.length,
            'every record stored once',
          );
          t.same(await storedProjections(db, e.house), expectedProjections(records));
        },
      );
    }
  });
}
