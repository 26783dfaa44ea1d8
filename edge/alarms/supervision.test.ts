import t from 'tap';
import type { DeviceRow } from '../state/edge-state.js';
import type { Alarm } from './alarm-model.js';
import { Supervision } from './supervision.js';

const now = Date.parse('2026-11-22T08:00:00.000Z');
const DAY = 86_400_000;
const devices: DeviceRow[] = [
  { id: 'btn-1', type: 'help-button', transport: 'mqtt', createdAt: new Date(now - 30 * DAY).toISOString() },
  { id: 'btn-new', type: 'help-button', transport: 'mqtt', createdAt: new Date(now - DAY).toISOString() },
  {
    id: 'panel-1',
    type: 'help-panel',
    transport: 'serial',
    path: '/dev/x',
    baudRate: 9600,
    createdAt: new Date(now - 30 * DAY).toISOString(),
  },
  { id: 'qr-1', type: 'qr-scanner', transport: 'mqtt', createdAt: new Date(now - 30 * DAY).toISOString() },
];
const testAlarm = (deviceId: string, daysAgo: number) =>
  ({ deviceId, outcome: 'test', raisedAt: new Date(now - daysAgo * DAY).toISOString() }) as Alarm;

function setup(alarms: Alarm[] = []) {
  const raised: [string, string][] = [];
  const s = new Supervision({
    devices: () => devices,
    alarms: () => alarms,
    raise: async (id, reason) => raised.push([id, reason]),
    lowBatteryPct: 20,
    testEveryMs: 7 * DAY,
    now: () => now,
  });
  return { s, raised };
}

t.test(
  'missed heartbeats and lost links of help devices raise technical alarms; other devices do not',
  async (t) => {
    const { s, raised } = setup();
    await s.onStatus({
      deviceId: 'btn-1',
      online: false,
      lastSeen: null,
      offlineReason: 'missed 3 heartbeats',
    });
    await s.onStatus({
      deviceId: 'panel-1',
      online: false,
      lastSeen: null,
      offlineReason: 'ENOENT: no such port /dev/x',
    });
    await s.onStatus({
      deviceId: 'qr-1',
      online: false,
      lastSeen: null,
      offlineReason: 'missed 3 heartbeats',
    });
    await s.onStatus({ deviceId: 'btn-1', online: true, lastSeen: null });
    await s.onStatus({ deviceId: 'btn-1', online: false, lastSeen: null, offlineReason: 'stopped' });
    await s.onStatus({ deviceId: 'btn-1', online: false, lastSeen: null, offlineReason: 'disconnected' });
    t.same(raised, [
      ['btn-1', 'offline: missed 3 heartbeats'],
      ['panel-1', 'offline: ENOENT: no such port /dev/x'],
    ]);
  },
);

t.test('low battery', async (t) => {
  const { s, raised } = setup();
  await s.onBattery('btn-1', 87);
  await s.onBattery('btn-1', 15);
  await s.onBattery('qr-1', 5);
  t.same(raised, [['btn-1', 'battery low']]);
});

t.test('weekly test presses: an alarm resolved as a test counts; new devices get a week', async (t) => {
  const { s, raised } = setup([testAlarm('btn-1', 3), testAlarm('panel-1', 9)]);
  t.same(
    s.untested().map((d) => d.id),
    ['panel-1'],
  );
  await s.checkTests();
  t.same(raised, [['panel-1', 'no test press for 7 days']]);
});
