/**
 * The config sync API on both targets (docs/config-sync.md): the signed downlink (versions, since,
 * 304, tombstones, sensitive fields sealed at rest), the uplink of edge edits by the conflict rule
 * (applied at base, conflict when stale, base 0, delete against edit, `after` chains), idempotent
 * re-sends, one bad edit among good ones, whole-body refusals, houses kept apart, and two
 * instances on one PostgreSQL deciding edits of the same entity at once.
 */
import t from 'tap';
import { v7 } from 'uuid';
import {
  CONFIG_EDITS_PATH,
  CONFIG_PATH,
  type ConfigBundle,
  type ConfigEdit,
  type ConfigEditsAnswer,
  MAX_EDITS,
  MAX_EDITS_BYTES,
  type ResidentData,
  SERVER_TIME_HEADER,
} from '../protocol/config.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { type Answer, cloudTargets, TestCloud } from './test-cloud.js';
import type { TestEdge } from './test-edge.js';

await requirePostgres();
const databases = new TestDatabases('cfgsync');
t.teardown(() => databases.dropAll());

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const elder = (over: Partial<ResidentData> = {}): ResidentData => ({
  name: '张秀兰',
  roles: ['elder'],
  community: '兴华社区',
  building: '3',
  unit: '2',
  room: '501',
  phone: '13800000000',
  branch: '第一支部',
  emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13900000000' }],
  healthNotes: '高血压，每日服药',
  idNumber: '11010519491231002X',
  ...over,
});

function edit(
  kind: ConfigEdit['kind'],
  id: string,
  base: number,
  data?: unknown,
  over: Partial<ConfigEdit> = {},
): ConfigEdit {
  return {
    edit: v7(),
    kind,
    id,
    base,
    op: data === undefined ? 'delete' : 'put',
    ...(data === undefined ? {} : { data: data as ConfigEdit['data'] }),
    at: '2025-10-09T08:00:00.000Z',
    by: 'staff1',
    ...over,
  };
}

for (const target of cloudTargets(databases)) {
  t.test(target.name, async (t) => {
    const { db, url } = await target.open();
    t.teardown(() => db.close());
    const cloud = await TestCloud.start(db);
    t.teardown(() => cloud.close());

    const pull = (e: TestEdge, since: number | string) =>
      cloud.signed(e, 'GET', `${CONFIG_PATH}?since=${since}`);
    const push = async (e: TestEdge, edits: unknown[] | string, c = cloud): Promise<Answer> =>
      c.signed(e, 'POST', CONFIG_EDITS_PATH, typeof edits === 'string' ? edits : JSON.stringify({ edits }));
    const decide = async (e: TestEdge, edits: unknown[]) => {
      const r = await push(e, edits);
      if (r.status !== 200) throw new Error(`edits: ${r.status} ${r.raw}`);
      return r.json as unknown as ConfigEditsAnswer;
    };
    const bundle = async (e: TestEdge, since: number) => {
      const r = await pull(e, since);
      if (r.status !== 200) throw new Error(`pull: ${r.status} ${r.raw}`);
      return r.json as unknown as ConfigBundle;
    };

    t.test('downlink: versions, since, 304, refusals', async (t) => {
      const e = await cloud.newHouse();
      const empty = await pull(e, 0);
      t.equal(empty.status, 304, 'a house with no config is at version 0');
      t.equal(empty.raw, '');
      t.equal(empty.headers[SERVER_TIME_HEADER], new Date(cloud.clock).toISOString());

      const first = await decide(e, [
        edit('resident', 'r-1', 0, elder()),
        edit('contacts', 'contacts', 0, { police: { name: '南湖派出所', phone: '024-23456789' } }),
      ]);
      t.equal(first.version, 1, 'one version for the whole request');
      t.same(
        first.results.map((r) => [r.outcome, r.version]),
        [
          ['applied', 1],
          ['applied', 1],
        ],
      );
      const second = await decide(e, [
        edit('notice', 'n-1', 0, { title: '停水通知', body: '周三 9:00–12:00' }),
      ]);
      t.equal(second.version, 2);

      const all = await bundle(e, 0);
      t.equal(all.version, 2);
      t.equal(all.since, 0);
      t.match(all.serverTime, ISO);
      t.same(
        all.entities.map((x) => [x.kind, x.id, x.version]),
        [
          ['contacts', 'contacts', 1],
          ['resident', 'r-1', 1],
          ['notice', 'n-1', 2],
        ],
        'every entity, in version order',
      );
      const r1 = all.entities.find((x) => x.id === 'r-1');
      t.same(r1?.data, elder(), 'sensitive fields opened for the house');
      t.equal(r1?.edit, first.results[0]?.edit, 'the edge edit that made the version');
      t.equal(r1?.updatedAt, new Date(cloud.clock).toISOString());

      const since1 = await bundle(e, 1);
      t.same(
        since1.entities.map((x) => x.id),
        ['n-1'],
      );
      const at2 = await pull(e, 2);
      t.equal(at2.status, 304);
      t.equal(at2.raw, '', 'a 304 has no body');
      t.equal(
        at2.headers[SERVER_TIME_HEADER],
        new Date(cloud.clock).toISOString(),
        'the time is in a header',
      );
      t.equal(at2.headers['cache-control'], 'no-store');

      const ahead = await pull(e, 3);
      t.equal(ahead.status, 400);
      t.equal(ahead.json.code, 'config-since-ahead');
      t.match(ahead.json.reason, /pull from 0/);
      for (const bad of ['-1', 'x', '', '01', '1.5', '99999999999999999', '1&since=2']) {
        const r = await pull(e, bad);
        t.equal(r.status, 400, `since=${bad}`);
        t.equal(r.json.code, 'config-bad-since');
        t.match(r.json.serverTime, ISO);
      }
      const none = await cloud.signed(e, 'GET', CONFIG_PATH);
      t.equal(none.json.code, 'config-bad-since', 'since is required');
    });

    t.test('tombstones travel as deleted: true, without data', async (t) => {
      const e = await cloud.newHouse();
      const put = await decide(e, [edit('card', 'C0FFEE01', 0, card('r-1'))]);
      const del = await decide(e, [edit('card', 'C0FFEE01', put.version)]);
      t.equal(del.results[0]?.outcome, 'applied');
      const b = await bundle(e, put.version);
      t.same(b.entities, [
        {
          kind: 'card',
          id: 'C0FFEE01',
          version: del.version,
          deleted: true,
          edit: del.results[0]?.edit,
          updatedAt: b.serverTime,
        },
      ]);
      const whole = await bundle(e, 0);
      t.equal(whole.entities.length, 1, 'a pull from 0 carries the tombstone too');
      t.equal(whole.entities[0]?.deleted, true);
    });

    t.test('sensitive fields are sealed at rest', async (t) => {
      const e = await cloud.newHouse();
      await decide(e, [
        edit('resident', 'r-9', 0, elder({ name: '王淑芬', idNumber: '21010219500101123X' })),
        edit('duty', 'roster', 0, { entries: [{ name: '赵志刚', phone: '13512345678', level: 0 }] }),
      ]);
      const rows = await db.query<{ kind: string; data: Record<string, unknown>; sealed: string | null }>(
        'SELECT kind, data, sealed FROM config_entities WHERE house = $1',
        [e.house],
      );
      const text = JSON.stringify(rows);
      for (const secret of [
        '王淑芬',
        '21010219500101123X',
        '13800000000',
        '李明',
        '高血压',
        '赵志刚',
        '13512345678',
      ]) {
        t.notOk(text.includes(secret), `${secret} is not stored in plain text`);
      }
      const r = rows.find((x) => x.kind === 'resident');
      t.same(Object.keys(r?.data ?? {}).sort(), ['branch', 'community', 'roles'], 'plain fields in data');
      t.match(r?.sealed, /^v1:/);
      // sealed under the entity's context: moved to another entity it does not open
      await db.query(
        `UPDATE config_entities SET sealed = (SELECT sealed FROM config_entities WHERE house = $1 AND kind = 'resident')
          WHERE house = $1 AND kind = 'duty'`,
        [e.house],
      );
      const broken = await pull(e, 0);
      t.equal(broken.status, 500, 'a sealed value moved to another entity does not open');
      t.notOk(broken.raw.includes('王淑芬'));
    });

    t.test('the conflict rule', async (t) => {
      const e = await cloud.newHouse();
      const made = await decide(e, [edit('resident', 'r-1', 0, elder())]);
      t.equal(made.results[0]?.outcome, 'applied');
      const v1 = made.version;

      const atBase = await decide(e, [edit('resident', 'r-1', v1, elder({ phone: '13700000000' }))]);
      t.same(atBase.results[0], { edit: atBase.results[0]?.edit, outcome: 'applied', version: v1 + 1 });
      const v2 = atBase.version;

      const stale = edit('resident', 'r-1', v1, elder({ room: '502', healthNotes: '糖尿病' }));
      const lost = await decide(e, [stale]);
      t.equal(lost.results[0]?.outcome, 'conflict', 'made on v1, the cloud is at v2: the cloud wins');
      t.equal(lost.results[0]?.version, v2, "the cloud's version that won");
      t.equal(lost.version, v2, 'nothing changed');
      t.same(
        lost.results[0]?.current?.data,
        elder({ phone: '13700000000' }),
        "answered with the cloud's entity",
      );
      t.equal(lost.results[0]?.current?.version, v2);
      const [kept] = await db.query<{ fields: string[]; outcome: string; version: number }>(
        'SELECT fields, outcome, version FROM config_edits WHERE house = $1 AND edit = $2',
        [e.house, stale.edit],
      );
      t.same(kept?.fields, ['healthNotes', 'phone', 'room'], 'the changed field names, never values');
      t.equal(kept?.outcome, 'conflict');

      const createAgain = await decide(e, [edit('resident', 'r-1', 0, elder({ name: '张三' }))]);
      t.equal(createAgain.results[0]?.outcome, 'conflict', 'base 0 on an existing entity');

      const staleDelete = await decide(e, [edit('resident', 'r-1', v1)]);
      t.equal(staleDelete.results[0]?.outcome, 'conflict', 'a delete made on an old version');
      t.equal(staleDelete.results[0]?.current?.deleted, undefined, 'the entity stays');

      const deleted = await decide(e, [edit('resident', 'r-1', v2)]);
      t.equal(deleted.results[0]?.outcome, 'applied', 'a delete at base');
      const v3 = deleted.version;
      const editDeleted = await decide(e, [edit('resident', 'r-1', v2, elder({ room: '503' }))]);
      t.equal(editDeleted.results[0]?.outcome, 'conflict', 'an edit of what the cloud deleted');
      t.same(editDeleted.results[0]?.current, {
        kind: 'resident',
        id: 'r-1',
        version: v3,
        deleted: true,
        edit: deleted.results[0]?.edit,
        updatedAt: editDeleted.serverTime,
      });
      const recreate = await decide(e, [edit('resident', 'r-1', 0, elder({ name: '张秀兰' }))]);
      t.equal(recreate.results[0]?.outcome, 'applied', 'base 0 over a tombstone: neither side has it');

      const never = await decide(e, [edit('notice', 'n-unknown', 7, { title: 't', body: '' })]);
      t.equal(never.results[0]?.outcome, 'conflict', 'an edit of an entity the cloud never had');
      t.same(never.results[0]?.current, {
        kind: 'notice',
        id: 'n-unknown',
        version: 0,
        deleted: true,
        updatedAt: never.serverTime,
      });
    });

    t.test('edits in a row on the edge: `after` chains them, without it the second conflicts', async (t) => {
      const e = await cloud.newHouse();
      const v = (await decide(e, [edit('activity', 'a-1', 0, activity(5))])).version;
      const a = edit('activity', 'a-1', v, activity(6));
      const b = edit('activity', 'a-1', v, activity(7), { after: a.edit });
      const both = await decide(e, [a, b]);
      t.same(
        both.results.map((r) => r.outcome),
        ['applied', 'applied'],
      );
      const c = edit('activity', 'a-1', v, activity(8), { after: b.edit });
      t.equal((await decide(e, [c])).results[0]?.outcome, 'applied', 'in a later request too');
      const unchained = edit('activity', 'a-1', v, activity(9));
      t.equal((await decide(e, [unchained])).results[0]?.outcome, 'conflict');
      // after an edit that lost, the next one loses too
      const d = edit('activity', 'a-1', v, activity(10), { after: unchained.edit });
      t.equal((await decide(e, [d])).results[0]?.outcome, 'conflict');
      const [x] = (await bundle(e, 0)).entities;
      t.equal((x?.data as { points: number } | undefined)?.points, 8);
      t.equal(x?.edit, c.edit);
    });

    t.test('a re-sent edit gets its first outcome', async (t) => {
      const e = await cloud.newHouse();
      const v = (await decide(e, [edit('goods', 'g-1', 0, { name: '毛巾', points: 20 })])).version;
      const win = edit('goods', 'g-1', v, { name: '毛巾', points: 25 });
      const lose = edit('goods', 'g-1', v, { name: '毛巾', points: 30 });
      const first = await decide(e, [win, lose]);
      t.same(
        first.results.map((r) => [r.outcome, r.version]),
        [
          ['applied', v + 1],
          ['conflict', v + 1],
        ],
      );
      const again = await decide(e, [win, lose]);
      t.same(again.results, first.results, 'the same answer');
      t.equal(again.version, first.version, 'no new version');
      const later = await decide(e, [edit('goods', 'g-1', first.version, { name: '毛巾', points: 40 })]);
      const resent = await decide(e, [win]);
      t.same(resent.results[0], { edit: win.edit, outcome: 'applied', version: v + 1 }, 'the version it got');
      const lostAgain = await decide(e, [lose]);
      t.equal(lostAgain.results[0]?.version, v + 1);
      t.equal(lostAgain.results[0]?.current?.version, later.version, 'with the entity as it stands now');
      const reused = await decide(e, [{ ...win, id: 'g-2' }]);
      t.equal(reused.results[0]?.outcome, 'rejected');
      t.match(reused.results[0]?.reason, /already used/);
      const n = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM config_edits WHERE house = $1',
        [e.house],
      );
      t.equal(n[0]?.n, 4, 'each edit decided once');
    });

    t.test('one bad edit never fails the others', async (t) => {
      const e = await cloud.newHouse();
      const good1 = edit('resident', 'r-1', 0, elder());
      const badSchema = edit('resident', 'r-2', 0, elder({ idNumber: '123456' }));
      const notObject = 'edit';
      const unknownKind = { ...edit('notice', 'n-1', 0, { title: 'x', body: 'y' }), kind: 'pet' };
      const badTime = edit(
        'notice',
        'n-2',
        0,
        { title: 'x', body: 'y' },
        { at: '+275760-09-13T00:00:00.000Z' },
      );
      const nul = edit('notice', 'n-3', 0, { title: 'x', body: 'a\u0000b' });
      const good2 = edit('notice', 'n-4', 0, { title: '通知', body: '正文' });
      const r = await decide(e, [good1, badSchema, notObject, unknownKind, badTime, nul, good2]);
      t.same(
        r.results.map((x) => x.outcome),
        ['applied', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'applied'],
      );
      t.match(r.results[1], { edit: badSchema.edit, reason: /idNumber/ });
      t.notMatch(r.results[1]?.reason, /123456/, 'never quoting a value');
      t.same(r.results[2], { edit: '', outcome: 'rejected', reason: 'an edit is an object' });
      t.match(r.results[3]?.reason, /unknown kind/);
      t.match(r.results[4]?.reason, /at is not/);
      t.match(r.results[5]?.reason, /NUL/);
      t.equal(r.version, 1);
      t.same(
        (await bundle(e, 0)).entities.map((x) => x.id),
        ['n-4', 'r-1'].sort((a, b) => (a < b ? -1 : 1)),
      );
      const fixed = await decide(e, [{ ...badSchema, data: elder() }]);
      t.equal(fixed.results[0]?.outcome, 'applied', 'a rejected edit, fixed, is decided again');
    });

    t.test('whole-body refusals', async (t) => {
      const e = await cloud.newHouse();
      const notJson = await push(e, '{"edits": [');
      t.equal(notJson.status, 400);
      t.equal(notJson.json.code, 'edits-not-json');
      t.equal(
        (await push(e, Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'))).json.code,
        'edits-not-json',
      );
      t.equal((await push(e, '{"edits": 1}')).json.code, 'edits-malformed');
      t.equal((await push(e, '{"edits": [], "more": 1}')).json.code, 'edits-malformed');
      t.equal((await push(e, '[]')).json.code, 'edits-malformed');
      const many = await push(
        e,
        Array.from({ length: MAX_EDITS + 1 }, (_, i) =>
          edit('notice', `n-${i}`, 0, { title: 't', body: '' }),
        ),
      );
      t.equal(many.status, 413);
      t.equal(many.json.code, 'edits-too-many');
      const big = JSON.stringify({
        edits: [edit('notice', 'n', 0, { title: 't', body: 'x'.repeat(MAX_EDITS_BYTES) })],
      });
      const tooLarge = await push(e, big);
      t.equal(tooLarge.status, 413);
      t.equal(tooLarge.json.code, 'edits-too-large');
      const huge = await push(e, ' '.repeat(3 * MAX_EDITS_BYTES));
      t.equal(huge.status, 413);
      t.equal(huge.json.code, 'edits-too-large', 'refused by the transport with the same code');
      const exactly = await decide(
        e,
        Array.from({ length: MAX_EDITS }, (_, i) => edit('notice', `n-${i}`, 0, { title: 't', body: '' })),
      );
      t.equal(
        exactly.results.filter((x) => x.outcome === 'applied').length,
        MAX_EDITS,
        `${MAX_EDITS} is allowed`,
      );
      t.equal(exactly.version, 1);
      t.equal((await bundle(e, 0)).entities.length, MAX_EDITS);
    });

    t.test('a house reads and writes only its own config', async (t) => {
      const a = await cloud.newHouse();
      const b = await cloud.newHouse();
      await decide(a, [edit('resident', 'r-1', 0, elder())]);
      t.equal((await pull(b, 0)).status, 304, "b sees nothing of a's");
      const bEdit = await decide(b, [edit('resident', 'r-1', 0, elder({ name: '另一位' }))]);
      t.equal(bEdit.results[0]?.outcome, 'applied', "the same id in b is b's own entity");
      t.equal(
        ((await bundle(a, 0)).entities[0]?.data as ResidentData | undefined)?.name,
        '张秀兰',
        "a's is untouched",
      );

      const unsigned = await cloud.request({ url: `${CONFIG_PATH}?since=0` });
      t.equal(unsigned.status, 401);
      t.equal(unsigned.json.code, 'auth-malformed');
      t.match(unsigned.headers[SERVER_TIME_HEADER], ISO);
      const forged = await cloud.signed(
        { ...b, house: a.house } as TestEdge,
        'GET',
        `${CONFIG_PATH}?since=0`,
      );
      t.equal(forged.status, 401, "b's secret cannot sign as a");
      t.equal(forged.json.code, 'auth-bad-signature');
      const forgedPost = await push({ ...b, house: a.house } as TestEdge, [
        edit('resident', 'r-1', 1, elder({ name: 'x' })),
      ]);
      t.equal(forgedPost.status, 401);
      t.equal(((await bundle(a, 0)).entities[0]?.data as ResidentData | undefined)?.name, '张秀兰');
      const stale = await cloud.signed(a, 'GET', `${CONFIG_PATH}?since=0`, '', cloud.clock - 301_000);
      t.equal(stale.json.code, 'auth-clock-skew');
      t.equal(stale.headers[SERVER_TIME_HEADER], new Date(cloud.clock).toISOString());
    });

    if (target.name === 'postgres' && url) {
      t.test('two instances on one PostgreSQL decide edits of the same entity at once', async (t) => {
        const { openDb } = await import('./db/open.js');
        const db2 = await openDb({ databaseUrl: url });
        t.teardown(() => db2.close());
        const other = await TestCloud.start(db2);
        t.teardown(() => other.close());
        const e = await cloud.newHouse();
        const ids = Array.from({ length: 20 }, (_, i) => `r-${i}`);
        const made = await decide(
          e,
          ids.map((id) => edit('resident', id, 0, elder())),
        );
        const base = made.version;
        // per entity, two edits on the same base, one through each instance, all at once
        const pairs = ids.map((id) => [
          edit('resident', id, base, elder({ room: '601' })),
          edit('resident', id, base, elder({ room: '602' })),
        ]);
        const started = Date.now();
        const answers = await Promise.all(
          pairs.flatMap(([x, y]) => [push(e, [x], cloud), push(e, [y], other)]),
        );
        t.ok(Date.now() - started < 60_000, 'no deadlock');
        for (const a of answers) t.equal(a.status, 200, a.raw);
        const results = answers.map((a) => (a.json as unknown as ConfigEditsAnswer).results[0]);
        for (let i = 0; i < ids.length; i++) {
          const [x, y] = [results[2 * i], results[2 * i + 1]];
          t.same(
            [x?.outcome, y?.outcome].sort(),
            ['applied', 'conflict'],
            `${ids[i]}: one applied, one conflict`,
          );
        }
        const versions = new Set(results.filter((r) => r?.outcome === 'applied').map((r) => r?.version));
        t.equal(versions.size, ids.length, 'each applied edit got its own version');
        const b = await bundle(e, base);
        t.equal(b.version, base + ids.length);
        for (const x of b.entities) {
          const winner = results.find((r) => r?.outcome === 'applied' && r.version === x.version);
          t.equal(x.edit, winner?.edit, `${x.id} holds the edit that was applied`);
        }
      });
    }
  });
}

function card(residentId: string) {
  return {
    residentId,
    kind: 'resident' as const,
    state: 'active' as const,
    boundAt: '2025-10-01T00:00:00.000Z',
    changedAt: '2025-10-01T00:00:00.000Z',
  };
}

function activity(points: number) {
  return { name: '社区义诊', category: 'service' as const, points };
}
