import { join } from 'node:path';
import t from 'tap';
import { GsmModemSimulator, type ReceivedSms } from '../firmware-bridge/gsm-modem/simulator.js';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { ptyPair } from './helpers/pty.js';

// The SMS notifier through a serial GSM modem (simulated on a real pty): a kiosk SOS reaches the
// on-duty phone in Chinese; a modem that refuses once (+CMS ERROR) is retried.
const dir = await tempDir();
const pty = await ptyPair(dir);
t.teardown(() => pty.kill());
const modem = new GsmModemSimulator({
  path: pty.b,
  baudRate: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
});
await modem.open();
t.teardown(() => modem.close());
const sms: ReceivedSms[] = [];
modem.on('sms', (m) => sms.push(m));
const faults: unknown[] = [];
modem.on('fault', (f) => faults.push(f));
const edge = await startEdge(
  { LINLI_NOTIFY_RETRY_MS: '100', LINLI_SERIAL_BACKOFF_MS: '50', LINLI_SERIAL_BACKOFF_MAX_MS: '200' },
  { dataDir: join(dir, 'data') },
);
t.teardown(() => edge.stop());
const token = await login(edge.httpUrl);

t.test('an SOS is texted to the on-duty phone, after one refused attempt', async (t) => {
  await api(edge.httpUrl, token, 'PUT', '/api/duty', [{ name: '王', phone: '13800138000', level: 0 }]);
  await api(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'modem-1',
    type: 'gsm-modem',
    transport: 'serial',
    path: pty.a,
    baudRate: 115200,
  });
  for (let i = 0; i < 100; i++) {
    if ((await api<{ online: boolean }>(edge.httpUrl, token, 'GET', '/api/devices/modem-1')).body.online)
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  modem.setFault({ kind: 'cms-error', code: 330 }, 1);
  const k = await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'kiosk-1',
    type: 'kiosk',
    transport: 'http',
  });
  const press = await api<{ alarmId: string }>(edge.httpUrl, k.body.token, 'POST', '/api/kiosk/help', {
    requestId: 'sms-test-0001',
    key: 'sos',
  });
  t.equal(press.status, 200);
  for (let i = 0; i < 100 && sms.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(faults.length, 1, 'the first attempt was refused by the network');
  t.equal(sms.length, 1, 'one SMS delivered on the retry');
  t.match(sms[0], { to: /13800138000$/, text: /紧急求助/ });
  t.match(sms[0]?.text, /kiosk-1/);
});
