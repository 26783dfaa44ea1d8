import { appendFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Stream, SyncRecord } from '../../cloud-sync/protocol/record.js';
import { Journal } from './journal.js';
import { RecordLog, type RecordLogOptions } from './record-log.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function options(dir: string, extra: Partial<RecordLogOptions> = {}): RecordLogOptions {
  return { dir, house: 'house-1', clock: () => 'synced', journal: { segmentMaxBytes: 2048 }, ...extra };
}

async function readAll(log: RecordLog): Promise<{ lsn: number; record: SyncRecord }[]> {
  const out: { lsn: number; record: SyncRecord }[] = [];
  for await (const r of log.read(log.firstLsn)) out.push(r);
  return out;
}

/** Problems with gap-free LSNs and per-stream seqs (1..n, no gap, no repeat), and each stream's last seq. */
function continuity(all: { lsn: number; record: SyncRecord }[]): {
  problems: string[];
  last: Map<Stream, number>;
} {
  const last = new Map<Stream, number>();
  const problems: string[] = [];
  all.forEach(({ lsn, record }, i) => {
    if (lsn !== (all[0]?.lsn ?? 1) + i) problems.push(`LSN gap at ${lsn}`);
    const expected = (last.get(record.stream) ?? 0) + 1;
    if (record.seq !== expected) problems.push(`${record.stream} seq ${record.seq}, expected ${expected}`);
    last.set(record.stream, record.seq);
  });
  return { problems, last };
}

t.test('append builds the v1 envelope and resolves once durable', async (t) => {
  let now = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  const log = await RecordLog.open(options(t.testdir(), { clock: () => 'unsynced', now: () => now }));
  const rec = await log.append('alarm', 'alarm.raised', { deviceId: 'btn-1' });
  t.match(rec, {
    house: 'house-1',
    stream: 'alarm',
    seq: 1,
    type: 'alarm.raised',
    ts: '2025-01-02T03:04:05.678Z',
    clock: 'unsynced',
    v: 1,
    body: { deviceId: 'btn-1' },
  });
  t.match(rec.id, UUID_V7);
  t.equal(
    rec.id.slice(0, 13).replace('-', ''),
    now.toString(16).padStart(12, '0'),
    'the id carries the clock',
  );
  now -= 1000; // a clock stepping back keeps ids increasing
  const ids = [rec.id];
  for (let i = 0; i < 5; i++) ids.push((await log.append('alarm', 'alarm.acked', {})).id);
  t.same([...ids].sort(), ids);
  t.equal((await log.append('payment', 'payment.created', {})).seq, 1);
  t.equal(log.streamSeq('alarm'), 6);
  t.equal(log.streamSeq('points'), 0);
  const all = await readAll(log);
  t.same(all[0], { lsn: 1, record: rec });
  await t.rejects(log.append('nope' as Stream, 'x', {}), RangeError);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await t.rejects(log.append('alarm', 'x', circular), TypeError);
  t.equal((await log.append('alarm', 'x', {})).seq, 7, 'a refused body uses no seq');
  await log.close();
  await t.rejects(log.append('alarm', 'x', {}), { code: 'STORE_CLOSED' });
  await t.rejects(RecordLog.open(options(t.testdir(), { house: 'bad house' })), RangeError);
});

t.test('seqs continue across reopen and segment rolls, without a replay', async (t) => {
  const dir = t.testdir();
  const streams: Stream[] = ['alarm', 'payment', 'points', 'device'];
  let log = await RecordLog.open(options(dir));
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        log.append(streams[i % 4] as Stream, 't', { i, pad: 'x'.repeat(i % 50) }),
      ),
    );
    await log.close();
    log = await RecordLog.open(options(dir));
    t.equal(log.recovery.scannedRecords, 0, 'a clean close leaves nothing to scan');
  }
  t.ok(log.stats.journal.segments > 20, `${log.stats.journal.segments} segments`);
  const { problems, last } = continuity(await readAll(log));
  t.same(problems, [], 'LSNs and per-stream seqs are gap-free');
  for (const s of streams) t.equal(log.streamSeq(s), last.get(s));
  t.equal(log.streamSeq('alarm'), 3 * 38, 'alarm seq');
  await log.close();
});

t.test('after a crash only the records since the last roll checkpoint are scanned', async (t) => {
  const dir = t.testdir();
  const log = await RecordLog.open(options(dir));
  for (let i = 0; i < 95; i++) await log.append(i % 3 ? 'points' : 'alarm', 't', { i });
  // No close: as after a kill, the checkpoint is the one written at the last segment roll.
  const again = await RecordLog.open(options(dir));
  const segStart = (await readdir(join(dir, 'journal'))).sort().at(-1) as string;
  t.ok(again.recovery.checkpointLsn >= Number(segStart.slice(0, 20)) - 1, 'checkpoint covers older segments');
  t.ok(again.recovery.scannedRecords < 30, `scanned ${again.recovery.scannedRecords} records`);
  t.equal(again.recovery.scannedRecords, again.lastLsn - again.recovery.checkpointLsn);
  t.equal(again.streamSeq('alarm'), 32);
  t.equal(again.streamSeq('points'), 63);
  await log.close();
  await again.close();
});

t.test('damage that loses acknowledged records never lets their seqs be reused', async (t) => {
  const dir = t.testdir();
  const log = await RecordLog.open(options(dir, { journal: { segmentMaxBytes: 1 << 20 } }));
  for (let i = 0; i < 5; i++) await log.append('alarm', 't', { i });
  await log.close();
  const seg = join(dir, 'journal', (await readdir(join(dir, 'journal')))[0] as string);
  await truncate(seg, (await stat(seg)).size - 7); // cut into the last record
  await appendFile(seg, Buffer.from('garbage'));
  const again = await RecordLog.open(options(dir));
  t.ok(again.stats.journal.tornTailBytes > 7, 'the cut record and the garbage are dropped');
  t.equal(again.recovery.checkpointAhead, true, 'the close checkpoint named the lost record');
  t.equal(again.lastLsn, 4);
  const next = await again.append('alarm', 't', { i: 5 });
  t.equal(next.seq, 6, 'the lost seq 5 is not reused: it was acknowledged before the damage');
  await again.close();
  const third = await RecordLog.open(options(dir));
  t.equal(third.streamSeq('alarm'), 6);
  await third.close();
});

t.test(
  'without a checkpoint the counters come from a scan; unacknowledged tail seqs are reused',
  async (t) => {
    const dir = t.testdir();
    const log = await RecordLog.open(options(dir, { journal: { segmentMaxBytes: 1 << 20 } }));
    for (let i = 0; i < 5; i++) await log.append('alarm', 't', { i });
    const seg = join(dir, 'journal', (await readdir(join(dir, 'journal')))[0] as string);
    const sizeAt4 = (await stat(seg)).size;
    await log.append('alarm', 't', { i: 5 });
    // As if the process died before the 6th record's bytes reached the disk.
    await truncate(seg, sizeAt4 + 10);
    await rm(join(dir, 'seq-checkpoint.json'), { force: true });
    const again = await RecordLog.open(options(dir));
    t.equal(again.recovery.checkpointLsn, 0);
    t.equal(again.recovery.scannedRecords, 5);
    t.equal(again.stats.journal.tornTailBytes, 10);
    t.equal((await again.append('alarm', 't', {})).seq, 6);
    t.same(continuity(await readAll(again)).problems, []);
    await again.close();
    await log.close();
  },
);

t.test('retention deletes old segments after a checkpoint; counters survive', async (t) => {
  const dir = t.testdir();
  const log = await RecordLog.open(options(dir));
  for (let i = 0; i < 60; i++) await log.append('device', 't', { i });
  const deleted = await log.deleteSegmentsBefore(40);
  t.ok(deleted > 0);
  t.ok(log.firstLsn <= 40);
  await log.close();
  const again = await RecordLog.open(options(dir));
  t.equal(again.streamSeq('device'), 60);
  t.equal((await again.append('device', 't', {})).seq, 61);
  await again.close();
  await rm(join(dir, 'seq-checkpoint.json'));
  await t.rejects(RecordLog.open(options(dir)), { code: 'STORE_CORRUPT' });
});

t.test('read with a stream yields only that stream, in order, even when a body names another', async (t) => {
  // The longest house id puts the stream furthest into the payload.
  const log = await RecordLog.open(options(t.testdir(), { house: 'h'.repeat(64) }));
  const streams: Stream[] = ['alarm', 'points', 'device', 'points', 'alarm', 'registry', 'points'];
  for (const [i, s] of streams.entries()) {
    // A body that spells out another stream's marker must not fool the filter.
    await log.append(s, 'test', { i, decoy: '"stream":"points",', note: `"stream":"${s}",` });
  }
  const points: number[] = [];
  for await (const { lsn, record } of log.read(1, 'points')) {
    t.equal(record.stream, 'points');
    points.push(lsn);
  }
  t.same(points, [2, 4, 7]);
  const alarms: number[] = [];
  for await (const { record } of log.read(3, 'alarm')) alarms.push(record.seq);
  t.same(alarms, [2], 'from an LSN on');
  t.equal((await readAll(log)).length, streams.length, 'without a stream: everything');
  await log.close();
});

t.test('readStream yields each record of a stream as stored: its seq and its exact JSON', async (t) => {
  for (const house of ['h', 'h'.repeat(64)]) {
    const dir = t.testdir();
    // One record written in another key order (as an older or foreign writer might): its seq is
    // parsed, not read from the envelope.
    const raw = await Journal.open(join(dir, 'journal'));
    const foreign = {
      stream: 'points',
      seq: 1,
      id: '0190c1a2-0000-7000-8000-000000000001',
      house,
      type: 't',
    };
    await raw.append(
      Buffer.from(JSON.stringify({ ...foreign, ts: '2026-01-01T00:00:00.000Z', v: 1, body: {} })),
    );
    await raw.close();
    const log = await RecordLog.open(options(dir, { house }));
    const written: SyncRecord[] = [];
    const streams: Stream[] = ['points', 'alarm', 'points', 'device', 'points', 'alarm'];
    for (const [i, s] of streams.entries()) {
      // Decoys: a body that spells out another stream's envelope must not fool the reader.
      const decoy = `","house":"${house}","stream":"alarm","seq":999,`;
      written.push(await log.append(s, 'test', { i, decoy, zh: '邻里', n: 10 ** i }));
    }
    const read: { seq: number; json: string }[] = [];
    for await (const r of log.readStream('points', 0)) read.push({ seq: r.seq, json: r.json.toString() });
    t.same(
      read.map((r) => r.seq),
      [1, 2, 3, 4],
      `${house.length}-character house: the foreign-shaped record first, then the appended ones`,
    );
    t.same(
      read.slice(1).map((r) => r.json),
      written.filter((r) => r.stream === 'points').map((r) => JSON.stringify(r)),
      'the JSON is byte for byte what was appended',
    );
    const alarms: number[] = [];
    for await (const r of log.readStream('alarm', 1)) alarms.push(r.seq);
    t.same(alarms, [2], 'after a seq');
    await log.close();
  }
});
