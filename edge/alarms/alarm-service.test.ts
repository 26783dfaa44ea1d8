import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { HelpPressedEvent } from '../../firmware-bridge/device-events.js';
import { RecordLog } from '../store/record-log.js';
import { SnapshotStore } from '../store/snapshot-store.js';
import { type AlarmClock, AlarmService } from './alarm-service.js';

/** A fake clock: timers fire only when the test advances time. */
class FakeClock implements AlarmClock {
  t = Date.parse('2026-11-22T08:00:00.000Z');
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** What to wait for after each timer fires (the service's queue). */
  settle: () => Promise<void> = async () => undefined;
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await this.settle();
    }
    this.t = end;
  }
}

async function open(dir: string, clock: FakeClock) {
  const records = await RecordLog.open({
    dir: join(dir, 'records'),
    house: 'h1',
    clock: () => 'unsynced',
    now: clock.now,
  });
  const snapshots = await SnapshotStore.open(join(dir, 'snapshots'));
  const svc = await AlarmService.open({
    records,
    snapshots,
    clock,
    escalateMs: 60_000,
    maxLevel: () => 2,
    dedupeMs: 600_000,
    assignedTo: (id) => (id === 'btn-1' ? 'resident:r-17' : undefined),
  });
  clock.settle = () => svc.idle();
  const acks: { deviceId: string; seq: number }[] = [];
  const notified: number[] = [];
  svc.on('ackDevice', (a) => acks.push(a));
  svc.on('notify', (n) => notified.push(n.level));
  return { records, svc, acks, notified };
}

const press = (seq: number, boot = 'b1'): HelpPressedEvent => ({
  type: 'help.pressed',
  ts: '2026-11-22T07:59:59.000Z',
  seq,
  key: 'sos',
  boot,
});

t.test(
  'a press and its repeats make one alarm, each acked; it escalates every interval until acknowledged',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'linli-alarm-'));
    const clock = new FakeClock();
    const { records, svc, acks, notified } = await open(dir, clock);
    svc.start();
    const a = await svc.press('btn-1', press(12));
    const again = await svc.press('btn-1', press(12));
    t.equal(again.id, a.id, 'a repeat is the same alarm');
    t.equal(svc.list().length, 1);
    t.same(
      acks.map((x) => x.seq),
      [12, 12],
      'the device is acked for the press and for every repeat',
    );
    t.match(a, {
      kind: 'sos',
      state: 'notified',
      deviceId: 'btn-1',
      assignedTo: 'resident:r-17',
      level: 0,
      repeats: 1,
    });
    t.same(notified, [0]);
    await clock.advance(59_000);
    t.equal(svc.get(a.id)?.state, 'notified', 'not before the delay');
    await clock.advance(1_000);
    t.match(svc.get(a.id), { state: 'escalated', level: 1 });
    await clock.advance(60_000);
    t.equal(svc.get(a.id)?.level, 2);
    await clock.advance(60_000);
    t.equal(svc.get(a.id)?.level, 2, 'stays at the top level');
    t.same(notified, [0, 1, 2, 2], 'and keeps re-notifying it');
    await svc.acknowledge(a.id, 'zhang');
    await clock.advance(600_000);
    t.same(notified, [0, 1, 2, 2], 'no escalation after acknowledgement');
    const done = await svc.resolve(a.id, 'zhang', 'helped', '送医');
    t.match(done, {
      state: 'resolved',
      outcome: 'helped',
      note: '送医',
      acknowledgedBy: 'zhang',
      resolvedBy: 'zhang',
    });
    t.same(
      done.history.map((h) => h.action),
      ['raised', 'notified', 'escalated', 'escalated', 'escalated', 'acknowledged', 'resolved'],
    );
    await t.rejects(svc.resolve(a.id, 'zhang', 'helped'), { code: 'ALARM_RESOLVED' });
    const types: string[] = [];
    for await (const { record } of records.read(1)) types.push(record.type);
    t.same(types.slice(0, 2), ['alarm.raised', 'alarm.notified'], 'every step is a record');
    svc.stop();
    await records.close();
  },
);

t.test('a new boot or a new seq is a new alarm; a boot-less seq beyond the window is too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-alarm-'));
  const clock = new FakeClock();
  const { records, svc } = await open(dir, clock);
  const a = await svc.press('btn-1', press(1, 'b1'));
  const b = await svc.press('btn-1', press(1, 'b2'));
  const c = await svc.press('btn-1', press(2, 'b1'));
  const d = await svc.press('btn-2', press(1, 'b1'));
  t.equal(new Set([a.id, b.id, c.id, d.id]).size, 4);
  const panelPress = { type: 'help.pressed', ts: '2026-11-22T08:00:00.000Z', seq: 9, key: 'sos' } as const;
  const p1 = await svc.press('panel-1', panelPress);
  await clock.advance(700_000);
  const e = await svc.press('btn-1', press(1, 'b1'));
  t.equal(e.id, a.id, 'with a boot, the same press stays the same alarm however late its repeat');
  const p2 = await svc.press('panel-1', panelPress);
  t.not(p2.id, p1.id, 'a panel seq (no boot) seen again much later is a new press: its counter wrapped');
  svc.stop();
  await records.close();
});

t.test('open alarms and their timers survive a restart; duplicates still match', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-alarm-'));
  const clock = new FakeClock();
  let s = await open(dir, clock);
  const a = await s.svc.press('btn-1', press(5));
  await clock.advance(30_000);
  s.svc.stop();
  await s.records.close();
  // Restart 30 s after the press: the escalation is still due 60 s after it.
  s = await open(dir, clock);
  s.svc.start();
  t.equal(s.svc.get(a.id)?.state, 'notified');
  const dup = await s.svc.press('btn-1', press(5));
  t.equal(dup.id, a.id, 'the device re-sending after the restart gets the same alarm');
  t.equal(s.svc.list().length, 1);
  await clock.advance(29_000);
  t.equal(s.svc.get(a.id)?.level, 0);
  await clock.advance(2_000);
  t.equal(s.svc.get(a.id)?.level, 1, 'escalated on time after the restart');
  s.svc.stop();
  await s.records.close();
});

t.test('technical alarms: one open per device and reason, never escalated', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-alarm-'));
  const clock = new FakeClock();
  const { records, svc, notified } = await open(dir, clock);
  svc.start();
  const a = await svc.technical('btn-1', 'missed 3 heartbeats');
  const b = await svc.technical('btn-1', 'missed 3 heartbeats');
  t.equal(a.id, b.id);
  t.match(a, { kind: 'technical', reason: 'missed 3 heartbeats' });
  await clock.advance(600_000);
  t.equal(svc.get(a.id)?.level, 0);
  t.same(notified, [0]);
  svc.stop();
  await records.close();
});
