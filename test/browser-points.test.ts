import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import t from 'tap';
import { adminLogIn, launchBrowser, screenshot } from './helpers/browser.js';
import { api, login, startEdge } from './helpers/edge-process.js';

// Party-member points end to end in real Chromium against the real daemon: an admin opens an
// activity session in /admin/, a card tapped on the reader (MQTT) shows up live in the session and
// greets the member on the kiosk with the credit, rank, balance and goods; the points shop
// (restock, a refused and a good redemption, a reversal); a quarter assessed and its flag on the
// kiosk at the next tap; the ranking CSV; what a viewer and a staff member do not get to see.
const edge = await startEdge();
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const call = <T>(method: string, path: string, body?: unknown) =>
  api<T>(edge.httpUrl, token, method, path, body);

const residents = [
  { id: 'm-1', name: '王建国', roles: ['party-member'], branch: '第一党支部', community: '幸福里' },
  { id: 'm-2', name: '李秀英', roles: ['party-member'], branch: '第一党支部', community: '幸福里' },
  { id: 'm-3', name: '赵立新', roles: ['party-member'], branch: '第二党支部', community: '和平里' },
  { id: 'r-1', name: '张桂兰', roles: ['elder'] },
];
for (const r of residents) {
  const res = await call('POST', '/api/residents', r);
  if (res.status !== 201) throw new Error(`resident ${r.id}: ${res.status} ${JSON.stringify(res.body)}`);
}
await call('POST', '/api/cards', { uid: '04AABBCC', residentId: 'm-1', kind: 'party' });
await call('POST', '/api/cards', { uid: '04DDEEFF', residentId: 'r-1', kind: 'resident' });
await call('POST', '/api/cards', { uid: '04C0FFEE', residentId: 'm-3', kind: 'party' });
await call('PATCH', '/api/cards/04C0FFEE', { state: 'lost' });
// Two goods on the shelf before the first tap, so the greeting has goods to show.
await call('POST', '/api/points/goods/soap/stock', { qty: 5 });
await call('POST', '/api/points/goods/rice/stock', { qty: 3 });
const reader = await call<{ password: string }>('POST', '/api/devices', {
  id: 'rd-1',
  type: 'card-reader',
  transport: 'mqtt',
});
const kiosk = await call<{ token: string }>('POST', '/api/devices', {
  id: 'kiosk-1',
  type: 'kiosk',
  transport: 'http',
});
for (const u of [
  { username: 'viewer1', role: 'viewer' },
  { username: 'staff1', role: 'staff' },
]) {
  await call('POST', '/api/users', { ...u, password: 'password-1234' });
}

async function tap(uid: string): Promise<void> {
  const c = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'rd-1',
    password: reader.body.password,
    protocolVersion: 4,
  });
  const evt = { ts: new Date().toISOString(), type: 'card.tapped', uid };
  await c.publishAsync('linli/v1/dev/rd-1/evt', JSON.stringify(evt), { qos: 1 });
  await c.endAsync();
}

const browser = await launchBrowser();
t.teardown(() => browser.close());
const errors: string[] = [];
const kioskPage = browser.page;
kioskPage.on('pageerror', (e) => errors.push(`kiosk: ${e.message}`));
await kioskPage.goto(`${edge.httpUrl}/kiosk/#token=${kiosk.body.token}`);
await kioskPage.getByTestId('attract').waitFor();
for (let i = 0; i < 100; i++) {
  if ((await call<{ online: boolean }>('GET', '/api/devices/kiosk-1')).body.online) break;
  await new Promise((r) => setTimeout(r, 50));
}
const adminPage = await browser.context.newPage();
await adminPage.setViewportSize({ width: 1600, height: 1000 });
adminPage.on('pageerror', (e) => errors.push(`admin: ${e.message}`));

const logIn = (page: Page, username: string, password: string) =>
  adminLogIn(page, edge.httpUrl, username, password, 'nav-points');

const greeting = (result: string) => kioskPage.locator(`[data-testid="greeting"][data-result="${result}"]`);
const text = async (page: Page, testId: string) =>
  (await page.getByTestId(testId).first().textContent())?.trim();

t.test('a session opened in the admin page; a tap shows live there and greets on the kiosk', async (t) => {
  await logIn(adminPage, 'admin', 'test-admin-password');
  await adminPage.getByTestId('nav-points').click();
  await adminPage.getByTestId('pts-sessions').waitFor();
  t.equal(await adminPage.getByTestId('pts-tab-sessions').getAttribute('aria-current'), 'page');
  await adminPage.getByTestId('no-open-sessions').waitFor();
  const form = adminPage.getByTestId('session-form');
  await form.locator('select[name=item]').selectOption('volunteer');
  await adminPage.getByTestId('reader-rd-1').check();
  await adminPage.getByTestId('session-open').click();
  const card = adminPage.locator('[data-testid^="session-"][data-item="volunteer"]');
  await card.waitFor();
  t.match(await card.textContent(), /志愿服务/);
  t.ok(
    await adminPage.getByTestId('reader-rd-1').isDisabled(),
    'a reader in an open session cannot be chosen again',
  );
  await adminPage.waitForSelector('[data-testid="pts-live"][data-state="open"]');

  await tap('04AABBCC');
  const line = card.locator('[data-testid="swipe-line"][data-result="ok"]');
  await line.waitFor({ timeout: 10_000 });
  t.match(await line.textContent(), /王建国.*\+2 分/, 'the swipe appears live with the full name');
  await card.locator('[data-testid="session-credited"] li[data-resident="m-1"]').waitFor();

  await greeting('ok').waitFor({ timeout: 10_000 });
  t.equal(await text(kioskPage, 'greeting-name'), '您好，王*国');
  t.match(await text(kioskPage, 'greeting-line'), /\+2 分/);
  t.equal(await text(kioskPage, 'greeting-month'), '2');
  const rank = kioskPage.getByTestId('greeting-rank');
  t.equal(await rank.getAttribute('data-rank'), '1');
  t.equal(await rank.getAttribute('data-of'), '2', 'ranked within the branch (two members)');
  t.equal(await text(kioskPage, 'greeting-balance'), '2', 'volunteering is practice: redeemable');
  t.equal(await kioskPage.getByTestId('greeting-goods-soap').getAttribute('data-affordable'), 'true');
  t.equal(await kioskPage.getByTestId('greeting-goods-rice').getAttribute('data-affordable'), 'false');
  t.match(await text(kioskPage, 'greeting-goods-rice'), /还差 4 分/);
  t.equal(
    await kioskPage.getByTestId('greeting-goods-towel').count(),
    0,
    'goods out of stock are not offered',
  );
  t.match(await text(kioskPage, 'greeting-recent'), /志愿服务\s*\+2/);
  t.notMatch(await kioskPage.content(), /王建国|04AABBCC/, 'no full name, no UID on the kiosk');
  await screenshot(kioskPage, 'kiosk-points-greeting');
  await screenshot(adminPage, 'admin-points-session-live');
});

t.test('refusals read differently: a resident card, a lost card', async (t) => {
  await tap('04DDEEFF');
  await greeting('refused').waitFor({ timeout: 10_000 });
  t.match(await text(kioskPage, 'greeting-line'), /请使用党员卡/);
  await screenshot(kioskPage, 'kiosk-points-refused-resident-card');
  await tap('04C0FFEE');
  await kioskPage.getByTestId('greeting-line').filter({ hasText: '已挂失' }).waitFor({ timeout: 10_000 });
  t.equal(await kioskPage.getByTestId('greeting-month').count(), 0, 'a lost card shows no points');
  const refused = adminPage.locator('[data-testid="swipe-line"][data-result="refused"]');
  await refused.nth(1).waitFor({ timeout: 10_000 });
  t.match(await refused.nth(0).textContent(), /赵立新.*挂失/);
  t.match(await refused.nth(1).textContent(), /居民卡/);
});

t.test('the points shop: restock, a refused and a good redemption, a reversal', async (t) => {
  await adminPage.getByTestId('pts-tab-shop').click();
  const row = adminPage.getByTestId('goods-toothpaste');
  await row.waitFor();
  t.equal(await row.getAttribute('data-stock'), '0');
  await row.locator('input[name=qty]').fill('10');
  await row.locator('input[name=note]').fill('街道捐赠');
  await row.getByTestId('restock').click();
  await adminPage.waitForSelector('[data-testid="goods-toothpaste"][data-stock="10"]');

  const form = adminPage.getByTestId('redeem-form');
  await form.locator('select[name=member] option[value="m-1"]').waitFor({ state: 'attached' });
  await form.locator('select[name=member]').selectOption('m-1');
  await form.locator('select[name=goods]').selectOption('rice');
  t.match(await text(adminPage, 'redeem-check'), /积分不足/, 'the shortfall is shown before asking');
  await adminPage.getByTestId('redeem-submit').click();
  const refused = adminPage.getByTestId('redeem-error');
  await refused.waitFor();
  t.equal(await refused.getAttribute('data-code'), 'POINTS_BALANCE');
  t.match(await refused.textContent(), /积分不足，未兑换：需要 6 分，王建国 只有 2 分可用/);

  await form.locator('select[name=goods]').selectOption('toothpaste');
  await adminPage.getByTestId('redeem-submit').click();
  await adminPage.getByTestId('redeem-done').waitFor();
  t.match(await text(adminPage, 'redeem-done'), /牙膏 ×1，剩余可用 0 分/);
  await adminPage.waitForSelector('[data-testid="goods-toothpaste"][data-stock="9"]');
  const done = adminPage.locator('[data-testid^="redemption-"][data-goods="toothpaste"]');
  await done.waitFor();
  await screenshot(adminPage, 'admin-points-shop');

  await done.getByTestId('reverse').click();
  await done.locator('input[name=reason]').fill('登记错了，物品已退回');
  await done.getByTestId('reverse-confirm').click();
  await adminPage.waitForSelector(
    '[data-testid^="redemption-"][data-goods="toothpaste"][data-reversed="true"]',
  );
  t.match(await done.getByTestId('reversed-note').textContent(), /登记错了，物品已退回.*admin/);
  await adminPage.waitForSelector('[data-testid="goods-toothpaste"][data-stock="10"]');
  const m1 = await call<{ balance: number }>('GET', '/api/points/members/m-1');
  t.equal(m1.body.balance, 2, 'the points are back');
});

t.test('an assessment of the last quarter; its flag on the kiosk at the next tap', async (t) => {
  await adminPage.getByTestId('pts-tab-assessments').click();
  await adminPage.getByTestId('pts-assessments').waitFor();
  const quarter = await adminPage.locator('[data-testid="assessment-new"] select[name=quarter]').inputValue();
  t.match(quarter, /^\d{4}-Q[1-4]$/);
  await adminPage.locator('[data-testid="preview-table"] [data-testid="flag-m-1"]').waitFor();
  t.equal(
    await adminPage
      .locator('[data-testid="preview-table"] [data-testid="flag-m-1"]')
      .getAttribute('data-flag'),
    'blue',
    'no points last quarter: the last flag',
  );
  await adminPage.getByTestId('assessment-record').click();
  const detail = adminPage.getByTestId('assessment-detail');
  await detail.waitFor();
  t.equal(await detail.getAttribute('data-quarter'), quarter);
  t.equal(await detail.getByTestId('count-blue').getAttribute('data-n'), '3');
  t.equal(await adminPage.locator(`[data-testid="assessment-${quarter}"]`).count(), 1, 'listed');
  await screenshot(adminPage, 'admin-points-assessment');

  await tap('04AABBCC');
  await greeting('duplicate').waitFor({ timeout: 10_000 });
  t.match(await text(kioskPage, 'greeting-line'), /已经记过分/);
  const flag = kioskPage.getByTestId('greeting-flag');
  t.equal(await flag.getAttribute('data-flag'), 'blue');
  t.match(await flag.textContent(), /蓝旗（待提升）/);
  t.match(await flag.textContent(), /季度评定/);
  await screenshot(kioskPage, 'kiosk-points-flag');
  await kioskPage.getByTestId('lang-toggle').click();
  await flag.filter({ hasText: 'Blue flag' }).waitFor();
  t.match(await text(kioskPage, 'greeting-line'), /already recorded/);
  await screenshot(kioskPage, 'kiosk-points-flag-en');
  await kioskPage.getByTestId('lang-toggle').click();
});

t.test("a member's detail: the flag history and a deduction", async (t) => {
  await adminPage.goto(`${edge.httpUrl}/admin/#points/members/m-2`);
  const detail = adminPage.getByTestId('member-detail');
  await detail.waitFor();
  t.equal(await detail.locator('[data-testid="flag-history"] li').first().getAttribute('data-flag'), 'blue');
  await detail.locator('select[name=item]').selectOption('absence');
  await detail.locator('textarea[name=reason]').fill('11月主题党日无故缺席');
  await detail.getByTestId('deduction-submit').click();
  await detail.getByTestId('deduction-done').waitFor();
  await detail.getByTestId('member-month').filter({ hasText: /^-3$/ }).waitFor();
  t.match(await detail.getByTestId('member-history').textContent(), /扣分 · 无故缺席组织生活.*-3/);
  await screenshot(adminPage, 'admin-points-member');
});

t.test('the ranking by branch, and its CSV', async (t) => {
  await adminPage.getByTestId('nav-points').click();
  await adminPage.getByTestId('pts-tab-ranking').click();
  await adminPage.getByTestId('ranking-table').waitFor();
  await adminPage.locator('[data-testid="pts-ranking"] select[name=by]').selectOption('branch');
  await adminPage.locator('[data-testid="ranking-table"] .group-row').first().waitFor();
  t.match(
    await adminPage.getByTestId('ranking-table').textContent(),
    /第一党支部.*王建国.*李秀英.*第二党支部.*赵立新/,
  );
  await screenshot(adminPage, 'admin-points-ranking');
  const [download] = await Promise.all([
    adminPage.waitForEvent('download'),
    adminPage.getByTestId('ranking-csv').click(),
  ]);
  const bytes = await readFile(await download.path());
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a BOM, so Excel reads UTF-8');
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  t.equal(lines[0], '党支部,排名,姓名,居民编号,积分');
  t.equal(lines[1], '第一党支部,1,王建国,m-1,2');
  t.match(download.suggestedFilename(), /^ranking-\d{4}-\d{2}\.csv$/);
});

t.test('closing the session: the next tap counts nothing', async (t) => {
  await adminPage.getByTestId('pts-tab-sessions').click();
  await adminPage.getByTestId('session-close').click();
  await adminPage.getByTestId('no-open-sessions').waitFor();
  await tap('04AABBCC');
  await greeting('no-session').waitFor({ timeout: 10_000 });
  t.match(await text(kioskPage, 'greeting-line'), /没有进行中的活动/);
  await adminPage
    .locator('[data-testid="stray-swipes"] [data-result="no-session"]')
    .waitFor({ timeout: 10_000 });
});

t.test('a viewer and a staff member see only what their role may do', async (t) => {
  await adminPage.getByTestId('logout').click();
  await logIn(adminPage, 'viewer1', 'password-1234');
  await adminPage.getByTestId('nav-points').click();
  await adminPage.getByTestId('pts-ranking').waitFor();
  t.equal(await adminPage.getByTestId('pts-tab-sessions').count(), 0, 'no sessions for a viewer');
  t.equal(await adminPage.getByTestId('pts-tab-members').count(), 0, 'no members for a viewer');
  t.equal(await adminPage.getByTestId('ranking-csv').count(), 0, 'no CSV for a viewer');
  await adminPage.getByTestId('pts-tab-shop').click();
  await adminPage.getByTestId('goods-table').waitFor();
  t.equal(await adminPage.getByTestId('restock').count(), 0);
  t.equal(await adminPage.getByTestId('redeem-form').count(), 0);

  await adminPage.getByTestId('logout').click();
  await logIn(adminPage, 'staff1', 'password-1234');
  await adminPage.goto(`${edge.httpUrl}/admin/#points/shop`);
  await adminPage.getByTestId('redeem-form').waitFor();
  await adminPage.locator('[data-testid^="redemption-"]').first().waitFor();
  t.equal(await adminPage.getByTestId('reverse').count(), 0, 'reversal is for admins');
  await adminPage.getByTestId('pts-tab-assessments').click();
  await adminPage.getByTestId('assessment-preview').waitFor();
  t.equal(await adminPage.getByTestId('assessment-record').count(), 0, 'recording is for admins');
  await adminPage.goto(`${edge.httpUrl}/admin/#points/members/m-1`);
  await adminPage.getByTestId('member-detail').waitFor();
  t.equal(await adminPage.getByTestId('deduction-form').count(), 0, 'deductions are for admins');
});

t.test('no page errors', async (t) => {
  t.same(errors, []);
});
