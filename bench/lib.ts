/**
 * What the benchmarks share: the package root, the built daemon as a real process and an SSE
 * client (the test suite's own harness, re-exported), latency summaries, RSS from /proc, machine
 * facts and result files. Everything listens on 127.0.0.1 only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { percentile } from '../edge/store/latency-window.js';
import { packageRoot } from '../edge/util/package-root.js';
import {
  ADMIN_PASSWORD,
  api,
  type EdgeProcess,
  startEdge as startEdgeProcess,
} from '../test/helpers/edge-process.js';

export {
  ADMIN_PASSWORD,
  api,
  type EdgeProcess,
  login,
  requireBuiltDaemon,
} from '../test/helpers/edge-process.js';
export { SseClient, type SseMessage } from '../test/helpers/sse-client.js';
export { packageRoot };

/** Where results go: `<root>/bench/results`, from source or from dist/. */
export function resultsDir(): string {
  return join(packageRoot(), 'bench', 'results');
}

/** The value of a `--name=value` argument of this process, if given. */
export function argValue(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** True when the module at `url` is the process's entry point (`node --import tsx bench/x.ts`). */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const round3 = (v: number) => Math.round(v * 1000) / 1000;

export interface Latency {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  minMs: number;
}

export function summarize(samples: readonly number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50Ms: round3(percentile(sorted, 0.5)),
    p99Ms: round3(percentile(sorted, 0.99)),
    maxMs: round3(sorted[sorted.length - 1] ?? 0),
    meanMs: round3(sorted.length ? sum / sorted.length : 0),
    minMs: round3(sorted[0] ?? 0),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Facts about the machine, as recorded in every result file. */
export function machine() {
  const cpuModel = (() => {
    try {
      return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? '?';
    } catch {
      return cpus()[0]?.model ?? '?';
    }
  })();
  const kernel = (() => {
    try {
      return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    } catch {
      return '?';
    }
  })();
  return {
    cpus: cpus().length,
    cpuModel,
    memoryMB: Math.round(totalmem() / 2 ** 20),
    kernel,
    node: process.version,
  };
}

export async function writeResult(outDir: string, name: string, report: object): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
}

/** Resident set size of a process in MB (VmRSS, or VmHWM for the peak). */
export async function rssMB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

/** CPU time (user + system) a process has used so far, in ms. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may hold spaces) start at ") "
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
  const hz = 100; // USER_HZ on Linux
  return (ticks * 1000) / hz;
}

/** Machine-wide CPU counters from /proc/stat, in ms: busy (not idle or iowait) and steal. */
export async function machineCpuMs(): Promise<{ busy: number; steal: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const steal = v[7] ?? 0;
  return { busy: ((total - idle - steal) * 1000) / 100, steal: (steal * 1000) / 100 };
}

/** A free TCP port on 127.0.0.1 (for a peer that needs its port in a config file). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof addr !== 'object' || addr === null) throw new Error('no port');
  return addr.port;
}

/** TCP_NODELAY on an mqtt.js client's socket, now and after every reconnect (TESTBED.md). */
export function noDelay(client: MqttClient): void {
  const set = () => (client.stream as Partial<Socket>).setNoDelay?.(true);
  set();
  client.on('connect', set);
}

/** Starts the built daemon on `dataDir` (free ports, 127.0.0.1): the test suite's own harness. */
export function startEdge(
  dataDir: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<EdgeProcess> {
  return startEdgeProcess(env, { dataDir, timeoutMs });
}

/** Registers `count` MQTT help buttons `prefix-000`…; resolves with id → one-time password. */
export async function registerMqttDevices(
  httpUrl: string,
  token: string,
  prefix: string,
  count: number,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${String(i).padStart(3, '0')}`;
    const r = await api<{ password?: string }>(httpUrl, token, 'POST', '/api/devices', {
      id,
      type: 'help-button',
      transport: 'mqtt',
      assignedTo: `room ${i}`,
    });
    if (r.status !== 201 || !r.body.password) {
      throw new Error(`registering ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    out.set(id, r.body.password);
  }
  return out;
}

/** Runs a bench's `run()` from the command line: `--quick`, results to `<root>/bench/results`. */
export async function cli(run: (opts: { quick: boolean; outDir: string }) => Promise<object>): Promise<void> {
  const report = await run({ quick: process.argv.includes('--quick'), outDir: resultsDir() });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

/** Human facts for the README: disk of the results dir, from df. */
export function diskOf(path: string): string {
  try {
    const out = execFileSync('df', ['-h', '--output=source,fstype,size,avail', path], { encoding: 'utf8' });
    return out.trim().split('\n').pop()?.replace(/\s+/g, ' ') ?? '?';
  } catch {
    return '?';
  }
}

/** One pending arrival at a time: `arm(key)` before the write, `hit(key, at)` when it shows up. */
export class Arrival {
  private key: string | undefined;

  constructor(private readonly timeoutMs: number) {}
  private resolve: ((at: number) => void) | undefined;

  arm(key: string): Promise<number> {
    this.key = key;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${key}: not seen in ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.resolve = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
  }

  hit(key: string, at: number): void {
    if (key !== this.key || !this.resolve) return;
    const r = this.resolve;
    this.key = undefined;
    this.resolve = undefined;
    r(at);
  }
}

/**
 * An admin MQTT watcher on a device's events (TCP_NODELAY): `stamp` sees each event with the
 * moment it arrived. It stamps when an event crosses the broker, before its record is written.
 */
export async function eventWatcher(
  mqttUrl: string,
  deviceId: string,
  stamp: (event: Record<string, unknown>, at: number) => void,
): Promise<MqttClient> {
  const watcher = await mqtt.connectAsync(mqttUrl, {
    username: 'user:admin',
    password: ADMIN_PASSWORD,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  noDelay(watcher);
  watcher.on('message', (_topic, payload) => {
    const at = performance.now();
    stamp(JSON.parse(payload.toString('utf8')) as Record<string, unknown>, at);
  });
  await watcher.subscribeAsync(`linli/v1/dev/${deviceId}/evt`, { qos: 1 });
  return watcher;
}
