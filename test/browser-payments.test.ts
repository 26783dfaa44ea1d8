import t from 'tap';
import { launchBrowser, screenshot } from './helpers/browser.js';
import { api } from './helpers/edge-process.js';
import { startPayHouse, TERMINAL } from './helpers/pay-house.js';
import { skipWithoutSocat } from './helpers/pty.js';

// The kiosk's pay flow in real Chromium against the real daemon and the bank terminal simulator on
// a socat pty: approved with the receipt's QR, declined with its reason, and a lost result that the
// edge's query turns into approved — shown live, with no way to pay again meanwhile.
const skip = await skipWithoutSocat();
if (skip) t.plan(0, skip);
else {
  // The first query of an unknown sale waits a few seconds here, so "confirming" is on screen long
  // enough to be seen before the answer turns it into approved (with the default scaled backoff
  // the lost result is found within a fraction of a second).
  const house = await startPayHouse({
    env: { LINLI_PAYMENT_QUERY_BACKOFF_MS: '4000', LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS: '8000' },
  });
  t.teardown(() => house.stop());
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const page = browser.page;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${house.edge.httpUrl}/kiosk/?pos=${TERMINAL}#token=${house.kioskToken}`);
  await page.getByTestId('attract').waitFor();
  await page.waitForSelector('[data-testid="conn-state"][data-state="open"]', { timeout: 15_000 });

  type Row = { id: string; ref: string; state: string; amountFen: number };
  const payments = async () =>
    (await api<Row[]>(house.edge.httpUrl, house.admin, 'GET', '/api/payments')).body;

  /** From the attract screen to the confirm step of utility-bill for `yuan` typed on the keypad. */
  async function enter(yuan: string, shots = false) {
    await page.getByTestId('pay-start').tap();
    await page.getByTestId('pay-items').waitFor();
    await page.getByTestId('pay-item-utility-bill').tap();
    await page.getByTestId('pay-amount').waitFor();
    for (const k of yuan) await page.getByTestId(`pay-key-${k === '.' ? 'dot' : k}`).tap();
    if (shots) await screenshot(page, 'kiosk-pay-amount');
    await page.getByTestId('pay-amount-ok').tap();
    await page.getByTestId('pay-confirm').waitFor();
    if (shots) await screenshot(page, 'kiosk-pay-confirm');
  }

  t.test(
    'approved: the terminal prompt live, then the receipt with its QR; a double tap pays once',
    async (t) => {
      const before = (await payments()).length;
      await screenshot(page, 'kiosk-attract-pay');
      await enter('12.34', true);
      t.equal((await page.getByTestId('pay-confirm-amount').textContent())?.trim(), '¥12.34');
      await page.getByTestId('pay-now').dblclick();
      await page.getByTestId('pay-card').waitFor({ timeout: 10_000 });
      t.match(await page.getByTestId('pay-card').textContent(), /请在银行终端上刷卡或插卡/);
      await page.getByTestId('pay-prompt').waitFor({ timeout: 10_000 });
      t.match(await page.getByTestId('pay-prompt').textContent(), /请刷卡或插卡|请输入密码|交易处理中/);
      await page.getByTestId('pay-approved').waitFor({ timeout: 20_000 });
      t.equal((await page.getByTestId('receipt-amount').textContent())?.trim(), '¥12.34');
      t.match(await page.getByTestId('receipt-card').textContent(), /^622202\*+0123$/);
      t.notMatch(await page.content(), /6222021234567890123/, 'never the whole card number');
      const qr = page.getByTestId('receipt-qr');
      await page.waitForFunction(
        `document.querySelector('[data-testid="receipt-qr"]')?.naturalWidth > 0`,
        undefined,
        {
          timeout: 10_000,
        },
      );
      t.ok(await qr.isVisible(), 'the receipt QR is shown');
      await screenshot(page, 'kiosk-pay-approved');
      const after = await payments();
      t.equal(after.length, before + 1, 'a double tap made one payment');
      t.equal(after[0]?.amountFen, 1234, 'paid in integer fen');
      await page.getByTestId('pay-home').tap();
      await page.getByTestId('attract').waitFor();
    },
  );

  t.test('an answer lost on the way is sent again with the same Idempotency-Key: one payment', async (t) => {
    const keys: string[] = [];
    await page.route('**/api/payments', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length > 1) return route.continue();
      await route.fetch(); // the edge takes the payment; its answer never reaches the screen
      return route.abort('connectionreset');
    });
    t.teardown(() => page.unroute('**/api/payments'));
    const before = (await payments()).length;
    await enter('3.21');
    await page.getByTestId('pay-now').tap();
    await page.getByTestId('pay-approved').waitFor({ timeout: 30_000 });
    t.equal(keys.length, 2, 'sent twice');
    t.equal(keys[1], keys[0], 'with the same key');
    t.match(keys[0] ?? '', /^[A-Za-z0-9-]{8,64}$/);
    const after = await payments();
    t.equal(after.length, before + 1, 'one payment');
    t.equal(after[0]?.amountFen, 321);
    await page.getByTestId('pay-home').tap();
    await page.getByTestId('attract').waitFor();
  });

  t.test('declined: the reason in plain words, and a retry', async (t) => {
    house.sim.faults.decline = { count: 1, rate: 0 };
    house.sim.faults.declineCode = '51';
    await enter('5');
    await page.getByTestId('pay-now').tap();
    await page.getByTestId('pay-declined').waitFor({ timeout: 20_000 });
    t.equal((await page.getByTestId('pay-decline-reason').textContent())?.trim(), '卡内余额不足');
    await screenshot(page, 'kiosk-pay-declined');
    await page.getByTestId('pay-retry').tap();
    await page.getByTestId('pay-confirm').waitFor();
    t.equal(await page.getByTestId('pay-now').isEnabled(), true, 'a new attempt may start');
    await page.getByTestId('pay-home').tap();
    await page.getByTestId('attract').waitFor();
  });

  t.test('a lost result: confirming, never pay again, then approved through the query', async (t) => {
    house.sim.faults.loseResult = { count: 1, rate: 0 };
    const before = (await payments()).length;
    await enter('8.80');
    await page.getByTestId('pay-now').tap();
    await page.getByTestId('pay-unknown').waitFor({ timeout: 30_000 });
    t.match(await page.getByTestId('pay-unknown').textContent(), /正在与银行确认结果/);
    t.equal(await page.getByTestId('pay-now').count(), 0, 'no pay button while unknown');
    t.equal(await page.getByTestId('pay-retry').count(), 0, 'no retry while unknown');
    await screenshot(page, 'kiosk-pay-unknown');
    await page.getByTestId('pay-approved').waitFor({ timeout: 30_000 });
    t.equal((await page.getByTestId('receipt-amount').textContent())?.trim(), '¥8.80');
    const after = await payments();
    t.equal(after.length, before + 1, 'one payment');
    t.equal(after[0]?.state, 'approved');
    await page.getByTestId('pay-home').tap();
  });

  t.test('with the event stream down the payment is read from the API until final', async (t) => {
    await page.route('**/api/kiosk/events', (route) => route.abort('connectionrefused'));
    t.teardown(() => page.unroute('**/api/kiosk/events'));
    await page.reload();
    await page.getByTestId('attract').waitFor();
    t.not(await page.getByTestId('conn-state').getAttribute('data-state'), 'open', 'no stream');
    await enter('6.66');
    await page.getByTestId('pay-now').tap();
    await page.getByTestId('pay-approved').waitFor({ timeout: 30_000 });
    t.equal((await page.getByTestId('receipt-amount').textContent())?.trim(), '¥6.66');
    await page.unroute('**/api/kiosk/events');
    await page.waitForSelector('[data-testid="conn-state"][data-state="open"]', { timeout: 15_000 });
    await page.getByTestId('pay-home').tap();
  });

  t.test('a screen with two terminals asks which; a refusal is shown and nothing is paid', async (t) => {
    await page.goto(`${house.edge.httpUrl}/kiosk/?pos=${TERMINAL},pos-9`);
    await page.getByTestId('attract').waitFor();
    const before = (await payments()).length;
    await enter('1');
    t.ok(await page.getByTestId(`pay-on-${TERMINAL}`).isVisible());
    t.ok(await page.getByTestId('pay-on-pos-9').isVisible());
    await page.getByTestId('pay-on-pos-9').tap(); // registered nowhere: 404
    await page.getByTestId('pay-refused').waitFor({ timeout: 10_000 });
    t.equal((await payments()).length, before, 'nothing paid');
    await page.getByTestId('pay-back').tap();
    await page.getByTestId('pay-confirm').waitFor();
    t.ok(await page.getByTestId(`pay-on-${TERMINAL}`).isEnabled(), 'a new attempt may start');
    await page.getByTestId('pay-home').tap();
  });

  t.test('no page errors', async (t) => {
    t.same(errors, []);
  });
}
