/**
 * The config sync end to end: the real daemon (a process) against the real cloud app (PGlite, in
 * this process) over HTTP through a proxy the test can cut.
 * - edits on the cloud reach the edge: a resident (sealed fields, no plain ID number on disk), a
 *   notice on the kiosk, an MQTT device that logs in with the credential the cloud issued, then
 *   removed; a user made on the cloud logs in on the edge and is logged out when disabled there;
 * - edits on the edge reach the cloud under the edge's edit id (the `registry` record's);
 * - both sides edit one resident while the edge is cut off: the cloud's version wins on both, the
 *   conflict is listed on the edge and by the cloud's conflicts API;
 * - first contact: an edge that worked alone enrols its residents, cards, roster, users and points.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import type {
  ConfigConflictView,
  ConfigSyncStatusView,
  DeviceView,
  KioskNoticeView,
  ResidentView,
} from '../edge/api/types.js';
import { RecordLog } from '../edge/store/record-log.js';
import { type CloudEntity, ConfigCloud, eventually, fastConfigSync } from './helpers/config-cloud.js';
import { ADMIN_PASSWORD, api, type EdgeProcess, login, startEdge, tempDir } from './helpers/edge-process.js';

const ID_NUMBER = '11010519491231002X';
const cloud = await ConfigCloud.start();
t.teardown(() => cloud.close());
const house = await cloud.newHouse('config sync house');
const edge = await startEdge(fastConfigSync(cloud, house));
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const get = async <T>(path: string, tok = token) => (await api<T>(edge.httpUrl, tok, 'GET', path)).body;
const status = () => get<ConfigSyncStatusView>('/api/config-sync');

t.test('first round: the edge enrols its admin and the points file, and pulls', async (t) => {
  const s = await eventually('the first pull', async () => {
    const x = await status();
    return x.lastPullAt && x.pendingEdits === 0 ? x : undefined;
  });
  t.equal(s.enabled, true);
  t.ok(s.version > 0, 'what the edge enrolled came back as the cloud’s version');
  const admin = await cloud.entity(house.id, 'user', 'admin');
  t.match(admin, { kind: 'user', updatedBy: 'edge:linli-edge', data: { role: 'admin' } });
  t.notOk(JSON.stringify(admin).includes('scrypt'), 'the cloud never answers a hash');
  const scheme = await cloud.entity(house.id, 'points-scheme', 'scheme');
  t.ok(scheme?.data?.assessment, 'the points rules from the file');
});

t.test('edits on the cloud appear on the edge', async (t) => {
  const put = await cloud.put(house.id, 'resident', 'r-c1', {
    name: '王大爷',
    roles: ['elder'],
    building: '5',
    unit: '1',
    room: '302',
    phone: '13812345678',
    emergencyContacts: [{ name: '王小明', relation: '儿子', phone: '13900001111' }],
    healthNotes: '心脏搭桥术后',
    idNumber: ID_NUMBER,
  });
  t.equal(put.status, 201);
  const r = await eventually('the resident on the edge', async () => {
    const res = await api<ResidentView>(edge.httpUrl, token, 'GET', '/api/residents/r-c1');
    return res.status === 200 ? res.body : undefined;
  });
  t.match(r, {
    name: '王大爷',
    room: '302',
    healthNotes: '心脏搭桥术后',
    idNumberMasked: '1101**********002X',
  });
  const disk = await readFile(join(edge.dataDir, 'state.json'), 'utf8');
  t.notOk(disk.includes(ID_NUMBER), 'the ID number is sealed on the edge’s disk');
  t.notOk(disk.includes('心脏搭桥'), 'and the health notes');

  // A notice edited on the cloud shows on the kiosk.
  const kiosk = await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'kiosk-1',
    type: 'kiosk',
    transport: 'http',
  });
  await cloud.put(house.id, 'notice', 'n-cloud', {
    title: '周三停水',
    body: '9:00–12:00 检修',
    pinned: true,
  });
  const notices = await eventually('the notice on the kiosk', async () => {
    const n = await get<KioskNoticeView[]>('/api/kiosk/notices', kiosk.body.token);
    return n.length > 0 ? n : undefined;
  });
  t.same(notices, [{ id: 'n-cloud', title: '周三停水', body: '9:00–12:00 检修', pinned: true }]);

  // An MQTT device registered on the cloud logs in to the edge's broker with the cloud's credential.
  const dev = await cloud.put(house.id, 'device', 'btn-7', {
    type: 'help-button',
    transport: 'mqtt',
    assignedTo: 'r-c1',
  });
  const password = dev.body.password as string;
  t.ok(password, 'the cloud shows the credential once');
  await eventually('the device on the edge', async () =>
    (await get<DeviceView[]>('/api/devices')).some((d) => d.id === 'btn-7'),
  );
  const client = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'btn-7',
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  t.ok(client.connected, 'the device logs in with the password issued by the cloud');
  await client.endAsync();
  t.equal(await cloud.remove(house.id, 'device', 'btn-7'), 200);
  await eventually('the device gone from the edge', async () =>
    (await get<DeviceView[]>('/api/devices')).every((d) => d.id !== 'btn-7'),
  );

  // A user made on the cloud logs in here; disabled there, its session ends here.
  await cloud.put(house.id, 'user', 'clerk', { role: 'staff' }, { password: 'clerk-password-1' });
  const clerk = await eventually('the user on the edge', async () =>
    login(edge.httpUrl, 'clerk', 'clerk-password-1').catch(() => undefined),
  );
  t.equal((await api(edge.httpUrl, clerk, 'GET', '/api/residents')).status, 200);
  await cloud.put(house.id, 'user', 'clerk', { role: 'staff', disabled: true });
  await eventually(
    'the session ended',
    async () => (await api(edge.httpUrl, clerk, 'GET', '/api/residents')).status === 401,
  );

  const duty = [{ name: '刘值班', phone: '13700000000', level: 0 }];
  await cloud.put(house.id, 'duty', 'roster', { entries: duty });
  await eventually('the roster', async () => (await get<unknown[]>('/api/duty')).length === 1);
  t.same(await get('/api/duty'), duty);
});

t.test('the points scheme follows the cloud: a new activity is swipeable, rules change', async (t) => {
  await cloud.put(house.id, 'activity', 'river-cleanup', {
    name: '河道清理',
    category: 'practice',
    points: 4,
  });
  const cur = (await cloud.entity(house.id, 'points-scheme', 'scheme')) as CloudEntity;
  await cloud.put(house.id, 'points-scheme', 'scheme', {
    ...cur.data,
    name: '云端方案',
    balance: 'reset-yearly',
  });
  const scheme = await eventually('the new scheme on the edge', async () => {
    const s = await get<{ name?: string; balance: string; items: { id: string; points: number }[] }>(
      '/api/points/scheme',
    );
    return s.name === '云端方案' && s.items.some((i) => i.id === 'river-cleanup') ? s : undefined;
  });
  t.equal(scheme.balance, 'reset-yearly');
  await api(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'rd-x',
    type: 'card-reader',
    transport: 'mqtt',
  });
  const opened = await api(edge.httpUrl, token, 'POST', '/api/points/sessions', {
    itemId: 'river-cleanup',
    readers: ['rd-x'],
  });
  t.equal(opened.status, 201, 'a session of the cloud’s activity opens');
  t.equal((await status()).pointsProblem, undefined);
});

t.test(
  'roles: viewers read the sync pages, staff edit notices, admins dismiss; bad input is coded',
  async (t) => {
    for (const [username, role] of [
      ['viewer2', 'viewer'],
      ['staff2', 'staff'],
    ] as const) {
      t.equal(
        (await api(edge.httpUrl, token, 'POST', '/api/users', { username, role, password: 'password-1234' }))
          .status,
        201,
      );
    }
    const viewer = await login(edge.httpUrl, 'viewer2', 'password-1234');
    const staff = await login(edge.httpUrl, 'staff2', 'password-1234');
    t.equal((await api(edge.httpUrl, undefined, 'GET', '/api/config-sync')).status, 401);
    t.equal((await api(edge.httpUrl, viewer, 'GET', '/api/config-sync')).status, 200);
    t.equal((await api(edge.httpUrl, viewer, 'GET', '/api/config-sync/conflicts')).status, 200);
    t.equal((await api(edge.httpUrl, viewer, 'GET', '/api/notices')).status, 200);
    const note = { title: '测试', body: '' };
    t.equal((await api(edge.httpUrl, viewer, 'POST', '/api/notices', note)).status, 403);
    const made = await api<{ id: string }>(edge.httpUrl, staff, 'POST', '/api/notices', note);
    t.equal(made.status, 201);
    const bad = await api<{ code: string }>(edge.httpUrl, staff, 'PUT', `/api/notices/${made.body.id}`, {
      ...note,
      from: '2027-01-02T00:00:00.000Z',
      until: '2027-01-01T00:00:00.000Z',
    });
    t.match(bad, { status: 422, body: { code: 'NOTICE_INVALID' } });
    t.match(await api(edge.httpUrl, staff, 'POST', '/api/notices', { title: '', body: '' }), { status: 400 });
    t.equal((await api(edge.httpUrl, staff, 'DELETE', `/api/notices/${made.body.id}`)).status, 204);
    t.match(await api(edge.httpUrl, staff, 'DELETE', `/api/notices/${made.body.id}`), {
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    const edit = '01890000-0000-7000-8000-000000000000';
    t.equal((await api(edge.httpUrl, staff, 'DELETE', `/api/config-sync/conflicts/${edit}`)).status, 403);
    t.match(await api(edge.httpUrl, token, 'DELETE', `/api/config-sync/conflicts/${edit}`), {
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    t.equal((await api(edge.httpUrl, token, 'DELETE', '/api/config-sync/rejected/not-a-uuid')).status, 400);
    await eventually('settled', async () => (await status()).pendingEdits === 0);
  },
);

let edgeEdit = '';
t.test('edits on the edge appear on the cloud under the edge’s edit id', async (t) => {
  const created = await api<ResidentView>(edge.httpUrl, token, 'POST', '/api/residents', {
    id: 'r-e1',
    name: '陈奶奶',
    roles: ['elder'],
    phone: '13611112222',
    healthNotes: '糖尿病',
    idNumber: '210102199003071233',
  });
  t.equal(created.status, 201);
  const e = await eventually('the resident on the cloud', () => cloud.entity(house.id, 'resident', 'r-e1'));
  t.match(e, {
    updatedBy: 'edge:admin',
    data: {
      name: '陈奶奶',
      phone: '13611112222',
      healthNotes: '糖尿病',
      idNumberMasked: '2101**********1233',
    },
  });
  t.ok(e.edit, 'made by an edge edit');
  edgeEdit = e.edit as string;
  await eventually('settled on the edge', async () => (await status()).pendingEdits === 0);

  const notice = await api<{ id: string }>(edge.httpUrl, token, 'POST', '/api/notices', {
    title: '端午活动',
    body: '包粽子',
  });
  t.equal(notice.status, 201);
  await eventually('the notice on the cloud', () => cloud.entity(house.id, 'notice', notice.body.id));
  t.equal((await api(edge.httpUrl, token, 'DELETE', `/api/notices/${notice.body.id}`)).status, 204);
  const gone = await eventually('the notice deleted on the cloud', () =>
    cloud.tombstone(house.id, 'notice', notice.body.id),
  );
  t.equal(gone.updatedBy, 'edge:admin');
  await eventually('all settled on the edge', async () => (await status()).pendingEdits === 0);
});

t.test('both edit one resident while the edge is cut off: the cloud wins on both sides', async (t) => {
  cloud.proxy.set('down');
  const patched = await api<ResidentView>(edge.httpUrl, token, 'PATCH', '/api/residents/r-e1', {
    phone: '13600000000',
    room: '101',
  });
  t.equal(patched.status, 200);
  t.equal((await status()).pendingEdits, 1, 'the edit waits');
  const cur = (await cloud.entity(house.id, 'resident', 'r-e1')) as CloudEntity;
  const onCloud = await cloud.admin(
    'PUT',
    `/api/v1/houses/${house.id}/config/resident/r-e1`,
    { data: { ...cur.data, idNumberMasked: undefined, room: '808', unit: '2' } },
    { 'if-match': `"${cur.version}"` },
  );
  t.equal(onCloud.status, 200);
  await eventually('a failed round', async () => (await status()).lastError?.code === 'network');
  cloud.proxy.set('up');

  const conflicts = await eventually('the conflict on the edge', async () => {
    const c = await get<ConfigConflictView[]>('/api/config-sync/conflicts');
    return c.length > 0 ? c : undefined;
  });
  t.match(conflicts[0], { kind: 'resident', id: 'r-e1', by: 'admin' });
  // The address made from the parts followed the room on the edge: it differs too.
  t.same(conflicts[0]?.fields, ['address', 'phone', 'room', 'unit'], 'the fields that differed, by name');
  const r = await get<ResidentView>('/api/residents/r-e1');
  t.match(r, { room: '808', unit: '2', phone: '13611112222' }, 'the edge took the cloud’s version');
  const c = await cloud.entity(house.id, 'resident', 'r-e1');
  t.match(c?.data, { room: '808', unit: '2', phone: '13611112222' }, 'the cloud kept its own');
  const listed = await cloud.admin<{
    conflicts: { edit: string; kind: string; id: string; fields: string[] }[];
  }>('GET', `/api/v1/houses/${house.id}/config/conflicts`);
  t.ok(
    listed.body.conflicts.some((x) => x.edit === conflicts[0]?.edit && x.id === 'r-e1'),
    'the cloud lists the same conflict',
  );
  t.equal((await status()).openConflicts, 1);
  const viewer = await api(edge.httpUrl, token, 'DELETE', `/api/config-sync/conflicts/${conflicts[0]?.edit}`);
  t.equal(viewer.status, 204, 'dismissed');
  t.same(await get('/api/config-sync/conflicts'), []);
});

t.test('the audit trail: the edge’s records carry the edit ids and bases, never values', async (t) => {
  t.equal(await edge.stop(), 0);
  const log = await RecordLog.open({
    dir: join(edge.dataDir, 'records'),
    house: house.id,
    clock: () => 'unsynced',
  });
  t.teardown(() => log.close());
  const registry: { type: string; body: Record<string, unknown> }[] = [];
  for await (const { record } of log.read(1, 'registry')) registry.push(record as never);
  const created = registry.find((r) => r.type === 'resident.created' && r.body.id === 'r-e1');
  t.match(created?.body, { entity: 'resident', id: 'r-e1', base: 0, by: 'admin' });
  t.equal(created?.body.edit, edgeEdit, 'the cloud holds the edit under the record’s edit id');
  t.ok(
    registry.some((r) => r.type === 'config.enrolled'),
    'first contact recorded',
  );
  t.ok(
    registry.some((r) => r.type === 'config.dismissed'),
    'the dismissal recorded',
  );
  const text = JSON.stringify(registry);
  for (const secret of ['陈奶奶', '13611112222', '糖尿病', '210102199003071233', '13600000000'])
    t.notOk(text.includes(secret), 'no personal values in records');
});

t.test('first contact: an edge that worked alone enrols what it made', async (t) => {
  const base = await tempDir('linli-first-contact-');
  const dataDir = join(base, 'data');
  const alone: EdgeProcess = await startEdge({ LINLI_HOUSE_ID: 'alone-first' }, { dataDir });
  const tok = await login(alone.httpUrl);
  for (const id of ['r-a1', 'r-a2'])
    t.equal((await api(alone.httpUrl, tok, 'POST', '/api/residents', { id, name: `居民${id}` })).status, 201);
  t.equal(
    (
      await api(alone.httpUrl, tok, 'POST', '/api/cards', {
        uid: '04A1B2C3D4E5F6',
        residentId: 'r-a1',
        kind: 'party',
      })
    ).status,
    201,
  );
  await api(alone.httpUrl, tok, 'PUT', '/api/duty', [{ name: '夜班', level: 0 }]);
  const off = await api<ConfigSyncStatusView>(alone.httpUrl, tok, 'GET', '/api/config-sync');
  t.match(off.body, { enabled: false, version: 0, running: false });
  t.equal(await alone.stop(), 0);

  const h = await cloud.newHouse('first contact house');
  const synced = await startEdge({ ...fastConfigSync(cloud, h) }, { dataDir });
  t.teardown(() => synced.stop());
  for (const id of ['r-a1', 'r-a2']) {
    const e = await eventually(`${id} on the cloud`, () => cloud.entity(h.id, 'resident', id));
    // Made through the API while alone: each was already a pending edit by its author.
    t.match(e, { updatedBy: 'edge:admin', data: { name: `居民${id}` } });
  }
  t.match(await eventually('the card', () => cloud.entity(h.id, 'card', '04A1B2C3D4E5F6')), {
    data: { residentId: 'r-a1', kind: 'party', state: 'active' },
  });
  t.match(await eventually('the roster', () => cloud.entity(h.id, 'duty', 'roster')), {
    data: { entries: [{ name: '夜班', level: 0 }] },
  });
  // The points scheme in use (the shipped file) was enrolled at first contact.
  t.match(await eventually('the activities', () => cloud.entity(h.id, 'activity', 'study-group')), {
    updatedBy: 'edge:linli-edge',
  });
  const tok2 = await login(synced.httpUrl, 'admin', ADMIN_PASSWORD);
  const s = await eventually('settled', async () => {
    const x = (await api<ConfigSyncStatusView>(synced.httpUrl, tok2, 'GET', '/api/config-sync')).body;
    return x.pendingEdits === 0 && x.lastPullAt ? x : undefined;
  });
  t.equal(s.openConflicts, 0);
  t.equal(
    (await api<ResidentView[]>(synced.httpUrl, tok2, 'GET', '/api/residents')).body.length,
    2,
    'nothing wiped',
  );
});
