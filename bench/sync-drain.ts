/**
 * Sync drain (issue 5): an edge with a backlog of 1,000,000 records in its journal (quick: 20,000)
 * syncs them to a real `linli-cloud`, on embedded PGlite and on the machine's PostgreSQL (a fresh
 * database, dropped after). Both sides are the built programs as processes: the daemon
 * (`bin/linli-edge.js`, its own sync client over its own journal) and `bin/linli-cloud.js`.
 *
 * Per target: the cloud starts and a house is registered through its API; the daemon creates its
 * store once; the backlog is written into the store's record log (sync-backlog.ts); then the
 * daemon starts with the cloud's URL and the house secret and drains. On PostgreSQL the daemon
 * first runs with the cloud down for a while (offline with the whole backlog, retrying), then the
 * cloud comes back on the same port. Measured: time from "edge and cloud both up" to the edge's
 * `GET /api/sync` showing no backlog (polled every 0.5 s), records/s, the cloud's own span (first
 * to last batch's `received_at`), and the daemon's RSS sampled every 0.5 s (offline and draining).
 * Then, with both stopped: the cloud holds exactly the records written, every stream with seqs
 * 1…n (count = max = the edge's last seq, min 1), no rejections; and the peers of sync-floor.ts on
 * the same database from the same journal (raw INSERT floor, in-process `ingest()`).
 * The load average is recorded: the machine's 2 vCPUs are shared with other work.
 * Writes `<outDir>/sync-drain.json`.
 *
 *   node --import tsx bench/sync-drain.ts [--quick] [--records=N]   (daemon and cloud built)
 */
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Db } from '../cloud-sync/server/db/db.js';
import { openDb } from '../cloud-sync/server/db/open.js';
import { requirePostgres, TestDatabases } from '../cloud-sync/server/db/test-targets.js';
import type { SyncView } from '../edge/api/types.js';
import { type CloudProcess, registerHouse, startCloud } from '../test/helpers/cloud-process.js';
import {
  argValue,
  cli,
  cpuMs,
  type EdgeProcess,
  freePort,
  isMain,
  login,
  machine,
  machineCpuMs,
  median,
  rssMB,
  sleep,
  startEdge,
  tempDir,
  writeResult,
} from './lib.js';
import { writeBacklog } from './sync-backlog.js';
import { ingestPeer, insertFloor } from './sync-floor.js';

const GOAL_PG_RECORDS_PER_S = 5000;
const GOAL_RSS_MB = 150;
const POLL_MS = 500;

type Target = 'pglite' | 'postgres';
const r1 = (v: number) => Math.round(v * 10) / 10;
const load = () => loadavg().map((v) => Math.round(v * 100) / 100);

async function syncView(edge: EdgeProcess, token: string): Promise<SyncView> {
  const res = await fetch(`${edge.httpUrl}/api/sync`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /api/sync: ${res.status}`);
  return (await res.json()) as SyncView;
}

/** The daemon's own view of its memory (prom-client's defaults on /metrics), in MB. */
async function heapOf(edge: EdgeProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  const mb = (name: string) =>
    r1(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return {
    heapUsed: mb('linli_process_nodejs_heap_size_used_bytes'),
    heapTotal: mb('linli_process_nodejs_heap_size_total_bytes'),
    external: mb('linli_process_nodejs_external_memory_bytes'),
  };
}

/** The largest of each figure over the samples. */
const maxOf = (samples: Record<string, number>[]) =>
  Object.fromEntries(
    Object.keys(samples[0] ?? {}).map((k) => [k, Math.max(...samples.map((s) => s[k] ?? 0))]),
  );

/** Samples the daemon's RSS (and its sync view) every POLL_MS until `done` says stop. */
async function watch(
  edge: EdgeProcess,
  token: string,
  done: (v: SyncView, elapsedMs: number) => boolean,
): Promise<{
  rss: number[];
  heapMaxMB: Record<string, number>;
  last: SyncView;
  ms: number;
  progress: [number, number][];
}> {
  const t0 = performance.now();
  const rss: number[] = [];
  const heap: Record<string, number>[] = [];
  const progress: [number, number][] = [];
  for (let i = 0; ; i++) {
    rss.push(await rssMB(edge.pid));
    if (i % 4 === 0) heap.push(await heapOf(edge));
    const v = await syncView(edge, token);
    const ms = performance.now() - t0;
    progress.push([Math.round(ms), v.backlog]);
    if (done(v, ms)) return { rss, heapMaxMB: maxOf(heap), last: v, ms, progress };
    await sleep(POLL_MS);
  }
}

/** What the cloud holds: counts and seq ranges per stream, rejections, the batches' time span. */
async function verify(db: Db, house: string, expected: Record<string, number>, total: number) {
  const rows = await db.query<{ stream: string; n: number; lo: number; hi: number }>(
    `SELECT stream, count(*)::int8 AS n, min(seq) AS lo, max(seq) AS hi FROM records
      WHERE house = $1 GROUP BY stream ORDER BY stream`,
    [house],
  );
  const [all] = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM records');
  const [rej] = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM rejections');
  const [span] = await db.query<{ s: number }>(
    'SELECT extract(epoch FROM max(received_at) - min(received_at))::float8 AS s FROM records',
  );
  const contiguous = await db.query<{ stream: string; contiguous: number }>(
    'SELECT stream, contiguous FROM stream_state WHERE house = $1',
    [house],
  );
  const streams = Object.fromEntries(rows.map((r) => [r.stream, { count: r.n, minSeq: r.lo, maxSeq: r.hi }]));
  const problems: string[] = [];
  if (all?.n !== total) problems.push(`cloud holds ${all?.n} records, the edge wrote ${total}`);
  if (rej?.n !== 0) problems.push(`${rej?.n} rejections`);
  for (const [stream, last] of Object.entries(expected)) {
    const s = streams[stream];
    if (!s || s.count !== last || s.minSeq !== 1 || s.maxSeq !== last) {
      problems.push(`${stream}: ${JSON.stringify(s)} but the edge's last seq is ${last}`);
    }
    const c = contiguous.find((x) => x.stream === stream)?.contiguous;
    if (c !== last) problems.push(`${stream}: stream_state.contiguous ${c}, expected ${last}`);
  }
  return {
    records: all?.n ?? 0,
    rejections: rej?.n ?? 0,
    streams,
    contiguousSeqPerStream: problems.length === 0,
    problems,
    cloudSpanS: r1(span?.s ?? 0),
  };
}

async function drainOne(target: Target, records: number, offlineMs: number, databases: TestDatabases) {
  const dir = await tempDir(`linli-drain-${target}-`);
  const cloudDir = join(dir, 'cloud');
  const edgeData = join(dir, 'edge', 'data');
  const port = await freePort();
  const databaseUrl = target === 'postgres' ? await databases.create() : undefined;
  const cloudOpts = { dataDir: cloudDir, port, ...(databaseUrl ? { databaseUrl } : {}) };
  let cloud: CloudProcess | undefined = await startCloud(cloudOpts);
  let edge: EdgeProcess | undefined;
  try {
    const house = await registerHouse(cloud.url, `drain ${target}`);
    await mkdir(edgeData, { recursive: true });
    // The daemon creates its store once, then the backlog goes into its record log.
    await (await startEdge(edgeData, { LINLI_HOUSE_ID: house.id })).stop();
    process.stdout.write(`  ${target}: writing ${records} records …\n`);
    const fill = await writeBacklog(join(edgeData, 'records'), house.id, records);
    process.stdout.write(`  ${target}: written in ${fill.seconds} s (${fill.journalMB} MB)\n`);
    const env = {
      LINLI_HOUSE_ID: house.id,
      LINLI_CLOUD_URL: cloud.url,
      LINLI_HOUSE_SECRET: house.secret,
      LINLI_SYNC_BACKOFF_MS: '250',
      LINLI_SYNC_BACKOFF_MAX_MS: '2000',
    };

    let offline: object | undefined;
    if (offlineMs > 0) {
      await cloud.stop();
      cloud = undefined;
      edge = await startEdge(edgeData, env);
      const token = await login(edge.httpUrl);
      const w = await watch(edge, token, (_v, ms) => ms >= offlineMs);
      offline = {
        seconds: r1(w.ms / 1000),
        readyMs: Math.round(edge.readyMs),
        backlog: w.last.backlog,
        lastError: w.last.lastError?.code ?? null,
        consecutiveFailures: w.last.consecutiveFailures,
        rssMB: { median: median(w.rss), max: Math.max(...w.rss), samples: w.rss.length },
        heapMaxMB: w.heapMaxMB,
      };
      process.stdout.write(`  ${target}: offline ${JSON.stringify(offline)}\n`);
      cloud = await startCloud(cloudOpts);
    } else {
      edge = await startEdge(edgeData, env);
    }
    const loadBefore = load();
    const cloudPid = cloud.proc.pid as number;
    const cpu0 = { edge: await cpuMs(edge.pid), cloud: await cpuMs(cloudPid), machine: await machineCpuMs() };
    const token = await login(edge.httpUrl);
    const limitMs = Math.max(120_000, records * 2);
    const w = await watch(edge, token, (v, ms) => {
      if (ms > limitMs) throw new Error(`not drained after ${ms} ms: backlog ${v.backlog}`);
      return v.backlog === 0;
    });
    const drainS = w.ms / 1000;
    const peakMB = await rssMB(edge.pid, 'VmHWM');
    const m1 = await machineCpuMs();
    // CPU per 1,000 records: the daemon, the cloud process, and the whole machine (the database
    // server, the bench and other work included).
    const per1000 = (ms: number) => Math.round((ms / records) * 1000 * 10) / 10;
    const cpu = {
      edgeMsPer1000: per1000((await cpuMs(edge.pid)) - cpu0.edge),
      cloudMsPer1000: per1000((await cpuMs(cloudPid)) - cpu0.cloud),
      machineBusyMsPer1000: per1000(m1.busy - cpu0.machine.busy),
      machineStealMsPer1000: per1000(m1.steal - cpu0.machine.steal),
    };
    const loadAfter = load();
    await edge.stop();
    edge = undefined;
    await cloud?.stop();
    cloud = undefined;
    process.stdout.write(
      `  ${target}: drained in ${r1(drainS)} s (${Math.round(records / drainS)} records/s)\n`,
    );

    const db = await openDb(databaseUrl ? { databaseUrl } : { dataDir: join(cloudDir, 'pglite') });
    try {
      // The daemon's own few records (its first admin, the config enrolment) are synced too.
      const expected = Object.fromEntries(
        Object.entries(w.last.streams)
          .filter(([, s]) => s.lastSeq > 0)
          .map(([k, s]) => [k, s.lastSeq]),
      );
      const total = Object.values(expected).reduce((a, b) => a + b, 0);
      const check = await verify(db, house.id, expected, total);
      if (check.problems.length > 0) throw new Error(`${target}: ${check.problems.join('; ')}`);
      const floor = await insertFloor(db, join(edgeData, 'records'), house.id);
      process.stdout.write(`  ${target}: floor ${floor.recordsPerS} records/s\n`);
      const peer = await ingestPeer(db, join(edgeData, 'records'), house.id);
      process.stdout.write(`  ${target}: ingest() peer ${peer.recordsPerS} records/s\n`);
      const recordsPerS = Math.round(records / drainS);
      return {
        target,
        fill,
        ...(offline ? { offline } : {}),
        drain: {
          seconds: r1(drainS),
          recordsPerS,
          cloudSpanS: check.cloudSpanS,
          recordsPerSCloudSpan: Math.round(records / Math.max(check.cloudSpanS, 0.001)),
          fractionOfFloor: Math.round((recordsPerS / floor.recordsPerS) * 1000) / 1000,
          fractionOfIngestPeer: Math.round((recordsPerS / peer.recordsPerS) * 1000) / 1000,
          progress: w.progress.filter((_, i) => i % Math.ceil(w.progress.length / 40) === 0),
          loadAverage: { before: loadBefore, after: loadAfter },
          cpu,
        },
        edgeRssMB: {
          drainingMedian: median(w.rss),
          drainingMax: Math.max(...w.rss),
          samples: w.rss.length,
          peakSinceStart: peakMB,
          heapMaxMB: w.heapMaxMB,
        },
        verify: check,
        floor,
        ingestPeer: peer,
      };
    } finally {
      await db.close();
    }
  } finally {
    await edge?.stop().catch(() => undefined);
    await cloud?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  await requirePostgres();
  const asked = argValue('records');
  if (asked !== undefined && !/^\d+$/.test(asked)) throw new Error(`--records=${asked}: a whole number`);
  // `--target=postgres` (or pglite) runs one target only: for trying a change to the drain.
  const only = argValue('target');
  if (only !== undefined && only !== 'pglite' && only !== 'postgres') {
    throw new Error(`--target=${only}: pglite or postgres`);
  }
  const records = asked ? Number(asked) : opts.quick ? 20_000 : 1_000_000;
  const offlineMs = opts.quick ? 4000 : 30_000;
  const databases = new TestDatabases('bench_drain');
  try {
    const at = new Date().toISOString();
    const loadStart = load();
    const pglite = only === 'postgres' ? undefined : await drainOne('pglite', records, 0, databases);
    const postgres =
      only === 'pglite' ? undefined : await drainOne('postgres', records, offlineMs, databases);
    const rssWorst = Math.max(pglite?.edgeRssMB.drainingMax ?? 0, postgres?.edgeRssMB.drainingMax ?? 0);
    const report = {
      bench: 'sync-drain',
      at,
      machine: machine(),
      loadAverage: { start: loadStart, end: load() },
      records,
      pglite,
      postgres,
      goals: {
        postgresRecordsPerS: {
          target: `≥ ${GOAL_PG_RECORDS_PER_S} records/s into PostgreSQL`,
          value: postgres?.drain.recordsPerS ?? null,
          pass: (postgres?.drain.recordsPerS ?? 0) >= GOAL_PG_RECORDS_PER_S,
        },
        edgeRssDraining: {
          target: `edge RSS ≤ ${GOAL_RSS_MB} MB while draining`,
          value: rssWorst,
          pass: rssWorst <= GOAL_RSS_MB,
        },
      },
    };
    await writeResult(opts.outDir, 'sync-drain', report);
    return report;
  } finally {
    await databases.dropAll();
  }
}

if (isMain(import.meta.url)) await cli(run);
