/**
 * The cloud's city page in a real Chromium (TESTBED.md "Browser") against a listening linli-cloud
 * on PGlite: log in (a wrong password first), see a house with its backlog, a device offline, an
 * open alarm (and a new one appearing on the 10 s refresh), a points ranking with its branch,
 * records per day; a house name holding markup is shown as text; the page runs under its
 * content-security-policy without a single violation. Screenshots go to test/artifacts/.
 */
import t from 'tap';
import { SYNC_STATUS_PATH } from '../cloud-sync/protocol/status.js';
import { openDb } from '../cloud-sync/server/db/open.js';
import { ADMIN_PASSWORD, Clock, rec, TestCloud } from '../cloud-sync/server/test-cloud.js';
import { launchBrowser, screenshot } from './helpers/browser.js';

// The page's globals, as far as this test reads them in the browser.
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
};
declare const window: { __xss?: number };

const db = await openDb({});
t.teardown(() => db.close());
const clock = new Clock(Date.now());
const cloud = await TestCloud.start(db, clock);
t.teardown(() => cloud.close());
const base = await cloud.app.listen({ port: 0, host: '127.0.0.1' });

const a = await cloud.register({
  district: '和平区',
  street: '南湖街道',
  community: '文安路社区',
  name: '文安路一号',
});
const b = await cloud.register({ district: '沈河区', name: '<img src=x onerror="window.__xss=1">小屋' });
const at = (agoMs: number) => ({ ts: clock.now - agoMs });
await cloud.sync(a, [
  rec(a, 'device', 1, 'device.status', { deviceId: 'btn-1', online: true }, at(7200_000)),
  rec(
    a,
    'device',
    2,
    'device.status',
    { deviceId: 'btn-2', online: false, reason: 'missed heartbeats' },
    at(3600_000),
  ),
  rec(
    a,
    'alarm',
    1,
    'alarm.raised',
    { id: 'al-1', kind: 'sos', deviceId: 'btn-1', assignedTo: 'r-7' },
    at(600_000),
  ),
  rec(a, 'points', 1, 'points.credited', { residentId: 'r-1', itemId: 'study', points: 12 }, at(1000)),
  rec(a, 'points', 2, 'points.credited', { residentId: 'r-2', itemId: 'study', points: 4 }, at(1000)),
]);
await cloud.signedPost(
  a,
  SYNC_STATUS_PATH,
  JSON.stringify({
    version: '0.1.0',
    at: new Date(clock.now).toISOString(),
    streams: { service: { lastSeq: 90, backlog: 42, oldestUnsyncedAgeMs: 30_000 } },
    backlog: 42,
    deadLetters: 0,
    clockOffsetMs: 120,
    configVersion: 3,
    diskFreeBytes: null,
  }),
);
await cloud.sync(b, [rec(b, 'service', 1, 'qr.scanned', { deviceId: 's-1' }, at(1000))]);
await db.query(
  `INSERT INTO config_entities (house, kind, id, version, data) VALUES ($1, 'resident', 'r-1', 1, $2::text::jsonb)`,
  [a.house, JSON.stringify({ roles: ['party-member'], branch: '第一支部' })],
);

const browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
t.teardown(() => browser.close());
const page = browser.page;
const problems: string[] = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => {
  if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) problems.push(`console: ${m.text()}`);
});

t.test('the page comes with its content-security-policy and asks to log in', async (t) => {
  const res = await page.goto(`${base}/`);
  t.equal(res?.status(), 200);
  t.match(res?.headers()['content-security-policy'], /default-src 'none'; script-src 'self'/);
  await page.getByTestId('login-form').waitFor();
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.getElementById('login-error')?.textContent?.includes('错误'));
  t.pass('a wrong password is told');
});

t.test('log in: houses with their backlog; markup in a name stays text', async (t) => {
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  const row = page.locator(`[data-testid=house-row][data-house="${a.house}"]`);
  await row.waitFor({ timeout: 10_000 });
  t.match(await row.getByTestId('backlog').textContent(), /42/);
  t.match(await row.textContent(), /文安路一号/);
  t.match(await page.getByTestId('who').textContent(), /admin/);
  const evil = page.locator(`[data-testid=house-row][data-house="${b.house}"]`);
  t.match(await evil.textContent(), /<img src=x onerror=/);
  t.equal(await page.locator('#view img').count(), 0, 'no element made from the name');
  t.equal(await page.evaluate(() => window.__xss), undefined);
  await screenshot(page, 'city-houses');
});

t.test('devices: the offline one and why', async (t) => {
  await page.click('button[data-view=devices]');
  const off = page.getByTestId('offline-device').first();
  await off.waitFor();
  t.match(await off.textContent(), /btn-2.*missed heartbeats/);
});

t.test('alarms: the open one, and a new one on the next refresh', async (t) => {
  await page.click('button[data-view=alarms]');
  const first = page.locator('[data-testid=alarm-row][data-alarm="al-1"]');
  await first.waitFor();
  t.match(await first.textContent(), /紧急求助.*已触发/);
  t.match(await first.textContent(), /文安路一号/);
  clock.now = Date.now();
  await cloud.sync(a, [
    rec(
      a,
      'alarm',
      2,
      'alarm.raised',
      { id: 'al-2', kind: 'service', deviceId: 'btn-1', assignedTo: '大厅' },
      at(1000),
    ),
  ]);
  await page.locator('[data-testid=alarm-row][data-alarm="al-2"]').waitFor({ timeout: 15_000 });
  t.pass('shown within a refresh');
  await screenshot(page, 'city-alarms');
});

t.test('rankings: this month, with the branch', async (t) => {
  await page.click('button[data-view=rankings]');
  const top = page.getByTestId('ranking-row').first();
  await top.waitFor();
  t.match(await top.textContent(), /^1r-1第一支部文安路一号.*12$/);
  t.equal(await page.getByTestId('ranking-row').count(), 2);
  await page.fill('input[name=branch]', '第一支部');
  await page.locator('input[name=branch]').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=ranking-row]').length === 1);
  t.pass('filtered by branch');
  await screenshot(page, 'city-rankings');
});

t.test('records per day, then log out', async (t) => {
  await page.click('button[data-view=daily]');
  await page.getByTestId('day-row').first().waitFor();
  t.equal(await page.getByTestId('day-row').count(), 14);
  await screenshot(page, 'city-daily');
  await page.click('#logout');
  await page.getByTestId('login-form').waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
  t.equal(me, 401, 'the session is over');
});

t.test('no page errors and no content-security-policy violations', async (t) => {
  t.same(problems, []);
});
