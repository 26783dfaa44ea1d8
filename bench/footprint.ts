/**
 * Footprint: the daemon's resident memory when idle with 50 registered devices, and the time from
 * spawning the process to its ready line with 1M journal records already stored (quick: 100k).
 *
 * - Memory: a fresh store, 50 MQTT help buttons registered over the API, ~5 s idle, then VmRSS
 *   from /proc/<pid>/status; again after a restart on that store (the usual state of a box), and,
 *   for information, with the 50 devices connected over MQTT (idle).
 * - Start-up: the records are written straight into the store's record log from this process
 *   (RecordLog, group-committed appends, 1000 in flight), after the daemon has created its store
 *   once; then the daemon is spawned 3 times and timed to its ready line. Beside it, in the same
 *   run: the same spawn on an empty store, and a bare `node -e` printing a line (the floor of
 *   starting any Node process here). Also 3 starts "after a crash": the seq checkpoint rewound
 *   to the start of the active segment, as when power was lost before a clean close, so the open
 *   must scan that segment.
 * Writes `<outDir>/footprint.json`.
 *
 *   node --import tsx bench/footprint.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { STREAMS, type Stream } from '../cloud-sync/protocol/record.js';
import { DurableFileAdapter } from '../edge/store/durable-file-adapter.js';
import { RecordLog, type RecordLogOptions } from '../edge/store/record-log.js';
import {
  cli,
  type EdgeProcess,
  isMain,
  login,
  machine,
  median,
  noDelay,
  packageRoot,
  registerMqttDevices,
  requireBuiltDaemon,
  rssMB,
  sleep,
  startEdge,
  tempDir,
  writeResult,
} from './lib.js';

const DEVICES = 50;
const IDLE_MS = 5000;
const STARTS = 3;
const IN_FLIGHT = 1000;
const GOALS = { rssMB: 100, readyMs: 2000 };
/** The daemon's default house: the records must be its own. */
const HOUSE = 'demo-house';

/** Young generation of 2 MB semi-spaces instead of V8's default (up to 16 MB each on 64-bit). */
const SMALL_SEMI_SPACE = '--max-semi-space-size=2';
/** The daemon's largest dependencies, measured one by one. */
const HEAVY_MODULES = [
  'fastify',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@fastify/static',
  'aedes',
  'mqtt',
  'ws',
  'pino',
  'prom-client',
  'typebox',
  'serialport',
  'lowdb',
  'qrcode',
];

const r1 = (v: number) => Math.round(v * 10) / 10;

async function stopped(edge: EdgeProcess, what: string): Promise<void> {
  const code = await edge.stop();
  if (code !== 0) throw new Error(`${what}: daemon exited ${code}; stderr:\n${edge.stderr.join('\n')}`);
}

/** Spawn → first stdout line of a bare Node process: what any Node daemon pays before its own code. */
async function bareNode(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("ready\\n")'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const at = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', () => resolve(performance.now()));
    child.once('error', reject);
  });
  await new Promise((resolve) => child.once('exit', resolve));
  return at - t0;
}

/** Imports `spec` (nothing when null) in a bare Node process; import time, RSS and heap after a full GC. */
function importIn(spec: string | null): Promise<{ ms: number; rss: number; heap: number }> {
  const code = [
    'const t0 = performance.now();',
    spec === null ? '' : `await import(${JSON.stringify(spec)});`,
    'const ms = performance.now() - t0;',
    'globalThis.gc(); globalThis.gc();',
    'const m = process.memoryUsage();',
    'process.stdout.write(JSON.stringify({ ms, rss: m.rss, heap: m.heapUsed }));',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      if (exitCode === 0) resolve(JSON.parse(out));
      else reject(new Error(`importing ${spec ?? '(nothing)'} failed: ${err.trim()}`));
    });
  });
}

/**
 * What loading each of the daemon's big dependencies costs on its own in a bare Node process (import
 * time; RSS and V8 heap used after a full GC, above a process that imports nothing), and the whole
 * daemon's code (its entry module imported, not started): where idle memory and start-up time go
 * before the daemon has done anything.
 */
async function moduleCosts() {
  const base = await importIn(null);
  const specs = [...HEAVY_MODULES, pathToFileURL(join(packageRoot(), 'dist', 'edge', 'main.js')).href];
  const out: { module: string; importMs: number; rssMB: number; heapUsedMB: number }[] = [];
  for (const spec of specs) {
    const m = await importIn(spec);
    out.push({
      module: spec.startsWith('file:') ? 'dist/edge/main.js (all of the daemon)' : spec,
      importMs: Math.round(m.ms),
      rssMB: r1((m.rss - base.rss) / 2 ** 20),
      heapUsedMB: r1((m.heap - base.heap) / 2 ** 20),
    });
  }
  return { bareNode: { rssMB: r1(base.rss / 2 ** 20), heapUsedMB: r1(base.heap / 2 ** 20) }, modules: out };
}

/** `journal opened` from the daemon's info log: its own measure of the record log open. */
function journalOpenMs(edge: EdgeProcess): number | undefined {
  for (const line of edge.stderr) {
    if (!line.includes('journal opened')) continue;
    try {
      const rec = JSON.parse(line) as { openMs?: number };
      if (typeof rec.openMs === 'number') return rec.openMs;
    } catch {
      // not a JSON log line
    }
  }
  return undefined;
}

/** One timed start: spawn → ready line; then a clean stop. */
async function timedStart(dataDir: string) {
  const edge = await startEdge(dataDir, { LINLI_LOG_LEVEL: 'info' });
  const readyMs = edge.readyMs;
  const openMs = journalOpenMs(edge);
  await stopped(edge, 'timed start');
  return { readyMs: Math.round(readyMs), journalOpenMs: openMs };
}

const body = (n: number, stream: Stream) => {
  switch (stream) {
    case 'service':
      return {
        deviceId: `qr-${n % 7}`,
        text: `https://linli.example/p/badge/B${String(n).padStart(8, '0')}`,
        scannedAt: new Date().toISOString(),
      };
    case 'device':
      return { deviceId: `help-btn-${n % 50}`, online: n % 2 === 0 };
    case 'alarm':
      return { alarmId: `al-${n}`, deviceId: `help-btn-${n % 50}`, state: 'raised', key: 'sos', seq: n };
    case 'payment':
      return { paymentId: `p-${n}`, state: 'approved', amountFen: 1200 + (n % 500), ref: `R${n}` };
    case 'points':
      return { residentId: `r-${n % 400}`, delta: 5, activity: `act-${n % 30}` };
    default:
      return { entity: 'resident', id: `r-${n % 400}`, version: n, fields: ['phone'] };
  }
};

/** Appends records until the log holds `count`, `IN_FLIGHT` at a time. */
async function prefill(opts: RecordLogOptions, count: number) {
  const log = await RecordLog.open(opts);
  const t0 = performance.now();
  try {
    while (log.lastLsn < count) {
      const n = Math.min(IN_FLIGHT, count - log.lastLsn);
      const base = log.lastLsn;
      await Promise.all(
        Array.from({ length: n }, (_, i) => {
          const stream = STREAMS[(base + i) % STREAMS.length] as Stream;
          return log.append(stream, 'bench', body(base + i, stream));
        }),
      );
    }
  } finally {
    await log.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const j = log.stats.journal;
  return {
    records: j.lastLsn,
    segments: j.segments,
    bytesMB: r1(j.bytes / 2 ** 20),
    seconds: r1(seconds),
    recordsPerSec: Math.round(count / seconds),
  };
}

/**
 * Writes the seq checkpoint as it stood when the active segment began, as after a power cut
 * before a clean close: the next open must read that whole segment. Resolves with how many
 * records the open will scan.
 */
async function rewindCheckpoint(opts: RecordLogOptions): Promise<number> {
  const log = await RecordLog.open(opts);
  const from = log.stats.journal.activeSegmentFirstLsn;
  const last = log.lastLsn;
  const seqs: Partial<Record<Stream, number>> = {};
  for (const s of STREAMS) seqs[s] = log.streamSeq(s);
  const seen = new Set<Stream>();
  for await (const { record } of log.read(from)) {
    if (!seen.has(record.stream)) seqs[record.stream] = record.seq - 1;
    seen.add(record.stream);
  }
  await log.close();
  await new DurableFileAdapter<{ lsn: number; seqs: typeof seqs }>(
    join(opts.dir, 'seq-checkpoint.json'),
  ).write({
    lsn: from - 1,
    seqs,
  });
  return last - from + 1;
}

/** The daemon's own view of its memory, from its Prometheus metrics (prom-client defaults), in MB. */
async function heapOf(edge: EdgeProcess) {
  const text = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  const mb = (name: string) =>
    r1(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return {
    heapTotal: mb('linli_process_nodejs_heap_size_total_bytes'),
    heapUsed: mb('linli_process_nodejs_heap_size_used_bytes'),
    newSpaceTotal: mb('linli_process_nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
    external: mb('linli_process_nodejs_external_memory_bytes'),
  };
}

async function memory(dir: string) {
  const dataDir = join(dir, 'mem-data');
  let edge = await startEdge(dataDir);
  let client: mqtt.MqttClient[] = [];
  try {
    await sleep(IDLE_MS);
    const noDevices = await rssMB(edge.pid);
    const token = await login(edge.httpUrl);
    const passwords = await registerMqttDevices(edge.httpUrl, token, 'help-btn', DEVICES);
    await sleep(IDLE_MS);
    const afterRegistering = await rssMB(edge.pid);
    await stopped(edge, 'memory');

    // The same store under a smaller young generation: what a V8 flag alone would buy.
    edge = await startEdge(dataDir, { NODE_OPTIONS: SMALL_SEMI_SPACE });
    await sleep(IDLE_MS);
    const smallSemiSpace = { rss: await rssMB(edge.pid), ...(await heapOf(edge)) };
    await stopped(edge, 'memory');

    edge = await startEdge(dataDir);
    await sleep(IDLE_MS);
    const afterRestart = await rssMB(edge.pid);
    const heap = await heapOf(edge);

    for (const [id, password] of passwords) {
      const c = await mqtt.connectAsync(edge.mqttUrl, {
        clientId: id,
        username: id,
        password,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      noDelay(c);
      client.push(c);
    }
    await sleep(IDLE_MS);
    const connected = await rssMB(edge.pid);
    const peak = await rssMB(edge.pid, 'VmHWM');
    await Promise.all(client.map((c) => c.endAsync()));
    client = [];
    return {
      devices: DEVICES,
      idleMs: IDLE_MS,
      rssMB: {
        noDevices,
        afterRegistering,
        afterRestart,
        with50Connected: connected,
        peakSinceRestart: peak,
      },
      heapMBAfterRestart: heap,
      withSmallSemiSpace: { nodeOptions: SMALL_SEMI_SPACE, ...smallSemiSpace },
    };
  } finally {
    await Promise.all(client.map((c) => c.endAsync().catch(() => undefined)));
    await stopped(edge, 'memory');
  }
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  requireBuiltDaemon();
  const records = opts.quick ? 100_000 : 1_000_000;
  const dir = await tempDir('linli-bench-footprint-');
  try {
    const mem = await memory(dir);
    const costs = await moduleCosts();

    const bare: number[] = [];
    for (let i = 0; i < STARTS; i++) bare.push(Math.round(await bareNode()));

    // Empty store: the first start creates it (state, first admin), then the timed ones.
    const emptyDir = join(dir, 'empty-data');
    await stopped(await startEdge(emptyDir), 'empty store');
    const empty = [];
    for (let i = 0; i < STARTS; i++) empty.push(await timedStart(emptyDir));

    const fullDir = join(dir, 'full-data');
    await stopped(await startEdge(fullDir), 'full store');
    const logOpts: RecordLogOptions = {
      dir: join(fullDir, 'records'),
      house: HOUSE,
      clock: () => 'unsynced',
    };
    const fill = await prefill(logOpts, records);
    const full = [];
    for (let i = 0; i < STARTS; i++) full.push(await timedStart(fullDir));
    const afterCrash = [];
    for (let i = 0; i < STARTS; i++) {
      const scanned = await rewindCheckpoint(logOpts);
      afterCrash.push({ ...(await timedStart(fullDir)), scannedRecords: scanned });
    }
    const idle = await startEdge(fullDir);
    await sleep(IDLE_MS);
    const rssWithRecords = await rssMB(idle.pid);
    await stopped(idle, 'full store idle');

    const worstReady = Math.max(...full.map((s) => s.readyMs));
    const worstRss = Math.max(mem.rssMB.afterRegistering, mem.rssMB.afterRestart);
    const report = {
      bench: 'footprint',
      at: new Date().toISOString(),
      quick: opts.quick,
      machine: machine(),
      note:
        'readyMs: from spawn() of `node bin/linli-edge.js` to its ready line on stdout (info log on, to ' +
        'read the daemon’s own journal open time). bareNodeMs: spawn → first line of `node -e`. ' +
        'afterCrash: seq checkpoint rewound to the start of the active segment before each start. RSS: ' +
        `VmRSS after ${IDLE_MS / 1000} s idle.`,
      memory: mem,
      moduleCosts: costs,
      startup: {
        records,
        prefill: fill,
        bareNodeMs: bare,
        emptyStore: empty,
        withRecords: full,
        withRecordsAfterCrash: afterCrash,
        medianReadyMs: {
          bareNode: median(bare),
          emptyStore: median(empty.map((s) => s.readyMs)),
          withRecords: median(full.map((s) => s.readyMs)),
          withRecordsAfterCrash: median(afterCrash.map((s) => s.readyMs)),
        },
        rssMBIdleWithRecords: rssWithRecords,
      },
      goals: {
        idleRssMB: { target: `≤ ${GOALS.rssMB}`, value: worstRss, pass: worstRss <= GOALS.rssMB },
        readyMs: {
          target: `≤ ${GOALS.readyMs} with ${records} records`,
          value: worstReady,
          pass: worstReady <= GOALS.readyMs,
        },
      },
    };
    await writeResult(opts.outDir, 'footprint', report);
    return report;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await cli(run);
