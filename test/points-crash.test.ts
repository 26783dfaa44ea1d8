import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { SseClient } from './helpers/sse-client.js';

// SIGKILL during a burst of swipes, restart, swipe everyone again: no credit lost, none doubled.
const N = 150;
const dir = await tempDir();
const dataDir = join(dir, 'data');
let edge = await startEdge({}, { dataDir });
let admin = await login(edge.httpUrl);
const reader = await api<{ password: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
  id: 'rd-1',
  type: 'card-reader',
  transport: 'mqtt',
});
const kiosk = await api<{ token: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
  id: 'kiosk-1',
  type: 'kiosk',
  transport: 'http',
});
const uid = (i: number) => `04${i.toString(16).toUpperCase().padStart(6, '0')}`;
for (let i = 0; i < N; i++) {
  await api(edge.httpUrl, admin, 'POST', '/api/residents', {
    id: `m-${i}`,
    name: `党员${i}`,
    roles: ['party-member'],
  });
  await api(edge.httpUrl, admin, 'POST', '/api/cards', { uid: uid(i), residentId: `m-${i}`, kind: 'party' });
}
await api(edge.httpUrl, admin, 'POST', '/api/points/sessions', { itemId: 'theme-day', readers: ['rd-1'] });

async function burst(count: number, killAfter?: number) {
  const greetings = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, {
    authorization: `Bearer ${kiosk.body.token}`,
  });
  const c = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'rd-1',
    password: reader.body.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  c.on('error', () => undefined);
  const taps = Array.from({ length: count }, (_, i) => i);
  for (const i of taps)
    c.publish(
      'linli/v1/dev/rd-1/evt',
      JSON.stringify({ type: 'card.tapped', ts: new Date().toISOString(), uid: uid(i) }),
    );
  const ok = () => greetings.messages.filter((m) => (m.data as { result: string }).result === 'ok').length;
  if (killAfter !== undefined) {
    while (ok() < killAfter) await new Promise((r) => setTimeout(r, 1));
    edge.proc.kill('SIGKILL');
    await edge.exited;
  } else {
    while (greetings.messages.length < count) await new Promise((r) => setTimeout(r, 5));
  }
  c.end(true);
  greetings.close();
  return greetings.messages.map((m) => m.data as { result: string; name?: string });
}

t.test(
  'killed mid-burst: every acknowledged credit survives; re-swiping credits only the rest',
  async (t) => {
    const before = await burst(N, 40);
    const acked = before.filter((g) => g.result === 'ok').length;
    t.ok(acked >= 40 && acked < N, `${acked} credits acknowledged before the kill`);
    edge = await startEdge({}, { dataDir });
    t.teardown(() => edge.stop());
    admin = await login(edge.httpUrl);
    const after = await burst(N);
    const results = after.map((g) => g.result);
    t.equal(results.filter((r) => r === 'ok').length + results.filter((r) => r === 'duplicate').length, N);
    t.ok(
      results.filter((r) => r === 'duplicate').length >= acked,
      'everyone credited before the kill is a duplicate now',
    );
    const ranking = await api<{ rows: { residentId: string; points: number }[] }>(
      edge.httpUrl,
      admin,
      'GET',
      '/api/points/ranking',
    );
    t.equal(ranking.body.rows.length, N);
    t.same(
      [...new Set(ranking.body.rows.map((r) => r.points))],
      [2],
      'every member exactly once: none lost, none doubled',
    );
  },
);
