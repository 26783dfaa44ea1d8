import t from 'tap';
import { BatchBody } from './batch-body.js';

const rec = (seq: number, pad = 0) => Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(pad), zh: '邻里' }));

t.test('builds {"records":[…]} from the records JSON, byte for byte, and reuses its buffer', async (t) => {
  const body = new BatchBody(1 << 20);
  t.same(JSON.parse(body.bytes().toString()), { records: [] }, 'empty');
  const parts = [rec(1), rec(2, 100), rec(3)];
  for (const [i, p] of parts.entries()) t.ok(body.add(i + 1, p));
  t.equal(body.count, 3);
  t.equal(body.lastSeq, 3);
  t.equal(body.bytes().toString(), `{"records":[${parts.map(String).join(',')}]}`);
  // The next batch overwrites the same memory; the earlier bytes are not kept.
  body.reset();
  t.equal(body.count, 0);
  t.equal(body.lastSeq, 0);
  body.add(9, rec(9));
  t.same(JSON.parse(body.bytes().toString()), { records: [JSON.parse(rec(9).toString())] });
});

t.test('a record that would pass maxBytes is refused, unless it is the first', async (t) => {
  const one = rec(1, 40);
  const max = '{"records":[]}'.length + one.length * 2 + 1; // exactly two records and their comma
  const body = new BatchBody(max);
  t.ok(body.add(1, one));
  t.ok(body.add(2, one));
  t.equal(body.bytes().length, max);
  t.notOk(body.add(3, one), 'a third does not fit');
  t.equal(body.count, 2, 'and nothing of it was added');
  t.same(JSON.parse(body.bytes().toString()).records.length, 2);
  body.reset();
  const big = rec(4, max * 3);
  t.ok(body.add(4, big), 'a first record larger than maxBytes goes alone');
  t.notOk(body.add(5, rec(5)));
  t.equal(body.bytes().toString(), `{"records":[${big}]}`);
});

t.test('grows past 64 KiB as records come, keeping what it holds', async (t) => {
  const body = new BatchBody(1 << 20);
  const parts: Buffer[] = [];
  let added = 0;
  for (let i = 1; i <= 1000; i++) {
    const p = rec(i, 300);
    parts.push(p);
    if (body.add(i, p)) added++;
  }
  t.equal(added, 1000);
  const json = JSON.parse(body.bytes().toString()) as { records: { seq: number }[] };
  t.same(
    json.records.map((r) => r.seq),
    parts.map((_, i) => i + 1),
  );
  t.ok(body.bytes().length > 300_000);
});
