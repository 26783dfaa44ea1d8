/**
 * The cloud's admin API over a house's config, on both targets (docs/config-sync.md, "Admin API"):
 * roles, optimistic concurrency (If-Match, base, 428, 409), what each role sees, kept fields,
 * deletes, paging, all-or-nothing batches at one version, users' passwords and devices'
 * credentials as the edge checks them, conflicts listed and dismissed, and an admin's edit racing
 * an edge's edit across two instances on one PostgreSQL.
 */
import t from 'tap';
import { v7 } from 'uuid';
import {
  CONFIG_EDITS_PATH,
  CONFIG_PATH,
  type ConfigBundle,
  type ConfigEdit,
  type ConfigEditsAnswer,
  type ResidentData,
} from '../protocol/config.js';
import { tokenDigest, verifyPassword } from '../protocol/password-hash.js';
import { openDb } from './db/open.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { type Answer, auth, cloudTargets, TestCloud, type USERS } from './test-cloud.js';
import type { TestEdge } from './test-edge.js';

await requirePostgres();
const databases = new TestDatabases('cfgadmin');
t.teardown(() => databases.dropAll());

const elder = (over: Partial<ResidentData> = {}): ResidentData => ({
  name: '张秀兰',
  roles: ['elder'],
  community: '兴华社区',
  phone: '13800000000',
  emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13900000000' }],
  idNumber: '11010519491231002X',
  ...over,
});

for (const target of cloudTargets(databases)) {
  t.test(target.name, async (t) => {
    const { db, url } = await target.open();
    t.teardown(() => db.close());
    const cloud = await TestCloud.start(db);
    t.teardown(() => cloud.close());

    const path = (e: TestEdge, rest = '') => `/api/v1/houses/${e.house}/config${rest}`;
    const as = (user: keyof typeof USERS, headers: Record<string, string> = {}) => ({
      authorization: auth(user),
      ...headers,
    });
    const put = (
      e: TestEdge,
      kind: string,
      id: string,
      body: object,
      user: keyof typeof USERS = 'staff1',
      headers: Record<string, string> = {},
    ) =>
      cloud.request({
        method: 'PUT',
        url: path(e, `/${kind}/${id}`),
        headers: as(user, headers),
        payload: body,
      });
    const bundle = async (e: TestEdge) => {
      const r = await cloud.signed(e, 'GET', `${CONFIG_PATH}?since=0`);
      return (r.status === 304 ? { version: 0, entities: [] } : r.json) as unknown as ConfigBundle;
    };
    const edgeEdits = async (e: TestEdge, edits: ConfigEdit[], c = cloud): Promise<Answer> =>
      c.signed(e, 'POST', CONFIG_EDITS_PATH, JSON.stringify({ edits }));

    t.test('roles: viewer reads, staff edits residents, admin edits users and devices', async (t) => {
      const e = await cloud.newHouse();
      const none = await cloud.request({ url: path(e, '/resident') });
      t.equal(none.status, 401);
      const viewerPut = await put(e, 'resident', 'r-1', { data: elder(), base: 0 }, 'viewer1');
      t.equal(viewerPut.status, 403);
      t.equal(viewerPut.json.code, 'auth-role');
      const staffPut = await put(e, 'resident', 'r-1', { data: elder(), base: 0 }, 'staff1');
      t.equal(staffPut.status, 201);
      const staffUser = await put(e, 'user', 'u-1', {
        data: { role: 'staff' },
        password: 'secret-pass-1',
        base: 0,
      });
      t.equal(staffUser.status, 403, 'staff cannot create users');
      const staffDevice = await put(e, 'device', 'd-1', {
        data: { type: 'kiosk', transport: 'http' },
        base: 0,
      });
      t.equal(staffDevice.status, 403, 'nor devices');
      const staffActivity = await put(e, 'activity', 'a-1', {
        data: { name: '义诊', category: 'service', points: 5 },
        base: 0,
      });
      t.equal(staffActivity.status, 403);
      for (const kind of ['card', 'duty', 'notice', 'contacts']) {
        const id = { duty: 'roster', contacts: 'contacts' }[kind] ?? `${kind}-1`;
        const data = {
          card: {
            residentId: 'r-1',
            kind: 'resident',
            state: 'active',
            boundAt: 'x'.repeat(10),
            changedAt: 'y'.repeat(10),
          },
          duty: { entries: [{ name: '值班员', level: 0 }] },
          notice: { title: '通知', body: '' },
          contacts: { community: { name: '社区办', phone: '024-1234567' } },
        }[kind];
        const r = await put(e, kind, id, { data, base: 0 });
        t.equal(r.status, 201, `staff edits ${kind}`);
      }
      const adminUser = await put(
        e,
        'user',
        'u-1',
        { data: { role: 'staff' }, password: 'secret-pass-1', base: 0 },
        'admin',
      );
      t.equal(adminUser.status, 201, adminUser.raw);
      t.notOk(adminUser.raw.includes('scrypt'), 'the hash is never answered');
      const list = await cloud.request({ url: path(e, '/user'), headers: as('viewer1') });
      t.equal(list.status, 200);
      t.same((list.json.entities as { data: object }[])[0]?.data, { role: 'staff' });
      const conflicts = await cloud.request({ url: path(e, '/conflicts'), headers: as('viewer1') });
      t.equal(conflicts.status, 403, 'conflicts are for staff');
      const summary = await cloud.request({ url: path(e), headers: as('viewer1') });
      t.match(summary.json, {
        version: 6,
        counts: { resident: 1, user: 1, card: 1, duty: 1, notice: 1, contacts: 1 },
      });
    });

    t.test('users: the password is stored as the scrypt hash the edge checks', async (t) => {
      const e = await cloud.newHouse();
      const noPassword = await put(e, 'user', 'u-1', { data: { role: 'viewer' }, base: 0 }, 'admin');
      t.equal(noPassword.status, 400);
      t.match(noPassword.json.reason, /needs a password/);
      const short = await put(
        e,
        'user',
        'u-1',
        { data: { role: 'viewer' }, password: 'short', base: 0 },
        'admin',
      );
      t.equal(short.status, 400);
      const hashGiven = await put(
        e,
        'user',
        'u-1',
        { data: { role: 'viewer', passwordHash: 'scrypt$1' }, base: 0 },
        'admin',
      );
      t.equal(hashGiven.status, 400);
      t.match(hashGiven.json.reason, /send password/);
      const ok = await put(
        e,
        'user',
        'u-1',
        { data: { role: 'viewer' }, password: 'first-password', base: 0 },
        'admin',
      );
      t.equal(ok.status, 201);
      const hash1 = (await bundle(e)).entities[0]?.data as { passwordHash: string };
      t.ok(await verifyPassword('first-password', hash1.passwordHash), 'the edge can check it');
      const roleOnly = await put(e, 'user', 'u-1', { data: { role: 'staff' } }, 'admin', {
        'if-match': '"1"',
      });
      t.equal(roleOnly.status, 200);
      const hash2 = (await bundle(e)).entities[0]?.data as { passwordHash: string; role: string };
      t.equal(hash2.passwordHash, hash1.passwordHash, 'kept when no password is sent');
      t.equal(hash2.role, 'staff');
      await put(e, 'user', 'u-1', { data: { role: 'staff' }, password: 'second-password' }, 'admin', {
        'if-match': '2',
      });
      const hash3 = (await bundle(e)).entities[0]?.data as { passwordHash: string };
      t.ok(await verifyPassword('second-password', hash3.passwordHash));
      t.notOk(await verifyPassword('first-password', hash3.passwordHash));
    });

    t.test('devices: a credential made once, its hash for the edge', async (t) => {
      const e = await cloud.newHouse();
      const button = { type: 'help-button', transport: 'mqtt', assignedTo: 'r-1' };
      const made = await put(e, 'device', 'btn-1', { data: button, base: 0 }, 'admin');
      t.equal(made.status, 201, made.raw);
      const password = made.json.password as string;
      t.match(password, /^[A-Za-z0-9_-]{24}$/);
      const secretHash = () =>
        bundle(e).then(
          (b) =>
            (b.entities.find((x) => x.id === 'btn-1')?.data as { secretHash?: string } | undefined)
              ?.secretHash ?? '',
        );
      t.ok(await verifyPassword(password, await secretHash()), 'the edge checks the MQTT password');
      t.notOk(made.raw.includes('scrypt'));
      const again = await put(e, 'device', 'btn-1', { data: { ...button, name: '3号楼按钮' } }, 'admin', {
        'if-match': '1',
      });
      t.equal(again.status, 200);
      t.equal(again.json.password, undefined, 'no new password for an unchanged transport');
      t.ok(await verifyPassword(password, await secretHash()), 'kept');
      const rotated = await put(e, 'device', 'btn-1', { data: button, rotateSecret: true }, 'admin', {
        'if-match': '2',
      });
      t.type(rotated.json.password, 'string');
      t.ok(await verifyPassword(rotated.json.password as string, await secretHash()));
      t.notOk(await verifyPassword(password, await secretHash()), 'the old one no longer works');

      const kiosk = await put(
        e,
        'device',
        'kiosk-1',
        { data: { type: 'kiosk', transport: 'http' }, base: 0 },
        'admin',
      );
      const token = kiosk.json.token as string;
      t.match(token, /^kiosk-1\./);
      const kioskData = (await bundle(e)).entities.find((x) => x.id === 'kiosk-1')?.data as {
        secretHash: string;
      };
      t.equal(kioskData.secretHash, tokenDigest(token), "the token's digest, as the edge keeps it");

      const serial = await put(
        e,
        'device',
        'scan-1',
        { data: { type: 'qr-scanner', transport: 'serial' }, base: 0 },
        'admin',
      );
      t.equal(serial.status, 400);
      t.match(serial.json.reason, /path/);
      const colon = await put(
        e,
        'device',
        'a:b',
        { data: { type: 'kiosk', transport: 'http' }, base: 0 },
        'admin',
      );
      t.equal(colon.status, 400, 'device ids go into topics');
      const wrong = await put(
        e,
        'device',
        'x',
        { data: { type: 'kiosk', transport: 'mqtt' }, base: 0 },
        'admin',
      );
      t.match(wrong.json.reason, /uses transport http/);
      const scanner = await put(
        e,
        'device',
        'scan-1',
        { data: { type: 'qr-scanner', transport: 'serial', path: '/dev/ttyUSB0', baudRate: 9600 }, base: 0 },
        'admin',
      );
      t.equal(scanner.status, 201);
      t.equal(scanner.json.password, undefined);
    });

    t.test('optimistic concurrency: If-Match, base, If-None-Match', async (t) => {
      const e = await cloud.newHouse();
      const bare = await put(e, 'notice', 'n-1', { data: { title: 'a', body: '' } });
      t.equal(bare.status, 428);
      t.equal(bare.json.code, 'config-missing');
      const created = await put(e, 'notice', 'n-1', { data: { title: 'a', body: '' } }, 'staff1', {
        'if-none-match': '*',
      });
      t.equal(created.status, 201);
      t.equal(created.headers.etag, '"1"');
      const twice = await put(e, 'notice', 'n-1', { data: { title: 'b', body: '' } }, 'staff1', {
        'if-none-match': '*',
      });
      t.equal(twice.status, 409);
      t.equal(twice.json.code, 'config-stale');
      t.equal(twice.json.version, 1, 'with the current version');
      const updated = await put(e, 'notice', 'n-1', { data: { title: 'b', body: '' } }, 'staff1', {
        'if-match': '"1"',
      });
      t.equal(updated.status, 200);
      t.equal(updated.json.version, 2);
      t.equal((updated.json.entity as { updatedBy: string }).updatedBy, 'cloud:staff1');
      const stale = await put(e, 'notice', 'n-1', { data: { title: 'c', body: '' }, base: 1 });
      t.equal(stale.status, 409);
      t.equal(stale.json.version, 2);
      const disagree = await put(e, 'notice', 'n-1', { data: { title: 'c', body: '' }, base: 2 }, 'staff1', {
        'if-match': '"1"',
      });
      t.equal(disagree.status, 400);
      const garbage = await put(e, 'notice', 'n-1', { data: { title: 'c', body: '' } }, 'staff1', {
        'if-match': 'abc',
      });
      t.equal(garbage.status, 400);
      const same = await put(e, 'notice', 'n-1', { data: { body: '', title: 'b' } }, 'staff1', {
        'if-match': 'W/"2"',
      });
      t.equal(same.status, 200);
      t.equal(same.json.changed, false, 'the same data is no change');
      t.equal(same.json.version, 2, 'and no new version');
      const invalid = await put(e, 'notice', 'n-1', { data: { title: '' } }, 'staff1', { 'if-match': '2' });
      t.equal(invalid.status, 400);
      t.equal(invalid.json.code, 'config-invalid');
      t.equal((await bundle(e)).version, 2);
    });

    t.test('what each role sees; kept fields; reads and deletes', async (t) => {
      const e = await cloud.newHouse();
      const badge = { digest: 'q'.repeat(43), code: 'LL-ABCDEF', issuedAt: '2025-10-01T00:00:00.000Z' };
      await put(e, 'resident', 'r-1', { data: { ...elder(), badge }, base: 0 });
      const staffView = await cloud.request({ url: path(e, '/resident/r-1'), headers: as('staff1') });
      t.equal(staffView.headers.etag, '"1"');
      const sd = (staffView.json.entity as { data: Record<string, unknown> }).data;
      t.equal(sd.name, '张秀兰');
      t.equal(sd.idNumberMasked, '1101**********002X');
      t.equal(sd.idNumber, undefined, 'the ID number masked, never whole');
      const viewerView = await cloud.request({ url: path(e, '/resident/r-1'), headers: as('viewer1') });
      const ve = viewerView.json.entity as { data: Record<string, unknown>; redacted: boolean };
      t.equal(ve.redacted, true);
      t.same(Object.keys(ve.data).sort(), ['badge', 'community', 'roles']);
      t.notOk(
        viewerView.raw.includes('张秀兰') || viewerView.raw.includes('1380000'),
        'no personal data for a viewer',
      );

      // a put without idNumber or badge keeps them; unset removes them
      await put(
        e,
        'resident',
        'r-1',
        { data: elder({ idNumber: undefined, phone: '13700000000' }) },
        'staff1',
        {
          'if-match': '1',
        },
      );
      let data = (await bundle(e)).entities[0]?.data as ResidentData;
      t.equal(data.idNumber, '11010519491231002X', 'kept');
      t.same(data.badge, badge, 'kept');
      t.equal(data.phone, '13700000000');
      await put(e, 'resident', 'r-1', { data: elder(), unset: ['badge', 'idNumber'] }, 'staff1', {
        'if-match': '2',
      });
      data = (await bundle(e)).entities[0]?.data as ResidentData;
      t.equal(data.badge, undefined, 'unset badge: revoked');
      t.equal(data.idNumber, '11010519491231002X', 'a field in data wins over unset');
      const badUnset = await put(e, 'resident', 'r-1', { data: elder(), unset: ['name'] }, 'staff1', {
        'if-match': '3',
      });
      t.equal(badUnset.status, 400);

      const missing = await cloud.request({ url: path(e, '/resident/nobody'), headers: as('viewer1') });
      t.equal(missing.status, 404);
      t.equal(missing.json.code, 'config-not-found');
      const kind = await cloud.request({ url: path(e, '/pets'), headers: as('viewer1') });
      t.equal(kind.status, 404);
      t.equal(kind.json.code, 'config-unknown-kind');
      const house = await cloud.request({
        url: '/api/v1/houses/no-such-house/config/resident',
        headers: as('viewer1'),
      });
      t.equal(house.status, 404);
      t.equal(house.json.code, 'house-not-found');

      const del = () =>
        cloud.request({
          method: 'DELETE',
          url: path(e, '/resident/r-1'),
          headers: as('staff1', { 'if-match': '3' }),
        });
      const noPre = await cloud.request({
        method: 'DELETE',
        url: path(e, '/resident/r-1'),
        headers: as('staff1'),
      });
      t.equal(noPre.status, 428);
      const gone = await del();
      t.equal(gone.status, 200);
      t.equal(gone.json.version, 4);
      const tomb = (await bundle(e)).entities[0];
      t.same([tomb?.deleted, tomb?.data, tomb?.version], [true, undefined, 4]);
      t.equal((await del()).status, 409, 'stale now');
      const again = await cloud.request({
        method: 'DELETE',
        url: path(e, '/resident/r-1?base=4'),
        headers: as('staff1'),
      });
      t.equal(again.status, 404, 'a tombstone cannot be deleted again');
      const afterDelete = await cloud.request({ url: path(e, '/resident/r-1'), headers: as('staff1') });
      t.equal(afterDelete.status, 404);
      const recreate = await put(e, 'resident', 'r-1', { data: elder() }, 'staff1', { 'if-none-match': '*' });
      t.equal(recreate.status, 201, 'created again over its tombstone');
    });

    t.test('batches: all or nothing, one version; paging', async (t) => {
      const e = await cloud.newHouse();
      const residents = Array.from({ length: 1000 }, (_, i) => ({
        kind: 'resident',
        id: `r-${String(i).padStart(4, '0')}`,
        data: elder({ name: `居民${i}`, room: String(100 + (i % 400)) }),
      }));
      const batch = (changes: object[], user: keyof typeof USERS = 'staff1') =>
        cloud.request({ method: 'POST', url: path(e, '/batch'), headers: as(user), payload: { changes } });
      const bad = await batch([
        ...residents.slice(0, 10),
        { kind: 'resident', id: 'r-bad', data: elder({ name: '' }) },
      ]);
      t.equal(bad.status, 400);
      t.match(bad.json.problems, [{ index: 10, kind: 'resident', id: 'r-bad', reason: /name/ }]);
      t.equal((await bundle(e)).version, 0, 'nothing stored');
      const dup = await batch([residents[0] as object, residents[0] as object]);
      t.match(dup.json.problems, [{ index: 1, reason: /twice/ }]);

      const started = Date.now();
      const ok = await batch(residents);
      const ms = Date.now() - started;
      t.equal(ok.status, 200, ok.raw.slice(0, 300));
      t.match(ok.json, { version: 1, changed: 1000, unchanged: 0 });
      t.comment(`${target.name}: a batch of 1000 residents in ${ms} ms`);
      const b = await bundle(e);
      t.equal(b.entities.length, 1000);
      t.ok(
        b.entities.every((x) => x.version === 1),
        'one version for all',
      );
      const again = await batch(residents);
      t.match(
        again.json,
        { version: 1, changed: 0, unchanged: 1000 },
        'the same import again changes nothing',
      );
      const stale = await batch([{ ...residents[0], data: elder({ name: '新名' }), base: 0 }]);
      t.equal(stale.status, 409);
      t.match(stale.json.stale, [{ index: 0, id: 'r-0000', version: 1 }]);
      const withUser = await batch([
        { kind: 'user', id: 'u-1', data: { role: 'viewer' }, password: 'long-enough-1' },
      ]);
      t.equal(withUser.status, 403, 'a batch with a user needs an admin');
      const mixed = await batch(
        [
          { kind: 'resident', id: 'r-0001', op: 'delete', base: 1 },
          { kind: 'notice', id: 'n-1', data: { title: 't', body: '' } },
          {
            kind: 'device',
            id: 'btn-9',
            data: { type: 'help-button', transport: 'mqtt', assignedTo: 'r-0002' },
          },
          { kind: 'resident', id: 'never-there', op: 'delete' },
        ],
        'admin',
      );
      t.match(mixed.json, { version: 2, changed: 3, unchanged: 1 });
      t.match(mixed.json.credentials, [{ kind: 'device', id: 'btn-9', password: String }]);

      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const q: string = `?limit=300${after ? `&after=${after}` : ''}`;
        const page: Answer = await cloud.request({ url: path(e, `/resident${q}`), headers: as('viewer1') });
        t.equal(page.status, 200);
        seen.push(...(page.json.entities as { id: string }[]).map((x) => x.id));
        after = page.json.next as string | null;
        pages++;
      } while (after);
      t.equal(pages, 4);
      t.equal(seen.length, 999, 'every live resident once');
      t.equal(new Set(seen).size, 999);
      const withDeleted = await cloud.request({
        url: path(e, '/resident?limit=2&deleted=1'),
        headers: as('viewer1'),
      });
      t.same(
        (withDeleted.json.entities as { id: string; deleted?: boolean }[]).map((x) => [
          x.id,
          x.deleted ?? false,
        ]),
        [
          ['r-0000', false],
          ['r-0001', true],
        ],
      );
    });

    t.test('conflicts on the admin side: listed for staff, dismissed once', async (t) => {
      const e = await cloud.newHouse();
      await put(e, 'resident', 'r-1', { data: elder(), base: 0 });
      await put(e, 'resident', 'r-1', { data: elder({ phone: '13600000000' }) }, 'staff1', {
        'if-match': '1',
      });
      const lost: ConfigEdit = {
        edit: v7(),
        kind: 'resident',
        id: 'r-1',
        base: 1,
        op: 'put',
        data: elder({ room: '101', healthNotes: '秘密' }),
        at: '2025-10-09T07:00:00.000Z',
        by: 'edge-staff',
      };
      const ans = (await edgeEdits(e, [lost])).json as unknown as ConfigEditsAnswer;
      t.equal(ans.results[0]?.outcome, 'conflict');
      cloud.clock += 60_000;
      const list = await cloud.request({ url: path(e, '/conflicts'), headers: as('staff1') });
      t.equal(list.status, 200);
      t.same(list.json.conflicts, [
        {
          edit: lost.edit,
          kind: 'resident',
          id: 'r-1',
          base: 1,
          cloudVersion: 2,
          at: lost.at,
          by: 'edge-staff',
          detectedAt: new Date(cloud.clock - 60_000).toISOString(),
          fields: ['healthNotes', 'phone', 'room'],
          dismissedAt: null,
          dismissedBy: null,
        },
      ]);
      t.notOk(list.raw.includes('秘密'), 'names of fields, never values');
      const dismiss = () =>
        cloud.request({
          method: 'POST',
          url: path(e, `/conflicts/${lost.edit}/dismiss`),
          headers: as('staff1'),
        });
      const d1 = await dismiss();
      t.equal(d1.status, 200);
      t.match(d1.json.conflict, {
        dismissedAt: new Date(cloud.clock).toISOString(),
        dismissedBy: 'cloud:staff1',
      });
      cloud.clock += 60_000;
      const d2 = await dismiss();
      t.same(d2.json.conflict, d1.json.conflict, 'the first dismissal is kept');
      t.same((await cloud.request({ url: path(e, '/conflicts'), headers: as('staff1') })).json.conflicts, []);
      const all = await cloud.request({ url: path(e, '/conflicts?all=1'), headers: as('staff1') });
      t.equal((all.json.conflicts as unknown[]).length, 1);
      const unknown = await cloud.request({
        method: 'POST',
        url: path(e, `/conflicts/${v7()}/dismiss`),
        headers: as('staff1'),
      });
      t.equal(unknown.status, 404);
      t.equal(unknown.json.code, 'conflict-not-found');
      const other = await cloud.newHouse();
      const elsewhere = await cloud.request({
        method: 'POST',
        url: `/api/v1/houses/${other.house}/config/conflicts/${lost.edit}/dismiss`,
        headers: as('staff1'),
      });
      t.equal(elsewhere.status, 404, "another house's conflict is not found here");
    });

    if (target.name === 'postgres' && url) {
      t.test("an admin's edit races an edge's edit across two instances", async (t) => {
        const db2 = await openDb({ databaseUrl: url });
        t.teardown(() => db2.close());
        const other = await TestCloud.start(db2);
        t.teardown(() => other.close());
        const e = await cloud.newHouse();
        const n = 15;
        for (let i = 0; i < n; i++)
          await put(e, 'notice', `n-${i}`, { data: { title: 'v1', body: '' }, base: 0 });
        const base = (await bundle(e)).version;
        const versions = new Map((await bundle(e)).entities.map((x) => [x.id, x.version]));
        const runs = await Promise.all(
          Array.from({ length: n }, async (_, i) => {
            const v = versions.get(`n-${i}`) as number;
            const edge: ConfigEdit = {
              edit: v7(),
              kind: 'notice',
              id: `n-${i}`,
              base: v,
              op: 'put',
              data: { title: 'edge', body: '' },
              at: '2025-10-09T07:00:00.000Z',
              by: 'edge-staff',
            };
            const [a, b] = await Promise.all([
              put(e, 'notice', `n-${i}`, { data: { title: 'cloud', body: '' } }, 'staff1', {
                'if-match': String(v),
              }),
              edgeEdits(e, [edge], i % 2 ? cloud : other),
            ]);
            return { admin: a.status, edge: (b.json as unknown as ConfigEditsAnswer).results[0]?.outcome };
          }),
        );
        for (const [i, r] of runs.entries()) {
          t.ok(
            (r.admin === 200 && r.edge === 'conflict') || (r.admin === 409 && r.edge === 'applied'),
            `n-${i}: exactly one wins (${r.admin}, ${r.edge})`,
          );
        }
        t.equal((await bundle(e)).version, base + n, 'one version per winner');
      });
    }
  });
}
