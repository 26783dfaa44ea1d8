import type { Logger } from 'pino';
import { ConfigError, EX_CONFIG, loadConfig } from './config/config.js';
import { loadOrCreateKey } from './crypto/key-file.js';
import { type RunningEdge, startEdge } from './edge.js';
import { createLogger } from './log.js';

/** How long a graceful stop may take before the process exits anyway (DESIGN.md: within 5 s). */
const STOP_DEADLINE_MS = 4500;

/**
 * `linli-edge`: reads and validates the configuration, starts the edge, prints the ready line
 * on stdout and stops on SIGTERM/SIGINT. Bad config or a busy port: one line on stderr, exit 78.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let log: Logger | undefined;
  let running: { edge: RunningEdge; stopDemo?: () => Promise<void> } | undefined;
  let stopRequested: string | undefined;
  // Handlers go in before anything starts: a signal that arrives between the ready line and
  // their installation would otherwise kill the process without a flush.
  const onSignal = (signal: string) => {
    if (stopRequested) return;
    stopRequested = signal;
    if (running) stopGracefully(running, signal, log);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  try {
    const config = loadConfig(env);
    log = createLogger(config.logLevel);
    const { key, created } = await loadOrCreateKey(config.keyFile);
    if (created) {
      log.warn(
        { keyFile: config.keyFile },
        'created a new data key: back it up, data encrypted with it is lost without it',
      );
    }
    const edge = await startEdge(config, log, key);
    running = { edge };
    if (edge.generatedAdminPassword) {
      process.stderr.write(
        `linli-edge: first admin created: user admin, password ${edge.generatedAdminPassword} (shown once)\n`,
      );
    }
    if (config.demo) {
      // Loaded only in demo mode: the simulators are no part of a production box's footprint.
      const { startDemo } = await import('./demo/demo.js');
      running.stopDemo = await startDemo(edge, config, log);
    }
    if (stopRequested) {
      stopGracefully(running, stopRequested, log);
      return;
    }
    process.stdout.write(
      `linli-edge ready http=${edge.httpUrl} mqtt=${edge.mqttUrl}${edge.mqttsUrl ? ` mqtts=${edge.mqttsUrl}` : ''}\n`,
    );
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`linli-edge: ${err.message}\n`);
      await running?.edge.stop().catch(() => undefined);
      process.exit(EX_CONFIG);
    }
    process.stderr.write(`linli-edge: failed to start: ${(err as Error).message}\n`);
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  }
}

/** Stops taking input, flushes the store, closes ports, exits 0 — or 1 past the deadline. */
function stopGracefully(
  running: { edge: RunningEdge; stopDemo?: () => Promise<void> },
  signal: string,
  log: Logger | undefined,
): void {
  log?.info({ signal }, 'stopping');
  const deadline = setTimeout(() => {
    log?.error('graceful stop took too long; exiting');
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  (async () => {
    await running.stopDemo?.();
    await running.edge.stop();
  })().then(
    () => {
      log?.info('stopped');
      log?.flush();
      setImmediate(() => process.exit(0));
    },
    (err: unknown) => {
      log?.error({ err }, 'stop failed');
      log?.flush();
      process.exit(1);
    },
  );
}
