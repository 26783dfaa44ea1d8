/**
 * The shape of a `linli-sim` subcommand (one file each: `qr-command.ts`, later panel, button,
 * terminal, card, modem) and the errors and exit codes they share.
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Exit code for bad arguments (sysexits EX_USAGE). */
export const EX_USAGE = 64;
/** Exit code for input that cannot be sent as asked, e.g. text the encoding cannot represent (EX_DATAERR). */
export const EX_DATAERR = 65;
/** Exit code when the port cannot be opened or is lost (EX_UNAVAILABLE). */
export const EX_UNAVAILABLE = 69;

/** What a subcommand may touch: its streams and a signal that fires on SIGINT/SIGTERM. */
export interface SimIo {
  stdin: NodeJS.ReadableStream;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  signal: AbortSignal;
}

/** One `linli-sim` subcommand. */
export interface SimCommand {
  /** One line for the command list. */
  summary: string;
  /** Full usage text, shown by `linli-sim <command> --help`. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], io: SimIo): Promise<number>;
}

/** Bad command-line arguments: reported as one line, exit code {@link EX_USAGE}. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `node:util` parseArgs, with its errors turned into a one-line {@link UsageError}. */
export function parseOptions<T extends ParseArgsConfig['options']>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.split(/\.\s/)[0] ?? message);
  }
}

/** Parses `500ms`, `2s`, `1.5s`, `1m` into milliseconds; a bare number is refused (which unit?). */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
  const unit = { ms: 1, s: 1000, m: 60_000 } as const;
  const ms = match ? Number(match[1]) * unit[match[2] as keyof typeof unit] : Number.NaN;
  if (!(ms > 0)) throw new UsageError(`${flag} must be a duration such as 500ms, 2s or 1m, got "${value}"`);
  return ms;
}

/** Parses a positive integer option. */
export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** Parses an option that takes one of a few values. */
export function parseChoice<T extends string>(value: string, choices: readonly T[], flag: string): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}
