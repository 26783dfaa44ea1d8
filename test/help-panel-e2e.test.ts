import { join } from 'node:path';
import t from 'tap';
import { HelpPanelSimulator } from '../firmware-bridge/help-panel/simulator.js';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { ptyPair } from './helpers/pty.js';
import { webhookReceiver } from './helpers/webhook-receiver.js';

interface Alarm {
  id: string;
  kind: string;
  deviceId: string;
  assignedTo?: string;
  press: { seq: number; button?: string };
  repeats: number;
}

// A wired help-button panel on a real pty: press → alarm on disk → `$AK` back to the panel.
const dir = await tempDir();
const pty = await ptyPair(dir);
t.teardown(() => pty.kill());
const edge = await startEdge(
  { LINLI_SERIAL_BACKOFF_MS: '50', LINLI_SERIAL_BACKOFF_MAX_MS: '200' },
  { dataDir: join(dir, 'data') },
);
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const robot = await webhookReceiver();
t.teardown(robot.close);
await api(edge.httpUrl, token, 'PUT', '/api/webhooks', [{ name: 'json', url: robot.url, format: 'json' }]);
await api(edge.httpUrl, token, 'POST', '/api/devices', {
  id: 'panel-1',
  type: 'help-panel',
  transport: 'serial',
  path: pty.a,
  baudRate: 9600,
  assignedTo: '幸福里 3栋 活动室',
});
for (let i = 0; i < 100; i++) {
  const d = await api<{ online: boolean }>(edge.httpUrl, token, 'GET', '/api/devices/panel-1');
  if (d.body.online) break;
  await new Promise((r) => setTimeout(r, 50));
}
const panel = new HelpPanelSimulator({
  path: pty.b,
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  panelId: 'P1',
  hbMs: 0,
  repeatMs: 200,
});
await panel.open();
t.teardown(() => panel.close());

t.test('a red-key press is acked with $AK once on disk; its repeats make no second alarm', async (t) => {
  const sos = await panel.press('B1', 'sos', { maxSends: 20 });
  t.ok(sos.sends >= 1, `acked after ${sos.sends} send(s), ${sos.ackMs} ms`);
  const green = await panel.press('B2', 'service', { maxSends: 20 });
  const alarms = (await api<Alarm[]>(edge.httpUrl, token, 'GET', '/api/alarms')).body;
  t.equal(alarms.length, 2, 'one alarm per press');
  const bySeq = new Map(alarms.map((a) => [a.press.seq, a]));
  t.match(bySeq.get(sos.seq), {
    kind: 'sos',
    deviceId: 'panel-1',
    assignedTo: '幸福里 3栋 活动室',
    press: { button: 'B1' },
  });
  t.match(bySeq.get(green.seq), { kind: 'service', press: { button: 'B2' } });
  const posts = (await robot.waitFor(2)) as { alarm: { id: string } }[];
  t.same(
    posts.map((p) => p.alarm.id).sort(),
    alarms.map((a) => a.id).sort(),
    'each alarm posted to the webhook once',
  );
});

t.test('lost acks: the panel re-sends until one arrives, still one alarm', async (t) => {
  const before = (await api<Alarm[]>(edge.httpUrl, token, 'GET', '/api/alarms')).body.length;
  const p = new HelpPanelSimulator({
    path: pty.b,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    panelId: 'P1',
    hbMs: 0,
    repeatMs: 150,
    seq: 500,
    faults: { dropAcks: 2 },
  });
  await panel.close();
  await p.open();
  t.teardown(() => p.close());
  const r = await p.press('B3', 'sos', { maxSends: 20 });
  t.ok(r.sends >= 3, `re-sent until an ack got through (${r.sends} sends)`);
  const alarms = (await api<Alarm[]>(edge.httpUrl, token, 'GET', '/api/alarms')).body;
  t.equal(alarms.length, before + 1);
  t.ok((alarms.find((a) => a.press.seq === r.seq)?.repeats ?? 0) >= 2, 'repeats counted on the one alarm');
});
