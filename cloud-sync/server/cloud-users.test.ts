/**
 * Cloud users and login (DESIGN.md "Users and roles"), one suite on both targets: the first admin,
 * login by Bearer, cookie and Basic, 401/403, sessions stored by digest and ending on logout,
 * expiry, disable and password reset, the last admin kept, and the login rate limit per address —
 * held in the database, so a second instance on the same PostgreSQL sees the first one's failures.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { openDb } from './db/open.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { ADMIN_BASIC, ADMIN_PASSWORD, basic, Clock, T0, TestCloud, targets } from './test-cloud.js';

await requirePostgres();
const databases = new TestDatabases('users');
t.teardown(() => databases.dropAll());

const ME = '/api/auth/me';
const PASSWORD = 'staff-password-0123';

for (const target of targets(databases)) {
  t.test(target.name, async (t) => {
    const { db, url } = await target.open();
    t.teardown(() => db.close());
    const logs: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      }),
    );
    const clock = new Clock();
    // Generous here; the rate-limit test below runs its own instance with a limit of 3.
    const cloud = await TestCloud.start(db, clock, { logger, loginLimit: { max: 50, windowMs: 60_000 } });
    t.teardown(() => cloud.close());

    t.test('the first admin is made once, on an empty table', async (t) => {
      const other = await TestCloud.start(db, clock, { adminPassword: 'another-password-000' });
      t.teardown(() => other.close());
      const users = await db.query<{ username: string; role: string }>(
        'SELECT username, role FROM cloud_users',
      );
      t.same(users, [{ username: 'admin', role: 'admin' }]);
      t.equal(
        (
          await other.request('POST', '/api/auth/login', {
            payload: { username: 'admin', password: 'another-password-000' },
          })
        ).status,
        401,
      );
      t.equal((await other.request('GET', ME, { headers: { authorization: ADMIN_BASIC } })).status, 200);
    });

    t.test('login: a token, a strict HttpOnly cookie, and the session by digest only', async (t) => {
      const r = await cloud.request('POST', '/api/auth/login', {
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      t.equal(r.status, 200);
      const token = r.json.token as string;
      t.match(token, /^[A-Za-z0-9_-]{40,}$/);
      t.equal(r.json.expiresAt, new Date(T0 + 12 * 3600_000).toISOString());
      t.same(r.json.user, { username: 'admin', role: 'admin' });
      const cookie = String(r.headers['set-cookie']);
      t.match(cookie, new RegExp(`^linli_session=${token};`));
      t.match(cookie, /HttpOnly/);
      t.match(cookie, /SameSite=Strict/);
      t.match(cookie, /Path=\//);
      t.notMatch(cookie, /Secure/, 'not Secure over plain HTTP');
      const stored = await db.query<{ digest: string }>('SELECT digest FROM cloud_sessions');
      t.ok(stored.some((s) => s.digest === createHash('sha256').update(token).digest('base64url')));
      t.notOk(
        stored.some((s) => s.digest === token),
        'never the token itself',
      );

      const bearer = await cloud.request('GET', ME, { headers: { authorization: `Bearer ${token}` } });
      t.same([bearer.status, bearer.json.username, bearer.json.role], [200, 'admin', 'admin']);
      const byCookie = await cloud.request('GET', ME, { headers: { cookie: `linli_session=${token}` } });
      t.equal(byCookie.status, 200);
      const byBasic = await cloud.request('GET', ME, { headers: { authorization: ADMIN_BASIC } });
      t.equal(byBasic.status, 200);
    });

    t.test(
      '401 without a user, with a bad token or bad Basic; the same answer for an unknown user',
      async (t) => {
        const none = await cloud.request('GET', ME);
        t.same([none.status, none.json.code], [401, 'auth-required']);
        t.notOk(none.headers['www-authenticate'], 'no Basic challenge for a page (no browser pop-up)');
        const bad = await cloud.request('GET', ME, { headers: { authorization: 'Bearer nope' } });
        t.same([bad.status, bad.json.code], [401, 'auth-required']);
        const badCookie = await cloud.request('GET', ME, { headers: { cookie: 'linli_session=nope' } });
        t.equal(badCookie.status, 401);
        const wrong = await cloud.request('POST', '/api/auth/login', {
          payload: { username: 'admin', password: 'wrong-password' },
          remoteAddress: '10.0.0.1',
        });
        const unknown = await cloud.request('POST', '/api/auth/login', {
          payload: { username: 'nobody', password: 'wrong-password' },
          remoteAddress: '10.0.0.1',
        });
        t.same([wrong.status, wrong.json.code], [401, 'auth-failed']);
        t.same(
          [unknown.status, unknown.json.code, unknown.json.reason],
          [401, 'auth-failed', wrong.json.reason],
        );
        const badBasic = await cloud.request('GET', ME, {
          headers: { authorization: basic('admin', 'wrong') },
          remoteAddress: '10.0.0.2',
        });
        t.same([badBasic.status, badBasic.json.code], [401, 'auth-required']);
        t.match(String(badBasic.headers['www-authenticate']), /^Basic/);
        const malformed = await cloud.request('POST', '/api/auth/login', { payload: { username: 'admin' } });
        t.equal(malformed.status, 400);
      },
    );

    t.test('roles: viewer reads the city, staff cannot register houses, admin manages users', async (t) => {
      const admin = await cloud.login();
      for (const [username, role] of [
        ['staff1', 'staff'],
        ['viewer1', 'viewer'],
      ]) {
        const r = await cloud.request('POST', '/api/users', {
          headers: { authorization: `Bearer ${admin}` },
          payload: { username, role, password: PASSWORD },
        });
        t.equal(r.status, 201, r.raw);
        t.match(r.json.user, { username, role, disabled: false });
      }
      const viewer = await cloud.login('viewer1', PASSWORD);
      const staff = await cloud.login('staff1', PASSWORD);
      t.equal((await cloud.get('/api/v1/city/houses', viewer)).status, 200);
      const users = await cloud.get('/api/users', viewer);
      t.same([users.status, users.json.code], [403, 'auth-role']);
      const house = await cloud.request('POST', '/api/v1/houses', {
        headers: { authorization: `Bearer ${staff}` },
        payload: { city: 'c', district: 'd', street: 's', community: 'k', name: 'staff-made' },
      });
      t.same([house.status, house.json.code], [403, 'auth-role']);
      const staffBasic = await cloud.request('POST', '/api/v1/houses', {
        headers: { authorization: basic('staff1', PASSWORD) },
        payload: { city: 'c', district: 'd', street: 's', community: 'k', name: 'staff-made' },
      });
      t.equal(staffBasic.status, 403, 'Basic works for any user, the role still counts');
      const list = await cloud.get('/api/users', admin);
      t.same(
        (list.json.users as { username: string; role: string }[]).map((u) => [u.username, u.role]),
        [
          ['admin', 'admin'],
          ['staff1', 'staff'],
          ['viewer1', 'viewer'],
        ],
      );
      t.notOk(list.raw.includes('scrypt'), 'no hash in the list');
    });

    t.test('user management: duplicates, bad names and passwords, role change, disable, reset', async (t) => {
      const admin = await cloud.login();
      const auth = { authorization: `Bearer ${admin}` };
      const dup = await cloud.request('POST', '/api/users', {
        headers: auth,
        payload: { username: 'staff1', role: 'viewer', password: PASSWORD },
      });
      t.same([dup.status, dup.json.code], [409, 'user-exists']);
      const badName = await cloud.request('POST', '/api/users', {
        headers: auth,
        payload: { username: 'no spaces', role: 'viewer', password: PASSWORD },
      });
      t.same([badName.status, badName.json.code], [400, 'user-invalid']);
      const short = await cloud.request('POST', '/api/users', {
        headers: auth,
        payload: { username: 'shorty', role: 'viewer', password: 'short' },
      });
      t.same([short.status, short.json.code], [400, 'user-invalid']);
      const badRole = await cloud.request('POST', '/api/users', {
        headers: auth,
        payload: { username: 'boss', role: 'root', password: PASSWORD },
      });
      t.equal(badRole.status, 400);

      const promoted = await cloud.request('PATCH', '/api/users/viewer1', {
        headers: auth,
        payload: { role: 'staff' },
      });
      t.same([promoted.status, (promoted.json.user as { role: string }).role], [200, 'staff']);
      const unknown = await cloud.request('PATCH', '/api/users/ghost', {
        headers: auth,
        payload: { role: 'staff' },
      });
      t.same([unknown.status, unknown.json.code], [404, 'user-unknown']);

      const session = await cloud.login('staff1', PASSWORD);
      const disabled = await cloud.request('PATCH', '/api/users/staff1', {
        headers: auth,
        payload: { disabled: true },
      });
      t.equal(disabled.status, 200);
      t.equal((await cloud.get(ME, session)).status, 401, 'a disabled user’s session ends');
      t.equal(
        (
          await cloud.request('POST', '/api/auth/login', {
            payload: { username: 'staff1', password: PASSWORD },
          })
        ).status,
        401,
      );
      t.equal(
        (await cloud.request('GET', ME, { headers: { authorization: basic('staff1', PASSWORD) } })).status,
        401,
      );
      await cloud.request('PATCH', '/api/users/staff1', { headers: auth, payload: { disabled: false } });
      const again = await cloud.login('staff1', PASSWORD);

      const reset = await cloud.request('POST', '/api/users/staff1/password', {
        headers: auth,
        payload: { password: 'a-new-password-456' },
      });
      t.equal(reset.status, 200);
      t.equal((await cloud.get(ME, again)).status, 401, 'a reset ends the sessions');
      t.equal(
        (
          await cloud.request('POST', '/api/auth/login', {
            payload: { username: 'staff1', password: PASSWORD },
          })
        ).status,
        401,
      );
      t.ok(await cloud.login('staff1', 'a-new-password-456'));
    });

    t.test('the last enabled admin stays an admin', async (t) => {
      const admin = await cloud.login();
      const auth = { authorization: `Bearer ${admin}` };
      const demote = await cloud.request('PATCH', '/api/users/admin', {
        headers: auth,
        payload: { role: 'viewer' },
      });
      t.same([demote.status, demote.json.code], [409, 'user-last-admin']);
      const disable = await cloud.request('PATCH', '/api/users/admin', {
        headers: auth,
        payload: { disabled: true },
      });
      t.same([disable.status, disable.json.code], [409, 'user-last-admin']);
      await cloud.request('POST', '/api/users', {
        headers: auth,
        payload: { username: 'admin2', role: 'admin', password: PASSWORD },
      });
      const ok = await cloud.request('PATCH', '/api/users/admin2', {
        headers: auth,
        payload: { role: 'staff' },
      });
      t.equal(ok.status, 200, 'another admin may go while one stays');
    });

    t.test('logout ends the session and clears the cookie; sessions expire after 12 h', async (t) => {
      const token = await cloud.login();
      const out = await cloud.request('POST', '/api/auth/logout', {
        headers: { cookie: `linli_session=${token}` },
      });
      t.equal(out.status, 200);
      t.match(String(out.headers['set-cookie']), /^linli_session=;.*Expires=Thu, 01 Jan 1970/);
      t.equal((await cloud.get(ME, token)).status, 401);
      const later = await cloud.login();
      clock.now += 12 * 3600_000 - 1000;
      t.equal((await cloud.get(ME, later)).status, 200);
      clock.now += 2000;
      t.equal((await cloud.get(ME, later)).status, 401, 'expired');
      clock.now = T0;
    });

    t.test('rate limit: failures per address, Basic included; the right password waits too', async (t) => {
      const addr = '192.0.2.7';
      const limited3 = await TestCloud.start(db, clock, { loginLimit: { max: 3, windowMs: 60_000 } });
      t.teardown(() => limited3.close());
      const attempt = (password: string, remoteAddress = addr) =>
        limited3.request('POST', '/api/auth/login', {
          payload: { username: 'admin', password },
          remoteAddress,
        });
      t.equal((await attempt('wrong-1')).status, 401);
      t.equal(
        (
          await cloud.request('GET', ME, {
            headers: { authorization: basic('admin', 'wrong-2') },
            remoteAddress: addr,
          })
        ).status,
        401,
      );
      t.equal((await attempt('wrong-3')).status, 401);
      const limited = await attempt(ADMIN_PASSWORD);
      t.same([limited.status, limited.json.code], [429, 'auth-rate-limited']);
      t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60);
      t.equal((await attempt(ADMIN_PASSWORD, '192.0.2.8')).status, 200, 'another address is not held back');
      const basicLimited = await limited3.request('GET', ME, {
        headers: { authorization: basic('admin', 'wrong-4') },
        remoteAddress: addr,
      });
      t.equal(basicLimited.status, 429);
      if (url) {
        const db2 = await openDb({ databaseUrl: url });
        t.teardown(() => db2.close());
        const second = await TestCloud.start(db2, clock, { loginLimit: { max: 3, windowMs: 60_000 } });
        t.teardown(() => second.close());
        const elsewhere = await second.request('POST', '/api/auth/login', {
          payload: { username: 'admin', password: ADMIN_PASSWORD },
          remoteAddress: addr,
        });
        t.equal(elsewhere.status, 429, 'a second instance on the same database sees the failures');
        const token = await cloud.login('admin', ADMIN_PASSWORD, '192.0.2.9');
        t.equal((await second.get(ME, token)).status, 200, 'a session of one instance works on the other');
      }
      clock.now += 61_000;
      t.equal((await attempt(ADMIN_PASSWORD)).status, 200, 'after the window');
      clock.now = T0;
    });

    t.test('Secure cookie behind a trusted HTTPS proxy', async (t) => {
      const proxied = await TestCloud.start(db, clock, { trustProxy: ['127.0.0.1'] });
      t.teardown(() => proxied.close());
      const r = await proxied.request('POST', '/api/auth/login', {
        payload: { username: 'admin', password: ADMIN_PASSWORD },
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' },
      });
      t.equal(r.status, 200);
      t.match(String(r.headers['set-cookie']), /; Secure/);
    });

    t.test('nothing secret in the logs', async (t) => {
      const text = logs.join('');
      t.ok(text.includes('login'), 'logins are logged');
      t.notOk(text.includes(ADMIN_PASSWORD), 'no admin password');
      t.notOk(text.includes(PASSWORD), 'no user password');
      t.notOk(/"token"/.test(text), 'no token');
    });
  });
}
