import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { openStateStore } from './state-store.js';

interface State {
  devices: string[];
  count: number;
}
const defaults = (): State => ({ devices: [], count: 0 });

t.test('a new store writes its defaults with a schemaVersion; updates survive a reopen', async (t) => {
  const file = join(t.testdir(), 'sub', 'state.json');
  const s = await openStateStore<State>(file, defaults());
  t.equal(s.schemaVersion, 1);
  t.same(JSON.parse(await readFile(file, 'utf8')), { schemaVersion: 1, data: defaults() });
  await s.update((d) => {
    d.devices.push('qr-1');
    d.count++;
  });
  t.same(s.data, { devices: ['qr-1'], count: 1 });
  const again = await openStateStore<State>(file, defaults());
  t.same(again.data, { devices: ['qr-1'], count: 1 });
});

t.test('concurrent updates are serialized and all land', async (t) => {
  const file = join(t.testdir(), 'state.json');
  const s = await openStateStore<State>(file, defaults());
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      s.update((d) => {
        d.count++;
        d.devices.push(`d${i}`);
      }),
    ),
  );
  t.equal(s.data.count, 50);
  const onDisk = JSON.parse(await readFile(file, 'utf8')) as { data: State };
  t.equal(onDisk.data.count, 50);
  t.equal(onDisk.data.devices.length, 50);
});

t.test('an update that throws changes nothing', async (t) => {
  const s = await openStateStore<State>(join(t.testdir(), 'state.json'), defaults());
  await t.rejects(
    s.update((d) => {
      d.count = 99;
      throw new Error('refused');
    }),
    /refused/,
  );
  t.equal(s.data.count, 0);
});

t.test('migrations bring old data to the current version and write it back', async (t) => {
  const file = join(t.testdir(), 'state.json');
  await writeFile(file, JSON.stringify({ schemaVersion: 1, data: { devs: ['a'] } }));
  const migrations = [
    (d: unknown) => ({ devices: (d as { devs: string[] }).devs }),
    (d: unknown) => ({ ...(d as object), count: (d as { devices: string[] }).devices.length }),
  ];
  const s = await openStateStore<State>(file, defaults(), { migrations });
  t.equal(s.schemaVersion, 3);
  t.same(s.data, { devices: ['a'], count: 1 });
  t.same(JSON.parse(await readFile(file, 'utf8')), { schemaVersion: 3, data: { devices: ['a'], count: 1 } });
});

t.test('data from a newer schema or a corrupt file is refused with a coded error', async (t) => {
  const dir = t.testdir();
  const newer = join(dir, 'newer.json');
  await writeFile(newer, JSON.stringify({ schemaVersion: 7, data: {} }));
  await t.rejects(openStateStore(newer, defaults()), { code: 'STORE_SCHEMA_TOO_NEW', file: newer });
  const corrupt = join(dir, 'corrupt.json');
  await writeFile(corrupt, '{"schemaVersion": 1, "da');
  await t.rejects(openStateStore(corrupt, defaults()), { code: 'STORE_CORRUPT', file: corrupt });
});
