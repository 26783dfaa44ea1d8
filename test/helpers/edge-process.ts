import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../edge/util/package-root.js';
import { spawnUntilReady } from './ready-process.js';

/** The checkout's root, from source (tsx) or from dist/ (benchmarks run compiled). */
export const ROOT = packageRoot();
export const ADMIN_PASSWORD = 'test-admin-password';

export interface EdgeProcess {
  proc: ChildProcess;
  pid: number;
  /** From just before spawn() to the ready line on stdout, in ms. */
  readyMs: number;
  httpUrl: string;
  mqttUrl: string;
  mqttPort: number;
  /** Set when the edge runs with TLS. */
  mqttsPort?: number;
  dataDir: string;
  stderr: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** The daemon's entry point; throws a clear error when it has not been built. */
export function requireBuiltDaemon(): string {
  if (!existsSync(join(ROOT, 'dist/edge/main.js'))) {
    throw new Error(
      `the daemon is not built (${join(ROOT, 'dist/edge/main.js')} missing): run npm run build`,
    );
  }
  return join(ROOT, 'bin/linli-edge.js');
}

export async function tempDir(prefix = 'linli-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Starts the built daemon (`bin/linli-edge.js`) as a real process on free ports and waits for
 * its ready line. Data and key live in a fresh temp dir unless given.
 */
export async function startEdge(
  env: Record<string, string> = {},
  opts: { dataDir?: string; timeoutMs?: number } = {},
): Promise<EdgeProcess> {
  const bin = join(ROOT, 'bin/linli-edge.js');
  if (!existsSync(join(ROOT, 'dist/edge/main.js')))
    throw new Error('the daemon is not built: run npm run build');
  const base = opts.dataDir ? join(opts.dataDir, '..') : await tempDir();
  const dataDir = opts.dataDir ?? join(base, 'data');
  const started = await spawnUntilReady({
    name: 'linli-edge',
    bin,
    cwd: ROOT,
    env: {
      LINLI_DATA_DIR: dataDir,
      LINLI_KEY_FILE: join(base, 'linli.key'),
      LINLI_HTTP_PORT: '0',
      LINLI_MQTT_PORT: '0',
      LINLI_BIND: '127.0.0.1',
      LINLI_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LINLI_LOG_LEVEL: 'warn',
      ...env,
    },
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const { proc, readyMs, stderr, exited } = started;
  const ready = started.line;
  const m = /^linli-edge ready http=(\S+) mqtt=mqtt:\/\/[^:]+:(\d+)(?: mqtts=mqtts:\/\/[^:]+:(\d+))?$/.exec(
    ready,
  );
  if (!m) throw new Error(`bad ready line: ${ready}`);
  const httpUrl = m[1] as string;
  const mqttPort = Number(m[2]);
  const mqttsPort = m[3] ? Number(m[3]) : undefined;
  return {
    proc,
    pid: proc.pid ?? 0,
    readyMs,
    httpUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    mqttPort,
    ...(mqttsPort !== undefined ? { mqttsPort } : {}),
    dataDir,
    stderr,
    exited,
    stop: started.stop,
  };
}

/** Logs in over HTTP and returns the bearer token. */
export async function login(httpUrl: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Calls the API with a bearer token; returns status and parsed JSON (or null). */
export async function api<T = unknown>(
  httpUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${httpUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}
