import t from 'tap';
import { api, login, startEdge } from './helpers/edge-process.js';
import { SseClient } from './helpers/sse-client.js';

const edge = await startEdge({ LINLI_LOGIN_MAX_PER_MIN: '5', LINLI_SSE_KEEPALIVE_MS: '200' });
t.teardown(() => edge.stop());
const url = edge.httpUrl;
const admin = await login(url);

t.test('admin routes refuse requests without a login', async (t) => {
  for (const [method, path] of [
    ['GET', '/api/devices'],
    ['POST', '/api/devices'],
    ['GET', '/api/events'],
    ['GET', '/api/auth/me'],
  ] as const) {
    const r = await api<{ code: string }>(
      url,
      undefined,
      method,
      path,
      method === 'POST' ? { id: 'x', type: 'kiosk', transport: 'http' } : undefined,
    );
    t.equal(r.status, 401, `${method} ${path}`);
    t.equal(r.body.code, 'UNAUTHENTICATED');
  }
  const bad = await api(url, 'not-a-token', 'GET', '/api/devices');
  t.equal(bad.status, 401);
});

t.test('login: token and HttpOnly cookie; me; logout', async (t) => {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'test-admin-password' }),
  });
  t.equal(res.status, 200);
  const body = (await res.json()) as { token: string; expiresAt: string; user: { role: string } };
  t.match(body, { token: String, expiresAt: /Z$/, user: { username: 'admin', role: 'admin' } });
  const hours = (Date.parse(body.expiresAt) - Date.now()) / 3600_000;
  t.ok(hours > 11.9 && hours <= 12, '12 h session');
  const cookie = res.headers.get('set-cookie') ?? '';
  t.match(cookie, /^linli_session=/);
  t.match(cookie, /HttpOnly/i);
  t.match(cookie, /SameSite=Strict/i);
  const me = await fetch(`${url}/api/auth/me`, { headers: { cookie: cookie.split(';')[0] as string } });
  t.equal(me.status, 200, 'the cookie alone authenticates');
  t.same(await me.json(), { username: 'admin', role: 'admin' });
  const out = await api(url, body.token, 'POST', '/api/auth/logout');
  t.equal(out.status, 204);
  t.equal((await api(url, body.token, 'GET', '/api/auth/me')).status, 401, 'token dead after logout');
});

t.test('devices: register, validate, list, remove', async (t) => {
  const serial = await api<Record<string, unknown>>(url, admin, 'POST', '/api/devices', {
    id: 'qr-desk',
    type: 'qr-scanner',
    transport: 'serial',
    path: '/dev/ttyNOPE0',
    baudRate: 9600,
  });
  t.equal(serial.status, 201);
  t.match(serial.body, {
    id: 'qr-desk',
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    online: false,
    counters: { events: 0 },
  });
  t.notOk('secretHash' in serial.body);
  const mq = await api<{ password: string }>(url, admin, 'POST', '/api/devices', {
    id: 'btn-1',
    type: 'help-button',
    transport: 'mqtt',
    assignedTo: 'room 101',
  });
  t.equal(mq.status, 201);
  t.ok(mq.body.password.length >= 20, 'password shown once');
  const kiosk = await api<{ token: string }>(url, admin, 'POST', '/api/devices', {
    id: 'kiosk-1',
    type: 'kiosk',
    transport: 'http',
  });
  t.match(kiosk.body.token, /^kiosk-1\./);
  const list = await api<Record<string, unknown>[]>(url, admin, 'GET', '/api/devices');
  t.same(
    list.body.map((d) => d.id),
    ['qr-desk', 'btn-1', 'kiosk-1'],
  );
  t.notOk(
    list.body.some((d) => 'password' in d || 'token' in d || 'secretHash' in d),
    'credentials never listed',
  );
  const fails: [unknown, number][] = [
    [{ id: 'qr-desk', type: 'kiosk', transport: 'http' }, 409],
    [{ id: 'bad id', type: 'kiosk', transport: 'http' }, 400],
    [{ id: 'x1', type: 'toaster', transport: 'http' }, 400],
    [{ id: 'x2', type: 'qr-scanner', transport: 'serial', baudRate: 9600 }, 422],
    [{ id: 'x3', type: 'help-button', transport: 'serial', path: '/dev/x', baudRate: 9600 }, 422],
    [{ id: 'x7', type: 'help-button', transport: 'mqtt' }, 422],
    [{ id: 'x4', type: 'qr-scanner', transport: 'serial', path: '/dev/ttyNOPE0', baudRate: 9600 }, 422],
    [{ id: 'x5', type: 'kiosk', transport: 'http', path: '/dev/x' }, 422],
    [{ id: 'x6', type: 'card-reader', transport: 'serial', path: '/dev/ttyX6', baudRate: 9600 }, 422],
  ];
  for (const [body, status] of fails) {
    const r = await api<{ code: string; message: string }>(url, admin, 'POST', '/api/devices', body);
    t.equal(r.status, status, JSON.stringify(body));
    t.ok(r.body.message, 'says why');
  }
  t.equal((await api(url, admin, 'DELETE', '/api/devices/qr-desk')).status, 204);
  t.equal((await api(url, admin, 'GET', '/api/devices/qr-desk')).status, 404);
});

t.test('kiosk routes need the kiosk token', async (t) => {
  const k = await api<{ token: string }>(url, admin, 'POST', '/api/devices', {
    id: 'kiosk-2',
    type: 'kiosk',
    transport: 'http',
  });
  t.equal((await api(url, undefined, 'GET', '/api/kiosk/me')).status, 401, 'a stranger gets nothing');
  t.equal((await api(url, 'kiosk-2.wrong', 'GET', '/api/kiosk/me')).status, 401);
  t.equal((await api(url, admin, 'GET', '/api/kiosk/me')).status, 401, 'an admin session is not a kiosk');
  const res = await fetch(`${url}/api/kiosk/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: k.body.token }),
  });
  t.equal(res.status, 200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  t.match(cookie, /^linli_kiosk=/);
  const me = await fetch(`${url}/api/kiosk/me`, { headers: { cookie } });
  t.same(await me.json(), { deviceId: 'kiosk-2', house: 'demo-house' });
  const sse = await SseClient.connect(`${url}/api/kiosk/events`, { cookie });
  t.equal(sse.status, 200);
  await new Promise((r) => setTimeout(r, 100));
  const dev = await api<{ online: boolean }>(url, admin, 'GET', '/api/devices/kiosk-2');
  t.equal(dev.body.online, true, 'a kiosk is online while its screen listens');
  sse.close();
  await new Promise((r) => setTimeout(r, 200));
  t.equal((await api<{ online: boolean }>(url, admin, 'GET', '/api/devices/kiosk-2')).body.online, false);
});

t.test('roles: a viewer reads but does not write, and gets no event stream', async (t) => {
  const created = await api(url, admin, 'POST', '/api/users', {
    username: 'wang',
    role: 'viewer',
    password: 'viewer-password-1',
  });
  t.equal(created.status, 201);
  t.equal(
    (
      await api(url, admin, 'POST', '/api/users', {
        username: 'wang',
        role: 'staff',
        password: 'x-password-2',
      })
    ).status,
    409,
  );
  const viewer = await login(url, 'wang', 'viewer-password-1');
  t.equal((await api(url, viewer, 'GET', '/api/devices')).status, 200);
  const w = await api<{ code: string }>(url, viewer, 'POST', '/api/devices', {
    id: 'v1',
    type: 'kiosk',
    transport: 'http',
  });
  t.equal(w.status, 403);
  t.equal(w.body.code, 'FORBIDDEN');
  t.equal((await api(url, viewer, 'GET', '/api/events')).status, 403);
  t.equal((await api(url, viewer, 'GET', '/api/users')).status, 403);
});

t.test('SSE: events carry ids; Last-Event-ID replays what was missed; keepalive comments', async (t) => {
  const a = await SseClient.connect(`${url}/api/events`, { authorization: `Bearer ${admin}` });
  await api(url, admin, 'POST', '/api/devices', { id: 'kiosk-3', type: 'kiosk', transport: 'http' });
  const k = await api<{ token: string }>(url, admin, 'POST', '/api/devices', {
    id: 'kiosk-4',
    type: 'kiosk',
    transport: 'http',
  });
  const s = await SseClient.connect(`${url}/api/kiosk/events`, { authorization: `Bearer ${k.body.token}` });
  const first = await a.next(
    (m) => m.event === 'device.status' && (m.data as { deviceId: string }).deviceId === 'kiosk-4',
  );
  a.close();
  s.close();
  const off = await (async () => {
    const again = await SseClient.connect(`${url}/api/events`, {
      authorization: `Bearer ${admin}`,
      'last-event-id': String(first.id),
    });
    const m = await again.next(
      (m) => m.event === 'device.status' && (m.data as { online: boolean }).online === false,
    );
    again.close();
    return m;
  })();
  t.ok(Number(off.id) > Number(first.id), 'replayed the later event');
  t.match(off.data, { deviceId: 'kiosk-4', online: false });
  const raw = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${admin}` } });
  const reader = (raw.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  const until = Date.now() + 2000;
  while (!text.includes(': keepalive') && Date.now() < until) {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
  }
  t.match(text, /: keepalive/);
  await reader.cancel();
});

t.test('OpenAPI at /docs, metrics in Prometheus text', async (t) => {
  const spec = await fetch(`${url}/docs/json`);
  t.equal(spec.status, 200);
  const doc = (await spec.json()) as { openapi: string; paths: Record<string, unknown> };
  t.match(doc.openapi, /^3\./);
  for (const p of ['/api/devices', '/api/events', '/api/auth/login', '/healthz', '/metrics'])
    t.ok(doc.paths[p], p);
  const m = await (await fetch(`${url}/metrics`)).text();
  for (const name of [
    'linli_devices_online',
    'linli_device_events_total',
    'linli_journal_bytes',
    'linli_journal_commit_seconds',
  ]) {
    t.match(m, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
});

t.test('login attempts are rate-limited', async (t) => {
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await api(url, undefined, 'POST', '/api/auth/login', {
      username: 'admin',
      password: `wrong-${i}`,
    });
    statuses.push(r.status);
  }
  t.ok(statuses.includes(429), `got ${statuses.join(',')}`);
  const r = await api<{ code: string }>(url, undefined, 'POST', '/api/auth/login', {
    username: 'admin',
    password: 'test-admin-password',
  });
  t.equal(r.status, 429, 'even the right password waits out the window');
  t.equal(r.body.code, 'RATE_LIMITED');
});

t.test('bad requests get clear errors', async (t) => {
  const r = await fetch(`${url}/api/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: '{oops',
  });
  t.equal(r.status, 400);
  t.match(await r.json(), { statusCode: 400, code: 'BAD_REQUEST', message: String });
  const nf = await api<{ code: string }>(url, admin, 'GET', '/api/nothing-here');
  t.equal(nf.status, 404);
  t.equal(nf.body.code, 'NOT_FOUND');
});
