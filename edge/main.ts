import { ConfigError, EX_CONFIG, loadConfig } from './config/config.js';
import { loadOrCreateKey } from './crypto/key-file.js';
import { startDemo } from './demo/demo.js';
import { type RunningEdge, startEdge } from './edge.js';
import { createLogger } from './log.js';

/** How long a graceful stop may take before the process exits anyway (DESIGN.md: within 5 s). */
const STOP_DEADLINE_MS = 4500;

/**
 * `linli-edge`: reads and validates the configuration, starts the edge, prints the ready line
 * on stdout and stops on SIGTERM/SIGINT. Bad config or a busy port: one line on stderr, exit 78.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let edge: RunningEdge | undefined;
  let stopDemo: (() => Promise<void>) | undefined;
  try {
    const config = loadConfig(env);
    const log = createLogger(config.logLevel);
    const { created } = await loadOrCreateKey(config.keyFile);
    if (created)
      log.warn(
        { keyFile: config.keyFile },
        'created a new data key: back it up, data encrypted with it is lost without it',
      );
    edge = await startEdge(config, log);
    if (edge.generatedAdminPassword) {
      process.stderr.write(
        `linli-edge: first admin created: user admin, password ${edge.generatedAdminPassword} (shown once)\n`,
      );
    }
    if (config.demo) stopDemo = await startDemo(edge, config, log);
    process.stdout.write(
      `linli-edge ready http=${edge.httpUrl} mqtt=${edge.mqttUrl}${edge.mqttsUrl ? ` mqtts=${edge.mqttsUrl}` : ''}\n`,
    );
    const running = edge;
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      const deadline = setTimeout(() => {
        log.error('graceful stop took too long; exiting');
        process.exit(1);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      (async () => {
        await stopDemo?.();
        await running.stop();
      })().then(
        () => {
          log.info('stopped');
          log.flush();
          process.exitCode = 0;
          setImmediate(() => process.exit(0));
        },
        (err: unknown) => {
          log.error({ err }, 'stop failed');
          log.flush();
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`linli-edge: ${err.message}\n`);
      await edge?.stop().catch(() => undefined);
      process.exit(EX_CONFIG);
    }
    process.stderr.write(`linli-edge: failed to start: ${(err as Error).message}\n`);
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  }
}
