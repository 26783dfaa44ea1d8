import { mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { buildCloudApp } from './app.js';
import type { Db } from './db/db.js';
import { openDb } from './db/open.js';
import { ConfigError, EX_CONFIG, loadCloudSettings, loadOrCreateCloudKey } from './settings.js';

/** How long a graceful stop may take before the process exits anyway. */
const STOP_DEADLINE_MS = 4500;

function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { svc: 'linli-cloud' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['secret', '*.secret', 'token', '*.token', 'req.headers.authorization', 'body', '*.body'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/**
 * `linli-cloud`: reads the settings from the environment, opens and migrates the database
 * (PostgreSQL with `DATABASE_URL`, else PGlite in `LINLI_CLOUD_DATA_DIR`), listens, prints
 * `linli-cloud ready http=<url>` on stdout and stops on SIGTERM/SIGINT (exit 0). A bad or missing
 * setting, or a busy port: one line on stderr, exit 78.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let log: Logger | undefined;
  let running: { app?: FastifyInstance; db?: Db } | undefined;
  let stopRequested: string | undefined;
  const onSignal = (signal: string) => {
    if (stopRequested) return;
    stopRequested = signal;
    if (running) stopGracefully(running, signal, log);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  try {
    const settings = loadCloudSettings(env);
    log = createLogger(settings.logLevel);
    const { key, created } = await loadOrCreateCloudKey(settings.keyFile);
    if (created) {
      log.warn(
        { keyFile: settings.keyFile },
        'created a new cloud key: back it up, house secrets sealed with it are lost without it',
      );
    }
    if (!settings.databaseUrl) await mkdir(settings.dataDir, { recursive: true });
    running = {};
    const db = await openDb(
      settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : { dataDir: settings.dataDir },
    );
    running.db = db;
    const app = await buildCloudApp({
      db,
      cloudKey: key,
      adminPassword: settings.adminPassword,
      logger: log,
      loginLimit: { max: settings.loginMaxPerMinute, windowMs: 60_000 },
      ...(settings.trustProxy.length > 0 ? { trustProxy: settings.trustProxy } : {}),
    });
    running.app = app;
    let url: string;
    try {
      url = await app.listen({ port: settings.port, host: settings.bind });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new ConfigError('LINLI_CLOUD_PORT', `port ${settings.port} is in use`);
      if (code === 'EACCES')
        throw new ConfigError('LINLI_CLOUD_PORT', `not allowed to listen on ${settings.port}`);
      if (code === 'EADDRNOTAVAIL') throw new ConfigError('LINLI_CLOUD_BIND', `cannot bind ${settings.bind}`);
      throw err;
    }
    if (stopRequested) {
      stopGracefully(running, stopRequested, log);
      return;
    }
    log.info({ db: db.kind }, 'ready');
    const addr = app.server.address();
    const shown =
      addr && typeof addr === 'object'
        ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
        : url;
    process.stdout.write(`linli-cloud ready http=${shown}\n`);
  } catch (err) {
    await running?.app?.close().catch(() => undefined);
    await running?.db?.close().catch(() => undefined);
    if (err instanceof ConfigError) {
      process.stderr.write(`linli-cloud: ${err.message}\n`);
      process.exit(EX_CONFIG);
    }
    // The message only: a driver's error text never carries the database password here, but a
    // stack would add nothing an operator needs at start.
    process.stderr.write(`linli-cloud: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

function stopGracefully(
  running: { app?: FastifyInstance; db?: Db },
  signal: string,
  log: Logger | undefined,
) {
  log?.info({ signal }, 'stopping');
  const deadline = setTimeout(() => {
    log?.error('graceful stop took too long; exiting');
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  (async () => {
    await running.app?.close();
    await running.db?.close();
  })().then(
    () => {
      log?.info('stopped');
      log?.flush();
      setImmediate(() => process.exit(0));
    },
    () => {
      log?.error('stop failed');
      log?.flush();
      process.exit(1);
    },
  );
}
