/**
 * The MQTT help-button simulator against a real broker: the machine's Mosquitto on 127.0.0.1:1883
 * when it lets this test in (TESTBED.md, "MQTT peers"), otherwise an aedes broker started here. The
 * edge's side is played by a small mqtt.js acker that answers `help.ack` only on the third send and
 * sends wrong acks (other seq, other boot) first.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import t from 'tap';
import { ButtonNoAckError, buttonTopics, HelpButtonSimulator } from './simulator.js';

const REPEAT_MS = 100;
const NOW = Date.parse('2026-03-01T08:00:00.000Z');

/** Connects an mqtt.js client with Nagle off, or rejects within 1 s. */
async function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 1000,
    ...options,
  });
  (client.stream as Partial<Socket>).setNoDelay?.(true);
  return client;
}

async function startAedes(
  authenticate?: (username: string | undefined) => boolean,
): Promise<{ url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker(
    authenticate === undefined
      ? {}
      : { authenticate: (_client, username, _password, done) => done(null, authenticate(username)) },
  );
  const server: Server = createServer({ noDelay: true }, (socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The machine's Mosquitto if it accepts a client here; otherwise an aedes broker of our own. */
async function broker(): Promise<{ url: string; name: string; close(): Promise<void> }> {
  const url = 'mqtt://127.0.0.1:1883';
  try {
    const probe = await connect(url, { username: 'linli-probe', password: 'x' });
    await probe.endAsync();
    return { url, name: 'Mosquitto on 1883', close: async () => {} };
  } catch {
    return { ...(await startAedes()), name: 'aedes (1883 refused this test)' };
  }
}

interface Press {
  type: string;
  ts: string;
  seq: number;
  key: string;
  boot: string;
}

const peer = await broker();
const deviceId = `sim-btn-${process.pid}-${randomBytes(3).toString('hex')}`;
const topics = buttonTopics(deviceId);

t.test(`help button against ${peer.name}`, async (t) => {
  const acker = await connect(peer.url, { clientId: `${deviceId}-acker` });
  const presses: Press[] = [];
  const statuses: Record<string, unknown>[] = [];
  const heartbeats: { seq: number }[] = [];
  /** What the acker answers to the n-th receipt of seq s; nothing when it returns undefined. */
  let answer: (p: Press, n: number) => object[] = () => [];
  acker.on('message', (topic, payload) => {
    if (topic === topics.status) {
      if (payload.length > 0) statuses.push(JSON.parse(payload.toString()));
      return;
    }
    const m = JSON.parse(payload.toString()) as Press;
    if (m.type === 'heartbeat') heartbeats.push(m);
    if (m.type !== 'help.pressed') return;
    presses.push(m);
    const n = presses.filter((p) => p.seq === m.seq && p.boot === m.boot).length;
    for (const ack of answer(m, n)) acker.publish(topics.cmd, JSON.stringify(ack), { qos: 1 });
  });
  await acker.subscribeAsync([topics.evt, topics.status], { qos: 1 });
  const sim = new HelpButtonSimulator({
    url: peer.url,
    deviceId,
    password: 'pw-not-checked-here',
    hbMs: 60,
    repeatMs: REPEAT_MS,
    seq: 5,
    fw: '1.2.3',
    battery: 87,
    now: () => NOW,
  });
  t.teardown(async () => {
    await sim.close();
    await acker.publishAsync(topics.status, '', { retain: true, qos: 1 }); // clear our retained status
    await acker.endAsync();
  });

  await sim.open();
  t.ok(sim.connected);
  const until = async (done: () => boolean, ms = 3000) => {
    for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) await sleep(5);
  };

  t.test('birth, retained, and heartbeats', async (t) => {
    await until(() => statuses.length > 0 && heartbeats.length >= 2);
    t.same(statuses[0], { online: true, ts: '2026-03-01T08:00:00.000Z', fw: '1.2.3', battery: 87, hb: 1 });
    const late = await connect(peer.url);
    const retained = new Promise<string>((resolve) => late.on('message', (_t, p) => resolve(p.toString())));
    await late.subscribeAsync(topics.status);
    t.same(JSON.parse(await retained), statuses[0], 'a late subscriber gets the birth');
    await late.endAsync();
    t.same(
      heartbeats.slice(0, 2),
      [
        { type: 'heartbeat', ts: '2026-03-01T08:00:00.000Z', seq: 0 },
        { type: 'heartbeat', ts: '2026-03-01T08:00:00.000Z', seq: 1 },
      ],
      'heartbeats on evt',
    );
  });

  t.test('re-sent until the matching ack; wrong seq and wrong boot are ignored', async (t) => {
    presses.length = 0;
    answer = (p, n) => {
      if (n === 1)
        return [
          { type: 'help.ack', seq: p.seq + 1000, boot: p.boot },
          { type: 'help.ack', seq: p.seq, boot: 'other' },
        ];
      if (n === 3) return [{ type: 'help.ack', seq: p.seq, boot: p.boot }];
      return [];
    };
    const result = await sim.press('sos');
    t.equal(result.seq, 5);
    t.equal(result.sends, 3, 'acked on the third send');
    t.ok(result.ackMs >= 2 * REPEAT_MS, `ack after ${result.ackMs.toFixed(0)} ms`);
    t.same(sim.counters, { acks: 1, ignored: 2 }, 'the wrong acks were ignored');
    await sleep(4 * REPEAT_MS);
    t.equal(presses.length, 3, 'no send after the ack');
    t.same(
      presses.map((p) => ({ ...p })),
      Array.from({ length: 3 }, () => ({
        type: 'help.pressed',
        ts: '2026-03-01T08:00:00.000Z',
        seq: 5,
        key: 'sos',
        boot: sim.boot,
      })),
      'every send is the same event',
    );
  });

  t.test('an ack without boot matches on seq; seq increments per press', async (t) => {
    presses.length = 0;
    answer = (p) => [{ type: 'help.ack', seq: p.seq }];
    const result = await sim.press('service');
    t.same([result.seq, result.sends], [6, 1]);
    t.equal(presses[0]?.key, 'service');
    answer = () => [
      { type: 'feedback', result: 'ok' },
      { type: 'help.ack', seq: 'x' },
    ];
    await t.rejects(sim.press('sos', { maxSends: 2 }), ButtonNoAckError, 'unanswered: gives up on maxSends');
    t.equal(sim.nextSeq, 8);
  });

  t.test('cutPower: the broker publishes the last will', async (t) => {
    statuses.length = 0;
    const pending = t.rejects(sim.press('sos'), ButtonNoAckError, 'a pending press ends');
    await until(() => presses.some((p) => p.seq === 8));
    await sim.cutPower();
    await pending;
    await until(() => statuses.length > 0);
    t.same(statuses, [{ online: false }], 'last will');
    t.notOk(sim.connected);
  });

  t.test('a new power-up has a new boot; close() says offline', async (t) => {
    const again = new HelpButtonSimulator({
      url: peer.url,
      deviceId,
      password: 'pw',
      hbMs: 0,
      repeatMs: REPEAT_MS,
    });
    t.not(again.boot, sim.boot);
    statuses.length = 0;
    await again.open();
    await until(() => statuses.length > 0);
    t.notOk('hb' in (statuses[0] ?? {}), 'no heartbeats: no hb announced');
    statuses.length = 0;
    await again.close();
    await until(() => statuses.length > 0);
    t.same(statuses, [{ online: false }]);
  });
});

t.test('open() rejects a refused login and an unreachable broker, without the password', async (t) => {
  const strict = await startAedes((username) => username === 'good');
  t.teardown(() => strict.close());
  const refused = new HelpButtonSimulator({
    url: strict.url,
    deviceId: 'bad',
    password: 's3cret-pw',
    hbMs: 0,
  });
  const error = await refused.open().catch((e: Error) => e);
  t.match(
    String(error),
    /cannot connect to mqtt:\/\/127\.0\.0\.1:\d+ as bad: .*(refused|[Nn]ot authori[sz]ed)/,
  );
  t.notMatch(String(error), /s3cret/);
  const good = new HelpButtonSimulator({ url: strict.url, deviceId: 'good', password: 'pw', hbMs: 0 });
  await good.open();
  await good.close();
  const nobody = new HelpButtonSimulator({
    url: 'mqtt://127.0.0.1:1',
    deviceId: 'x',
    password: 'pw',
    hbMs: 0,
  });
  await t.rejects(nobody.open(), /cannot connect to mqtt:\/\/127\.0\.0\.1:1 as x: .*ECONNREFUSED/);
  await t.rejects(nobody.press('sos'), ButtonNoAckError, 'press before open');
});

t.teardown(() => peer.close());
