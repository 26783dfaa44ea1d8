/**
 * The edge's sync report, `POST /api/v1/sync/status` (protocol/status.ts), and every house's last
 * contact, on both targets: a good report is stored (the latest wins), a malformed one is refused
 * with the reason, an unsigned one, one signed with another house's secret and a replay are 401 —
 * and none of those changes what is stored or the last contact.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { signRequest } from '../protocol/signing.js';
import type { EdgeSyncReport } from '../protocol/status.js';
import { SYNC_STATUS_PATH } from '../protocol/status.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { Clock, T0, TestCloud, targets } from './test-cloud.js';

await requirePostgres();
const databases = new TestDatabases('status');
t.teardown(() => databases.dropAll());

const report = (over: Partial<EdgeSyncReport> = {}): EdgeSyncReport => ({
  version: '0.1.0',
  at: new Date(T0 - 2000).toISOString(),
  streams: {
    alarm: { lastSeq: 12, backlog: 0, oldestUnsyncedAgeMs: null },
    points: { lastSeq: 900, backlog: 40, oldestUnsyncedAgeMs: 125_000 },
  },
  backlog: 40,
  deadLetters: 1,
  clockOffsetMs: 2000,
  configVersion: 7,
  diskFreeBytes: 12_345_678,
  ...over,
});

for (const target of targets(databases)) {
  t.test(target.name, async (t) => {
    const { db } = await target.open();
    t.teardown(() => db.close());
    const clock = new Clock();
    const cloud = await TestCloud.start(db, clock);
    t.teardown(() => cloud.close());
    const a = await cloud.register();
    const b = await cloud.register();
    const stored = async (house: string) =>
      (
        await db.query<Record<string, unknown>>(
          `SELECT version, backlog, oldest_unsynced_age_ms, dead_letters, clock_offset_ms, config_version,
                  disk_free_bytes, streams, received_at, edge_at FROM house_reports WHERE house = $1`,
          [house],
        )
      )[0];
    const lastContact = async (house: string) => {
      const [row] = await db.query<{ at: Date | null }>(
        'SELECT last_contact_at AS at FROM houses WHERE id = $1',
        [house],
      );
      return row?.at ? new Date(row.at).getTime() : null;
    };

    t.test('a good report: 200 with serverTime, stored, and the house in contact', async (t) => {
      t.equal(await lastContact(a.house), null, 'no contact before');
      const r = await cloud.signedPost(a, SYNC_STATUS_PATH, JSON.stringify(report()));
      t.equal(r.status, 200, r.raw);
      t.same(r.json, { serverTime: new Date(T0).toISOString() });
      const row = await stored(a.house);
      t.match(row, {
        version: '0.1.0',
        backlog: 40,
        oldest_unsynced_age_ms: 125_000,
        dead_letters: 1,
        clock_offset_ms: 2000,
        config_version: 7,
        disk_free_bytes: 12_345_678,
        streams: report().streams,
      });
      t.equal(new Date(row?.received_at as Date).getTime(), T0);
      t.equal(new Date(row?.edge_at as Date).getTime(), T0 - 2000);
      t.equal(await lastContact(a.house), T0);
    });

    t.test('the latest report replaces the one before; extra stream keys are not kept', async (t) => {
      clock.now = T0 + 10_000;
      const next = report({
        backlog: 0,
        deadLetters: 0,
        streams: { points: { lastSeq: 940, backlog: 0, oldestUnsyncedAgeMs: null, extra: 'x' } as never },
      });
      t.equal((await cloud.signedPost(a, SYNC_STATUS_PATH, JSON.stringify(next))).status, 200);
      const row = await stored(a.house);
      t.match(row, { backlog: 0, dead_letters: 0, oldest_unsynced_age_ms: null });
      t.same(row?.streams, { points: { lastSeq: 940, backlog: 0, oldestUnsyncedAgeMs: null } });
    });

    t.test('malformed reports: 400 report-invalid with the reason, nothing stored', async (t) => {
      const before = await stored(a.house);
      const cases: [string, string | Buffer, RegExp][] = [
        ['not JSON', '{', /not JSON/],
        ['an array', '[]', /not an object/],
        ['no version', JSON.stringify({ ...report(), version: undefined }), /version/],
        ['negative backlog', JSON.stringify(report({ backlog: -1 })), /backlog/],
        [
          'bad stream name',
          JSON.stringify(
            report({ streams: { 'Bad-Name': { lastSeq: 1, backlog: 0, oldestUnsyncedAgeMs: null } } }),
          ),
          /stream name/,
        ],
        ['over 16 KiB', JSON.stringify({ ...report(), pad: 'x'.repeat(20_000) }), /over 16384 bytes/],
        ['a control character in version', JSON.stringify(report({ version: 'v\u0000' })), /control/],
        ['at before 1970', JSON.stringify(report({ at: '1960-01-01T00:00:00.000Z' })), /1970/],
      ];
      for (const [name, body, reason] of cases) {
        clock.now += 1;
        const r = await cloud.signedPost(a, SYNC_STATUS_PATH, body);
        t.same([r.status, r.json.code], [400, 'report-invalid'], name);
        t.match(r.json.reason, reason, name);
        t.match(r.json.serverTime, /Z$/);
      }
      const huge = await cloud.signedPost(a, SYNC_STATUS_PATH, Buffer.alloc(100_000, 0x20));
      t.same([huge.status, huge.json.code], [413, 'report-too-large']);
      t.same(await stored(a.house), before, 'the stored report is unchanged');
    });

    t.test('unsigned, another house’s signature, a replay: 401, nothing stored, no contact', async (t) => {
      clock.now = T0 + 60_000;
      const before = await stored(b.house);
      const body = JSON.stringify(report());
      const unsigned = await cloud.request('POST', SYNC_STATUS_PATH, { payload: body });
      t.same([unsigned.status, unsigned.json.code], [401, 'auth-malformed']);
      // b's id, signed with a's secret
      const forged = await cloud.signedPost(b, SYNC_STATUS_PATH, body, a.secret);
      t.same([forged.status, forged.json.code], [401, 'auth-bad-signature']);
      const unknown = await cloud.request('POST', SYNC_STATUS_PATH, {
        payload: body,
        headers: {
          authorization: signRequest({
            house: 'no-such-house',
            secret: randomBytes(32).toString('hex'),
            method: 'POST',
            pathAndQuery: SYNC_STATUS_PATH,
            body,
            now: clock.now,
          }),
        },
      });
      t.same([unknown.status, unknown.json.code], [401, 'auth-unknown-house']);
      t.same(await stored(b.house), before);
      t.equal(await lastContact(b.house), null, 'a refused request is no contact');

      const authorization = signRequest({
        house: b.house,
        secret: b.secret,
        method: 'POST',
        pathAndQuery: SYNC_STATUS_PATH,
        body,
        now: clock.now,
      });
      const first = await cloud.request('POST', SYNC_STATUS_PATH, {
        payload: body,
        headers: { authorization },
      });
      t.equal(first.status, 200);
      const replay = await cloud.request('POST', SYNC_STATUS_PATH, {
        payload: body,
        headers: { authorization },
      });
      t.same([replay.status, replay.json.code], [401, 'auth-replayed']);
    });

    t.test('last contact: every signed route stamps it, at most every 5 s', async (t) => {
      const c = await cloud.register();
      clock.now = T0 + 100_000;
      await cloud.sync(c, c.range('service', 1, 1));
      t.equal(await lastContact(c.house), clock.now, 'a records batch is contact');
      const first = clock.now;
      clock.now += 3000;
      await cloud.signedPost(c, SYNC_STATUS_PATH, JSON.stringify(report()));
      t.equal(await lastContact(c.house), first, 'under 5 s: not written again');
      clock.now += 3000;
      await cloud.sync(c, c.range('service', 2, 2));
      t.equal(await lastContact(c.house), clock.now, 'over 5 s: written');
      const bad = await cloud.signedPost(c, SYNC_STATUS_PATH, '{');
      t.equal(bad.status, 400, 'a signed but malformed report…');
      clock.now += 6000;
      await cloud.signedPost(c, SYNC_STATUS_PATH, '{');
      t.equal(await lastContact(c.house), clock.now, '…is still contact: the house spoke');
    });
  });
}
