/**
 * The cloud's public badge page on a phone: a real Chromium at a phone's size opens the URL a
 * badge's QR code holds, served by linli-cloud from config an edge synced up. The page's one
 * style is allowed by the content-security policy (no violation, large type applied), it fits the
 * screen, and a staff member's browser also shows the elder.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { v7 } from 'uuid';
import {
  CONFIG_EDITS_PATH,
  type ConfigEditsAnswer,
  type ResidentData,
} from '../cloud-sync/protocol/config.js';
import { tokenDigest } from '../cloud-sync/protocol/password-hash.js';
import { openDb } from '../cloud-sync/server/db/open.js';
import { auth, TestCloud } from '../cloud-sync/server/test-cloud.js';
import { launchBrowser, screenshot } from './helpers/browser.js';

const db = await openDb({});
t.teardown(() => db.close());
const cloud = await TestCloud.start(db);
t.teardown(() => cloud.close());
cloud.clock = Date.now(); // signed requests below use the real clock of the listening server
const base = await cloud.app.listen({ port: 0, host: '127.0.0.1' });

const house = await cloud.newHouse();
const token = randomBytes(18).toString('base64url');
const elder: ResidentData = {
  name: '张桂兰',
  roles: ['elder'],
  address: '幸福里3栋2单元401',
  emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13800138000' }],
  healthNotes: '高血压，每日服用硝苯地平',
  badge: { digest: tokenDigest(token), code: 'LL-7KQ2XM', issuedAt: new Date().toISOString() },
};
const sent = await cloud.signed(
  house,
  'POST',
  CONFIG_EDITS_PATH,
  JSON.stringify({
    edits: [
      {
        edit: v7(),
        kind: 'contacts',
        id: 'contacts',
        base: 0,
        op: 'put',
        data: {
          community: { name: '幸福里社区居委会', phone: '024-88886666' },
          police: { name: '幸福里派出所', phone: '024-87654321' },
        },
        at: new Date().toISOString(),
        by: 'admin',
      },
      {
        edit: v7(),
        kind: 'resident',
        id: 'r-0001',
        base: 0,
        op: 'put',
        data: elder,
        at: new Date().toISOString(),
        by: 'admin',
      },
    ],
  }),
);
// (no assertion before the first subtest: tap would end the file during the browser's start)
if ((sent.json as unknown as ConfigEditsAnswer).results?.some((r) => r.outcome !== 'applied')) {
  throw new Error(`the edge's edits were not applied: ${sent.raw}`);
}

const browser = await launchBrowser({ viewport: { width: 390, height: 844 } });
t.teardown(() => browser.close());
const { page, context } = browser;
const cspViolations: string[] = [];
page.on('console', (m) => {
  if (/content security policy/i.test(m.text())) cspViolations.push(m.text());
});

t.test('a passer-by scans the badge: whom to call, in large type, nothing personal', async (t) => {
  const res = await page.goto(`${base}/p/badge/${token}`);
  t.equal(res?.status(), 200);
  await page.getByRole('heading', { name: '爱心二维码 · 邻里' }).waitFor();
  const text = await page.locator('main').innerText();
  t.match(text, 'LL-7KQ2XM');
  t.match(text, '幸福里社区居委会');
  t.match(text, '024-87654321');
  t.notMatch(text, /张桂兰|李明|高血压/);
  const call = page.locator('a.tel', { hasText: '024-88886666' });
  t.equal(await call.getAttribute('href'), 'tel:02488886666');
  // strings, not functions: evaluated in the page, which has the DOM this file's types lack
  const style = (await page.evaluate(
    `(() => { const s = getComputedStyle(document.querySelector('a.tel[href="tel:02488886666"]'));
      return { fontSize: parseFloat(s.fontSize), display: s.display }; })()`,
  )) as { fontSize: number; display: string };
  t.ok(style.fontSize >= 24, `the numbers are large (${style.fontSize}px): the style passed the policy`);
  t.equal(style.display, 'block');
  const box = await call.boundingBox();
  t.ok((box?.height ?? 0) >= 40, 'a number is a large tap target');
  const fits = await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
  t.ok(fits, 'no sideways scrolling on a phone');
  await screenshot(page, 'cloud-badge-public');
});

t.test('a staff member sees the elder too', async (t) => {
  await context.setExtraHTTPHeaders({ authorization: auth('staff1') });
  await page.goto(`${base}/p/badge/${token}`);
  await page.getByRole('heading', { name: '张桂兰' }).waitFor();
  const text = await page.locator('main').innerText();
  t.match(text, '李明（儿子）');
  t.match(text, '高血压');
  await screenshot(page, 'cloud-badge-staff');
  await context.setExtraHTTPHeaders({});
});

t.test('an unknown badge: a clear page', async (t) => {
  const res = await page.goto(`${base}/p/badge/${randomBytes(18).toString('base64url')}`);
  t.equal(res?.status(), 404);
  await page.getByRole('heading', { name: '此二维码已失效' }).waitFor();
  await screenshot(page, 'cloud-badge-unknown');
  t.same(cspViolations, [], 'no content-security-policy violation on any page');
});
