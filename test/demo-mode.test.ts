import t from 'tap';
import { api, login, startEdge } from './helpers/edge-process.js';
import { SseClient } from './helpers/sse-client.js';

// `LINLI_DEMO=1`: simulated devices on the real wire protocols, and the pages served.
const edge = await startEdge({ LINLI_DEMO: '1', LINLI_LOG_LEVEL: 'info' });
t.teardown(() => edge.stop());

t.test('serves the landing, kiosk and admin pages', async (t) => {
  for (const path of ['/', '/kiosk/', '/admin/']) {
    const r = await fetch(`${edge.httpUrl}${path}`);
    t.equal(r.status, 200, path);
    t.match(r.headers.get('content-type'), /text\/html/);
    t.match(await r.text(), /<div id="app"|<script type="module"/, `${path} is the built app`);
  }
  const docs = await fetch(`${edge.httpUrl}/docs/`);
  t.equal(docs.status, 200, 'OpenAPI UI');
});

t.test('prints a kiosk pairing link that works', async (t) => {
  const line = edge.stderr.find((l) => l.includes('kiosk screen:'));
  const token = /#token=(\S+)/.exec(line ?? '')?.[1];
  t.ok(token, 'link printed');
  const r = await api<{ deviceId: string }>(edge.httpUrl, token, 'GET', '/api/kiosk/me');
  t.equal(r.status, 200);
  t.equal(r.body.deviceId, 'kiosk-lobby');
});

t.test('simulated devices are registered and online, and scans flow', async (t) => {
  const token = await login(edge.httpUrl);
  const list = await api<{ id: string; online: boolean; transport: string }[]>(
    edge.httpUrl,
    token,
    'GET',
    '/api/devices',
  );
  const byId = new Map(list.body.map((d) => [d.id, d]));
  t.equal(byId.get('qr-lobby')?.transport, 'serial', 'a serial scanner on a socat pty');
  t.equal(byId.get('qr-lobby')?.online, true);
  t.equal(byId.get('qr-wifi')?.transport, 'mqtt', 'a wireless scanner over MQTT');
  t.equal(byId.get('qr-wifi')?.online, true);
  t.ok(byId.has('kiosk-lobby'));
  for (const id of ['btn-401', 'panel-hall', 'modem-1', 'reader-hall', 'pos-lobby']) {
    for (let i = 0; i < 100 && !byId.get(id)?.online; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const again = await api<{ id: string; online: boolean; transport: string }>(
        edge.httpUrl,
        token,
        'GET',
        `/api/devices/${id}`,
      );
      byId.set(id, again.body);
    }
    t.equal(byId.get(id)?.online, true, `${id} online`);
  }
  const badge = edge.stderr.find((l) => l.includes('elder badge:'));
  const url = /(http\S+\/p\/badge\/\S+)/.exec(badge ?? '')?.[1] ?? '';
  const page = await fetch(url);
  t.equal(page.status, 200, 'the demo elder badge page works');
  t.match(await page.text(), /024-88886666/);
  // The demo scans every 15 s from the serial scanner; wait for one.
  const sse = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${token}` });
  t.teardown(() => sse.close());
  const m = await sse.next((x) => x.event === 'qr.scanned', 20_000);
  t.match(m.data, { deviceId: /^qr-(lobby|wifi)$/, text: String });
  // A party member taps the hall's reader during the demo's open session: credited.
  const swipe = await sse.next((x) => x.event === 'points.swipe', 30_000);
  t.match(swipe.data, { deviceId: 'reader-hall', result: 'ok', residentId: /^m-demo-/, credited: 2 });
  const goods = await api<{ stock: number }[]>(edge.httpUrl, token, 'GET', '/api/points/goods');
  t.ok(goods.body.length > 0 && goods.body.every((g) => g.stock > 0), 'the points supermarket is stocked');
});

t.test('the simulated bank terminal takes a payment from the kiosk', async (t) => {
  const line = edge.stderr.find((l) => l.includes('kiosk screen:'));
  const kiosk = /#token=(\S+)/.exec(line ?? '')?.[1] as string;
  const res = await fetch(`${edge.httpUrl}/api/payments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${kiosk}`,
      'content-type': 'application/json',
      'idempotency-key': 'demo-pay-0001',
    },
    body: JSON.stringify({ amountFen: 1500, item: 'canteen', deviceId: 'pos-lobby' }),
  });
  t.equal(res.status, 201);
  const { id } = (await res.json()) as { id: string };
  let state = '';
  for (let i = 0; i < 300 && !['approved', 'declined'].includes(state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = (await api<{ state: string }>(edge.httpUrl, kiosk, 'GET', `/api/payments/${id}`)).body.state;
  }
  t.equal(state, 'approved');
});
