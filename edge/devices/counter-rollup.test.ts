import t from 'tap';
import type { DeviceRow } from '../state/edge-state.js';
import { type CounterRecord, CounterRollup } from './counter-rollup.js';
import { DeviceHealth } from './device-health.js';

t.test('one record per device and window, with the window deltas; quiet devices write nothing', async (t) => {
  let now = Date.parse('2026-11-22T08:00:00.000Z');
  const health = new DeviceHealth({ misses: 3, scaleMs: 1000, now: () => now });
  const row = (id: string): DeviceRow => ({ id, type: 'qr-scanner', transport: 'mqtt', createdAt: '' });
  health.track(row('a'));
  health.track(row('b'));
  const out: CounterRecord[] = [];
  const rollup = new CounterRollup(
    health,
    () => ['a', 'b'],
    async (r) => out.push(r),
    3600_000,
    (err) => t.error(err),
    () => now,
  );
  for (let i = 0; i < 5; i++) health.countEvent('a');
  health.countError('a');
  now += 3600_000;
  await rollup.flush();
  t.same(out, [
    {
      deviceId: 'a',
      from: '2026-11-22T08:00:00.000Z',
      to: '2026-11-22T09:00:00.000Z',
      events: 5,
      errors: 1,
      reconnects: 0,
    },
  ]);
  health.countEvent('a');
  health.countEvent('b');
  now += 3600_000;
  await rollup.flush();
  t.same(
    out.slice(1).map((r) => [r.deviceId, r.events, r.from]),
    [
      ['a', 1, '2026-11-22T09:00:00.000Z'],
      ['b', 1, '2026-11-22T09:00:00.000Z'],
    ],
  );
  now += 3600_000;
  await rollup.flush();
  t.equal(out.length, 3, 'nothing moved, nothing written');
});
