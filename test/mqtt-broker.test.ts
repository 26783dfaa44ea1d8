import mqtt from 'mqtt';
import t from 'tap';
import { api, login, startEdge } from './helpers/edge-process.js';
import { mosquittoPub, mosquittoSub, requireMosquittoClients } from './helpers/mosquitto.js';
import { SseClient } from './helpers/sse-client.js';

requireMosquittoClients();

const edge = await startEdge({ LINLI_MQTT_MAX_PAYLOAD: '65536' });
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const reg = async (id: string) => {
  const r = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
    id,
    type: 'help-button',
    transport: 'mqtt',
    assignedTo: `room ${id}`,
  });
  if (r.status !== 201) throw new Error(`register ${id}: ${r.status}`);
  return r.body.password;
};
const pwA = await reg('btn-a');
const pwB = await reg('btn-b');
const port = edge.mqttPort;
const as = (id: string, pw: string) => [
  '-i',
  `${id}-${Math.random().toString(16).slice(2, 8)}`,
  '-u',
  id,
  '-P',
  pw,
];
const refusedCount = async (action: string) => {
  const text = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(
    new RegExp(`^linli_mqtt_refused_total\\{action="${action}",reason="[^"]+"\\} (\\d+)`, 'gm'),
  ))
    n += Number(m[1]);
  return n;
};

t.test('the edge publishes its retained status', async (t) => {
  const sub = mosquittoSub(port, [
    '-u',
    'user:admin',
    '-P',
    'test-admin-password',
    '-t',
    'linli/v1/edge/status',
    '-C',
    '1',
    '-W',
    '5',
  ]);
  t.equal(await sub.exited, 0);
  const status = JSON.parse(sub.lines[0] ?? '{}');
  t.same(status, { online: true, house: 'demo-house', version: status.version });
});

t.test('anonymous and wrong credentials are refused', async (t) => {
  const anon = await mosquittoPub(port, ['-t', 'linli/v1/dev/btn-a/evt', '-m', '{}']);
  t.not(anon.code, 0, 'anonymous publish fails');
  t.match(anon.stderr, /not authori[sz]ed|refused|bad user/i);
  const wrong = await mosquittoPub(port, [
    '-u',
    'btn-a',
    '-P',
    'not-the-password',
    '-t',
    'linli/v1/dev/btn-a/evt',
    '-m',
    '{}',
  ]);
  t.not(wrong.code, 0, 'wrong password fails');
  const userAsDevice = await mosquittoPub(port, [
    '-u',
    'admin',
    '-P',
    'test-admin-password',
    '-t',
    'linli/v1/dev/btn-a/evt',
    '-m',
    '{}',
  ]);
  t.not(userAsDevice.code, 0, 'a user name is not a device');
  t.ok((await refusedCount('connect')) >= 3, 'refused connects counted');
});

t.test('a device publishes its own events; the edge hears them', async (t) => {
  const sse = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${token}` });
  t.teardown(() => sse.close());
  const ts = new Date().toISOString();
  const r = await mosquittoPub(port, [
    ...as('btn-a', pwA),
    '-q',
    '1',
    '-t',
    'linli/v1/dev/btn-a/evt',
    '-m',
    JSON.stringify({ type: 'heartbeat', ts, seq: 7 }),
  ]);
  t.equal(r.code, 0, r.stderr);
  const m = await sse.next((x) => x.event === 'heartbeat');
  t.match(m.data, { deviceId: 'btn-a', seq: 7, ts });
  type Dev = { online: boolean; lastSeen: string; offlineReason: string; counters: { events: number } };
  let dev = await api<Dev>(edge.httpUrl, token, 'GET', '/api/devices/btn-a');
  for (let i = 0; i < 40 && dev.body.online; i++) {
    await new Promise((r) => setTimeout(r, 50)); // the disconnect may land just after the event
    dev = await api<Dev>(edge.httpUrl, token, 'GET', '/api/devices/btn-a');
  }
  t.equal(dev.body.counters.events, 1);
  t.ok(dev.body.lastSeen, 'last seen now');
  // mosquitto_pub disconnects right after publishing: an MQTT device without a connection is offline.
  t.equal(dev.body.online, false);
  t.equal(dev.body.offlineReason, 'disconnected');
});

t.test("a device cannot publish under another device's topic", async (t) => {
  const watch = mosquittoSub(port, [
    '-u',
    'user:admin',
    '-P',
    'test-admin-password',
    '-t',
    'linli/v1/dev/btn-b/evt',
  ]);
  t.teardown(() => watch.stop());
  await watch.subscribed;
  const before = await refusedCount('publish');
  const msg = JSON.stringify({ type: 'heartbeat', ts: new Date().toISOString(), seq: 1 });
  const r = await mosquittoPub(port, [
    ...as('btn-a', pwA),
    '-q',
    '1',
    '-t',
    'linli/v1/dev/btn-b/evt',
    '-m',
    msg,
  ]);
  t.not(r.code, 0, 'the broker closed the connection instead of PUBACK');
  t.equal(await refusedCount('publish'), before + 1, 'refusal counted');
  await new Promise((r) => setTimeout(r, 300));
  t.same(watch.lines, [], 'nothing delivered under btn-b');
  const cmd = await mosquittoPub(port, [
    ...as('btn-a', pwA),
    '-q',
    '1',
    '-t',
    'linli/v1/dev/btn-a/cmd',
    '-m',
    '{}',
  ]);
  t.not(cmd.code, 0, 'a device may not publish commands, even its own');
  const dev = await api<{ counters: { errors: number } }>(edge.httpUrl, token, 'GET', '/api/devices/btn-a');
  t.ok(dev.body.counters.errors >= 2, 'counted on the device');
});

t.test("a device cannot read another device's commands", async (t) => {
  const denied = mosquittoSub(port, [...as('btn-a', pwA), '-t', 'linli/v1/dev/btn-b/cmd', '-W', '3']);
  await denied.exited;
  t.match(denied.stderr.join(''), /All subscription requests were denied/, 'SUBACK 0x80');
  const wild = mosquittoSub(port, [...as('btn-a', pwA), '-t', 'linli/v1/dev/+/cmd', '-W', '3']);
  await wild.exited;
  t.match(
    wild.stderr.join(''),
    /All subscription requests were denied/,
    'wildcards over other devices are denied',
  );
  // Its own command topic is allowed: it receives what the edge sends there.
  const own = mosquittoSub(port, [...as('btn-a', pwA), '-t', 'linli/v1/dev/btn-a/cmd', '-C', '1', '-W', '5']);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(own.lines.length, 0);
  await own.stop();
});

t.test('an oversized payload is refused', async (t) => {
  const watch = mosquittoSub(port, [
    '-u',
    'user:admin',
    '-P',
    'test-admin-password',
    '-t',
    'linli/v1/dev/btn-b/evt',
  ]);
  t.teardown(() => watch.stop());
  await watch.subscribed;
  const before = await refusedCount('publish');
  const big = JSON.stringify({
    type: 'heartbeat',
    ts: new Date().toISOString(),
    seq: 1,
    pad: 'x'.repeat(70 * 1024),
  });
  const r = await mosquittoPub(port, [
    ...as('btn-b', pwB),
    '-q',
    '1',
    '-t',
    'linli/v1/dev/btn-b/evt',
    '-m',
    big,
  ]);
  t.not(r.code, 0);
  t.equal(await refusedCount('publish'), before + 1);
  await new Promise((r) => setTimeout(r, 300));
  t.same(watch.lines, [], 'not delivered');
});

t.test('malformed payloads are counted, not crashed on', async (t) => {
  for (const m of [
    'not json',
    '{"type":"heartbeat"}',
    '{"type":"nope","ts":"2026-01-01T00:00:00.000Z"}',
    '[]',
  ]) {
    const r = await mosquittoPub(port, [
      ...as('btn-b', pwB),
      '-q',
      '1',
      '-t',
      'linli/v1/dev/btn-b/evt',
      '-m',
      m,
    ]);
    t.equal(r.code, 0, 'accepted on the wire');
  }
  // PUBACK comes before the edge has looked at the payload: wait until all four are counted.
  let text = '';
  for (let i = 0; i < 50; i++) {
    text = await (await fetch(`${edge.httpUrl}/metrics`)).text();
    if (
      /linli_device_payloads_rejected_total\{reason="unknown-type"\} 1/.test(text) &&
      /reason="not-json"\} 1/.test(text)
    )
      break;
    await new Promise((r) => setTimeout(r, 40));
  }
  t.match(text, /linli_device_payloads_rejected_total\{reason="not-json"\} 1/);
  t.match(text, /linli_device_payloads_rejected_total\{reason="invalid"\} 1/);
  t.match(text, /linli_device_payloads_rejected_total\{reason="unknown-type"\} 1/);
  const health = await fetch(`${edge.httpUrl}/healthz`);
  t.equal(health.status, 200);
});

t.test('MQTT over WebSocket at /mqtt, with the same rules', async (t) => {
  const wsUrl = `${edge.httpUrl.replace('http', 'ws')}/mqtt`;
  const c = await mqtt.connectAsync(wsUrl, {
    username: 'btn-b',
    password: pwB,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  t.teardown(() => c.endAsync());
  const granted = await c.subscribeAsync('linli/v1/dev/btn-b/cmd', { qos: 1 });
  t.equal(granted[0]?.qos, 1);
  await t.rejects(c.subscribeAsync('linli/v1/dev/btn-a/cmd', { qos: 1 }), /Subscribe error/, 'SUBACK 0x80');
  const sse = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${token}` });
  t.teardown(() => sse.close());
  await c.publishAsync(
    'linli/v1/dev/btn-b/evt',
    JSON.stringify({ type: 'heartbeat', ts: new Date().toISOString(), seq: 42 }),
    { qos: 1 },
  );
  const m = await sse.next((x) => x.event === 'heartbeat' && (x.data as { seq: number }).seq === 42);
  t.match(m.data, { deviceId: 'btn-b' });
  await t.rejects(
    mqtt.connectAsync(wsUrl, {
      username: 'btn-b',
      password: 'wrong',
      protocolVersion: 4,
      reconnectPeriod: 0,
    }),
  );
});

t.test('a device goes offline on its will, and after missed heartbeats', async (t) => {
  const c = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'btn-a',
    password: pwA,
    protocolVersion: 4,
    reconnectPeriod: 0,
    will: {
      topic: 'linli/v1/dev/btn-a/status',
      payload: Buffer.from('{"online":false}'),
      retain: true,
      qos: 1,
    },
  });
  await c.publishAsync(
    'linli/v1/dev/btn-a/status',
    JSON.stringify({ online: true, ts: new Date().toISOString(), hb: 60, fw: '1.2.3', battery: 80 }),
    {
      retain: true,
      qos: 1,
    },
  );
  await new Promise((r) => setTimeout(r, 100));
  let dev = await api<{ online: boolean; fw: string; battery: number; hb: number }>(
    edge.httpUrl,
    token,
    'GET',
    '/api/devices/btn-a',
  );
  t.match(dev.body, { online: true, fw: '1.2.3', battery: 80, hb: 60 });
  c.stream.destroy(); // connection lost: the broker publishes the will
  await new Promise((r) => setTimeout(r, 300));
  dev = await api(edge.httpUrl, token, 'GET', '/api/devices/btn-a');
  t.equal(dev.body.online, false);
});

t.test('a device cannot knock another off the broker by reusing its client id', async (t) => {
  const b = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'btn-b',
    password: pwB,
    clientId: 'shared-id',
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  t.teardown(() => b.endAsync());
  await t.rejects(
    mqtt.connectAsync(edge.mqttUrl, {
      username: 'btn-a',
      password: pwA,
      clientId: 'shared-id',
      protocolVersion: 4,
      reconnectPeriod: 0,
    }),
    /Identifier rejected/i,
  );
  await new Promise((r) => setTimeout(r, 100));
  t.ok(b.connected, 'the first holder stays connected');
  // The same device may take its own session over (a reboot before the broker noticed).
  const again = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'btn-b',
    password: pwB,
    clientId: 'shared-id',
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  t.ok(again.connected);
  await again.endAsync();
});
