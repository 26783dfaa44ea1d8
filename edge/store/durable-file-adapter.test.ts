import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { DurableFileAdapter } from './durable-file-adapter.js';

t.test('a missing file reads as null; a write lands on disk, even under NODE_ENV=test', async (t) => {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'test';
  t.teardown(() => {
    process.env.NODE_ENV = saved;
  });
  const dir = t.testdir();
  const file = join(dir, 'state.json');
  const a = new DurableFileAdapter<{ n: number }>(file);
  t.equal(await a.read(), null);
  await a.write({ n: 1 });
  t.same(JSON.parse(await readFile(file, 'utf8')), { n: 1 });
  t.same(await new DurableFileAdapter<{ n: number }>(file).read(), { n: 1 });
  t.same(await readdir(dir), ['state.json'], 'no temp file is left behind');
});

t.test('concurrent writes are serialized: each resolves with its state or a newer one on disk', async (t) => {
  const file = join(t.testdir(), 'state.json');
  const a = new DurableFileAdapter<{ n: number; pad: string }>(file);
  const seen: number[] = [];
  await Promise.all(
    Array.from({ length: 200 }, async (_, n) => {
      await a.write({ n, pad: 'p'.repeat(n * 10) });
      const onDisk = JSON.parse(await readFile(file, 'utf8')) as { n: number; pad: string };
      t.equal(onDisk.pad.length, onDisk.n * 10, 'never an interleaved file');
      seen.push(onDisk.n);
      if (onDisk.n < n) t.fail(`write ${n} resolved while disk held ${onDisk.n}`);
    }),
  );
  t.equal(seen.length, 200);
  t.same(await a.read(), { n: 199, pad: 'p'.repeat(1990) }, 'the last state wins');
});

t.test('data is captured when write is called', async (t) => {
  const file = join(t.testdir(), 'state.json');
  const a = new DurableFileAdapter<{ n: number }>(file);
  const data = { n: 1 };
  const w = a.write(data);
  data.n = 2;
  await w;
  t.same(await a.read(), { n: 1 });
});

t.test('an unparseable file is an error naming the file; a leftover temp file is harmless', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'state.json');
  await writeFile(file, '{"n": 1');
  await t.rejects(new DurableFileAdapter(file).read(), {
    code: 'STORE_CORRUPT',
    file,
    message: new RegExp(file.replace(/[/\\.]/g, '\\$&')),
  });
  await writeFile(file, '{"n": 1}');
  await writeFile(`${file}.tmp`, '{"n": 2, "torn');
  const a = new DurableFileAdapter<{ n: number }>(file);
  t.same(await a.read(), { n: 1 });
  await a.write({ n: 3 });
  t.same(await a.read(), { n: 3 });
});

t.test('a failed write rejects; a later one succeeds', async (t) => {
  const dir = t.testdir();
  const a = new DurableFileAdapter<{ n: number }>(join(dir, 'missing-dir', 'state.json'));
  await t.rejects(a.write({ n: 1 }), { code: 'ENOENT' });
  const b = new DurableFileAdapter<{ n: number }>(join(dir, 'ok.json'));
  await b.write({ n: 2 });
  t.same(await b.read(), { n: 2 });
});
