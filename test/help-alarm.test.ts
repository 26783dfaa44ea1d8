import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import t from 'tap';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { mosquittoPub, mosquittoSub, requireMosquittoClients } from './helpers/mosquitto.js';
import { SseClient } from './helpers/sse-client.js';
import { webhookReceiver } from './helpers/webhook-receiver.js';

requireMosquittoClients();

interface Alarm {
  id: string;
  state: string;
  level: number;
  kind: string;
  deviceId: string;
  assignedTo?: string;
  repeats: number;
  history: { action: string }[];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A wireless button as DESIGN.md wants it: re-sends help.pressed every `everyMs` until help.ack. */
async function pressUntilAcked(
  url: () => string,
  id: string,
  password: string,
  seq: number,
  boot: string,
  everyMs = 200,
) {
  let client: MqttClient | undefined;
  let acked = false;
  let sends = 0;
  const connect = async () => {
    const c = await mqtt.connectAsync(url(), {
      username: id,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 500,
    });
    c.on('error', () => undefined);
    c.on('message', (_topic, payload) => {
      const m = JSON.parse(payload.toString()) as { type: string; seq: number; boot?: string };
      if (m.type === 'help.ack' && m.seq === seq && m.boot === boot) acked = true;
    });
    await c.subscribeAsync(`linli/v1/dev/${id}/cmd`, { qos: 1 });
    return c;
  };
  const deadline = Date.now() + 20_000;
  while (!acked && Date.now() < deadline) {
    try {
      if (!client?.connected) {
        client?.end(true);
        client = await connect();
      }
      sends++;
      client.publish(
        `linli/v1/dev/${id}/evt`,
        JSON.stringify({ type: 'help.pressed', ts: new Date().toISOString(), seq, key: 'sos', boot }),
        { qos: 1 },
      );
    } catch {
      // the edge is down: keep trying, as a real button does
    }
    const until = Date.now() + everyMs;
    while (!acked && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }
  await client?.endAsync().catch(() => undefined);
  return { acked, sends };
}

t.test(
  'an MQTT press: one alarm, acked after it is on disk, retained, escalating, then handled',
  async (t) => {
    const edge = await startEdge({ LINLI_ALARM_ESCALATE_MS: '400', LINLI_NOTIFY_RETRY_MS: '50' });
    t.teardown(() => edge.stop());
    const token = await login(edge.httpUrl);
    await api(edge.httpUrl, token, 'PUT', '/api/duty', [
      { name: '王', phone: '13800138000', level: 0 },
      { name: '李', phone: '13900139000', level: 1 },
    ]);
    // A local staff-group robot that fails once, then takes the message.
    const wecom = await webhookReceiver([500]);
    t.teardown(wecom.close);
    const posts = wecom.posts as {
      msgtype: string;
      text: { content: string; mentioned_mobile_list: string[] };
    }[];
    const hook = wecom.url;
    const hooks = [{ name: 'wecom-duty', url: hook, format: 'wecom', levels: [0] }];
    t.equal((await api(edge.httpUrl, token, 'PUT', '/api/webhooks', hooks)).status, 200);
    const reg = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
      id: 'btn-1',
      type: 'help-button',
      transport: 'mqtt',
      assignedTo: 'resident:r-1',
    });
    const sse = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${token}` });
    t.teardown(() => sse.close());
    const r = await pressUntilAcked(() => edge.mqttUrl, 'btn-1', reg.body.password, 7, 'boot-a');
    t.ok(r.acked, `acked after ${r.sends} send(s)`);
    // Duplicates from a third-party client never make a second alarm, and are acked again.
    const dup = JSON.stringify({
      type: 'help.pressed',
      ts: new Date().toISOString(),
      seq: 7,
      key: 'sos',
      boot: 'boot-a',
    });
    await mosquittoPub(edge.mqttPort, [
      '-u',
      'btn-1',
      '-P',
      reg.body.password,
      '-q',
      '1',
      '-t',
      'linli/v1/dev/btn-1/evt',
      '-m',
      dup,
    ]);
    // PUBACK comes before the edge has handled the duplicate: wait for it to be counted.
    let list = await api<Alarm[]>(edge.httpUrl, token, 'GET', '/api/alarms');
    for (let i = 0; i < 50 && (list.body[0]?.repeats ?? 0) < 1; i++) {
      await new Promise((r) => setTimeout(r, 40));
      list = await api<Alarm[]>(edge.httpUrl, token, 'GET', '/api/alarms');
    }
    t.equal(list.body.length, 1, 'exactly one alarm');
    const alarm = list.body[0] as Alarm;
    t.match(alarm, { kind: 'sos', deviceId: 'btn-1', assignedTo: 'resident:r-1' });
    t.ok(alarm.repeats >= 1, 'repeats counted');
    const seen = await sse.next((m) => m.event === 'alarm');
    t.match(seen.data, { id: alarm.id });
    const retained = mosquittoSub(edge.mqttPort, [
      '-u',
      'user:admin',
      '-P',
      'test-admin-password',
      '-t',
      `linli/v1/edge/alarm/${alarm.id}`,
      '-C',
      '1',
      '-W',
      '5',
    ]);
    await retained.exited;
    t.match(
      JSON.parse(retained.lines[0] ?? '{}'),
      { id: alarm.id, deviceId: 'btn-1' },
      'the retained topic holds the alarm',
    );
    await sse.next((m) => m.event === 'alarm' && (m.data as Alarm).level === 1, 5000);
    for (let i = 0; i < 50 && posts.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    t.equal(posts.length, 2, 'the robot was retried after its 500');
    t.match(posts[1], {
      msgtype: 'text',
      text: { content: /紧急求助/, mentioned_mobile_list: ['13800138000'] },
    });
    const ack = await api<Alarm>(edge.httpUrl, token, 'POST', `/api/alarms/${alarm.id}/ack`);
    t.equal(ack.body.state, 'acknowledged');
    const res = await api<Alarm>(edge.httpUrl, token, 'POST', `/api/alarms/${alarm.id}/resolve`, {
      outcome: 'helped',
      note: '已上门',
    });
    t.equal(res.body.state, 'resolved');
    // Escalation repeats every 400 ms until the ack: on a loaded machine it may escalate again first.
    const actions = res.body.history.map((h) => h.action);
    t.same(
      actions.filter((a, i) => a !== 'escalated' || actions[i - 1] !== 'escalated'),
      ['raised', 'notified', 'escalated', 'acknowledged', 'resolved'],
    );
    const cleared = mosquittoSub(edge.mqttPort, [
      '-u',
      'user:admin',
      '-P',
      'test-admin-password',
      '-t',
      `linli/v1/edge/alarm/${alarm.id}`,
      '-C',
      '1',
      '-W',
      '1',
    ]);
    await cleared.exited;
    t.same(cleared.lines, [], 'the retained alarm is cleared once resolved');
    t.equal(
      (await api(edge.httpUrl, token, 'POST', `/api/alarms/${alarm.id}/resolve`, { outcome: 'helped' }))
        .status,
      409,
    );
    t.equal(
      (await api(edge.httpUrl, token, 'POST', `/api/alarms/${alarm.id}/resolve`, { outcome: 'nope' })).status,
      400,
    );
  },
);

t.test(
  'SIGKILL between the press and the ack: the button re-sends; after restart exactly one alarm, escalating on time',
  async (t) => {
    const dir = await tempDir();
    const dataDir = join(dir, 'data');
    const mqttPort = await freePort();
    const env = { LINLI_ALARM_ESCALATE_MS: '1500', LINLI_MQTT_PORT: String(mqttPort) };
    let edge = await startEdge(env, { dataDir });
    const token = await login(edge.httpUrl);
    await api(edge.httpUrl, token, 'PUT', '/api/duty', [
      { name: '王', level: 0 },
      { name: '李', level: 1 },
    ]);
    const reg = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
      id: 'btn-k',
      type: 'help-button',
      transport: 'mqtt',
      assignedTo: 'room 7',
    });
    // Watch the press arrive on the broker and kill the daemon right then, before the ack can go out.
    const watcher = await mqtt.connectAsync(edge.mqttUrl, {
      username: 'user:admin',
      password: 'test-admin-password',
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    watcher.on('error', () => undefined);
    await watcher.subscribeAsync('linli/v1/dev/btn-k/evt');
    const first = edge;
    watcher.on('message', () => first.proc.kill('SIGKILL'));
    const pressing = pressUntilAcked(
      () => `mqtt://127.0.0.1:${mqttPort}`,
      'btn-k',
      reg.body.password,
      1,
      'boot-k',
      300,
    );
    t.equal(await first.exited, 'SIGKILL');
    watcher.end(true);
    edge = await startEdge(env, { dataDir });
    t.teardown(() => edge.stop());
    const r = await pressing;
    t.ok(r.acked, `acked after the restart (${r.sends} sends)`);
    const token2 = await login(edge.httpUrl);
    const list = await api<Alarm[]>(edge.httpUrl, token2, 'GET', '/api/alarms');
    t.equal(list.body.length, 1, 'exactly one alarm');
    const id = (list.body[0] as Alarm).id;
    const until = Date.now() + 6000;
    let level = 0;
    while (level < 1 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 100));
      level = (await api<Alarm[]>(edge.httpUrl, token2, 'GET', '/api/alarms')).body[0]?.level ?? 0;
    }
    t.equal(level, 1, `alarm ${id} escalated after the restart`);
  },
);

t.test(
  'the kiosk red button: one alarm per press even when the screen re-sends, and the kiosk sees the banner',
  async (t) => {
    const edge = await startEdge();
    t.teardown(() => edge.stop());
    const token = await login(edge.httpUrl);
    const robot = await webhookReceiver();
    t.teardown(robot.close);
    await api(edge.httpUrl, token, 'PUT', '/api/webhooks', [
      { name: 'dd', url: robot.url, format: 'dingtalk' },
    ]);
    const k = await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
      id: 'kiosk-1',
      type: 'kiosk',
      transport: 'http',
    });
    const kioskSse = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, {
      authorization: `Bearer ${k.body.token}`,
    });
    t.teardown(() => kioskSse.close());
    const body = { requestId: 'req-0001-abcd', key: 'sos' };
    const a = await api<{ alarmId: string }>(edge.httpUrl, k.body.token, 'POST', '/api/kiosk/help', body);
    const b = await api<{ alarmId: string }>(edge.httpUrl, k.body.token, 'POST', '/api/kiosk/help', body);
    t.equal(a.status, 200);
    t.equal(a.body.alarmId, b.body.alarmId);
    t.equal((await api<Alarm[]>(edge.httpUrl, token, 'GET', '/api/alarms')).body.length, 1);
    const posts = (await robot.waitFor(1)) as { msgtype: string; text: { content: string } }[];
    t.equal(posts.length, 1, 'posted to the DingTalk robot once');
    t.match(posts[0], { msgtype: 'text', text: { content: /紧急求助/ } });
    const banner = await kioskSse.next((m) => m.event === 'kiosk.alarm');
    t.same(
      Object.keys(banner.data as object).sort(),
      ['id', 'kind', 'raisedAt', 'state'],
      'no who, no where on a public screen',
    );
    t.equal(
      (await api(edge.httpUrl, undefined, 'POST', '/api/kiosk/help', body)).status,
      401,
      'only a paired kiosk',
    );
    const late = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, {
      authorization: `Bearer ${k.body.token}`,
    });
    t.teardown(() => late.close());
    const shown = await late.next((m) => m.event === 'kiosk.alarm', 2000);
    t.match(shown.data, { id: a.body.alarmId }, 'a screen opened during the alarm shows its banner at once');
  },
);
