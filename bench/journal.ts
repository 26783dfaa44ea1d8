/**
 * Journal benchmark: durable record appends per second and append latency (acknowledged after
 * fsync) with 1k, 100k and 1M records already stored, 64 appends in flight so group commit
 * matters; beside each, the physical floor: a raw loop of write+fdatasync of the same bytes with
 * the same batching, on the same disk in the same run. Also the RecordLog open time with the
 * largest store. Writes `<outDir>/journal.json`.
 *
 *   node --import tsx bench/journal.ts [--quick]
 */
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { STREAMS } from '../cloud-sync/protocol/record.js';
import { Journal } from '../edge/store/journal.js';
import { percentile } from '../edge/store/latency-window.js';
import { RecordLog, type RecordLogOptions } from '../edge/store/record-log.js';

const CONCURRENCY = 64;
/** The journal's default segment size. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
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

/** After a big prefill, lets the disk's write-back and the garbage collector calm down (1 s per 100k, ≤ 5 s). */
async function settle(prefilled: number): Promise<void> {
  await sleep(Math.min(5_000, Math.floor(prefilled / 100)));
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
  return { recordsPerSec: Math.round(total / seconds), latencies };
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
  return { recordsPerSec: Math.round(entries / seconds), latencies };
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

/**
 * One level: `repeats` runs of grouped appends, each followed at once by the floor of the same
 * commits (the disk here is a VM's, with hiccups that hit both alike). Rates and ratios are the
 * medians over runs, latency percentiles are over all runs' samples. Then one appender alone.
 */
async function level(target: Target, commits: Commit[], floorFile: string, sizes: Sizes, serial: boolean) {
  const stored = target.stored();
  const rates: number[] = [];
  const floorRates: number[] = [];
  const ratios: number[] = [];
  const latencies: number[] = [];
  const floorLatencies: number[] = [];
  let batches = 0;
  let bytes = 0;
  for (let i = 0; i < sizes.repeats; i++) {
    commits.length = 0;
    const grouped = await measure(target, sizes.sample, CONCURRENCY);
    const done = commits.splice(0);
    const raw = await floor(floorFile, done);
    rates.push(grouped.recordsPerSec);
    floorRates.push(raw.recordsPerSec);
    ratios.push(Math.round((raw.recordsPerSec / grouped.recordsPerSec) * 100) / 100);
    latencies.push(...grouped.latencies);
    floorLatencies.push(...raw.latencies);
    batches += done.length;
    bytes += done.reduce((a, c) => a + c.bytes, 0);
  }
  const appends = sizes.sample * sizes.repeats;
  const lone = serial ? await measure(target, sizes.serialSample, 1) : undefined;
  return {
    stored,
    storedAtEnd: target.stored(),
    concurrency: CONCURRENCY,
    appends,
    recordsPerSec: median(rates),
    latencyMs: summarize(latencies),
    meanBatch: Math.round((appends / batches) * 10) / 10,
    meanEntryBytes: Math.round(bytes / appends),
    floor: { recordsPerSec: median(floorRates), commitLatencyMs: summarize(floorLatencies) },
    ratioToFloor: median(ratios),
    runs: { recordsPerSec: rates, floorRecordsPerSec: floorRates, ratioToFloor: ratios },
    ...(lone && {
      serial: {
        concurrency: 1,
        appends: sizes.serialSample,
        recordsPerSec: lone.recordsPerSec,
        latencyMs: summarize(lone.latencies),
      },
    }),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

interface Sizes {
  sample: number;
  repeats: number;
  serialSample: number;
}

/** Appends until the active segment is nearly full: the worst case for an open after a crash. */
async function fillActiveSegment(log: RecordLog, dir: string, maxBytes: number): Promise<void> {
  const target = logTarget(log);
  for (;;) {
    const name = `${String(log.stats.journal.activeSegmentFirstLsn).padStart(20, '0')}.seg`;
    const size = (await stat(join(dir, 'journal', name))).size;
    if (size > maxBytes * 0.97) return;
    await prefill(target, target.stored() + Math.max(1, Math.floor((maxBytes * 0.98 - size) / 600)));
  }
}

/** RecordLog open time after a clean close, and after a crash with a full last segment to scan. */
async function measureOpen(opts: RecordLogOptions) {
  const t0 = performance.now();
  let log = await RecordLog.open(opts);
  const cleanOpenMs = Math.round(performance.now() - t0);
  const { lastLsn: records, segments } = log.stats.journal;
  await log.close();
  await rewindCheckpoint(opts);
  const t1 = performance.now();
  log = await RecordLog.open(opts);
  const afterCrashOpenMs = Math.round(performance.now() - t1);
  const { scannedRecords } = log.recovery;
  const journalOpenMs = Math.round(log.stats.journal.openMs);
  await log.close();
  return {
    records,
    segments,
    cleanOpenMs,
    afterCrashOpenMs,
    scannedAfterCrash: scannedRecords,
    journalOpenMs,
  };
}

/** Runs the benchmark and writes `<outDir>/journal.json`; resolves with what it wrote. */
export async function run(opts: JournalBenchOptions): Promise<object> {
  const levels = opts.quick ? [1_000, 100_000] : [1_000, 100_000, 1_000_000];
  const sizes: Sizes = opts.quick
    ? { sample: 10_000, repeats: 3, serialSample: 300 }
    : { sample: 15_000, repeats: 5, serialSample: 1_000 };
  const loadAvgAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
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
  const log = await RecordLog.open(logOpts);
  const bare = await Journal.open(join(dataDir, 'journal'), { onCommit });
  try {
    for (const stored of levels) {
      const j = journalTarget(bare);
      await prefill(j, stored);
      await settle(stored);
      journal.push(await level(j, commits, join(dataDir, `floor-j-${stored}.bin`), sizes, false));
      const l = logTarget(log);
      await prefill(l, stored);
      await settle(stored);
      recordLog.push(await level(l, commits, join(dataDir, `floor-l-${stored}.bin`), sizes, true));
    }
    await fillActiveSegment(log, logOpts.dir, SEGMENT_BYTES);
  } finally {
    await log.close();
    await bare.close();
  }
  const open = await measureOpen(logOpts);
  await rm(dataDir, { recursive: true, force: true });

  const rates = recordLog.map((r) => r.recordsPerSec);
  const relative = recordLog.map((r) => 1 / r.ratioToFloor);
  const spread = (v: number[]) => Math.round((Math.max(...v) / Math.min(...v)) * 100) / 100;
  const worst = {
    rate: Math.min(...rates),
    p99: Math.max(...recordLog.map((r) => r.latencyMs.p99Ms)),
    journalRatio: Math.max(...journal.map((r) => r.ratioToFloor)),
    open: Math.max(open.cleanOpenMs, open.afterCrashOpenMs),
  };
  const report = {
    bench: 'journal',
    at: new Date().toISOString(),
    quick: opts.quick,
    machine: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus().length,
      loadAvgAtStart,
      loadAvgAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
    },
    note:
      'recordLog: RecordLog.append (envelope, UUIDv7, JSON, journal); journal: Journal.append of ready ' +
      'record-sized payloads. floor: the same commits replayed as raw write+fdatasync on the same disk.',
    recordLog,
    journal,
    open,
    goals: {
      recordsPerSec: {
        target: `≥ ${GOALS.recordsPerSec}`,
        worst: worst.rate,
        pass: worst.rate >= GOALS.recordsPerSec,
      },
      p99Ms: {
        target: `≤ ${GOALS.p99Ms}`,
        worst: worst.p99,
        floorCommitP99Ms: recordLog.map((r) => r.floor.commitLatencyMs.p99Ms),
        pass: worst.p99 <= GOALS.p99Ms,
      },
      flatInStored: {
        target: `record log rate relative to the floor: max/min over levels ≤ ${GOALS.flatness}`,
        relativeMaxOverMin: spread(relative),
        rawMaxOverMin: spread(rates),
        pass: spread(relative) <= GOALS.flatness,
      },
      journalToFloor: {
        target: `≤ ${GOALS.floorRatio}`,
        worst: worst.journalRatio,
        pass: worst.journalRatio <= GOALS.floorRatio,
      },
      recordLogToFloor: { worst: Math.max(...recordLog.map((r) => r.ratioToFloor)) },
      openMs: { target: `≤ ${GOALS.openMs}`, worst: worst.open, pass: worst.open <= GOALS.openMs },
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
