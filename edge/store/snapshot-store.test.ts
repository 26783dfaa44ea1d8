import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { SnapshotStore } from './snapshot-store.js';

interface Balances {
  points: Record<string, number>;
}

t.test('save and load; a missing snapshot is null', async (t) => {
  const store = await SnapshotStore.open(join(t.testdir(), 'snapshots'));
  t.equal(await store.load('points', 1), null);
  await store.save<Balances>('points', { version: 1, lsn: 10, state: { points: { r1: 5 } } });
  t.same(await store.load<Balances>('points', 1), { version: 1, lsn: 10, state: { points: { r1: 5 } } });
  await store.save<Balances>('points', { version: 1, lsn: 20, state: { points: { r1: 7 } } });
  t.same(await store.load<Balances>('points', 1), { version: 1, lsn: 20, state: { points: { r1: 7 } } });
  const again = await SnapshotStore.open(store.dir);
  t.equal((await again.load<Balances>('points', 1))?.lsn, 20);
});

t.test('a schema version mismatch loads as null so the caller rebuilds', async (t) => {
  const store = await SnapshotStore.open(t.testdir());
  await store.save('alarms', { version: 1, lsn: 3, state: { open: [] } });
  t.equal(await store.load('alarms', 2), null);
});

t.test('the previous generation is kept and used when the newest is damaged; older ones go', async (t) => {
  const dir = t.testdir();
  const store = await SnapshotStore.open(dir);
  for (let lsn = 1; lsn <= 4; lsn++) await store.save('points', { version: 1, lsn, state: { lsn } });
  const files = (await readdir(dir)).sort();
  t.same(files, ['points.000000000003.snap', 'points.000000000004.snap']);
  const newest = join(dir, files[1] as string);
  const bytes = await readFile(newest);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0x01, bytes.length - 2);
  await writeFile(newest, bytes);
  t.same(await store.load('points', 1), { version: 1, lsn: 3, state: { lsn: 3 } });
  await writeFile(newest, bytes.subarray(0, 10));
  t.equal((await store.load('points', 1))?.lsn, 3, 'a torn newest file is skipped too');
});

t.test('concurrent saves of one name are serialized; names are checked', async (t) => {
  const store = await SnapshotStore.open(t.testdir());
  await Promise.all(Array.from({ length: 10 }, (_, i) => store.save('p', { version: 1, lsn: i, state: i })));
  t.same(await store.load('p', 1), { version: 1, lsn: 9, state: 9 });
  await t.rejects(store.save('../x', { version: 1, lsn: 0, state: null }), RangeError);
});
