import mqtt from 'mqtt';
import t, { type Test } from 'tap';

import { adminLogIn, launchBrowser, screenshot } from './helpers/browser.js';
import { ADMIN_PASSWORD, api } from './helpers/edge-process.js';
import { startPayHouse, TERMINAL } from './helpers/pay-house.js';
import { skipWithoutSocat } from './helpers/pty.js';

// The kiosk's account-spend flow in real Chromium against the real daemon: a resident's account
// topped up by a bank-card sale on the simulator, then spent with the resident card tapped on an
// MQTT card reader; a spend over the balance is declined with its reason.
const skip = await skipWithoutSocat();
if (skip) t.plan(0, skip);
else {
  const house = await startPayHouse({ delays: { cardMs: 0, pinMs: 0, hostMs: 0 } });
  t.teardown(() => house.stop());
  const { httpUrl } = house.edge;
  await api(httpUrl, house.admin, 'POST', '/api/residents', { id: 'r-1', name: '张桂兰', roles: ['elder'] });
  await api(httpUrl, house.admin, 'POST', '/api/cards', {
    uid: '04A1B2C3',
    residentId: 'r-1',
    kind: 'resident',
  });
  const reader = await api<{ password: string }>(httpUrl, house.admin, 'POST', '/api/devices', {
    id: 'rd-1',
    type: 'card-reader',
    transport: 'mqtt',
  });
  const topUp = await house.kioskApi<{ id: string }>('POST', '/api/payments', {
    amountFen: 5000,
    item: 'top-up',
    deviceId: TERMINAL,
    residentId: 'r-1',
  });
  if (topUp.status !== 201) throw new Error(`top-up: ${topUp.status} ${JSON.stringify(topUp.body)}`);
  await house.waitState(topUp.body.id, ['approved']);

  async function tap(uid: string) {
    const c = await mqtt.connectAsync(house.edge.mqttUrl, {
      username: 'rd-1',
      password: reader.body.password,
      protocolVersion: 4,
    });
    await c.publishAsync(
      'linli/v1/dev/rd-1/evt',
      JSON.stringify({ ts: new Date().toISOString(), type: 'card.tapped', uid }),
      {
        qos: 1,
      },
    );
    await c.endAsync();
  }

  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const page = browser.page;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${httpUrl}/kiosk/?pos=${TERMINAL}&reader=rd-1#token=${house.kioskToken}`);
  await page.getByTestId('attract').waitFor();
  await page.waitForSelector('[data-testid="conn-state"][data-state="open"]', { timeout: 15_000 });

  async function spend(t: Test, yuan: string) {
    await page.getByTestId('spend-start').tap();
    await page.getByTestId('pay-item-canteen').tap();
    for (const k of yuan) await page.getByTestId(`pay-key-${k === '.' ? 'dot' : k}`).tap();
    await page.getByTestId('pay-amount-ok').tap();
    await page.getByTestId('pay-now').tap();
    await page.getByTestId('pay-card').waitFor({ timeout: 10_000 });
    t.match(await page.getByTestId('pay-card').textContent(), /请刷居民卡/);
  }

  t.test('a spend paid by tapping the resident card', async (t) => {
    await spend(t, '12.5');
    await tap('04A1B2C3');
    await page.getByTestId('pay-approved').waitFor({ timeout: 15_000 });
    t.equal((await page.getByTestId('receipt-amount').textContent())?.trim(), '¥12.50');
    const account = await api<{ balanceFen: number }>(httpUrl, house.admin, 'GET', '/api/accounts/r-1');
    t.equal(account.body.balanceFen, 3750, 'the account paid it');
    await screenshot(page, 'kiosk-spend-approved');
    await page.getByTestId('pay-home').tap();
  });

  t.test('a spend over the balance is declined with its reason', async (t) => {
    await spend(t, '100');
    await tap('04A1B2C3');
    await page.getByTestId('pay-declined').waitFor({ timeout: 15_000 });
    t.equal((await page.getByTestId('pay-decline-reason').textContent())?.trim(), '居民卡余额不足');
    await page.getByTestId('pay-home').tap();
  });

  t.test("staff look the account up: the balance and the spend's entry", async (t) => {
    const admin = await browser.context.newPage();
    admin.on('pageerror', (e) => errors.push(e.message));
    await adminLogIn(admin, httpUrl, 'admin', ADMIN_PASSWORD, 'current-user');
    await admin.goto(`${httpUrl}/admin/#payments/accounts`);
    await admin.fill('[data-testid="acc-form"] input[name=residentId]', 'r-1');
    await admin.click('[data-testid="acc-form"] button[type=submit]');
    await admin.getByTestId('acc-view').waitFor({ timeout: 10_000 });
    t.equal((await admin.getByTestId('acc-balance').textContent())?.trim(), '¥37.50');
    t.match(await admin.getByTestId('acc-entries').textContent(), /¥50\.00/, 'the top-up');
    t.match(await admin.getByTestId('acc-entries').textContent(), /-¥12\.50/, 'the spend, as a debit');
    await screenshot(admin, 'admin-account');
    await admin.close();
  });

  t.test('no page errors', async (t) => {
    t.same(errors, []);
  });
}
