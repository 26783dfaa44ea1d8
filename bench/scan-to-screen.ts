/**
 * Scan to screen: from the first byte of a scan written to a real pty (socat pair) until the
 * `qr.scanned` event reaches an SSE client of the daemon, running as a real process. The event
 * leaves the daemon only after its record is fsynced, so the path is pty → serial driver →
 * embedded broker (QoS 1) → intake → journal append + fsync → SSE. Scans go one at a time: the next
 * is written once the previous one has arrived.
 *
 * Beside it, in the same run, the floor: the same writer on a fresh pty pair with no daemon, a
 * plain serialport reader on the other end (write → 'data' events up to the line's terminator).
 * For a breakdown, an admin MQTT watcher also stamps when the scanner's event crosses the broker
 * (before the record is written), and the daemon's journal commit histogram gives the fsync cost.
 * Writes `<outDir>/scan-to-screen.json`.
 *
 *   node --import tsx bench/scan-to-screen.ts [--quick]
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type mqtt from 'mqtt';
import { QrScannerSimulator } from '../firmware-bridge/qr-scanner/simulator.js';
import { closePort, openPort, type SerialSettings } from '../firmware-bridge/serial/port-io.js';
import { hasSocat, ptyPair } from '../firmware-bridge/sim/pty-pair.js';
import {
  Arrival,
  api,
  cli,
  eventWatcher,
  isMain,
  login,
  machine,
  requireBuiltDaemon,
  SseClient,
  type SseMessage,
  startEdge,
  summarize,
  tempDir,
  writeResult,
} from './lib.js';

const GOAL_P99_MS = 20;
const WARM_UP = 20;
const SCAN_TIMEOUT_MS = 5000;
const DEVICE = 'bench-qr-1';

const settings = (path: string): SerialSettings => ({
  path,
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
});

const scanText = (i: number) => `https://linli.example/p/badge/B${String(i).padStart(6, '0')}`;

/** The floor: the simulator writes into a pty pair; a bare serialport reader waits for the line. */
async function floor(dir: string, total: number): Promise<number[]> {
  const pty = await ptyPair(dir);
  const reader = await openPort(settings(pty.a));
  const sim = new QrScannerSimulator(settings(pty.b));
  const arrival = new Arrival(SCAN_TIMEOUT_MS);
  let line = '';
  reader.on('data', (chunk: Buffer) => {
    const at = performance.now();
    line += chunk.toString('utf8');
    const end = line.indexOf('\n');
    if (end < 0) return;
    const text = line.slice(0, end).replace(/\r$/, '');
    line = line.slice(end + 1);
    arrival.hit(text, at);
  });
  const samples: number[] = [];
  try {
    await sim.open();
    for (let i = 0; i < WARM_UP + total; i++) {
      const text = scanText(i);
      const seen = arrival.arm(text);
      const t0 = performance.now();
      await sim.scan(text);
      const at = await seen;
      if (i >= WARM_UP) samples.push(at - t0);
    }
  } finally {
    await sim.close();
    await closePort(reader);
    await pty.kill();
  }
  return samples;
}

/** Sum and count of a Prometheus histogram in the daemon's /metrics. */
async function histogram(
  httpUrl: string,
  token: string,
  name: string,
): Promise<{ sum: number; count: number }> {
  const res = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const read = (suffix: string) =>
    Number(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { sum: read('sum'), count: read('count') };
}

interface EdgeSamples {
  sse: number[];
  mqtt: number[];
  commitMeanMs: number;
  commits: number;
}

async function throughDaemon(dir: string, total: number): Promise<EdgeSamples> {
  const pty = await ptyPair(join(dir, 'pty'));
  const edge = await startEdge(join(dir, 'data'), {
    LINLI_SERIAL_BACKOFF_MS: '50',
    LINLI_SERIAL_BACKOFF_MAX_MS: '200',
  });
  const sim = new QrScannerSimulator(settings(pty.b));
  const sseArrival = new Arrival(SCAN_TIMEOUT_MS);
  const mqttAt = new Map<string, number>();
  let online: (() => void) | undefined;
  let sse: SseClient | undefined;
  let watcher: mqtt.MqttClient | undefined;
  try {
    const token = await login(edge.httpUrl);
    sse = await SseClient.connect(
      `${edge.httpUrl}/api/events`,
      { authorization: `Bearer ${token}` },
      (e: SseMessage) => {
        const d = e.data as { deviceId?: string; text?: string; online?: boolean };
        if (e.event === 'qr.scanned' && d.text !== undefined) sseArrival.hit(d.text, e.at);
        else if (e.event === 'device.status' && d.deviceId === DEVICE && d.online === true) online?.();
      },
    );
    watcher = await eventWatcher(edge.mqttUrl, DEVICE, (e, at) => {
      if (e.type === 'qr.scanned' && typeof e.text === 'string') mqttAt.set(e.text, at);
    });

    const isOnline = new Promise<void>((resolve) => {
      online = resolve;
    });
    const r = await api(edge.httpUrl, token, 'POST', '/api/devices', {
      id: DEVICE,
      type: 'qr-scanner',
      transport: 'serial',
      path: pty.a,
      baudRate: 9600,
    });
    if (r.status !== 201) throw new Error(`registering the scanner: ${r.status} ${JSON.stringify(r.body)}`);
    await Promise.race([
      isOnline,
      new Promise((_, reject) => setTimeout(() => reject(new Error('scanner never came online')), 10_000)),
    ]);
    await sim.open();

    const out: EdgeSamples = { sse: [], mqtt: [], commitMeanMs: 0, commits: 0 };
    let before = { sum: 0, count: 0 };
    for (let i = 0; i < WARM_UP + total; i++) {
      if (i === WARM_UP) before = await histogram(edge.httpUrl, token, 'linli_journal_commit_seconds');
      const text = scanText(i);
      const seen = sseArrival.arm(text);
      const t0 = performance.now();
      await sim.scan(text);
      const at = await seen;
      if (i < WARM_UP) continue;
      out.sse.push(at - t0);
      const m = mqttAt.get(text);
      if (m !== undefined) out.mqtt.push(m - t0);
    }
    const after = await histogram(edge.httpUrl, token, 'linli_journal_commit_seconds');
    out.commits = after.count - before.count;
    out.commitMeanMs = out.commits > 0 ? ((after.sum - before.sum) / out.commits) * 1000 : NaN;
    return out;
  } finally {
    await sim.close();
    await watcher?.endAsync().catch(() => undefined);
    sse?.close();
    const code = await edge.stop();
    if (code !== 0) process.stderr.write(`scan-to-screen: daemon exited ${code}\n`);
    await pty.kill();
  }
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  requireBuiltDaemon();
  if (!(await hasSocat()))
    throw new Error('scan-to-screen needs socat: apt-get install -y --no-install-recommends socat');
  const scans = opts.quick ? 100 : 1000;
  const dir = await tempDir('linli-bench-scan-');
  try {
    const floorSamples = await floor(join(dir, 'floor'), scans);
    const edge = await throughDaemon(dir, scans);
    const e2e = summarize(edge.sse);
    const floorSummary = summarize(floorSamples);
    const report = {
      bench: 'scan-to-screen',
      at: new Date().toISOString(),
      quick: opts.quick,
      machine: machine(),
      note:
        'ms from the first byte of a scan written to a socat pty until the qr.scanned SSE event ' +
        'arrived (daemon as a real process; the event is sent after its record is fsynced). One scan ' +
        `at a time; ${WARM_UP} warm-up scans not counted. floor: the same writer and pty with a bare ` +
        'serialport reader and no daemon. viaMqtt: when the same scan reached an admin MQTT watcher ' +
        '(before the record is written).',
      scans,
      scanBytes: Buffer.byteLength(`${scanText(0)}\r\n`),
      endToEnd: e2e,
      floor: floorSummary,
      viaMqtt: summarize(edge.mqtt),
      journalCommit: { commits: edge.commits, meanMs: Math.round(edge.commitMeanMs * 1000) / 1000 },
      overFloorP50Ms: Math.round((e2e.p50Ms - floorSummary.p50Ms) * 1000) / 1000,
      goals: { p99Ms: { target: `≤ ${GOAL_P99_MS}`, value: e2e.p99Ms, pass: e2e.p99Ms <= GOAL_P99_MS } },
      samplesOver10Ms: edge.sse.filter((v) => v > 10).length,
    };
    await writeResult(opts.outDir, 'scan-to-screen', report);
    return report;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await cli(run);
