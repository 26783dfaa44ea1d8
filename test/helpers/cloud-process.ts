import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './edge-process.js';
import { spawnUntilReady } from './ready-process.js';

export const CLOUD_ADMIN_PASSWORD = 'test-cloud-admin-password';

export interface CloudProcess {
  proc: ChildProcess;
  url: string;
  port: number;
  stderr: string[];
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Starts the built `linli-cloud` (bin/linli-cloud.js) as a real process and waits for its ready
 * line. `databaseUrl` for PostgreSQL, else PGlite in `dataDir`; port 0 unless given (a restart on
 * the same port keeps the edges' URL).
 */
export async function startCloud(opts: {
  dataDir: string;
  databaseUrl?: string;
  port?: number;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<CloudProcess> {
  if (!existsSync(join(ROOT, 'dist/cloud-sync/server/main.js'))) {
    throw new Error('linli-cloud is not built: run npm run build');
  }
  await mkdir(opts.dataDir, { recursive: true });
  const started = await spawnUntilReady({
    name: 'linli-cloud',
    bin: join(ROOT, 'bin/linli-cloud.js'),
    cwd: ROOT,
    env: {
      LINLI_CLOUD_PORT: String(opts.port ?? 0),
      LINLI_CLOUD_BIND: '127.0.0.1',
      LINLI_CLOUD_DATA_DIR: join(opts.dataDir, 'pglite'),
      LINLI_CLOUD_KEY_FILE: join(opts.dataDir, 'cloud.key'),
      LINLI_CLOUD_ADMIN_PASSWORD: CLOUD_ADMIN_PASSWORD,
      LINLI_CLOUD_LOG_LEVEL: 'warn',
      ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
      ...opts.env,
    },
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const { proc, line, stderr, exited } = started;
  const url = /http=(\S+)/.exec(line)?.[1] as string;
  return {
    proc,
    url,
    port: Number(new URL(url).port),
    stderr,
    exited,
    stop: started.stop,
  };
}

/** Registers a house with the cloud admin; its id and secret. */
export async function registerHouse(
  cloudUrl: string,
  name = `house-${Math.random().toString(36).slice(2, 8)}`,
): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${cloudUrl}/api/v1/houses`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${CLOUD_ADMIN_PASSWORD}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      city: '沈阳市',
      district: '和平区',
      street: '太原街道',
      community: '幸福里社区',
      name,
    }),
  });
  if (res.status !== 201) throw new Error(`house registration failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; secret: string };
}
