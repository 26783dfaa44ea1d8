import t from 'tap';
import { parseDeviceEvent, parseStatus } from './device-payloads.js';

const b = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const ts = '2026-11-22T08:00:00.000Z';

t.test('valid events of every type, unknown fields ignored', async (t) => {
  t.match(parseDeviceEvent(b({ type: 'heartbeat', ts, seq: 1, extra: true })), {
    ok: true,
    value: { type: 'heartbeat' },
  });
  t.match(parseDeviceEvent(b({ type: 'card.tapped', ts, uid: '04A1B2C3' })), { ok: true });
  t.match(parseDeviceEvent(b({ type: 'qr.scanned', ts, text: '你好', symbology: 'Q1' })), { ok: true });
  t.match(parseDeviceEvent(b({ type: 'help.pressed', ts, seq: 3, key: 'sos', boot: 'b7', button: 'red' })), {
    ok: true,
  });
});

t.test('bad events each give a fixed reason', async (t) => {
  const cases: [unknown, string][] = [
    ['not json', 'not-json'],
    ['[]', 'no-type'],
    ['null', 'no-type'],
    [{ ts }, 'no-type'],
    [{ type: 'toast', ts }, 'unknown-type'],
    [{ type: 'heartbeat', ts }, 'invalid'],
    [{ type: 'heartbeat', seq: 1 }, 'invalid'],
    [{ type: 'card.tapped', ts, uid: '04a1' }, 'invalid'],
    [{ type: 'qr.scanned', ts, text: '' }, 'invalid'],
    [{ type: 'qr.scanned', ts, text: 'x'.repeat(4097) }, 'invalid'],
    [{ type: 'help.pressed', ts, seq: 1, key: 'red' }, 'invalid'],
    [{ type: 'heartbeat', ts: 'yesterday', seq: 1 }, 'bad-ts'],
  ];
  for (const [payload, reason] of cases) {
    t.match(parseDeviceEvent(b(payload)), { ok: false, reason }, JSON.stringify(payload).slice(0, 60));
  }
});

t.test('status payloads', async (t) => {
  t.match(parseStatus(b({ online: true, ts, fw: '1.0', battery: 87, hb: 60 })), { ok: true });
  t.match(parseStatus(b({ online: false })), { ok: true });
  t.match(parseStatus(b({ online: 'yes' })), { ok: false, reason: 'invalid' });
  t.match(parseStatus(b({ online: true, battery: 101 })), { ok: false });
  t.match(parseStatus(b('{')), { ok: false, reason: 'not-json' });
});
