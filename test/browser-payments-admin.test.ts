import t from 'tap';
import { adminLogIn, launchBrowser, screenshot } from './helpers/browser.js';
import { ADMIN_PASSWORD, api } from './helpers/edge-process.js';
import { startPayHouse, TERMINAL } from './helpers/pay-house.js';
import { skipWithoutSocat } from './helpers/pty.js';

// The admin's payments tab in real Chromium against the real daemon and the bank terminal
// simulator on a socat pty: void an approved sale (asked first), settle the terminal and read a
// matched report, and a payment whose result stays unknown shown on top as needing attention.
const skip = await skipWithoutSocat();
if (skip) t.plan(0, skip);
else {
  const house = await startPayHouse({ delays: { cardMs: 0, pinMs: 0, hostMs: 0 } });
  t.teardown(() => house.stop());

  /** A sale paid from the kiosk's side of the API, waited until final. */
  async function sale(amountFen: number) {
    const made = await house.kioskApi<{ id: string; ref: string }>('POST', '/api/payments', {
      amountFen,
      item: 'utility-bill',
      deviceId: TERMINAL,
    });
    if (made.status !== 201) throw new Error(`pay: ${made.status} ${JSON.stringify(made.body)}`);
    await house.waitState(made.body.id, ['approved', 'declined']);
    return made.body;
  }
  const kept = await sale(2000);
  const voided = await sale(1550);
  const other = await sale(999);

  const browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
  t.teardown(() => browser.close());
  const page = browser.page;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await adminLogIn(page, house.edge.httpUrl, 'admin', ADMIN_PASSWORD, 'current-user');

  t.test('the list shows each sale as ¥x.yy; void one, asked first', async (t) => {
    await page.getByTestId('nav-payments').click();
    await page.getByTestId('pay-table').waitFor({ timeout: 10_000 });
    t.match(await page.getByTestId(`payment-${kept.ref}`).textContent(), /¥20\.00/);
    t.match(await page.getByTestId(`payment-${other.ref}`).textContent(), /¥9\.99/);
    await page.getByTestId(`payment-${voided.ref}`).click();
    await page.waitForSelector('[data-testid="pay-detail"][data-state="approved"]');
    t.match(await page.getByTestId('pay-detail-amount').textContent(), /¥15\.50/);
    await page.getByTestId('pay-void').click();
    await page.getByTestId('pay-void-dialog').waitFor();
    t.match(await page.getByTestId('pay-void-dialog').textContent(), /¥15\.50/);
    await page.getByTestId('pay-void-confirm').click();
    await page.waitForSelector('[data-testid="pay-detail"][data-state="voided"]', { timeout: 15_000 });
    t.equal((await house.waitState(voided.id, ['voided'])).state, 'voided', 'voided on the edge');
    await page.waitForSelector(`[data-testid="payment-${voided.ref}"][data-state="voided"]`, {
      timeout: 10_000,
    });
    await screenshot(page, 'admin-payment-voided');
  });

  t.test('settle now: a matched report, edge and terminal side by side, with its CSV', async (t) => {
    await page.getByTestId('pay-tab-recon').click();
    await page.getByTestId(`rec-settle-${TERMINAL}`).click();
    await page.getByTestId('rec-settle-dialog').waitFor();
    await page.getByTestId('rec-settle-confirm').click();
    await page.getByTestId('rec-report').waitFor({ timeout: 20_000 });
    t.equal(await page.getByTestId('rec-report').getAttribute('data-matched'), 'true');
    t.equal((await page.getByTestId('rec-edge-count').textContent())?.trim(), '2', 'approved minus voided');
    t.equal((await page.getByTestId('rec-terminal-count').textContent())?.trim(), '2');
    t.equal((await page.getByTestId('rec-edge-total').textContent())?.trim(), '¥29.99');
    t.equal((await page.getByTestId('rec-terminal-total').textContent())?.trim(), '¥29.99');
    t.equal(await page.getByTestId('rec-mismatches').count(), 0, 'no mismatches');
    const href = await page.getByTestId('rec-csv').getAttribute('href');
    const csv = await page.evaluate(async (u) => {
      const r = await fetch(u ?? '');
      return { status: r.status, type: r.headers.get('content-type') ?? '' };
    }, href);
    t.equal(csv.status, 200, 'the CSV downloads');
    await screenshot(page, 'admin-reconciliation-report');
    await page.getByTestId('rec-back').click();
    await page.getByTestId('rec-table').waitFor();
    t.equal(await page.locator('[data-testid="rec-table"] tr[data-matched="true"]').count(), 1);
  });

  t.test('a sale whose result never comes is on top as needing attention', async (t) => {
    house.sim.faults.noResult = { count: 1, rate: 0 };
    const made = await house.kioskApi<{ id: string; ref: string }>('POST', '/api/payments', {
      amountFen: 4200,
      item: 'utility-bill',
      deviceId: TERMINAL,
    });
    t.equal(made.status, 201);
    await house.waitState(made.body.id, ['unknown']);
    await page.getByTestId('pay-tab-list').click();
    const attention = page.getByTestId('pay-attention');
    await attention.waitFor({ timeout: 10_000 });
    t.match(await attention.textContent(), new RegExp(made.body.ref));
    t.match(await attention.textContent(), /¥42\.00/);
    await page.getByTestId(`payment-${made.body.ref}`).first().click();
    await page.waitForSelector('[data-testid="pay-detail"][data-state="unknown"]');
    t.ok(await page.getByTestId('pay-query').isVisible(), 'query-now is offered');
    t.equal(await page.getByTestId('pay-void').count(), 0, 'no void while unknown');
    await page.getByTestId('pay-query').click();
    await page.getByTestId('pay-detail-note').waitFor({ timeout: 15_000 });
    t.match(await page.getByTestId('pay-detail-note').textContent(), /已向终端查询/);
    t.equal(
      await page.getByTestId('pay-detail').getAttribute('data-state'),
      'unknown',
      'the terminal says: in progress',
    );
    await screenshot(page, 'admin-payment-unknown');
  });

  t.test('settling with a sale still unknown: a mismatch that names it', async (t) => {
    const hung = (
      await api<{ ref: string; state: string }[]>(
        house.edge.httpUrl,
        house.admin,
        'GET',
        '/api/payments?state=unknown',
      )
    ).body[0];
    t.ok(hung, 'the hung sale is still unknown');
    await page.getByTestId('pay-tab-recon').click();
    await page.getByTestId(`rec-settle-${TERMINAL}`).click();
    await page.getByTestId('rec-settle-confirm').click();
    await page.waitForSelector('[data-testid="rec-report"][data-matched="false"]', { timeout: 30_000 });
    const mismatches = page.getByTestId('rec-mismatches');
    t.match(await mismatches.textContent(), /结算时结果仍未知/);
    t.match(await mismatches.textContent(), new RegExp(hung?.ref ?? 'no-ref'));
    await screenshot(page, 'admin-reconciliation-mismatch');
  });

  t.test('no page errors', async (t) => {
    t.same(errors, []);
  });
}
