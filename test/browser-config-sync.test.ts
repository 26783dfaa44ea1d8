/**
 * The config sync's pages in real Chromium against the real daemon and the real cloud app:
 * - #sync shows the status and a conflict made by editing one resident on both sides while the
 *   edge was cut off (entity, fields, when, by); a viewer reads it, an admin dismisses it;
 * - #notices: staff publish, edit and delete a notice; the paired kiosk shows it on its attract
 *   screen at once and drops it when deleted; the cloud has it too; a viewer cannot edit.
 */
import type { Page } from 'playwright-core';
import t from 'tap';
import type { ConfigSyncStatusView } from '../edge/api/types.js';
import { adminLogIn, launchBrowser, screenshot } from './helpers/browser.js';
import { type CloudEntity, ConfigCloud, eventually, fastConfigSync } from './helpers/config-cloud.js';
import { ADMIN_PASSWORD, api, login, startEdge } from './helpers/edge-process.js';

const cloud = await ConfigCloud.start();
t.teardown(() => cloud.close());
const house = await cloud.newHouse('browser house');
const edge = await startEdge(fastConfigSync(cloud, house));
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const call = <T>(method: string, path: string, body?: unknown) =>
  api<T>(edge.httpUrl, token, method, path, body);
const settled = () =>
  eventually('settled', async () => {
    const s = (await call<ConfigSyncStatusView>('GET', '/api/config-sync')).body;
    return s.pendingEdits === 0 && s.lastPullAt ? s : undefined;
  });

for (const u of [
  { username: 'viewer1', role: 'viewer' },
  { username: 'staff1', role: 'staff' },
]) {
  await call('POST', '/api/users', { ...u, password: 'password-1234' });
}
await call('POST', '/api/residents', { id: 'r-b1', name: '周奶奶', roles: ['elder'], room: '201' });
const kiosk = await call<{ token: string }>('POST', '/api/devices', {
  id: 'kiosk-1',
  type: 'kiosk',
  transport: 'http',
});
await settled();

// The conflict: the edge changes the phone while cut off, the cloud the room.
cloud.proxy.set('down');
await call('PATCH', '/api/residents/r-b1', { phone: '13500001111' });
const cur = (await cloud.entity(house.id, 'resident', 'r-b1')) as CloudEntity;
await cloud.admin(
  'PUT',
  `/api/v1/houses/${house.id}/config/resident/r-b1`,
  { data: { ...cur.data, room: '909' } },
  { 'if-match': `"${cur.version}"` },
);
cloud.proxy.set('up');
await eventually(
  'the conflict',
  async () => (await call<unknown[]>('GET', '/api/config-sync/conflicts')).body.length === 1,
);

const browser = await launchBrowser({ viewport: { width: 1500, height: 1000 } });
t.teardown(() => browser.close());
const errors: string[] = [];
async function page(): Promise<Page> {
  // One browser profile: each login starts without the last one's session (the kiosk keeps its own).
  await browser.context.clearCookies({ name: 'linli_session' });
  const p = await browser.context.newPage();
  p.on('pageerror', (e) => errors.push(e.message));
  return p;
}

t.test('#sync: a viewer reads the conflict, an admin dismisses it', async (t) => {
  const viewer = await page();
  await adminLogIn(viewer, edge.httpUrl, 'viewer1', 'password-1234', 'current-user');
  await viewer.goto(`${edge.httpUrl}/admin/#sync`);
  const row = viewer.getByTestId('conflict-row');
  await row.waitFor({ timeout: 10_000 });
  t.match(await row.textContent(), /居民.*r-b1/, 'the entity, by kind and id');
  t.equal(
    (await viewer.getByTestId('conflict-fields').textContent())?.trim(),
    'phone, room',
    'the fields, by name',
  );
  t.notMatch(await row.textContent(), /13500001111|909/, 'never a value');
  t.match(await row.textContent(), /admin/, 'who made the lost edit');
  t.equal(await viewer.getByTestId('conflict-dismiss').count(), 0, 'a viewer cannot dismiss');
  t.match(await viewer.getByTestId('sync-version').textContent(), /^v\d+$/);
  t.equal((await viewer.getByTestId('sync-pending').textContent())?.trim(), '0');
  await screenshot(viewer, 'admin-config-sync-conflict');
  await viewer.close();

  const admin = await page();
  await adminLogIn(admin, edge.httpUrl, 'admin', ADMIN_PASSWORD, 'current-user');
  await admin.goto(`${edge.httpUrl}/admin/#sync`);
  await admin.getByTestId('conflict-dismiss').click();
  await admin.getByTestId('no-conflicts').waitFor({ timeout: 10_000 });
  t.equal((await admin.getByTestId('sync-conflicts').textContent())?.trim(), '0', 'the count follows');
  t.same((await call('GET', '/api/config-sync/conflicts')).body, [], 'gone on the edge');
  await admin.close();
});

t.test('#notices: staff publish, edit and delete; the kiosk shows the current ones live', async (t) => {
  const screen = await page();
  await screen.goto(`${edge.httpUrl}/kiosk/#token=${kiosk.body.token}`);
  await screen.getByTestId('attract').waitFor({ timeout: 10_000 });
  t.equal(await screen.getByTestId('kiosk-notices').count(), 0, 'no notices yet');

  const staff = await page();
  staff.on('dialog', (d) => void d.accept());
  await adminLogIn(staff, edge.httpUrl, 'staff1', 'password-1234', 'current-user');
  await staff.goto(`${edge.httpUrl}/admin/#notices`);
  await staff.getByTestId('notice-new').click();
  const form = staff.getByTestId('notice-form-new');
  await form.getByTestId('notice-title').fill('社区义诊');
  await form.getByTestId('notice-body').fill('周六上午九点，活动室');
  await form.getByTestId('notice-pinned').check();
  await form.getByTestId('notice-save').click();
  await staff.getByTestId('notice-message').waitFor();
  const item = staff.getByTestId('notice-item');
  t.match(await item.textContent(), /社区义诊.*置顶.*显示中/);
  await screenshot(staff, 'admin-notices');

  const shown = screen.getByTestId('kiosk-notice');
  await shown.waitFor({ timeout: 10_000 });
  t.match(await shown.textContent(), /社区义诊.*周六上午九点/, 'on the kiosk at once');
  await screenshot(screen, 'kiosk-notices');
  const [n] = (await call<{ id: string }[]>('GET', '/api/notices')).body;
  t.match(await eventually('the notice on the cloud', () => cloud.entity(house.id, 'notice', n?.id ?? '')), {
    data: { title: '社区义诊', pinned: true },
    updatedBy: 'edge:staff1',
  });

  await item.getByTestId('notice-edit').click();
  const edit = staff.getByTestId('notice-form-edit');
  await edit.getByTestId('notice-title').fill('社区义诊（改期）');
  await edit.getByTestId('notice-save').click();
  await screen.getByTestId('kiosk-notice').filter({ hasText: '改期' }).waitFor({ timeout: 10_000 });
  t.pass('the kiosk follows an edit');

  // One made on the cloud shows in the list too.
  await cloud.put(house.id, 'notice', 'n-cloud', { title: '燃气检修', body: '' });
  await eventually(
    'the cloud notice',
    async () => (await call<unknown[]>('GET', '/api/notices')).body.length === 2,
  );
  await staff.reload();
  await staff.getByTestId('notice-item').filter({ hasText: '燃气检修' }).waitFor();

  await staff.getByTestId('notice-item').filter({ hasText: '改期' }).getByTestId('notice-delete').click();
  await staff.getByTestId('notice-item').filter({ hasText: '改期' }).waitFor({ state: 'detached' });
  await screen
    .getByTestId('kiosk-notice')
    .filter({ hasText: '改期' })
    .waitFor({ state: 'detached', timeout: 10_000 });
  t.pass('deleted: gone from the kiosk');
  await eventually('deleted on the cloud', () => cloud.tombstone(house.id, 'notice', n?.id ?? ''));

  const viewer = await page();
  await adminLogIn(viewer, edge.httpUrl, 'viewer1', 'password-1234', 'current-user');
  await viewer.goto(`${edge.httpUrl}/admin/#notices`);
  await viewer.getByTestId('notice-item').first().waitFor();
  t.equal(await viewer.getByTestId('notice-new').count(), 0, 'a viewer cannot publish');
  t.equal(await viewer.getByTestId('notice-edit').count(), 0, 'nor edit');
  t.same(errors, [], 'no page errors');
});
