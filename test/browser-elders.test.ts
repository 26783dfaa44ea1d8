import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import type { PublicContacts, ResidentView } from '../edge/api/types.js';
import { ARTIFACTS_DIR, adminLogIn, launchBrowser, screenshot } from './helpers/browser.js';
import { api, login, startEdge } from './helpers/edge-process.js';

// Real Chromium against the real daemon: an admin registers an elder with health notes and an
// emergency contact, issues, prints, re-issues and revokes the QR badge, all through /admin/.
const edge = await startEdge();
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const browser = await launchBrowser({ viewport: { width: 1600, height: 1000 } });
t.teardown(() => browser.close());
const errors: string[] = [];
const NOTES = '高血压，每日服用硝苯地平；对青霉素过敏';
const ID = 'r-0001';

// The page's globals, as far as the functions run in the page use them (tests build without the DOM lib).
interface PageImage {
  src: string;
  complete: boolean;
  naturalWidth: number;
  getBoundingClientRect(): { x: number; y: number; height: number };
}
declare const document: { querySelector(selector: string): PageImage | null };
declare const window: { print: () => void; printed: number };

const resident = async () =>
  (await api<ResidentView>(edge.httpUrl, token, 'GET', `/api/residents/${ID}`)).body;

/** Waits until the badge's QR image has loaded (an image that failed has naturalWidth 0). */
async function qrLoaded(page: Page, code: string): Promise<void> {
  await page.waitForFunction(
    (c) => {
      const img = document.querySelector('[data-testid="badge-qr"]');
      return !!img && img.src.includes(c) && img.complete && img.naturalWidth > 0;
    },
    code,
    { timeout: 10_000 },
  );
}

const logIn = (page: Page, username: string, password: string) =>
  adminLogIn(page, edge.httpUrl, username, password, 'elders');

t.test(
  'admin: contacts, a new elder, the detail with notes, the badge issued, printed, revoked',
  async (t) => {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, 'admin', 'test-admin-password');
    const elders = page.getByTestId('elders');
    await elders.scrollIntoViewIfNeeded();

    const contacts = page.getByTestId('contacts-form');
    await contacts.locator('input[name=communityName]').fill('幸福里社区居委会');
    await contacts.locator('input[name=communityPhone]').fill('024-8888 6666');
    await contacts.locator('input[name=policeName]').fill('幸福里派出所');
    await contacts.locator('input[name=policePhone]').fill('110');
    await page.getByTestId('contacts-save').click();
    await page.getByTestId('contacts-message').filter({ hasText: '已保存' }).waitFor();
    const numbers = await api<PublicContacts>(edge.httpUrl, token, 'GET', '/api/settings/contacts');
    t.same(numbers.body, {
      community: { name: '幸福里社区居委会', phone: '024-88886666' },
      police: { name: '幸福里派出所', phone: '110' },
    });

    const form = page.getByTestId('elder-form');
    t.match(await form.textContent(), /加密保存/, 'the form says the notes are sensitive and encrypted');
    await form.locator('input[name=id]').fill(ID);
    await form.locator('input[name=name]').fill('张桂兰');
    await form.locator('input[name=address]').fill('3栋2单元401');
    await form.locator('input[name=phone]').fill('024-8765 0001');
    const contact = page.getByTestId('elder-contact-0');
    await contact.locator('input[name=contact-name-0]').fill('李明');
    await contact.locator('input[name=contact-relation-0]').fill('儿子');
    await contact.locator('input[name=contact-phone-0]').fill('138 0013 8000');
    await page.getByTestId('elder-notes-input').fill(NOTES);
    await form.scrollIntoViewIfNeeded();
    await screenshot(page, 'admin-elder-form');
    await page.getByTestId('elder-save').click();

    const detail = page.getByTestId(`elder-detail-${ID}`);
    await detail.waitFor({ timeout: 10_000 });
    t.equal((await page.getByTestId('elder-notes').textContent())?.trim(), NOTES, 'notes in the detail');
    t.match(await page.getByTestId('elder-contacts').textContent(), /李明.*儿子.*13800138000/);
    const row = page.getByTestId(`elder-row-${ID}`);
    t.match(await row.textContent(), /张桂兰.*3栋2单元401.*无胸牌/);
    t.notMatch(await page.locator('.elders-table').textContent(), /高血压/, 'no notes in the list');

    const saved = await resident();
    t.match(saved, {
      id: ID,
      name: '张桂兰',
      address: '3栋2单元401',
      phone: '024-87650001',
      roles: ['elder'],
      emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13800138000' }],
      healthNotes: NOTES,
    });
    const list = await api<ResidentView[]>(edge.httpUrl, token, 'GET', '/api/residents');
    t.notOk(list.body[0]?.healthNotes, 'the list API carries no notes');

    // First badge: no old one to kill, so no question asked.
    await page.getByTestId('badge-issue').click();
    await page.getByTestId('badge-card').waitFor({ timeout: 10_000 });
    const first = (await resident()).badge?.code ?? '';
    t.match(first, /^LL-[2-9A-Z]{6}$/);
    await qrLoaded(page, first);
    t.equal((await page.getByTestId('badge-code').textContent())?.trim(), first, 'the code the API holds');
    t.match(await row.textContent(), new RegExp(first), 'the list shows the badge code');
    const card = await page.getByTestId('badge-card').textContent();
    t.match(card, /幸福里社区居委会.*024-88886666/);
    t.match(card, /幸福里派出所.*110/);
    t.notMatch(card, /张桂兰|3栋|高血压|r-0001/, 'nothing about the elder on the card');
    // The page's QR is the one the API renders for the current badge.
    const apiSvg = await (
      await fetch(`${edge.httpUrl}/api/residents/${ID}/badge.svg`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text();
    const pageSvg = await page.evaluate(async () => {
      const img = document.querySelector('[data-testid="badge-qr"]');
      return img ? (await fetch(img.src)).text() : '';
    });
    t.match(apiSvg, /^<svg/);
    t.equal(pageSvg, apiSvg, 'the image is the badge QR (fetched with the session cookie)');

    await page.getByTestId('badge-card').scrollIntoViewIfNeeded();
    await screenshot(page, 'admin-elder-detail');
    await page.getByTestId('badge-card').screenshot({ path: join(ARTIFACTS_DIR, 'admin-badge-card.png') });

    // Print: the button prints; the print media shows the card alone on one 85 × 54 mm page.
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => {
        (window as unknown as { printed: number }).printed++;
      };
    });
    await page.getByTestId('badge-print').click();
    t.equal(await page.evaluate(() => window.printed), 1, 'print called');
    await page.emulateMedia({ media: 'print' });
    // (No functions declared inside evaluate(): tsx names them with a helper the page lacks.)
    const printed = await page.evaluate(() => {
      const r = document.querySelector('[data-testid="badge-card"]')?.getBoundingClientRect();
      const bar = document.querySelector('.admin-bar')?.getBoundingClientRect();
      return { card: (r?.height ?? 0) > 0, bar: (bar?.height ?? 0) > 0, x: r?.x, y: r?.y };
    });
    t.same(printed, { card: true, bar: false, x: 0, y: 0 }, 'only the card, at the top left');
    await screenshot(page, 'admin-badge-print-media');
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    await writeFile(join(ARTIFACTS_DIR, 'admin-badge.pdf'), pdf);
    const pdfText = pdf.toString('latin1');
    t.equal(pdfText.match(/\/Type\s*\/Page\b/g)?.length, 1, 'one page');
    const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdfText);
    t.ok(box, 'a media box');
    t.ok(Math.abs(Number(box?.[1]) - (85 / 25.4) * 72) < 2, `85 mm wide (${box?.[1]} pt)`);
    t.ok(Math.abs(Number(box?.[2]) - (54 / 25.4) * 72) < 2, `54 mm high (${box?.[2]} pt)`);
    await page.emulateMedia({ media: 'screen' });

    // A new badge kills the old one: the admin is asked first; cancelling changes nothing.
    await page.getByTestId('badge-issue').click();
    t.match(await page.getByTestId('badge-confirm').textContent(), new RegExp(`${first}.*失效`));
    await page.getByTestId('badge-cancel').click();
    t.equal((await resident()).badge?.code, first, 'cancel keeps the badge');
    await page.getByTestId('badge-issue').click();
    await page.getByTestId('badge-issue-confirm').click();
    await page.getByTestId('badge-code').filter({ hasNotText: first }).waitFor({ timeout: 10_000 });
    const second = (await resident()).badge?.code ?? '';
    t.not(second, first);
    t.equal((await page.getByTestId('badge-code').textContent())?.trim(), second);
    await qrLoaded(page, second);

    // Revoke, after a question too.
    await page.getByTestId('badge-revoke').click();
    await page.getByTestId('badge-revoke-confirm').click();
    await page.getByTestId('badge-card').waitFor({ state: 'detached', timeout: 10_000 });
    t.notOk((await resident()).badge, 'no badge left');
    await row.filter({ hasText: '无胸牌' }).waitFor();
    const svg = await fetch(`${edge.httpUrl}/api/residents/${ID}/badge.svg`, {
      headers: { authorization: `Bearer ${token}` },
    });
    t.equal(svg.status, 404, 'no QR for a revoked badge');
    await screenshot(page, 'admin-elder-revoked');

    // Editing: clearing the notes deletes them.
    await page.getByTestId('elder-edit').click();
    await page.getByTestId('elder-notes-input').fill('');
    await page.getByTestId('elder-save').click();
    await page.getByTestId('elder-notes').filter({ hasText: '无健康备注' }).waitFor();
    t.notOk((await resident()).healthNotes, 'notes cleared');
    await page.close();
  },
);

t.test('staff: read the elders and the notes, no forms, no badge buttons', async (t) => {
  await api(edge.httpUrl, token, 'PATCH', `/api/residents/${ID}`, { healthNotes: NOTES });
  await api(edge.httpUrl, token, 'POST', `/api/residents/${ID}/badge`);
  await api(edge.httpUrl, token, 'POST', '/api/users', {
    username: 'staff1',
    role: 'staff',
    password: 'staff-password-1',
  });
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await logIn(page, 'staff1', 'staff-password-1');
  await page.getByTestId(`elder-row-${ID}`).click();
  await page.getByTestId(`elder-detail-${ID}`).waitFor();
  await page.getByTestId('elder-notes').filter({ hasText: NOTES }).waitFor();
  const code = (await resident()).badge?.code ?? '';
  await qrLoaded(page, code);
  t.equal(await page.getByTestId('elder-form').count(), 0, 'no elder form');
  t.equal(await page.getByTestId('contacts-form').count(), 0, 'no contacts form');
  t.equal(await page.getByTestId('badge-issue').count(), 0, 'no issue button');
  t.equal(await page.getByTestId('badge-revoke').count(), 0, 'no revoke button');
  t.equal(await page.getByTestId('badge-print').count(), 1, 'staff may print');
  await page.close();
});

t.test('no page errors', async (t) => {
  t.same(errors, []);
});
