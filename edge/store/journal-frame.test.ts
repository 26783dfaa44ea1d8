import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { encodeFrames, FrameReader } from './journal-frame.js';

// Sizes around and above the tiny chunk, so frames straddle refills and outgrow the buffer.
const payloads = Array.from({ length: 200 }, (_, i) => Buffer.from(`p${i}:${'y'.repeat((i * 37) % 300)}`));

async function readAll(file: string, transient: boolean): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const reader = new FrameReader(handle, 0, 1 << 16, 64, transient);
    const out: string[] = [];
    for (;;) {
      const f = await reader.next();
      if (!f.ok) {
        t.equal(f.reason, 'eof');
        return out;
      }
      out.push(f.payload.toString()); // read at once, as a transient reader's caller must
    }
  } finally {
    await handle.close();
  }
}

t.test('a transient reader reuses its buffer and still reads every frame intact', async (t) => {
  const file = join(t.testdir(), 'segment');
  await writeFile(file, encodeFrames(payloads));
  const expected = payloads.map((p) => p.toString());
  t.same(await readAll(file, true), expected);
  t.same(await readAll(file, false), expected);
});

t.test('without transient, payloads handed out stay valid after later reads', async (t) => {
  const file = join(t.testdir(), 'segment');
  await writeFile(file, encodeFrames(payloads));
  const handle = await open(file, 'r');
  const reader = new FrameReader(handle, 0, 1 << 16, 64);
  const kept: Buffer[] = [];
  for (let f = await reader.next(); f.ok; f = await reader.next()) kept.push(f.payload);
  await handle.close();
  t.same(
    kept.map((b) => b.toString()),
    payloads.map((p) => p.toString()),
  );
});
