/**
 * Journal benchmark: durable record appends per second and append latency (acknowledged after
 * fsync) with 1k, 100k and 1M records already stored, 64 appends in flight so group commit
 * matters; beside each, the physical floor: a raw loop of write+fdatasync of the same bytes with
 * the same batching, on the same disk in the same run. Also the RecordLog open time with the
 * largest store. Writes `<outDir>/journal.json`.
 *
 *   node --import tsx bench/journal.ts [--quick]
 */
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { STREAMS } from '../cloud-sync/protocol/record.js';
import { Journal } from '../edge/store/journal.js';
import { percentile } from '../edge/store/latency-window.js';
import { RecordLog, type RecordLogOptions } from '../edge/store/record-log.js';

const CONCURRENCY = 64;
const GOALS = { recordsPerSec: 2000, p99Ms: 10, floorRatio: 2, openMs: 2000, flatness: 1.5 };

interface Commit {
  entries: number;
  bytes: number;
}

interface Latency {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

function summarize(samples: number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const sum = samples.reduce((a, b) => a + b, 0);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    p50Ms: r(percentile(sorted, 0.5)),
    p99Ms: r(percentile(sorted, 0.99)),
    maxMs: r(sorted[sorted.length - 1] ?? 0),
    meanMs: r(samples.length ? sum / samples.length : 0),
  };
}

const body = (n: number) => ({
  deviceId: `help-btn-${n % 97}`,
  key: n % 5 ? 'service' : 'sos',
  seq: n,
  note: 'x'.repeat(120),
});

/** What is measured: the record log (envelope, JSON, journal) or the bare journal with ready payloads. */
interface Target {
  stored(): number;
  append(n: number): Promise<unknown>;
}

function logTarget(log: RecordLog): Target {
  return {
    stored: () => log.lastLsn,
    append: (n) => log.append(STREAMS[n % 6] ?? 'device', 'bench', body(n)),
  };
}

function journalTarget(journal: Journal): Target {
  const payload = (n: number) =>
    Buffer.from(
      JSON.stringify({
        id: '0190c0de-0000-7000-8000-000000000000',
        house: 'bench-house',
        stream: 'alarm',
        seq: n,
        type: 'bench',
        ts: new Date().toISOString(),
        clock: 'synced',
        v: 1,
        body: body(n),
      }),
    );
  const ready = Array.from({ length: 1024 }, (_, n) => payload(n));
  return { stored: () => journal.lastLsn, append: (n) => journal.append(ready[n % ready.length] as Buffer) };
}

/** Fills up to `target` entries with large batches (group commit makes them few fsyncs). */
async function prefill(target: Target, count: number): Promise<void> {
  while (target.stored() < count) {
    const n = Math.min(20_000, count - target.stored());
    const base = target.stored();
    await Promise.all(Array.from({ length: n }, (_, i) => target.append(base + i)));
  }
}

/** `total` appends with `concurrency` in flight; latency from call to durable acknowledgement. */
async function measure(target: Target, total: number, concurrency: number) {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        const n = started++;
        const a = performance.now();
        await target.append(n);
        latencies.push(performance.now() - a);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { appends: total, recordsPerSec: Math.round(total / seconds), latencyMs: summarize(latencies) };
}

/** The floor: the same commits (bytes per write+fdatasync) replayed raw on the same disk. */
async function floor(file: string, commits: Commit[]) {
  const handle = await open(file, 'w');
  const latencies: number[] = [];
  let entries = 0;
  let pos = 0;
  const t0 = performance.now();
  try {
    for (const c of commits) {
      const buf = Buffer.alloc(c.bytes, 0x5a);
      const a = performance.now();
      await handle.write(buf, 0, buf.length, pos);
      await handle.datasync();
      latencies.push(performance.now() - a);
      pos += buf.length;
      entries += c.entries;
    }
  } finally {
    await handle.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { recordsPerSec: Math.round(entries / seconds), commitLatencyMs: summarize(latencies) };
}

/** Rewrites the seq checkpoint as it stood at the last segment roll, as after a crash: open must scan that segment. */
async function rewindCheckpoint(opts: RecordLogOptions): Promise<void> {
  const log = await RecordLog.open(opts);
  const from = log.stats.journal.activeSegmentFirstLsn;
  const seqs: Record<string, number> = {};
  for (const s of STREAMS) seqs[s] = log.streamSeq(s);
  const seen = new Set<string>();
  for await (const { record } of log.read(from)) {
    if (!seen.has(record.stream)) seqs[record.stream] = record.seq - 1;
    seen.add(record.stream);
  }
  await log.close();
  await writeFile(join(opts.dir, 'seq-checkpoint.json'), JSON.stringify({ lsn: from - 1, seqs }));
}

export interface JournalBenchOptions {
  quick: boolean;
  outDir: string;
}

/** Runs both paths once on throwaway data so that the first measured level is not a cold JIT. */
async function warmUp(dir: string): Promise<void> {
  const log = await RecordLog.open({ dir: join(dir, 'log'), house: 'bench-house', clock: () => 'synced' });
  const journal = await Journal.open(join(dir, 'journal'));
  try {
    await measure(logTarget(log), 10_000, CONCURRENCY);
    await measure(journalTarget(journal), 10_000, CONCURRENCY);
  } finally {
    await log.close();
    await journal.close();
  }
  await rm(dir, { recursive: true });
}

/** One level: grouped appends, then the floor of the same commits, then (optionally) one in flight. */
async function level(
  target: Target,
  commits: Commit[],
  floorFile: string,
  sample: number,
  serialSample: number,
) {
  const stored = target.stored();
  commits.length = 0;
  const grouped = await measure(target, sample, CONCURRENCY);
  const batches = commits.splice(0);
  const raw = await floor(floorFile, batches);
  const serial =
    serialSample > 0 ? { serial: { concurrency: 1, ...(await measure(target, serialSample, 1)) } } : {};
  return {
    stored,
    concurrency: CONCURRENCY,
    ...grouped,
    commits: batches.length,
    meanBatch: Math.round((sample / batches.length) * 10) / 10,
    meanEntryBytes: Math.round(batches.reduce((a, c) => a + c.bytes, 0) / sample),
    floor: raw,
    ratioToFloor: Math.round((raw.recordsPerSec / grouped.recordsPerSec) * 100) / 100,
    ...serial,
  };
}

/** Runs the benchmark and writes `<outDir>/journal.json`; resolves with what it wrote. */
export async function run(opts: JournalBenchOptions): Promise<object> {
  const levels = opts.quick ? [1_000, 100_000] : [1_000, 100_000, 1_000_000];
  const sample = opts.quick ? 20_000 : 50_000;
  const serialSample = opts.quick ? 300 : 1_000;
  const dataDir = join(opts.outDir, 'journal-bench.tmp');
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const commits: Commit[] = [];
  const onCommit = (entries: number, _ms: number, bytes: number) => commits.push({ entries, bytes });
  const logOpts: RecordLogOptions = {
    dir: join(dataDir, 'log'),
    house: 'bench-house',
    clock: () => 'synced',
    journal: { onCommit },
  };
  await warmUp(join(dataDir, 'warm-up'));
  const recordLog = [];
  const journal = [];
  let log = await RecordLog.open(logOpts);
  const bare = await Journal.open(join(dataDir, 'journal'), { onCommit });
  try {
    for (const stored of levels) {
      const j = journalTarget(bare);
      await prefill(j, stored);
      journal.push(await level(j, commits, join(dataDir, `floor-j-${stored}.bin`), sample, 0));
      const l = logTarget(log);
      await prefill(l, stored);
      recordLog.push(await level(l, commits, join(dataDir, `floor-l-${stored}.bin`), sample, serialSample));
    }
  } finally {
    await log.close();
    await bare.close();
  }
  const t0 = performance.now();
  log = await RecordLog.open(logOpts);
  const cleanOpenMs = performance.now() - t0;
  const records = log.lastLsn;
  const segments = log.stats.journal.segments;
  await log.close();
  await rewindCheckpoint(logOpts);
  const t1 = performance.now();
  log = await RecordLog.open(logOpts);
  const crashOpenMs = performance.now() - t1;
  const open = {
    records,
    segments,
    cleanOpenMs: Math.round(cleanOpenMs),
    afterCrashOpenMs: Math.round(crashOpenMs),
    scannedAfterCrash: log.recovery.scannedRecords,
    journalOpenMs: Math.round(log.stats.journal.openMs),
  };
  await log.close();
  await rm(dataDir, { recursive: true, force: true });

  const rates = recordLog.map((r) => r.recordsPerSec);
  const p99s = recordLog.map((r) => r.latencyMs.p99Ms);
  const flatness = Math.round((Math.max(...rates) / Math.min(...rates)) * 100) / 100;
  const worstRatio = Math.max(...journal.map((r) => r.ratioToFloor));
  const worstOpen = Math.max(open.cleanOpenMs, open.afterCrashOpenMs);
  const report = {
    bench: 'journal',
    at: new Date().toISOString(),
    quick: opts.quick,
    machine: { node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length },
    note:
      'recordLog: RecordLog.append (envelope, UUIDv7, JSON, journal); journal: Journal.append of ready ' +
      'record-sized payloads. floor: the same commits replayed as raw write+fdatasync on the same disk.',
    recordLog,
    journal,
    open,
    goals: {
      recordsPerSec: {
        target: `≥ ${GOALS.recordsPerSec}`,
        worst: Math.min(...rates),
        pass: Math.min(...rates) >= GOALS.recordsPerSec,
      },
      p99Ms: { target: `≤ ${GOALS.p99Ms}`, worst: Math.max(...p99s), pass: Math.max(...p99s) <= GOALS.p99Ms },
      flatInStored: {
        target: `max/min rate ≤ ${GOALS.flatness}`,
        ratio: flatness,
        pass: flatness <= GOALS.flatness,
      },
      journalToFloor: {
        target: `≤ ${GOALS.floorRatio}`,
        worst: worstRatio,
        pass: worstRatio <= GOALS.floorRatio,
      },
      recordLogToFloor: { worst: Math.max(...recordLog.map((r) => r.ratioToFloor)) },
      openMs: { target: `≤ ${GOALS.openMs}`, worst: worstOpen, pass: worstOpen <= GOALS.openMs },
    },
  };
  await mkdir(opts.outDir, { recursive: true });
  await writeFile(join(opts.outDir, 'journal.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await run({ quick: process.argv.includes('--quick'), outDir: resolve('bench/results') });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
