import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Journal } from './journal.js';
import { segmentName } from './journal-segments.js';

const payload = (i: number) => Buffer.from(`entry-${i}-${'x'.repeat(i % 37)}`);

async function readAll(j: Journal, from: number): Promise<{ lsn: number; text: string }[]> {
  const out: { lsn: number; text: string }[] = [];
  for await (const e of j.read(from)) out.push({ lsn: e.lsn, text: e.payload.toString() });
  return out;
}

async function filled(dir: string, n: number, segmentMaxBytes = 512): Promise<Journal> {
  const j = await Journal.open(dir, { segmentMaxBytes });
  const lsns: number[] = [];
  for (let i = 1; i <= n; i++) lsns.push(await j.append(payload(i)));
  t.same(
    lsns,
    Array.from({ length: n }, (_, i) => i + 1),
    'sequential appends get LSNs 1..n',
  );
  return j;
}

t.test('appends and reads across several small segments; reopen finds them', async (t) => {
  const dir = t.testdir();
  const j = await filled(dir, 100);
  t.equal(j.lastLsn, 100);
  t.ok(j.stats.segments >= 5, `${j.stats.segments} segments`);
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
  t.equal(segs[0], segmentName(1));
  for (const f of segs) t.ok((await stat(join(dir, f))).size <= 512, `${f} within the max size`);
  await j.close();

  const again = await Journal.open(dir, { segmentMaxBytes: 512 });
  t.equal(again.lastLsn, 100);
  t.equal(again.stats.entries, 100);
  t.equal(again.stats.tornTailBytes, 0);
  const all = await readAll(again, 1);
  t.same(
    all.map((e) => e.lsn),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  t.ok(all.every((e) => e.text === payload(e.lsn).toString()));
  t.equal(await again.append(payload(101)), 101);
  await again.close();
});

t.test('cursor reads from the middle find the segment by name without reading earlier ones', async (t) => {
  const dir = t.testdir();
  const j = await filled(dir, 60);
  const from = 45;
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
  // Damage the first segment: a read from the middle must not notice.
  await writeFile(join(dir, segs[0] as string), Buffer.alloc(64, 0xff));
  const tail = await readAll(j, from);
  t.same(
    tail.map((e) => e.lsn),
    Array.from({ length: 60 - from + 1 }, (_, i) => from + i),
  );
  t.equal(j.stats.corruptions, 0);
  t.same(await readAll(j, 61), [], 'reading past the end yields nothing');
  await j.close();
});

t.test('group commit: many concurrent appends take few fsyncs and all resolve in order', async (t) => {
  const dir = t.testdir();
  const commits: number[] = [];
  const j = await Journal.open(dir, { onCommit: (entries) => commits.push(entries) });
  const lsns = await Promise.all(Array.from({ length: 1000 }, (_, i) => j.append(payload(i + 1))));
  t.same(
    lsns,
    Array.from({ length: 1000 }, (_, i) => i + 1),
  );
  const { fsyncs, commits: n, appendLatency } = j.stats;
  t.ok(fsyncs < 50, `${fsyncs} fsyncs for 1000 appends`);
  t.equal(n, commits.length);
  t.equal(
    commits.reduce((a, b) => a + b, 0),
    1000,
  );
  t.equal(appendLatency.count, 1000);
  t.ok(appendLatency.p99Ms >= appendLatency.p50Ms);
  await j.close();
});

t.test('close flushes pending appends, then refuses more', async (t) => {
  const dir = t.testdir();
  const j = await Journal.open(dir);
  const pending = Array.from({ length: 20 }, (_, i) => j.append(payload(i)));
  await j.close();
  t.same(
    await Promise.all(pending),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  await t.rejects(j.append(payload(1)), { code: 'STORE_CLOSED' });
  const again = await Journal.open(dir);
  t.equal(again.lastLsn, 20);
  await t.rejects(again.append(Buffer.alloc(0)), RangeError);
  await again.close();
});

t.test('a torn tail is cut at open, counted, and appends continue', async (t) => {
  const dir = t.testdir();
  const j = await filled(dir, 30);
  const last = join(dir, segmentName(j.activeSegmentFirstLsn));
  await j.close();
  const sizeBefore = (await stat(last)).size;
  // A whole frame with a bad CRC, garbage, then the start of a frame whose payload never came.
  const bad = Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 104, 101, 108, 108, 111]);
  const partial = Buffer.from([200, 0, 0, 0, 9, 9, 9, 9, 1, 2]);
  await appendFile(last, Buffer.concat([bad, partial]));

  const again = await Journal.open(dir, { segmentMaxBytes: 512 });
  t.equal(again.lastLsn, 30);
  t.equal(again.stats.tornTailBytes, bad.length + partial.length);
  t.equal(again.stats.tornEntries, 2);
  t.equal((await stat(last)).size, sizeBefore, 'the file is truncated back');
  t.equal(await again.append(payload(31)), 31);
  t.equal((await readAll(again, 1)).length, 31);
  await again.close();

  const third = await Journal.open(dir, { segmentMaxBytes: 512 });
  t.equal(third.stats.tornTailBytes, 0);
  t.equal(third.lastLsn, 31);
  await third.close();
});

t.test('a zeroed tail (a crash after the file grew) is cut too', async (t) => {
  const dir = t.testdir();
  const j = await filled(dir, 3, 1 << 20);
  await j.close();
  await appendFile(join(dir, segmentName(1)), Buffer.alloc(4096));
  const again = await Journal.open(dir);
  t.equal(again.lastLsn, 3);
  t.equal(again.stats.tornTailBytes, 4096);
  t.equal(again.stats.tornEntries, 1);
  await again.close();
});

t.test('a bad CRC inside an older segment stops reading there and is reported', async (t) => {
  const dir = t.testdir();
  const j = await filled(dir, 60);
  await j.close();
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
  const second = join(dir, segs[1] as string);
  const bytes = await readFile(second);
  const at = bytes.length - 3; // inside the payload of its last entry
  bytes.writeUInt8((bytes.readUInt8(at) ^ 0x40) & 0xff, at);
  await writeFile(second, bytes);

  const again = await Journal.open(dir, { segmentMaxBytes: 512 });
  t.equal(again.lastLsn, 60, 'open does not scan older segments');
  const got = await readAll(again, 1);
  const firstOfThird = Number((segs[2] as string).slice(0, 20));
  t.equal(got.length, firstOfThird - 2, 'everything before the damaged entry');
  t.equal(again.stats.corruptions, 1);
  t.match(again.stats.lastCorruption, { segment: segs[1], lsn: firstOfThird - 1, reason: 'bad-crc' });
  await again.close();
});

t.test('deleteSegmentsBefore removes only whole segments below the LSN', async (t) => {
  const dir = t.testdir();
  const j = await filled(dir, 80);
  const segsBefore = j.stats.segments;
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
  const third = Number((segs[2] as string).slice(0, 20));
  t.equal(await j.deleteSegmentsBefore(third), 2);
  t.equal(j.firstLsn, third);
  t.equal(j.stats.segments, segsBefore - 2);
  t.equal(await j.deleteSegmentsBefore(third + 1), 0, 'a segment holding LSN ≥ the bound stays');
  await t.rejects(async () => readAll(j, 1), { code: 'STORE_DELETED' });
  t.equal((await readAll(j, third))[0]?.lsn, third);
  t.equal(await j.deleteSegmentsBefore(1e9), segsBefore - 3, 'never the active segment');
  t.equal(j.stats.segments, 1);
  t.equal(await j.append(payload(81)), 81);
  await j.close();
  const again = await Journal.open(dir);
  t.equal(again.lastLsn, 81);
  t.equal(again.firstLsn, j.activeSegmentFirstLsn);
  await again.close();
});
