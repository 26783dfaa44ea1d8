import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { RecordLog } from '../edge/store/record-log.js';
import { api, login, startEdge } from './helpers/edge-process.js';
import { SseClient } from './helpers/sse-client.js';

// Cards bound to residents, and what a tap answers: the reader's feedback on its cmd topic, the
// kiosk's greeting with the name partly masked, and a `points` record naming the resident by id.
const edge = await startEdge();
t.teardown(() => edge.stop());
const admin = await login(edge.httpUrl);
await api(edge.httpUrl, admin, 'POST', '/api/residents', { id: 'r-1', name: '张桂兰', roles: ['elder'] });
await api(edge.httpUrl, admin, 'POST', '/api/residents', {
  id: 'r-2',
  name: '王建国',
  roles: ['party-member'],
});
const reader = await api<{ password: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
  id: 'rd-1',
  type: 'card-reader',
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
  username: 'rd-1',
  password: reader.body.password,
  protocolVersion: 4,
});
t.teardown(() => c.endAsync());
const feedback: string[] = [];
const signals = new Map<string, string>();
c.on('message', (_t, p) => {
  const cmd = JSON.parse(p.toString()) as { result: string; reason?: string; beep: number[]; text: string };
  feedback.push(cmd.result);
  signals.set(`${cmd.result}/${cmd.reason ?? ''}`, `${cmd.beep.join(',')}|${cmd.text}`);
});
await c.subscribeAsync('linli/v1/dev/rd-1/cmd', { qos: 1 });

async function tap(uid: string): Promise<{ result: string; greeting: Record<string, unknown> }> {
  const n = feedback.length;
  const seen = kiosk.messages.length;
  await c.publishAsync(
    'linli/v1/dev/rd-1/evt',
    JSON.stringify({ type: 'card.tapped', ts: new Date().toISOString(), uid }),
    { qos: 1 },
  );
  for (let i = 0; i < 100 && feedback.length === n; i++) await new Promise((r) => setTimeout(r, 20));
  const g = await kiosk.next((m) => m.event === 'kiosk.greeting' && kiosk.messages.indexOf(m) >= seen);
  return { result: feedback[n] as string, greeting: g.data as Record<string, unknown> };
}

t.test('binding: random UIDs and double binds are refused with a reason', async (t) => {
  const random = await api<{ message: string }>(edge.httpUrl, admin, 'POST', '/api/cards', {
    uid: '08A1B2C3',
    residentId: 'r-1',
    kind: 'resident',
  });
  t.equal(random.status, 422);
  t.match(random.body.message, /random UID/);
  t.equal(
    (
      await api(edge.httpUrl, admin, 'POST', '/api/cards', {
        uid: '04a1b2c3',
        residentId: 'r-1',
        kind: 'resident',
      })
    ).status,
    201,
  );
  t.equal(
    (
      await api(edge.httpUrl, admin, 'POST', '/api/cards', {
        uid: '04A1B2C3',
        residentId: 'r-2',
        kind: 'party',
      })
    ).status,
    409,
  );
  t.equal(
    (
      await api(edge.httpUrl, admin, 'POST', '/api/cards', {
        uid: 'AABBCCDD',
        residentId: 'nobody',
        kind: 'party',
      })
    ).status,
    404,
  );
  t.equal(
    (
      await api(edge.httpUrl, admin, 'POST', '/api/cards', {
        uid: '1234567890ABCD',
        residentId: 'r-2',
        kind: 'party',
      })
    ).status,
    201,
  );
});

t.test(
  'taps: greeted by masked name; unknown, lost and out-of-session cards each answer differently',
  async (t) => {
    const ok = await tap('04A1B2C3');
    t.equal(ok.result, 'ok');
    t.match(ok.greeting, { result: 'ok', name: '张*兰', kind: 'resident' });
    t.notMatch(JSON.stringify(ok.greeting), /04A1B2C3|张桂兰/, 'no UID, no full name on the kiosk');
    const party = await tap('1234567890ABCD');
    t.equal(party.result, 'no-session');
    t.match(party.greeting, { name: '王*国' });
    const unknown = await tap('DEADBEEF');
    t.equal(unknown.result, 'unknown-card');
    t.equal((await api(edge.httpUrl, admin, 'PATCH', '/api/cards/04A1B2C3', { state: 'lost' })).status, 200);
    const lost = await tap('04A1B2C3');
    t.equal(lost.result, 'refused');
    t.match(lost.greeting, { result: 'refused', reason: 'lost' });
    t.notOk(lost.greeting.name, 'a lost card greets nobody');
  },
);

t.test(
  'a points session: a party card is credited once; a resident card is refused; ranking and CSV',
  async (t) => {
    t.equal(
      (await api(edge.httpUrl, admin, 'PATCH', '/api/cards/04A1B2C3', { state: 'active' })).status,
      200,
    );
    const bad = await api(edge.httpUrl, admin, 'POST', '/api/points/sessions', {
      itemId: 'volunteer',
      readers: ['kiosk-1'],
    });
    t.equal(bad.status, 422, 'only card readers take part in a session');
    const s = await api<{ id: string }>(edge.httpUrl, admin, 'POST', '/api/points/sessions', {
      itemId: 'volunteer',
      readers: ['rd-1'],
    });
    t.equal(s.status, 201);
    const first = await tap('1234567890ABCD');
    t.equal(first.result, 'ok');
    t.match(first.greeting, { name: '王*国', credited: 2, points: { pointsThisMonth: 2, rank: 1 } });
    t.equal((await tap('1234567890ABCD')).result, 'duplicate', 'once per session');
    const resident = await tap('04A1B2C3');
    t.equal(resident.result, 'refused', 'a resident card earns no party points');
    t.equal((await api(edge.httpUrl, admin, 'POST', `/api/points/sessions/${s.body.id}/close`)).status, 200);
    t.equal((await tap('1234567890ABCD')).result, 'no-session');
    // Every answer sounds and reads differently on the reader.
    const distinct = [...signals.entries()];
    t.same(distinct.map(([k]) => k).sort(), [
      'duplicate/',
      'no-session/',
      'ok/',
      'refused/lost',
      'refused/not-party',
      'unknown-card/',
    ]);
    t.equal(new Set(distinct.map(([, v]) => v)).size, distinct.length, JSON.stringify(distinct));
    const d = await api(edge.httpUrl, admin, 'POST', '/api/points/deductions', {
      residentId: 'r-2',
      itemId: 'absence',
      reason: '无故缺席组织生活',
    });
    t.equal(d.status, 204);
    const ranking = await api<{
      period: string;
      rows: { residentId: string; name: string; points: number; rank: number }[];
    }>(edge.httpUrl, admin, 'GET', '/api/points/ranking');
    t.match(ranking.body, {
      period: /^\d{4}-\d{2}$/,
      rows: [{ residentId: 'r-2', name: '王建国', points: -1, rank: 1 }],
    });
    const csv = await fetch(`${edge.httpUrl}/api/points/ranking.csv`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const bytes = Buffer.from(await csv.arrayBuffer());
    t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a BOM, so Excel reads UTF-8');
    t.match(csv.headers.get('content-type'), /text\/csv/);
    t.equal(bytes.subarray(3).toString('utf8'), '排名,姓名,居民编号,积分\r\n1,王建国,r-2,-1\r\n');
  },
);

t.test('every tap is a points record naming the resident by id, never the card UID', async (t) => {
  t.equal(await edge.stop(), 0);
  const log = await RecordLog.open({
    dir: join(edge.dataDir, 'records'),
    house: 'demo-house',
    clock: () => 'unsynced',
  });
  t.teardown(() => log.close());
  const swipes = [];
  for await (const { record } of log.read(1)) if (record.type === 'card.swipe') swipes.push(record);
  t.same(
    swipes.map((r) => r.body.result),
    ['ok', 'no-session', 'unknown-card', 'refused', 'ok', 'duplicate', 'refused', 'no-session'],
  );
  t.match(swipes[0], { stream: 'points', body: { residentId: 'r-1', deviceId: 'rd-1' } });
  t.notMatch(JSON.stringify(swipes), /04A1B2C3|1234567890ABCD/);
  t.match(
    swipes[2],
    { body: { uidTail: 'BEEF' } },
    'an unknown card keeps only its last 2 bytes, to tell cards apart',
  );
});
