import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { RecordLog } from '../edge/store/record-log.js';
import { api, login, startEdge } from './helpers/edge-process.js';
import { SseClient } from './helpers/sse-client.js';

// Elders, their sealed health notes, and the QR badge that carries an opaque token only.
const edge = await startEdge({ LINLI_PUBLIC_URL: 'https://linli.example.cn' });
t.teardown(() => edge.stop());
const admin = await login(edge.httpUrl);
const NOTES = '高血压，每日服用硝苯地平；对青霉素过敏';

t.test('an elder profile: health notes sealed at rest, shown to staff only', async (t) => {
  await api(edge.httpUrl, admin, 'PUT', '/api/settings/contacts', {
    community: { name: '幸福里社区居委会', phone: '024-88886666' },
    police: { name: '幸福里派出所', phone: '024-87654321' },
  });
  const r = await api<{ id: string; healthNotes: string }>(edge.httpUrl, admin, 'POST', '/api/residents', {
    id: 'r-0001',
    name: '张桂兰',
    address: '3栋2单元401',
    roles: ['elder'],
    emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13800138000' }],
    healthNotes: NOTES,
  });
  t.equal(r.status, 201);
  t.equal(r.body.healthNotes, NOTES);
  const onDisk = await readFile(join(edge.dataDir, 'state.json'), 'utf8');
  t.notMatch(onDisk, /高血压|硝苯地平/, 'the notes are not in the state file in clear');
  t.match(onDisk, /"healthNotesSealed": ?"v1:/);
  const list = await api<{ healthNotes?: string }[]>(edge.httpUrl, admin, 'GET', '/api/residents');
  t.notOk(list.body[0]?.healthNotes, 'not in the list');
  t.equal((await api(edge.httpUrl, undefined, 'GET', '/api/residents/r-0001')).status, 401);
  await api(edge.httpUrl, admin, 'POST', '/api/users', {
    username: 'viewer1',
    role: 'viewer',
    password: 'viewer-password',
  });
  const viewer = await login(edge.httpUrl, 'viewer1', 'viewer-password');
  t.equal(
    (await api(edge.httpUrl, viewer, 'GET', '/api/residents/r-0001')).status,
    403,
    'a viewer does not see health data',
  );
  t.equal(
    (await api(edge.httpUrl, admin, 'POST', '/api/residents', { id: 'r-0001', name: 'x' })).status,
    409,
  );
});

let badgeUrl = '';
t.test('the badge: an opaque token in a URL; contacts for anyone, the elder for staff only', async (t) => {
  const b = await api<{ code: string; url: string }>(
    edge.httpUrl,
    admin,
    'POST',
    '/api/residents/r-0001/badge',
  );
  t.equal(b.status, 201);
  t.match(
    b.body.url,
    /^https:\/\/linli\.example\.cn\/p\/badge\/[A-Za-z0-9_-]{20,}$/,
    'the public base from LINLI_PUBLIC_URL',
  );
  t.notMatch(b.body.url, /r-0001|张/, 'nothing about the elder in the URL');
  t.match(b.body.code, /^LL-[2-9A-Z]{6}$/);
  badgeUrl = b.body.url;
  const local = `${edge.httpUrl}${new URL(badgeUrl).pathname}`;
  const anon = await (await fetch(local)).text();
  t.match(anon, /024-88886666/);
  t.match(anon, /024-87654321/);
  t.match(anon, new RegExp(b.body.code));
  t.notMatch(anon, /张桂兰|高血压|13800138000|401/, 'no personal data without a login');
  const staffView = await (await fetch(local, { headers: { authorization: `Bearer ${admin}` } })).text();
  t.match(staffView, /张桂兰/);
  t.match(staffView, /高血压/);
  t.match(staffView, /13800138000/);
  const svg = await fetch(`${edge.httpUrl}/api/residents/r-0001/badge.svg`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  t.match(svg.headers.get('content-type'), /image\/svg\+xml/);
  t.match(await svg.text(), /^<svg/);
  const png = await fetch(`${edge.httpUrl}/api/residents/r-0001/badge.png`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  const bytes = Buffer.from(await png.arrayBuffer());
  t.same([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');
});

t.test('scanning the badge at the kiosk shows the numbers to call, and records no token', async (t) => {
  const dev = await api<{ password: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
    id: 'qr-w',
    type: 'qr-scanner',
    transport: 'mqtt',
  });
  const k = await api<{ token: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
    id: 'kiosk-1',
    type: 'kiosk',
    transport: 'http',
  });
  const kiosk = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, {
    authorization: `Bearer ${k.body.token}`,
  });
  t.teardown(() => kiosk.close());
  const c = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'qr-w',
    password: dev.body.password,
    protocolVersion: 4,
  });
  await c.publishAsync(
    'linli/v1/dev/qr-w/evt',
    JSON.stringify({ type: 'qr.scanned', ts: new Date().toISOString(), text: badgeUrl }),
    { qos: 1 },
  );
  await c.endAsync();
  const m = await kiosk.next((x) => x.event === 'qr.scanned');
  t.match(m.data, {
    kind: 'badge',
    badge: { code: /^LL-/, community: { phone: '024-88886666' }, police: { phone: '024-87654321' } },
  });
  t.notMatch(
    JSON.stringify(m.data),
    /张桂兰|r-0001|badge\/[A-Za-z0-9_-]{20}/,
    'the kiosk gets no name, id or token',
  );
});

t.test("an alarm from the elder's button names the elder to staff", async (t) => {
  const b = await api<{ password: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
    id: 'btn-e',
    type: 'help-button',
    transport: 'mqtt',
    assignedTo: 'r-0001',
  });
  const c = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'btn-e',
    password: b.body.password,
    protocolVersion: 4,
  });
  const acked = new Promise((r) => c.on('message', r));
  await c.subscribeAsync('linli/v1/dev/btn-e/cmd');
  const press = { type: 'help.pressed', ts: new Date().toISOString(), seq: 1, key: 'sos', boot: 'e1' };
  await c.publishAsync('linli/v1/dev/btn-e/evt', JSON.stringify(press), { qos: 1 });
  await acked;
  await c.endAsync();
  const alarms = await api<{ assignedTo: string; who?: { name: string; address: string } }[]>(
    edge.httpUrl,
    admin,
    'GET',
    '/api/alarms',
  );
  t.match(alarms.body[0], { assignedTo: 'r-0001', who: { name: '张桂兰', address: '3栋2单元401' } });
  t.notMatch(JSON.stringify(alarms.body), /高血压/, 'never the health notes');
});

t.test('revoking a badge makes its token dead', async (t) => {
  t.equal((await api(edge.httpUrl, admin, 'DELETE', '/api/residents/r-0001/badge')).status, 204);
  const res = await fetch(`${edge.httpUrl}${new URL(badgeUrl).pathname}`);
  t.equal(res.status, 404);
  t.notMatch(await res.text(), /024-88886666/);
});

t.test('edits are registry records naming the resident by id and fields only', async (t) => {
  t.equal(await edge.stop(), 0);
  const log = await RecordLog.open({
    dir: join(edge.dataDir, 'records'),
    house: 'demo-house',
    clock: () => 'unsynced',
  });
  t.teardown(() => log.close());
  const all: string[] = [];
  for await (const { record } of log.read(1)) all.push(JSON.stringify(record));
  const registry = all.filter((r) => r.includes('"stream":"registry"'));
  t.ok(registry.length >= 3);
  // The contacts come first (contacts.replaced), then the elder's records.
  t.match(
    registry.find((r) => r.includes('"type":"resident.created"')),
    /"type":"resident.created".*"id":"r-0001"/,
  );
  for (const r of all) t.notMatch(r, /张桂兰|高血压|13800138000/, 'no names, notes or phones in records');
  t.ok(
    all.some((r) => r.includes('"type":"alarm.raised"') && r.includes('"assignedTo":"r-0001"')),
    'the alarm names the elder by id',
  );
});
