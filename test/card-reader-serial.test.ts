import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { SerialCardReaderSimulator } from '../firmware-bridge/card-reader/serial-simulator.js';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { mosquittoSub, requireMosquittoClients } from './helpers/mosquitto.js';
import { ptyPair, skipWithoutSocat } from './helpers/pty.js';
import { SseClient } from './helpers/sse-client.js';

requireMosquittoClients();

// A serial card reader (UID as a decimal line) on a real socat pty, driven by the daemon: a tap is
// a card.tapped on MQTT, a credit once per session, a line for staff and a greeting for the kiosk;
// a card held on a reader that repeats its line is one tap.
const skip = await skipWithoutSocat();
t.test('serial card reader through the daemon', { skip }, async (t) => {
  const dir = await tempDir();
  const pty = await ptyPair(dir);
  t.teardown(() => pty.kill());
  const edge = await startEdge(
    { LINLI_SERIAL_BACKOFF_MS: '50', LINLI_SERIAL_BACKOFF_MAX_MS: '200', LINLI_CARD_COOLDOWN_MS: '600' },
    { dataDir: join(dir, 'data') },
  );
  t.teardown(() => edge.stop());
  const admin = await login(edge.httpUrl);
  const staff = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${admin}` });
  t.teardown(() => staff.close());
  const kiosk = await api<{ token: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
    id: 'kiosk-1',
    type: 'kiosk',
    transport: 'http',
  });
  const screen = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, {
    authorization: `Bearer ${kiosk.body.token}`,
  });
  t.teardown(() => screen.close());
  await api(edge.httpUrl, admin, 'POST', '/api/residents', {
    id: 'm-1',
    name: '王建国',
    roles: ['party-member'],
  });
  t.equal(
    (
      await api(edge.httpUrl, admin, 'POST', '/api/cards', {
        uid: '04A1B2C3',
        residentId: 'm-1',
        kind: 'party',
      })
    ).status,
    201,
  );

  const reg = await api(edge.httpUrl, admin, 'POST', '/api/devices', {
    id: 'desk-reader',
    type: 'card-reader',
    transport: 'serial',
    path: pty.a,
    baudRate: 9600,
    uidFormat: 'decimal',
  });
  t.equal(reg.status, 201, JSON.stringify(reg.body));
  await staff.next(
    (m) =>
      m.event === 'device.status' &&
      (m.data as { deviceId: string; online: boolean }).deviceId === 'desk-reader' &&
      (m.data as { online: boolean }).online,
  );
  const session = await api<{ id: string }>(edge.httpUrl, admin, 'POST', '/api/points/sessions', {
    itemId: 'theme-day',
    readers: ['desk-reader'],
  });
  t.equal(session.status, 201);

  const sim = new SerialCardReaderSimulator({
    path: pty.b,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    uidFormat: 'decimal',
  });
  await sim.open();
  t.teardown(() => sim.close());
  const watch = mosquittoSub(edge.mqttPort, [
    ...['-u', 'user:admin', '-P', 'test-admin-password'],
    ...['-t', 'linli/v1/dev/desk-reader/evt', '-C', '1', '-W', '10'],
  ]);
  await watch.subscribed;
  // Held for a second, the reader repeats the line every 100 ms: one tap.
  const lines = await sim.tap('04A1B2C3', { holdMs: 1000, repeatMs: 100 });
  t.ok(lines >= 8, `${lines} lines written`);
  t.equal(await watch.exited, 0, watch.stderr.join(''));
  t.match(
    JSON.parse(watch.lines[0] ?? '{}'),
    { type: 'card.tapped', uid: '04A1B2C3' },
    'card.tapped on MQTT',
  );
  const swipe = await staff.next((m) => m.event === 'points.swipe');
  t.match(swipe.data, { deviceId: 'desk-reader', residentId: 'm-1', result: 'ok', credited: 2 });
  const greeting = await screen.next((m) => m.event === 'kiosk.greeting');
  t.match(greeting.data, { result: 'ok', name: '王*', credited: 2, points: { pointsThisMonth: 2 } });
  t.notMatch(JSON.stringify(greeting.data), /04A1B2C3/, 'the kiosk never sees the UID');

  // After the cooldown, the same card again: a second presence, counted once per session.
  await sleep(700);
  await sim.tap('04A1B2C3');
  const again = await staff.next((m) => m.event === 'points.swipe' && m !== swipe);
  t.match(again.data, { result: 'duplicate', residentId: 'm-1' });
  t.equal(staff.messages.filter((m) => m.event === 'points.swipe').length, 2, 'two presences, two swipes');
  const member = await api<{ pointsThisMonth: number }>(
    edge.httpUrl,
    admin,
    'GET',
    '/api/points/members/m-1',
  );
  t.equal(member.body.pointsThisMonth, 2, 'credited once');

  // An unknown card: a distinct answer, and the reader's device shows no errors for it.
  await sim.tap('04FFFFFF');
  const unknown = await staff.next(
    (m) => m.event === 'points.swipe' && (m.data as { result: string }).result === 'unknown-card',
  );
  t.notOk((unknown.data as { residentId?: string }).residentId);
  await sim.close();
  await sleep(50);
});
