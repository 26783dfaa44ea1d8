import { pino } from 'pino';
import t, { type Test } from 'tap';
import { parseSourceRecord } from '../../cloud-sync/client/sync-source.js';
import type { Stream, SyncRecord } from '../../cloud-sync/protocol/record.js';
import { RecordLog } from '../store/record-log.js';
import { DroppedRecords } from './dropped-records.js';
import { JournalSyncSource } from './journal-source.js';
import { Retention, type RetentionOptions, type SnapshotHolder } from './retention.js';

const DAY = 86_400_000;
const log = pino({ level: 'silent' });

/** A holder whose snapshot covers what it was last told, like the alarm and points services. */
class Holder implements SnapshotHolder {
  covers = 0;
  checkpoints = 0;
  constructor(private readonly records: RecordLog) {}
  async snapshotCovers(): Promise<number> {
    return this.covers;
  }
  async checkpoint(): Promise<number> {
    this.checkpoints++;
    this.covers = this.records.lastLsn;
    return this.covers;
  }
}

async function setup(t: Test, now: { ms: number }) {
  const dir = t.testdir();
  const records = await RecordLog.open({
    dir,
    house: 'h1',
    clock: () => 'synced',
    now: () => now.ms,
    journal: { segmentMaxBytes: 4096 },
  });
  t.teardown(() => records.close());
  const dropped = await DroppedRecords.open(dir);
  const cursors: Record<string, number> = {};
  const holder = new Holder(records);
  const disk = { free: 10_000_000 as number | null };
  const make = (o: Partial<RetentionOptions> = {}) =>
    new Retention({
      records,
      cursors: async () => cursors,
      holders: [holder],
      dropped,
      retentionMs: 7 * DAY,
      minFreeBytes: 1_000_000,
      diskFree: async () => disk.free,
      now: () => now.ms,
      log,
      ...o,
    });
  return { dir, records, dropped, cursors, holder, disk, make };
}

async function add(records: RecordLog, stream: Stream, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await records.append(stream, 'x', { pad: 'r'.repeat(60) });
}

async function readAll(src: JournalSyncSource, stream: Stream, after = 0): Promise<SyncRecord[]> {
  const out: SyncRecord[] = [];
  for await (const r of src.read(stream, after)) out.push(parseSourceRecord(r));
  return out;
}

t.test('synced segments past the retention go; unsynced, young or unsnapshotted ones stay', async (t) => {
  const now = { ms: Date.UTC(2026, 0, 1) };
  const { records, cursors, holder, make } = await setup(t, now);
  await add(records, 'alarm', 40);
  await add(records, 'points', 40);
  const segments = records.segments().length;
  t.ok(segments > 4, `${segments} segments`);
  const retention = make();

  // Nothing synced: nothing deleted, however old.
  now.ms += 30 * DAY;
  t.match(await retention.run(), { deleted: 0, dropped: 0 });
  // Alarms synced, points not: only segments holding alarms alone go.
  cursors.alarm = 40;
  const r1 = await retention.run();
  t.ok(r1.deleted > 0, `${r1.deleted} alarm-only segments deleted`);
  t.ok(holder.checkpoints > 0, 'a snapshot was taken first to cover them');
  const first = records.segments()[0]?.summary;
  t.ok(first?.streams.points, 'the first kept segment holds unsynced points');
  // Everything synced but young: kept.
  cursors.points = 40;
  now.ms = Date.UTC(2026, 0, 2);
  t.match(await retention.run(), { deleted: 0 });
  // Old enough: all closed segments go, never the active one.
  now.ms += 8 * DAY;
  const r2 = await retention.run();
  t.ok(r2.deleted > 0);
  t.equal(records.segments().length, 1, 'only the active segment is left');
  t.equal(records.streamSeq('points'), 40, 'seqs go on');
  t.equal((await records.append('points', 'x', {})).seq, 41);
});

t.test('a holder that cannot cover a segment keeps it', async (t) => {
  const now = { ms: Date.UTC(2026, 0, 1) };
  const { records, cursors, make } = await setup(t, now);
  await add(records, 'alarm', 60);
  cursors.alarm = 60;
  now.ms += 30 * DAY;
  const stuck: SnapshotHolder = { snapshotCovers: async () => 0, checkpoint: async () => 0 };
  const before = records.segments().length;
  t.match(await make({ holders: [stuck] }).run(), { deleted: 0 });
  t.equal(records.segments().length, before);
});

t.test('disk nearly full: only unsynced scans are dropped, as stand-ins the cloud still gets', async (t) => {
  const now = { ms: Date.UTC(2026, 0, 1) };
  const { dir, records, dropped, cursors, disk, make } = await setup(t, now);
  await add(records, 'service', 60); // segments of scans only
  await add(records, 'alarm', 30); // then unsynced alarms
  await add(records, 'service', 30);
  const src = new JournalSyncSource(records, dropped);
  const allScans = await readAll(src, 'service');
  t.equal(allScans.length, 90);
  disk.free = 100; // nearly full, and it stays so: the policy goes as far as it may
  const r = await make().run();
  t.ok(r.dropped > 0, `${r.dropped} segments dropped`);
  t.ok(r.droppedRecords > 0 && r.droppedRecords <= 60, `${r.droppedRecords} scans dropped`);
  t.equal(r.deleted, 0, 'nothing was synced');
  t.ok(
    records.segments()[0]?.summary?.streams.alarm,
    'it stops at the first segment holding an unsynced alarm',
  );
  t.equal(dropped.count, r.droppedRecords);
  // The source still yields every scan seq: stand-ins first, then the journal's.
  const after = await readAll(src, 'service');
  t.same(
    after.map((x) => x.seq),
    allScans.map((x) => x.seq),
  );
  t.same(
    after.map((x) => x.id),
    allScans.map((x) => x.id),
    'stand-ins keep the records’ ids',
  );
  const standIns = after.filter((x) => x.type === 'record.dropped');
  t.equal(standIns.length, r.droppedRecords);
  t.match(standIns[0], { body: { reason: 'disk-full', type: 'x' } });
  t.equal((await readAll(src, 'alarm')).length, 30, 'every alarm is still there');
  // Reading from inside the dropped range.
  t.same((await readAll(src, 'service', 5)).map((x) => x.seq)[0], 6);
  // Once the cloud holds them, the stand-ins are forgotten (and survive a restart until then).
  t.equal((await DroppedRecords.open(dir)).count, r.droppedRecords, 'the list is durable');
  cursors.service = 90;
  await dropped.prune(cursors);
  t.equal(dropped.count, 0);
});

t.test('disk nearly full with only alarms unsynced: nothing is dropped, and it says so', async (t) => {
  const now = { ms: Date.UTC(2026, 0, 1) };
  const { records, disk, make } = await setup(t, now);
  await add(records, 'alarm', 60);
  disk.free = 100;
  const r = await make().run();
  t.match(r, { deleted: 0, dropped: 0, droppedRecords: 0 });
});
