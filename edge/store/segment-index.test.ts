import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Stream } from '../../cloud-sync/protocol/record.js';
import { RecordLog, type RecordLogOptions } from './record-log.js';
import { SegmentIndex, segmentStartOf } from './segment-index.js';

function options(dir: string): RecordLogOptions {
  return { dir, house: 'house-1', clock: () => 'synced', journal: { segmentMaxBytes: 4096 } };
}

const STREAMS: Stream[] = ['alarm', 'points', 'service'];

/** Appends n records, streams picked by a fixed pattern so some segments lack some streams. */
async function fill(log: RecordLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const stream = i % 50 < 45 ? 'service' : i % 7 === 0 ? 'alarm' : 'points';
    await log.append(stream, 'x', { i, pad: 'p'.repeat(40) });
  }
}

async function seqsAfter(log: RecordLog, stream: Stream, after: number): Promise<number[]> {
  const out: number[] = [];
  for await (const { seq } of log.readStream(stream, after)) out.push(seq);
  return out;
}

t.test('segmentStartOf finds the segment holding an LSN', async (t) => {
  const starts = [1, 10, 25];
  t.same(
    [1, 9, 10, 24, 25, 99].map((l) => segmentStartOf(starts, l)),
    [1, 1, 10, 10, 25, 25],
  );
});

t.test('readStream starts at the right segment and yields every later seq in order', async (t) => {
  const dir = t.testdir();
  const log = await RecordLog.open(options(dir));
  await fill(log, 600);
  const segs = log.segments();
  t.ok(segs.length > 10, `${segs.length} segments`);
  t.ok(
    segs.every((s) => s.summary),
    'every segment has a summary',
  );
  for (const stream of STREAMS) {
    const last = log.streamSeq(stream);
    for (const after of [0, 1, Math.floor(last / 2), last - 1, last]) {
      const got = await seqsAfter(log, stream, after);
      t.same(
        got,
        Array.from({ length: last - after }, (_, i) => after + 1 + i),
        `${stream} after ${after}`,
      );
    }
  }
  // The index points past segments that hold no later record of the stream.
  const alarmLast = log.streamSeq('alarm');
  const index = new SegmentIndex(segs.flatMap((s) => (s.summary ? [s.summary] : [])));
  const from = index.locate(
    segs.map((s) => s.firstLsn),
    'alarm',
    alarmLast - 1,
  ) as number;
  t.ok(from > (segs[0]?.firstLsn ?? 0), `the last alarm is found from LSN ${from}`);
  await log.close();
});

t.test('the index survives a restart and is rebuilt from an older checkpoint', async (t) => {
  const dir = t.testdir();
  let log = await RecordLog.open(options(dir));
  await fill(log, 300);
  await log.close();
  log = await RecordLog.open(options(dir));
  t.ok(
    log.segments().every((s) => s.summary),
    'all summaries after a clean restart',
  );
  t.same(
    await seqsAfter(log, 'points', 3),
    Array.from({ length: log.streamSeq('points') - 3 }, (_, i) => 4 + i),
  );
  await log.close();

  // A checkpoint written by a build without the index: closed segments have no summary.
  const file = join(dir, 'seq-checkpoint.json');
  const ckpt = JSON.parse(await readFile(file, 'utf8')) as { segments?: unknown };
  delete ckpt.segments;
  await writeFile(file, JSON.stringify(ckpt));
  log = await RecordLog.open(options(dir));
  const segs = log.segments();
  t.ok(segs.at(-1)?.summary, 'the active segment is summarized at open');
  const missing = segs.filter((s) => !s.summary);
  t.ok(missing.length > 0, 'older segments have none yet');
  t.same(
    await seqsAfter(log, 'service', 10),
    Array.from({ length: log.streamSeq('service') - 10 }, (_, i) => 11 + i),
    'reading still finds every record (unsummarized segments are read through)',
  );
  for (const s of missing) await log.summarize(s.firstLsn);
  t.ok(
    log.segments().every((s) => s.summary),
    'summarize fills them in',
  );
  await log.append('alarm', 'x', {});
  await log.close();
  log = await RecordLog.open(options(dir));
  t.ok(
    log.segments().every((s) => s.summary),
    'and they are kept in the next checkpoint',
  );
  await log.close();
});

t.test('deleting segments drops their summaries; reading below them finds nothing deleted', async (t) => {
  const dir = t.testdir();
  const log = await RecordLog.open(options(dir));
  await fill(log, 400);
  const segs = log.segments();
  const cut = segs[5]?.firstLsn as number;
  t.equal(await log.deleteSegmentsBefore(cut), 5);
  t.equal(log.segments()[0]?.firstLsn, cut);
  const firstKept = log.segments()[0]?.summary?.streams.service?.[0] as number;
  t.same((await seqsAfter(log, 'service', firstKept - 1))[0], firstKept);
  await log.close();
});

t.test('records noted after a later segment was summarized still land in their own segment', async (t) => {
  // Group commit: one batch fills segments 1 and 15; a reader summarizes segment 15 before the
  // acknowledgements of segment 1's last records are noted (the race a retention pass can hit).
  const index = new SegmentIndex();
  const rec = (stream: Stream, seq: number) => ({ stream, seq, ts: '2026-01-01T00:00:00.000Z' });
  for (let lsn = 1; lsn <= 3; lsn++) index.observe(1, lsn, rec('registry', lsn));
  index.learn({ firstLsn: 15, lastLsn: 28, streams: { service: [11, 24] }, lastTs: '' });
  t.notOk(index.complete(1, 15), 'segment 1 is not whole yet');
  t.equal(index.locate([1, 15, 29], 'service', 0), 1, 'so it is read through');
  for (let lsn = 4; lsn <= 14; lsn++) index.observe(1, lsn, rec(lsn === 4 ? 'device' : 'service', lsn - 4));
  index.observe(15, 15, rec('service', 11)); // noted again: no change
  t.ok(index.complete(1, 15));
  t.same(index.get(1)?.streams, { registry: [1, 3], device: [0, 0], service: [1, 10] });
  t.same(index.get(15)?.streams, { service: [11, 24] });
  t.equal(index.locate([1, 15, 29], 'service', 0), 1);
  t.equal(index.locate([1, 15, 29], 'service', 10), 15);
  t.equal(index.locate([1, 15, 29], 'service', 24), 29, 'the active segment is always read');
});
