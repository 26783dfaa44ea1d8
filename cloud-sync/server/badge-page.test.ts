/**
 * The cloud's public badge page on both targets: found by the token's digest across houses from
 * synced config, whom to call for anyone, the elder for staff only, 404 for unknown, malformed,
 * revoked and deleted badges, everything escaped, a strict content-security policy.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { v7 } from 'uuid';
import {
  CONFIG_EDITS_PATH,
  type ConfigEdit,
  type ConfigEditsAnswer,
  type ContactsData,
  type ResidentData,
} from '../protocol/config.js';
import { tokenDigest } from '../protocol/password-hash.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { auth, cloudTargets, TestCloud } from './test-cloud.js';
import type { TestEdge } from './test-edge.js';

await requirePostgres();
const databases = new TestDatabases('badge');
t.teardown(() => databases.dropAll());

/** A badge as the edge issues it: an opaque token; the cloud holds only its digest. */
function issueBadge() {
  const token = randomBytes(18).toString('base64url');
  return {
    token,
    badge: {
      digest: tokenDigest(token),
      code: `LL-${randomBytes(3).toString('hex').toUpperCase()}`,
      issuedAt: '2025-10-01T00:00:00.000Z',
    },
  };
}

const ELDER: ResidentData = {
  name: '张桂兰',
  roles: ['elder'],
  building: '3',
  unit: '2',
  room: '401',
  phone: '13512340000',
  emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13800138000' }],
  healthNotes: '高血压，每日服用硝苯地平',
  idNumber: '11010519491231002X',
};
const CONTACTS: ContactsData = {
  community: { name: '幸福里社区居委会', phone: '024-88886666' },
  police: { name: '幸福里派出所', phone: '024-87654321' },
};
const PERSONAL = ['张桂兰', '13512340000', '李明', '13800138000', '高血压', '11010519491231002X', '401'];

for (const target of cloudTargets(databases)) {
  t.test(target.name, async (t) => {
    const { db } = await target.open();
    t.teardown(() => db.close());
    const cloud = await TestCloud.start(db);
    t.teardown(() => cloud.close());

    const edits = async (e: TestEdge, list: Omit<ConfigEdit, 'edit' | 'at' | 'by'>[]) => {
      const body = JSON.stringify({
        edits: list.map((x) => ({ edit: v7(), at: '2025-10-01T08:00:00.000Z', by: 'staff', ...x })),
      });
      const r = await cloud.signed(e, 'POST', CONFIG_EDITS_PATH, body);
      const a = r.json as unknown as ConfigEditsAnswer;
      if (a.results.some((x) => x.outcome !== 'applied')) throw new Error(r.raw);
      return a;
    };
    const view = (token: string, headers: Record<string, string> = {}) =>
      cloud.request({ url: `/p/badge/${token}`, headers });

    const a = await cloud.newHouse();
    const b = await cloud.newHouse();
    const ba = issueBadge();
    const bb = issueBadge();
    await edits(a, [
      { kind: 'contacts', id: 'contacts', base: 0, op: 'put', data: CONTACTS },
      { kind: 'resident', id: 'r-1', base: 0, op: 'put', data: { ...ELDER, badge: ba.badge } },
    ]);
    const bContacts = { police: { name: '<script>alert(1)</script>派出所', phone: '110' } };
    await edits(b, [
      { kind: 'contacts', id: 'contacts', base: 0, op: 'put', data: bContacts },
      {
        kind: 'resident',
        id: 'r-1',
        base: 0,
        op: 'put',
        data: { ...ELDER, name: '<img src=x onerror=alert(1)>王', badge: bb.badge },
      },
    ]);

    t.test('anyone: the code and whom to call, nothing personal', async (t) => {
      const r = await view(ba.token);
      t.equal(r.status, 200);
      t.match(r.headers['content-type'], /^text\/html; charset=utf-8/);
      t.match(r.headers['content-security-policy'], /default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
      t.equal(r.headers['cache-control'], 'no-store');
      t.equal(r.headers['referrer-policy'], 'no-referrer');
      t.match(r.raw, ba.badge.code);
      t.match(r.raw, '幸福里社区居委会');
      t.match(r.raw, 'href="tel:02488886666"');
      t.match(r.raw, '幸福里派出所');
      t.match(r.raw, 'tel:120');
      t.match(r.raw, '工作人员登录后可查看');
      for (const p of PERSONAL) t.notOk(r.raw.includes(p), `no ${p}`);
      t.notOk(r.raw.includes(ba.token), 'the token is not echoed');
      const viewer = await view(ba.token, { authorization: auth('viewer1') });
      for (const p of PERSONAL) t.notOk(viewer.raw.includes(p), `a viewer sees no ${p}`);
      const wrongPassword = await view(ba.token, {
        authorization: `Basic ${Buffer.from('staff1:nope').toString('base64')}`,
      });
      t.equal(wrongPassword.status, 200, 'bad credentials on a public page: the public view');
      t.notOk(wrongPassword.raw.includes('张桂兰'));
    });

    t.test('staff and up: the elder, whom to call for them, health notes; never the ID number', async (t) => {
      for (const user of ['staff1', 'admin'] as const) {
        const r = await view(ba.token, { authorization: auth(user) });
        t.equal(r.status, 200);
        t.match(r.raw, '<h2>张桂兰</h2>', user);
        t.match(r.raw, '3栋2单元401');
        t.match(r.raw, 'href="tel:13800138000"');
        t.match(r.raw, '李明（儿子）');
        t.match(r.raw, '高血压');
        t.notOk(r.raw.includes('11010519491231002X'), 'never the ID number');
        t.notOk(r.raw.includes('工作人员登录后可查看'));
      }
    });

    t.test("each house's badge shows that house's contacts; everything escaped", async (t) => {
      const r = await view(bb.token, { authorization: auth('staff1') });
      t.equal(r.status, 200);
      t.notOk(r.raw.includes('幸福里'), "not the other house's contacts");
      t.notOk(r.raw.includes('<script>alert'), 'escaped');
      t.match(r.raw, '&#60;script&#62;alert(1)&#60;/script&#62;派出所');
      t.notOk(r.raw.includes('<img'), 'escaped');
      t.match(r.raw, '&#60;img src=x onerror=alert(1)&#62;王');
      t.notOk(/<script/i.test(r.raw), 'no script at all');
    });

    t.test('unknown, malformed, revoked or deleted: a 404 page', async (t) => {
      for (const token of [
        issueBadge().token,
        'short',
        'x'.repeat(90),
        'a.b.c.d.e.f.g.h.i.j.k',
        '%3Cscript%3E',
      ]) {
        const r = await view(token);
        t.equal(r.status, 404, token.slice(0, 20));
        t.match(r.headers['content-type'], /^text\/html/);
        t.match(r.headers['content-security-policy'], /default-src 'none'/);
        t.match(r.raw, '此二维码已失效');
      }
      t.equal((await view('x'.repeat(200))).status, 414, "over the router's 100-character parameter");
      // revoked on the edge: the resident comes up again without its badge
      const bundle = await cloud.signed(a, 'GET', '/api/v1/sync/config?since=0');
      const r1 = (bundle.json.entities as { kind: string; version: number }[]).find(
        (x) => x.kind === 'resident',
      );
      await edits(a, [{ kind: 'resident', id: 'r-1', base: r1?.version ?? 0, op: 'put', data: ELDER }]);
      const revoked = await view(ba.token, { authorization: auth('staff1') });
      t.equal(revoked.status, 404);
      t.notOk(revoked.raw.includes('张桂兰'), 'nothing of the elder, even for staff');
      // revoked in the cloud: unset the badge through the admin API
      const bundleB = await cloud.signed(b, 'GET', '/api/v1/sync/config?since=0');
      const r2 = (bundleB.json.entities as { kind: string; version: number }[]).find(
        (x) => x.kind === 'resident',
      );
      const del = await cloud.request({
        method: 'DELETE',
        url: `/api/v1/houses/${b.house}/config/resident/r-1`,
        headers: { authorization: auth('staff1'), 'if-match': `"${r2?.version}"` },
      });
      t.equal(del.status, 200);
      t.equal((await view(bb.token)).status, 404, 'a deleted resident has no badge');
    });
  });
}
