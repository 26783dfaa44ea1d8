import t from 'tap';
import type { DeviceStatusEvent } from '../api/types.js';
import type { DeviceRow } from '../state/edge-state.js';
import { DeviceHealth } from './device-health.js';

const row = (id: string, transport: DeviceRow['transport'] = 'mqtt'): DeviceRow => ({
  id,
  type: 'help-button',
  transport,
  createdAt: '2026-11-22T00:00:00.000Z',
});

function setup() {
  let now = Date.parse('2026-11-22T08:00:00.000Z');
  const h = new DeviceHealth({ misses: 3, scaleMs: 1000, now: () => now });
  const seen: DeviceStatusEvent[] = [];
  h.on('status', (s) => seen.push(s));
  return {
    h,
    seen,
    advance(ms: number) {
      now += ms;
      (h as unknown as { checkHeartbeats(): void }).checkHeartbeats();
    },
  };
}

t.test('an MQTT device is online from its birth and offline after 3 missed heartbeats', async (t) => {
  const { h, seen, advance } = setup();
  h.track(row('b1'));
  t.equal(h.get('b1')?.online, false);
  h.reportStatus('b1', { online: true, hb: 60, fw: '2.0', battery: 90 });
  t.match(h.get('b1'), { online: true, hb: 60, fw: '2.0', battery: 90 });
  advance(60_000);
  h.seen('b1'); // a heartbeat
  advance(179_000);
  t.equal(h.get('b1')?.online, true, 'still online just under 3 intervals after the last sign of life');
  advance(2_000);
  t.equal(h.get('b1')?.online, false, 'offline once 3 intervals passed');
  t.equal(h.get('b1')?.offlineReason, 'missed 3 heartbeats');
  h.seen('b1');
  t.equal(h.get('b1')?.online, true, 'any sign of life brings it back');
  t.same(
    seen.map((s) => s.online),
    [true, false, true],
  );
});

t.test('the default heartbeat is 60 s; will and disconnect make it offline with a reason', async (t) => {
  const { h, seen } = setup();
  h.track(row('b2'));
  h.reportStatus('b2', { online: true });
  t.equal(h.get('b2')?.hb, 60);
  h.reportStatus('b2', { online: false });
  t.equal(h.get('b2')?.offlineReason, 'device reported offline');
  h.reportStatus('b2', { online: true });
  h.disconnected('b2');
  t.equal(h.get('b2')?.offlineReason, 'disconnected');
  // Staying silent past the heartbeats after a disconnect is reported as such.
  (h as unknown as { checkHeartbeats(): void }).checkHeartbeats();
  t.equal(h.get('b2')?.offlineReason, 'disconnected', 'not yet');
  t.equal(seen.length, 4);
});

t.test('a serial device follows its link; reconnects are counted', async (t) => {
  const { h, advance } = setup();
  h.track(row('s1', 'serial'));
  h.reportLink('s1', false, 'ENOENT: no such port');
  t.equal(h.get('s1')?.offlineReason, 'ENOENT: no such port');
  h.reportLink('s1', true);
  t.equal(h.get('s1')?.counters.reconnects, 0, 'the first open is not a reconnect');
  advance(3_600_000);
  t.equal(h.get('s1')?.online, true, 'no heartbeat supervision without an announced interval');
  h.reportLink('s1', false, 'disconnected');
  h.reportLink('s1', true);
  t.equal(h.get('s1')?.counters.reconnects, 1);
  h.countEvent('s1');
  h.countError('s1');
  t.match(h.get('s1')?.counters, { events: 1, errors: 1, reconnects: 1 });
  t.equal(h.onlineCount(), 1);
});

t.test('unknown devices are ignored, forgotten ones too', async (t) => {
  const { h, seen } = setup();
  h.seen('ghost');
  h.reportStatus('ghost', { online: true });
  h.track(row('x'));
  h.forget('x');
  h.seen('x');
  t.same(seen, []);
});

t.test(
  'a disconnected device that stays silent past its heartbeats is reported as missing them',
  async (t) => {
    const { h, seen, advance } = setup();
    h.track(row('b3'));
    h.reportStatus('b3', { online: true, hb: 60 });
    h.disconnected('b3');
    advance(170_000);
    t.equal(h.get('b3')?.offlineReason, 'disconnected');
    advance(20_000);
    t.equal(h.get('b3')?.offlineReason, 'missed 3 heartbeats');
    advance(600_000);
    t.same(
      seen.map((s) => s.offlineReason ?? 'online'),
      ['online', 'disconnected', 'missed 3 heartbeats'],
      'announced once',
    );
  },
);
