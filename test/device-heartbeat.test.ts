import mqtt from 'mqtt';
import t from 'tap';
import { api, login, startEdge } from './helpers/edge-process.js';
import { SseClient } from './helpers/sse-client.js';

// Heartbeat supervision with time scaled down: 1 heartbeat second = 20 ms, so `hb: 10` is 200 ms.
const SCALE = 20;
const HB = 10;
const INTERVAL_MS = HB * SCALE;
const edge = await startEdge({ LINLI_HB_SCALE: String(SCALE) });
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const reg = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
  id: 'btn-hb',
  type: 'help-button',
  transport: 'mqtt',
  assignedTo: 'room 102',
});

t.test(
  'a connected device that stops its heartbeats goes offline within 3 intervals, and back on the next',
  async (t) => {
    const sse = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${token}` });
    t.teardown(() => sse.close());
    const c = await mqtt.connectAsync(edge.mqttUrl, {
      username: 'btn-hb',
      password: reg.body.password,
      protocolVersion: 4,
    });
    t.teardown(() => c.endAsync());
    const now = () => new Date().toISOString();
    await c.publishAsync('linli/v1/dev/btn-hb/status', JSON.stringify({ online: true, ts: now(), hb: HB }), {
      retain: true,
      qos: 1,
    });
    let lastBeat = 0;
    for (let seq = 0; seq < 6; seq++) {
      lastBeat = Date.now();
      await c.publishAsync('linli/v1/dev/btn-hb/evt', JSON.stringify({ type: 'heartbeat', ts: now(), seq }), {
        qos: 1,
      });
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    const isOff = (m: { event: string; data: unknown }) =>
      m.event === 'device.status' &&
      (m.data as { deviceId: string; online: boolean }).deviceId === 'btn-hb' &&
      !(m.data as { online: boolean }).online;
    t.notOk(sse.messages.some(isOff), 'online while heartbeats arrive on time');
    const off = await sse.next(isOff, 5000);
    const after = Date.now() - lastBeat;
    t.match(off.data, { offlineReason: 'missed 3 heartbeats' });
    const tech = await sse.next(
      (m) =>
        m.event === 'alarm' &&
        (m.data as { kind: string; state: string }).kind === 'technical' &&
        (m.data as { state: string }).state === 'notified',
    );
    t.match(
      tech.data,
      { deviceId: 'btn-hb', reason: 'offline: missed 3 heartbeats', state: 'notified' },
      'a help button gone silent is a technical alarm',
    );
    t.ok(after >= 3 * INTERVAL_MS, `not before 3 intervals (${after} ms)`);
    t.ok(
      after < 5 * INTERVAL_MS,
      `marked offline ${after} ms after the last heartbeat (interval ${INTERVAL_MS} ms)`,
    );
    await c.publishAsync(
      'linli/v1/dev/btn-hb/evt',
      JSON.stringify({ type: 'heartbeat', ts: now(), seq: 99 }),
      { qos: 1 },
    );
    await sse.next(
      (m) =>
        m.event === 'device.status' &&
        (m.data as { online: boolean }).online &&
        (m.data as { deviceId: string }).deviceId === 'btn-hb',
    );
    const dev = await api<{ online: boolean; hb: number }>(edge.httpUrl, token, 'GET', '/api/devices/btn-hb');
    t.match(dev.body, { online: true, hb: HB });
  },
);
