/**
 * What the benchmarks share: the package root, the built daemon as a real process, a lean SSE
 * reader that timestamps each event on arrival, latency summaries, RSS from /proc, machine facts
 * and result files. Everything listens on 127.0.0.1 only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer, type Socket } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { MqttClient } from 'mqtt';
import { percentile } from '../edge/store/latency-window.js';
import { packageRoot } from '../edge/util/package-root.js';

export { packageRoot };

export const ADMIN_PASSWORD = 'bench-admin-password';

/** Where results go: `<root>/bench/results`, from source or from dist/. */
export function resultsDir(): string {
  return join(packageRoot(), 'bench', 'results');
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

export interface EdgeProcess {
  proc: ChildProcess;
  pid: number;
  httpUrl: string;
  mqttUrl: string;
  mqttPort: number;
  dataDir: string;
  /** From just before spawn() to the ready line on stdout, in ms. */
  readyMs: number;
  stderr: string[];
  exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

/** Fails with a clear message when the daemon has not been built. */
export function requireBuiltDaemon(): string {
  const root = packageRoot();
  if (!existsSync(join(root, 'dist', 'edge', 'main.js'))) {
    throw new Error(
      `the daemon is not built (${join(root, 'dist/edge/main.js')} missing): run npm run build`,
    );
  }
  return join(root, 'bin', 'linli-edge.js');
}

/**
 * Spawns the built daemon (`node bin/linli-edge.js`) on free ports bound to 127.0.0.1 and waits
 * for its ready line. The key file lives next to (never inside) the data dir.
 */
export async function startEdge(
  dataDir: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<EdgeProcess> {
  const bin = requireBuiltDaemon();
  const t0 = performance.now();
  const proc = spawn(process.execPath, [bin], {
    cwd: packageRoot(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      LINLI_DATA_DIR: dataDir,
      LINLI_KEY_FILE: `${dataDir}.key`,
      LINLI_HTTP_PORT: '0',
      LINLI_MQTT_PORT: '0',
      LINLI_BIND: '127.0.0.1',
      LINLI_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LINLI_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on('line', (l) => {
    if (stderr.length < 2000) stderr.push(l);
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)),
  );
  let readyAt = 0;
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`edge not ready in ${timeoutMs} ms; stderr:\n${stderr.join('\n')}`));
    }, timeoutMs);
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      if (l.startsWith('linli-edge ready ')) {
        readyAt = performance.now();
        clearTimeout(timer);
        resolve(l);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`edge exited (${code}) before ready; stderr:\n${stderr.join('\n')}`));
    });
  });
  const m = /^linli-edge ready http=(\S+) mqtt=mqtt:\/\/[^:]+:(\d+)$/.exec(line);
  if (!m) throw new Error(`bad ready line: ${line}`);
  const mqttPort = Number(m[2]);
  return {
    proc,
    pid: proc.pid ?? 0,
    httpUrl: m[1] as string,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    mqttPort,
    dataDir,
    readyMs: readyAt - t0,
    stderr,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export async function login(httpUrl: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function api<T = unknown>(
  httpUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
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
    });
    if (r.status !== 201 || !r.body.password) {
      throw new Error(`registering ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    out.set(id, r.body.password);
  }
  return out;
}

export interface SseEvent {
  event: string;
  data: unknown;
  /** performance.now() when the block holding it was read from the socket. */
  at: number;
}

/** A lean SSE reader: calls `onEvent` for every event, stamped with its arrival time. */
export class SseReader {
  private req: http.ClientRequest | undefined;
  private constructor(private readonly onEvent: (e: SseEvent) => void) {}

  static async connect(url: string, token: string, onEvent: (e: SseEvent) => void): Promise<SseReader> {
    const r = new SseReader(onEvent);
    await r.open(url, token);
    return r;
  }

  private open(url: string, token: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.req = http.get(
        url,
        { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`SSE ${url}: HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          res.socket.setNoDelay(true);
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            const at = performance.now();
            buf += chunk;
            let i = buf.indexOf('\n\n');
            while (i >= 0) {
              this.parse(buf.slice(0, i), at);
              buf = buf.slice(i + 2);
              i = buf.indexOf('\n\n');
            }
          });
          res.on('error', () => undefined);
          resolve();
        },
      );
      this.req.on('error', reject);
    });
  }

  private parse(block: string, at: number): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const k = colon < 0 ? line : line.slice(0, colon);
      const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (k === 'event') event = v;
      else if (k === 'data') data.push(v);
    }
    if (data.length === 0) return;
    this.onEvent({ event, data: JSON.parse(data.join('\n')), at });
  }

  close(): void {
    this.req?.destroy();
  }
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
