import { join } from 'node:path';
import t from 'tap';
import { QrScannerSimulator } from '../firmware-bridge/qr-scanner/simulator.js';
import { launchBrowser, screenshot } from './helpers/browser.js';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { ptyPair } from './helpers/pty.js';

// Real Chromium against the real daemon: the admin page follows a serial scanner going offline
// when its port disappears, and the kiosk's attract screen shows a scan — both live.
const dir = await tempDir();
const pty = await ptyPair(dir);
t.teardown(() => pty.kill());
const edge = await startEdge(
  { LINLI_SERIAL_BACKOFF_MS: '50', LINLI_SERIAL_BACKOFF_MAX_MS: '200' },
  { dataDir: join(dir, 'data') },
);
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
await api(edge.httpUrl, token, 'POST', '/api/devices', {
  id: 'qr-hall',
  type: 'qr-scanner',
  transport: 'serial',
  path: pty.a,
  baudRate: 9600,
});
const kiosk = await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
  id: 'kiosk-hall',
  type: 'kiosk',
  transport: 'http',
});
const browser = await launchBrowser();
t.teardown(() => browser.close());
const errors: string[] = [];

t.test('admin page: log in, see devices live, a device goes offline when its port disappears', async (t) => {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${edge.httpUrl}/admin/`);
  await page.getByTestId('login-form').waitFor();
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'test-admin-password');
  await page.tap('button[type=submit]');
  const badge = page.getByTestId('device-status-qr-hall');
  await badge.waitFor();
  await t.resolves(
    page.waitForSelector('[data-testid="device-status-qr-hall"][data-online="true"]', { timeout: 10_000 }),
  );
  t.match(await badge.textContent(), /在线/);
  await screenshot(page, 'admin-device-online');
  await pty.kill();
  await page.waitForSelector('[data-testid="device-status-qr-hall"][data-online="false"]', {
    timeout: 10_000,
  });
  t.match(await badge.textContent(), /离线/, 'shown in words, not colour alone');
  t.match(
    await page.getByTestId('device-row-qr-hall').textContent(),
    /ENOENT|no such|disconnected|closed/i,
    'says why',
  );
  await screenshot(page, 'admin-device-offline');
  await pty.restart();
  await page.waitForSelector('[data-testid="device-status-qr-hall"][data-online="true"]', {
    timeout: 10_000,
  });
  await page.close();
});

t.test('kiosk attract screen: pairs from its link and shows a scan', async (t) => {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${edge.httpUrl}/kiosk/#token=${kiosk.body.token}`);
  await page.getByTestId('attract').waitFor();
  await page
    .waitForSelector('[data-testid="conn-state"][data-state="open"]', { timeout: 10_000 })
    .catch(() => undefined);
  t.notMatch(page.url(), /token=/, 'the token leaves the address bar');
  await screenshot(page, 'kiosk-attract');
  const sim = new QrScannerSimulator({
    path: pty.b,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
  });
  await sim.open();
  t.teardown(() => sim.close());
  // The device list confirms the kiosk screen is connected before the scan is sent.
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const d = await api<{ online: boolean }>(edge.httpUrl, token, 'GET', '/api/devices/kiosk-hall');
    if (d.body.online) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await sim.scan('幸福里 3栋2单元 网格 0417', { aim: 'Q1' });
  const text = page.getByTestId('scan-text');
  await text.waitFor({ timeout: 10_000 });
  t.equal((await text.textContent())?.trim(), '幸福里 3栋2单元 网格 0417');
  await screenshot(page, 'kiosk-scan');
  await sim.scan('https://linli.example/p/badge/x9');
  await page
    .getByTestId('scan-text')
    .filter({ hasText: 'linli.example/p/badge/x9' })
    .waitFor({ timeout: 10_000 });
  await page.close();
});

t.test('a stranger on the LAN gets no kiosk stream', async (t) => {
  const ctx = await browser.context.browser()?.newContext();
  const page = ctx ? await ctx.newPage() : await browser.context.newPage();
  await page.context().clearCookies();
  await page.goto(`${edge.httpUrl}/kiosk/`);
  await page.getByTestId('not-paired').waitFor({ timeout: 10_000 });
  t.pass('not paired');
  await page.close();
});

t.test('no page errors', async (t) => {
  t.same(errors, []);
});
