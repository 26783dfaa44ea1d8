import http from 'node:http';
import t from 'tap';
import type { Alarm } from '../alarm-model.js';
import { type DeliveryLog, NotificationDispatcher } from './dispatcher.js';
import { alarmText, onDuty } from './notifier.js';
import { WebhookNotifier } from './webhook-notifier.js';

const alarm: Alarm = {
  id: '01900000-0000-7000-8000-000000000001',
  kind: 'sos',
  state: 'notified',
  deviceId: 'btn-1',
  assignedTo: 'resident:r-17',
  press: { ts: '2026-11-22T08:00:00.000Z', seq: 1, button: 'B1' },
  raisedAt: '2026-11-22T08:00:01.000Z',
  level: 0,
  repeats: 0,
  history: [],
};
const roster = [
  { name: '王', phone: '13800138000', level: 0, from: '08:00', to: '20:00' },
  { name: '赵', phone: '13700137000', level: 0, from: '20:00', to: '08:00' },
  { name: '李', phone: '13900139000', level: 1 },
];

t.test('the message staff read: kind, who, device, local time', async (t) => {
  const text = alarmText(alarm, 1, 'Asia/Shanghai');
  t.match(text, /紧急求助（SOS）（已升级至第 1 级）/);
  t.match(text, /位置：resident:r-17/, 'a place when no resident is known');
  t.match(
    alarmText({ ...alarm, who: { name: '张桂兰', address: '3栋401' } }, 0, 'Asia/Shanghai'),
    /对象：张桂兰（3栋401）/,
  );
  t.match(text, /btn-1 按键 B1/);
  t.match(text, /2026\/11\/22 16:00:01/, 'Beijing time');
});

t.test('who is on duty: by level and local hours, across midnight', async (t) => {
  const at = (iso: string) => onDuty(roster, 0, new Date(iso), 'Asia/Shanghai').map((d) => d.name);
  t.same(at('2026-11-22T02:00:00Z'), ['王'], '10:00 local');
  t.same(at('2026-11-22T14:00:00Z'), ['赵'], '22:00 local');
  t.same(at('2026-11-22T20:00:00Z'), ['赵'], '04:00 local');
  t.same(
    onDuty(roster, 1, new Date(), 'Asia/Shanghai').map((d) => d.name),
    ['李'],
    'no hours: always',
  );
});

/** A real HTTP receiver that answers with the given statuses in turn. */
async function receiver(answers: { status: number; body: string }[]) {
  const got: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      got.push(JSON.parse(body));
      const a = answers[Math.min(got.length - 1, answers.length - 1)] as { status: number; body: string };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return { url, got, close: () => new Promise((r) => server.close(r)) };
}

t.test('WeCom and DingTalk robot formats mention the on-duty phones; errcode ≠ 0 is a failure', async (t) => {
  const r = await receiver([{ status: 200, body: '{"errcode":0,"errmsg":"ok"}' }]);
  t.teardown(r.close);
  const msg = { alarm, level: 0, recipients: [roster[0] as (typeof roster)[number]], text: 'x' };
  await new WebhookNotifier({ name: 'wx', url: r.url, format: 'wecom' }).send(msg);
  await new WebhookNotifier({ name: 'dd', url: r.url, format: 'dingtalk' }).send(msg);
  await new WebhookNotifier({ name: 'js', url: r.url, format: 'json' }).send(msg);
  t.same(r.got[0], { msgtype: 'text', text: { content: 'x', mentioned_mobile_list: ['13800138000'] } });
  t.same(r.got[1], {
    msgtype: 'text',
    text: { content: 'x' },
    at: { atMobiles: ['13800138000'], isAtAll: false },
  });
  t.match(r.got[2], { type: 'linli.alarm', level: 0, alarm: { id: alarm.id }, recipients: [{ name: '王' }] });
  const bad = await receiver([{ status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' }]);
  t.teardown(bad.close);
  await t.rejects(
    new WebhookNotifier({ name: 'wx', url: bad.url, format: 'wecom' }).send(msg),
    /errcode 93000/,
  );
  const skip = new WebhookNotifier({ name: 'l1', url: bad.url, format: 'json', levels: [1] });
  await skip.send(msg);
  t.equal(bad.got.length, 1, 'a target for level 1 only is not posted level 0');
});

t.test('a failing channel is retried and reported, and never holds the others up', async (t) => {
  const flaky = await receiver([
    { status: 500, body: '' },
    { status: 200, body: '{}' },
  ]);
  t.teardown(flaky.close);
  const logs: DeliveryLog[] = [];
  const dead = { channel: 'dead', send: async () => Promise.reject(new Error('modem says ERROR')) };
  const slowOk = { channel: 'ok', send: async () => undefined };
  const d = new NotificationDispatcher(
    () => [new WebhookNotifier({ name: 'flaky', url: flaky.url, format: 'json' }), dead, slowOk],
    (a, level) => ({ alarm: a, level, recipients: [], text: 't' }),
    async (l) => {
      logs.push(l);
    },
    [20, 20],
  );
  d.dispatch(alarm, 0);
  await new Promise((r) => setTimeout(r, 300));
  await d.stop();
  const by = Object.fromEntries(logs.map((l) => [l.channel, l]));
  t.match(by.ok, { ok: true, attempts: 1 });
  t.match(by['webhook:flaky'], { ok: true, attempts: 2 }, '500 then 200');
  t.match(by.dead, { ok: false, attempts: 3, error: 'modem says ERROR' });
  t.equal(flaky.got.length, 2);
});
