import { join } from 'node:path';
import t from 'tap';
import { RecordLog } from '../edge/store/record-log.js';
import { QrScannerSimulator } from '../firmware-bridge/qr-scanner/simulator.js';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { mosquittoSub, requireMosquittoClients } from './helpers/mosquitto.js';
import { ptyPair } from './helpers/pty.js';
import { SseClient } from './helpers/sse-client.js';

requireMosquittoClients();

// The whole path of issue 2: scanner bytes on a real pty → firmware-bridge → broker → edge → disk → screens.
const dir = await tempDir();
const pty = await ptyPair(dir);
t.teardown(() => pty.kill());
const edge = await startEdge(
  { LINLI_SERIAL_BACKOFF_MS: '50', LINLI_SERIAL_BACKOFF_MAX_MS: '200' },
  { dataDir: join(dir, 'data') },
);
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);
const sse = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${token}` });
t.teardown(() => sse.close());

const sim = new QrScannerSimulator({ path: pty.b, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
const online = (want: boolean) => (m: { event: string; data: unknown }) =>
  m.event === 'device.status' &&
  (m.data as { deviceId: string; online: boolean }).deviceId === 'qr-1' &&
  (m.data as { online: boolean }).online === want;
let recordId = '';

t.test('register a serial scanner; it comes online', async (t) => {
  const r = await api(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'qr-1',
    type: 'qr-scanner',
    transport: 'serial',
    path: pty.a,
    baudRate: 9600,
  });
  t.equal(r.status, 201);
  await sse.next(online(true));
  await sim.open();
});

t.test('a scan reaches MQTT, the disk, and the event stream', async (t) => {
  const watch = mosquittoSub(edge.mqttPort, [
    '-u',
    'user:admin',
    '-P',
    'test-admin-password',
    '-t',
    'linli/v1/dev/qr-1/evt',
    '-C',
    '1',
    '-W',
    '10',
  ]);
  await watch.subscribed;
  await sim.scan('https://linli.example/p/badge/Ab3', { aim: 'Q1', chunks: [3, 5], gapMs: 10 });
  t.equal(await watch.exited, 0, watch.stderr.join(''));
  const evt = JSON.parse(watch.lines[0] ?? '{}');
  t.match(evt, { type: 'qr.scanned', text: 'https://linli.example/p/badge/Ab3', symbology: 'Q1', ts: /Z$/ });
  const m = await sse.next((x) => x.event === 'qr.scanned');
  t.match(m.data, {
    deviceId: 'qr-1',
    text: 'https://linli.example/p/badge/Ab3',
    kind: 'url',
    symbology: 'Q1',
  });
  recordId = (m.data as { recordId: string }).recordId;
  t.match(recordId, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a UUIDv7');
  await sim.scan('幸福里 3栋', {});
  const m2 = await sse.next(
    (x) => x.event === 'qr.scanned' && (x.data as { text: string }).text === '幸福里 3栋',
  );
  t.match(m2.data, { kind: 'text' });
});

t.test('malformed lines are dropped and counted', async (t) => {
  await sim.writeRaw('bad\x07line\r\n');
  await sim.scan('after-bad');
  await sse.next((x) => x.event === 'qr.scanned' && (x.data as { text: string }).text === 'after-bad');
  const dev = await api<{ counters: { errors: number; events: number } }>(
    edge.httpUrl,
    token,
    'GET',
    '/api/devices/qr-1',
  );
  t.equal(dev.body.counters.errors, 1);
  t.equal(dev.body.counters.events, 3);
});

t.test('the port vanishes: offline; it comes back: online, and scans flow again', async (t) => {
  await sim.close();
  await pty.kill();
  const off = await sse.next(online(false));
  t.ok((off.data as { offlineReason?: string }).offlineReason, 'says why');
  let dev = await api<{ online: boolean; counters: { reconnects: number } }>(
    edge.httpUrl,
    token,
    'GET',
    '/api/devices/qr-1',
  );
  t.equal(dev.body.online, false);
  sse.messages.length = 0;
  await pty.restart();
  await sse.next(online(true));
  dev = await api(edge.httpUrl, token, 'GET', '/api/devices/qr-1');
  t.equal(dev.body.online, true);
  t.equal(dev.body.counters.reconnects, 1);
  await sim.open();
  await sim.scan('back again');
  await sse.next((x) => x.event === 'qr.scanned' && (x.data as { text: string }).text === 'back again');
  await sim.close();
});

t.test('the scans are records on disk, in the envelope of DESIGN.md', async (t) => {
  t.equal(await edge.stop(), 0);
  const log = await RecordLog.open({
    dir: join(edge.dataDir, 'records'),
    house: 'demo-house',
    clock: () => 'unsynced',
  });
  t.teardown(() => log.close());
  const scans = [];
  const counters = [];
  for await (const { record } of log.read(1)) {
    if (record.stream === 'service') scans.push(record);
    if (record.type === 'device.counters') counters.push(record.body);
  }
  t.match(
    counters,
    [{ deviceId: 'qr-1', events: 4, errors: 1, reconnects: 1 }],
    'counters rolled up into the device stream at stop',
  );
  t.equal(scans.length, 4);
  t.match(scans[0], {
    id: recordId,
    house: 'demo-house',
    stream: 'service',
    seq: 1,
    type: 'qr.scanned',
    ts: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    clock: 'unsynced',
    v: 1,
    body: { deviceId: 'qr-1', text: 'https://linli.example/p/badge/Ab3', symbology: 'Q1' },
  });
  t.same(
    scans.map((r) => r.seq),
    [1, 2, 3, 4],
    'gap-free seq',
  );
  t.ok(log.streamSeq('device') >= 3, 'device status changes are records too');
});
