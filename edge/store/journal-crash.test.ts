import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import t from 'tap';
import type { SyncRecord } from '../../cloud-sync/protocol/record.js';
import { RecordLog } from './record-log.js';

const WRITER = fileURLToPath(new URL('../../test/fixtures/journal-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KILLS = 5;

interface Ack {
  stream: string;
  seq: number;
  id: string;
  crc: number;
}

/** Runs the writer and SIGKILLs it `killAfterMs` after its first acknowledgement. */
async function burstAndKill(dir: string, run: string, killAfterMs: number): Promise<Ack[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, run], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text += chunk;
    if (timer === undefined && text.includes('\nack ')) {
      timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    }
  });
  // A writer that never acknowledges anything is killed too, and the test then fails on it.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const signal = await exited;
  clearTimeout(deadline);
  clearTimeout(timer);
  if (signal !== 'SIGKILL') throw new Error(`writer ended with ${signal ?? 'an exit'} before the kill`);
  // Only whole lines count: a line cut by the kill was never fully printed.
  return text
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.startsWith('ack '))
    .map((l) => {
      const [, stream, seq, id, crc] = l.split(' ');
      return { stream: stream as string, seq: Number(seq), id: id as string, crc: Number(crc) };
    });
}

t.test('SIGKILL mid-burst: every acknowledged record survives, seqs stay gap-free', async (t) => {
  const dir = t.testdir();
  const acked = new Map<string, Ack>();
  for (let k = 0; k < KILLS; k++) {
    const run = `run${k}`;
    const acks = await burstAndKill(dir, run, Math.floor(Math.random() * 400));
    t.ok(acks.length > 0, `${run}: ${acks.length} acknowledged before the kill`);
    for (const a of acks) acked.set(`${a.stream}/${a.seq}`, a);

    const segs = (await readdir(join(dir, 'journal'))).filter((f) => f.endsWith('.seg')).sort();
    const lastSeg = join(dir, 'journal', segs[segs.length - 1] as string);
    if (k % 2 === 1) {
      // As a power loss mid-write would: part of a frame that never became durable.
      await appendFile(lastSeg, randomBytes(1 + Math.floor(Math.random() * 300)));
    }
    const sizeBefore = (await stat(lastSeg)).size;
    const log = await RecordLog.open({ dir, house: 'crash-house', clock: () => 'synced' });
    const { tornTailBytes, tornEntries } = log.stats.journal;
    t.equal(
      tornTailBytes,
      sizeBefore - (await stat(lastSeg)).size,
      `${run}: torn tail counted (${tornTailBytes} B)`,
    );
    t.equal(tornEntries > 0, tornTailBytes > 0);
    if (k % 2 === 1) t.ok(tornTailBytes > 0, `${run}: the garbage tail was cut`);

    const found = new Map<string, SyncRecord>();
    const last = new Map<string, number>();
    let expectLsn = 1;
    let problems = 0;
    for await (const { lsn, record } of log.read(1)) {
      if (lsn !== expectLsn++) problems++;
      if (record.seq !== (last.get(record.stream) ?? 0) + 1) problems++;
      last.set(record.stream, record.seq);
      found.set(`${record.stream}/${record.seq}`, record);
    }
    t.equal(problems, 0, `${run}: LSNs and per-stream seqs are gap-free`);
    t.equal(expectLsn - 1, log.lastLsn, `${run}: readable to its end (${log.lastLsn} records)`);
    let missing = 0;
    for (const [key, a] of acked) {
      const rec = found.get(key);
      if (rec?.id !== a.id || crc32(JSON.stringify(rec.body)) !== a.crc) missing++;
    }
    t.equal(missing, 0, `${run}: all ${acked.size} acknowledged records are present and intact`);
    for (const s of ['alarm', 'payment', 'points'] as const) t.equal(log.streamSeq(s), last.get(s) ?? 0);
    await log.close();
  }
});
