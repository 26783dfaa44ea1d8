import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { RECORD_TYPES } from '../cloud-sync/protocol/record-types.js';
import { buildCloudApp } from '../cloud-sync/server/app.js';
import { openDb } from '../cloud-sync/server/db/open.js';
import type { SyncView } from '../edge/api/types.js';
import { launchBrowser, screenshot } from './helpers/browser.js';
import { api, login, startEdge } from './helpers/edge-process.js';
import { EdgeLoad } from './helpers/record-load.js';

// Real Chromium, a real edge process and a real cloud app that is older than the edge: it does not
// know QR scan records yet. The scans become dead letters — the page says why and the other
// streams sync on — then the cloud is upgraded and staff send them again from the page.
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const KEY = randomBytes(32);
const db = await openDb({});
t.teardown(() => db.close());
const oldTypes = { ...RECORD_TYPES, service: [] };

async function cloudApp(port: number, recordTypes?: typeof oldTypes): Promise<FastifyInstance> {
  const app = await buildCloudApp({
    db,
    cloudKey: KEY,
    adminPassword: ADMIN,
    ...(recordTypes ? { recordTypes } : {}),
  });
  await app.listen({ host: '127.0.0.1', port });
  return app;
}

let cloud = await cloudApp(0, oldTypes);
t.teardown(() => cloud.close());
const port = (cloud.server.address() as AddressInfo).port;
const reg = await fetch(`http://127.0.0.1:${port}/api/v1/houses`, {
  method: 'POST',
  headers: {
    authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`,
    'content-type': 'application/json',
  },
  body: JSON.stringify({
    city: '沈阳市',
    district: '和平区',
    street: '太原街道',
    community: '幸福里社区',
    name: '一号屋',
  }),
});
const house = (await reg.json()) as { id: string; secret: string };

const edge = await startEdge({
  LINLI_HOUSE_ID: house.id,
  LINLI_CLOUD_URL: `http://127.0.0.1:${port}`,
  LINLI_HOUSE_SECRET: house.secret,
  LINLI_SYNC_IDLE_MS: '100',
});
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const browser = await launchBrowser({ viewport: { width: 1600, height: 1100 } });
t.teardown(() => browser.close());

const view = async () => (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('refused records are shown with their reason and sent again after the cloud is fixed', async (t) => {
  const load = new EdgeLoad(() => edge, token);
  t.teardown(() => load.close());
  await load.setup();
  await load.scans(5);
  await load.residents(2);
  const refused = await until(async () => {
    const v = await view();
    return v.deadLetters.length === 5 && v.backlog === 0 ? v : undefined;
  }, 'five dead letters and the rest synced');
  t.same(
    refused.deadLetters.map((d) => [d.stream, d.reason]),
    Array(5).fill(['service', 'unknown-type']),
  );
  const registry = refused.streams.registry;
  t.ok((registry?.lastSeq ?? 0) >= 2 && registry?.cursor === registry?.lastSeq, 'the other streams went on');

  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${edge.httpUrl}/admin/#sync`);
  await page.getByTestId('login-form').waitFor();
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'test-admin-password');
  await page.click('button[type=submit]');
  await page
    .getByTestId('records-page')
    .waitFor({ timeout: 10_000 })
    .catch(async (e) => {
      await screenshot(page, 'admin-sync-debug');
      throw new Error(`${(e as Error).message} ${errors.join(' | ')}`);
    });
  t.equal(await page.getByTestId('records-clock').getAttribute('data-state'), 'synced');
  t.equal(await page.getByTestId('records-backlog').getAttribute('data-backlog'), '0');
  t.equal(await page.getByTestId('records-dead-row').count(), 5);
  t.match(await page.getByTestId('records-dead').textContent(), /云端不认识这种记录/);
  t.match(await page.getByTestId('records-stream-service').textContent(), /扫码服务/);
  await screenshot(page, 'admin-sync-dead-letters');

  // Retried as is: still refused, seen again.
  await page.getByTestId('records-retry-all').click();
  await page.getByTestId('records-note').waitFor();
  t.match(await page.getByTestId('records-note').textContent(), /已接受 0 条，仍有 5 条被拒收/);

  // The cloud is upgraded (the same database, a build that knows the type): send them again.
  await cloud.close();
  cloud = await cloudApp(port);
  await page.getByTestId('records-retry-all').click();
  await page.getByTestId('records-dead-row').first().waitFor({ state: 'detached', timeout: 10_000 });
  t.match(await page.getByTestId('records-note').textContent(), /已接受 5 条，仍有 0 条被拒收/);
  t.match(await page.getByTestId('records-dead').textContent(), /没有被拒收的记录/);
  const stored = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM records WHERE house = $1 AND stream = 'service'`,
    [house.id],
  );
  t.equal(stored[0]?.n, 5, 'the cloud now holds the five scans, in place of their rejections');
  await screenshot(page, 'admin-sync-clean');
  t.same(errors, []);
});
