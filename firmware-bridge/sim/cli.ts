/**
 * `linli-sim`: simulators that speak the devices' exact wire protocols (DESIGN.md, "Processes").
 * `bin/linli-sim.js` calls {@link main} with `process.argv.slice(2)` and exits with its result.
 * A subcommand is one entry in {@link commands}, implemented in its own `<name>-command.ts`.
 */

import { buttonCommand } from './button-command.js';
import { cardCommand } from './card-command.js';
import { modemCommand } from './modem-command.js';
import { panelCommand } from './panel-command.js';
import { qrCommand } from './qr-command.js';
import { EX_USAGE, type SimCommand, type SimIo, UsageError } from './sim-command.js';
import { terminalCommand } from './terminal-command.js';

/** The subcommands, by name. */
export const commands: Readonly<Record<string, SimCommand>> = {
  qr: qrCommand,
  panel: panelCommand,
  button: buttonCommand,
  modem: modemCommand,
  card: cardCommand,
  terminal: terminalCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands)
    .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
    .join('\n');
  return `Usage: linli-sim <command> [options]

Commands:
${list}

Run "linli-sim <command> --help" for a command's options.`;
}

/**
 * Runs `linli-sim` with the given arguments (without `node` and the script) and resolves to the
 * exit code: 0 done, 64 bad arguments, others as each command documents. `io` replaces the
 * process streams in tests; without an `io.signal`, SIGINT and SIGTERM stop a running command.
 */
export async function main(argv: string[], io: Partial<SimIo> = {}): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  const ownSignals = io.signal === undefined;
  if (ownSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const fullIo: SimIo = {
    stdin: io.stdin ?? process.stdin,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    signal: io.signal ?? controller.signal,
  };
  try {
    return await dispatch(argv, fullIo);
  } finally {
    if (ownSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

async function dispatch(argv: string[], io: SimIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr.write(`${usage()}\n`);
    return EX_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    io.stderr.write(`linli-sim: unknown command "${name}" (try linli-sim --help)\n`);
    return EX_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`linli-sim ${name}: ${error.message} (try linli-sim ${name} --help)\n`);
    return EX_USAGE;
  }
}
