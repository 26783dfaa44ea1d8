import mqtt from 'mqtt';
import t from 'tap';
import { launchBrowser, screenshot } from './helpers/browser.js';
import { api, login, startEdge } from './helpers/edge-process.js';

// The kiosk in real Chromium: a party card tapped during an activity greets the member with the
// credit and the month's points; an elder's QR badge shows the numbers to call.
const edge = await startEdge();
t.teardown(() => edge.stop());
const admin = await login(edge.httpUrl);
await api(edge.httpUrl, admin, 'POST', '/api/residents', {
  id: 'm-1',
  name: '王建国',
  roles: ['party-member'],
});
await api(edge.httpUrl, admin, 'POST', '/api/residents', { id: 'r-1', name: '张桂兰', roles: ['elder'] });
await api(edge.httpUrl, admin, 'POST', '/api/cards', { uid: '04AABBCC', residentId: 'm-1', kind: 'party' });
await api(edge.httpUrl, admin, 'PUT', '/api/settings/contacts', {
  community: { name: '幸福里居委会', phone: '024-88886666' },
  police: { name: '幸福里派出所', phone: '024-87654321' },
});
const badge = await api<{ url: string }>(edge.httpUrl, admin, 'POST', '/api/residents/r-1/badge');
const reader = await api<{ password: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
  id: 'rd-1',
  type: 'card-reader',
  transport: 'mqtt',
});
const scanner = await api<{ password: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
  id: 'qr-1',
  type: 'qr-scanner',
  transport: 'mqtt',
});
const kiosk = await api<{ token: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
  id: 'kiosk-1',
  type: 'kiosk',
  transport: 'http',
});
await api(edge.httpUrl, admin, 'POST', '/api/points/sessions', { itemId: 'theme-day', readers: ['rd-1'] });
const browser = await launchBrowser();
t.teardown(() => browser.close());
const page = browser.page;
const errors: string[] = [];
page.on('pageerror', (e) => errors.push(e.message));
await page.goto(`${edge.httpUrl}/kiosk/#token=${kiosk.body.token}`);
await page.getByTestId('attract').waitFor();
for (let i = 0; i < 100; i++) {
  if ((await api<{ online: boolean }>(edge.httpUrl, admin, 'GET', '/api/devices/kiosk-1')).body.online) break;
  await new Promise((r) => setTimeout(r, 50));
}

async function publish(id: string, password: string, evt: object) {
  const c = await mqtt.connectAsync(edge.mqttUrl, { username: id, password, protocolVersion: 4 });
  await c.publishAsync(`linli/v1/dev/${id}/evt`, JSON.stringify({ ts: new Date().toISOString(), ...evt }), {
    qos: 1,
  });
  await c.endAsync();
}

t.test('a party card tapped during an activity: greeted, credited, the month shown', async (t) => {
  await publish('rd-1', reader.body.password, { type: 'card.tapped', uid: '04AABBCC' });
  await page.getByTestId('greeting').waitFor({ timeout: 10_000 });
  t.equal((await page.getByTestId('greeting-name').textContent())?.trim(), '您好，王*国');
  t.match(await page.getByTestId('greeting-line').textContent(), /\+2 分/);
  t.equal((await page.getByTestId('greeting-month').textContent())?.trim(), '2');
  t.notMatch(await page.content(), /王建国|04AABBCC/, 'no full name, no UID on the screen');
  await screenshot(page, 'kiosk-greeting');
  await publish('rd-1', reader.body.password, { type: 'card.tapped', uid: '04AABBCC' });
  await page.waitForSelector('[data-testid="greeting"][data-result="duplicate"]', { timeout: 10_000 });
  t.pass('a second tap: already recorded');
});

t.test("an elder's badge scanned at the kiosk shows the numbers to call", async (t) => {
  await publish('qr-1', scanner.body.password, { type: 'qr.scanned', text: badge.body.url });
  const numbers = page.getByTestId('badge-numbers');
  await numbers.waitFor({ timeout: 10_000 });
  t.match(await numbers.textContent(), /024-88886666/);
  t.match(await numbers.textContent(), /024-87654321/);
  t.notMatch(await page.content(), /张桂兰/, 'not who the elder is');
  await screenshot(page, 'kiosk-badge-scan');
});

t.test('no page errors', async (t) => {
  t.same(errors, []);
});
