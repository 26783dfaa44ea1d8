/**
 * `linli-sim panel`: a wired help-button panel on a serial port. Sends `$HB` heartbeats and, for
 * `--press` (once, `--count` times, or every `--every`) or for each line of stdin such as `red B1`,
 * an `$AL` alarm repeated until the edge's `$AK`. Also holds the press loop `linli-sim button` shares.
 */

import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PanelKey } from '../help-panel/codec.js';
import { HelpPanelSimulator } from '../help-panel/simulator.js';
import { parseSerialSettings, serialOptions, serialUsage } from './serial-options.js';
import {
  EX_DATAERR,
  EX_UNAVAILABLE,
  parseDuration,
  parseOptions,
  parsePositiveInt,
  type SimCommand,
  type SimIo,
  UsageError,
} from './sim-command.js';

const ID = /^[A-Za-z0-9._-]{1,32}$/;
const KEYS: Readonly<Record<string, PanelKey>> = {
  red: 'sos',
  sos: 'sos',
  green: 'service',
  service: 'service',
};

const usage = `Usage: linli-sim panel --port PATH [options]

Acts as a wired help-button panel: sends a $HB heartbeat at start and every --hb, and for each key
press an $AL alarm, repeated every --repeat until the edge answers $AK with its seq. Without
--press, reads lines such as "red B1" or "green B2" from stdin and presses each ("hb" sends a
heartbeat now); it runs until stdin ends and every alarm is acknowledged.
Exit status: 0 every alarm acknowledged, 65 a stdin line not understood, 69 the port cannot be
opened or is lost, or an alarm was not acknowledged (--timeout, SIGINT).

${serialUsage}
  --panel-id ID       id sent in $HB, [A-Za-z0-9._-]{1,32} (default P1)
  --hb DURATION       heartbeat interval (default 30s)
  --press KEY         press a key: red (SOS) or green (service)
  --button ID         the button pressed with --press (default B1)
  --count N           press N times, each after the previous one's ack (default 1)
  --every DURATION    pause after each ack before the next press (without --count: until SIGINT)
  --repeat DURATION   pause between sends of an unacknowledged alarm (default 2s)
  --timeout DURATION  give up on an alarm not acknowledged within this (default: keep trying)
  -h, --help          show this help

Example: linli-sim panel --port /tmp/linli/ttyB --press red --button B1`;

const options = {
  ...serialOptions,
  'panel-id': { type: 'string', default: 'P1' },
  hb: { type: 'string', default: '30s' },
  press: { type: 'string' },
  button: { type: 'string', default: 'B1' },
  count: { type: 'string' },
  every: { type: 'string' },
  repeat: { type: 'string', default: '2s' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What a press ended with, as both simulators report it. */
export interface PressOutcome {
  seq: number;
  sends: number;
  ackMs: number;
}

/** Presses `key` (of `button`, for a panel) until acknowledged or `signal` aborts. */
export type Presser = (
  key: PanelKey,
  button: string | undefined,
  signal: AbortSignal,
) => Promise<PressOutcome>;

/** `red`/`sos` → `sos`, `green`/`service` → `service`; anything else is a {@link UsageError}. */
export function parseKey(value: string, flag: string): PanelKey {
  const key = Object.hasOwn(KEYS, value) ? KEYS[value] : undefined;
  if (key === undefined) throw new UsageError(`${flag} must be red, green, sos or service, got "${value}"`);
  return key;
}

/** Parses `--count`, `--every` and `--timeout`, shared by `panel` and `button`. */
export function parsePressOptions(values: { count?: string; every?: string; timeout?: string }) {
  return {
    count: values.count === undefined ? undefined : parsePositiveInt(values.count, '--count'),
    everyMs: values.every === undefined ? undefined : parseDuration(values.every, '--every'),
    timeoutMs: values.timeout === undefined ? undefined : parseDuration(values.timeout, '--timeout'),
  };
}

/** Runs one press and reports it: a line on stdout when acked, on stderr when not. True when acked. */
async function pressOnce(
  press: Presser,
  key: PanelKey,
  button: string | undefined,
  timeoutMs: number | undefined,
  io: SimIo,
  name: string,
): Promise<boolean> {
  const signal =
    timeoutMs === undefined ? io.signal : AbortSignal.any([io.signal, AbortSignal.timeout(timeoutMs)]);
  try {
    const { seq, sends, ackMs } = await press(key, button, signal);
    const what = button === undefined ? key : `${key} ${button}`;
    io.stdout.write(
      `acked seq ${seq} (${what}): ${sends} send${sends === 1 ? '' : 's'}, ${Math.round(ackMs)} ms\n`,
    );
    return true;
  } catch (error) {
    io.stderr.write(`linli-sim ${name}: ${(error as Error).message}\n`);
    return false;
  }
}

/**
 * Presses `count` times (without end when only `everyMs` is given), pausing `everyMs` after each
 * ack, until the signal; resolves to the exit code: 0, or 69 when a press was not acknowledged.
 */
export async function pressRepeatedly(
  press: Presser,
  plan: { key: PanelKey; button?: string; count?: number; everyMs?: number; timeoutMs?: number },
  io: SimIo,
  name: string,
): Promise<number> {
  const count = plan.count ?? (plan.everyMs === undefined ? 1 : Number.POSITIVE_INFINITY);
  for (let done = 0; done < count && !io.signal.aborted; done++) {
    if (done > 0 && plan.everyMs !== undefined) {
      const stopped = await sleep(plan.everyMs, false, { signal: io.signal }).catch(() => true);
      if (stopped) break;
    }
    if (!(await pressOnce(press, plan.key, plan.button, plan.timeoutMs, io, name))) return EX_UNAVAILABLE;
  }
  return 0;
}

/**
 * Reads stdin lines `<key> [button]` (`red B1`, `green`, `sos`…; the button defaults to
 * `defaultButton`) and presses each at once, without waiting for earlier acks; `hb`, when
 * `heartbeat` is given, sends a heartbeat. Resolves to the exit code once stdin has ended and every
 * press has ended: 69 if one was not acknowledged, else 65 if a line was not understood, else 0.
 */
export async function pressStdinLines(
  press: Presser,
  defaultButton: string | undefined,
  timeoutMs: number | undefined,
  io: SimIo,
  name: string,
  heartbeat?: () => Promise<unknown>,
): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const stop = () => lines.close();
  io.signal.addEventListener('abort', stop, { once: true });
  const presses: Promise<boolean>[] = [];
  let bad = 0;
  try {
    for await (const line of lines) {
      const parts = line
        .trim()
        .split(/\s+/)
        .filter((part) => part !== '');
      if (parts.length === 0) continue;
      if (heartbeat !== undefined && parts.length === 1 && parts[0] === 'hb') {
        await heartbeat();
        continue;
      }
      const [word = '', given] = parts;
      const key = Object.hasOwn(KEYS, word) ? KEYS[word] : undefined;
      const button = given ?? defaultButton;
      const maxParts = defaultButton === undefined ? 1 : 2;
      if (key === undefined || parts.length > maxParts || (button !== undefined && !ID.test(button))) {
        bad++;
        io.stderr.write(`linli-sim ${name}: line not understood: ${JSON.stringify(line)}\n`);
        continue;
      }
      presses.push(pressOnce(press, key, button, timeoutMs, io, name));
    }
  } finally {
    io.signal.removeEventListener('abort', stop);
    lines.close();
  }
  const acked = await Promise.all(presses);
  if (acked.includes(false)) return EX_UNAVAILABLE;
  return bad > 0 ? EX_DATAERR : 0;
}

function parseId(value: string, flag: string): string {
  if (!ID.test(value)) throw new UsageError(`${flag} must match [A-Za-z0-9._-]{1,32}, got "${value}"`);
  return value;
}

async function run(args: string[], io: SimIo): Promise<number> {
  const { values } = parseOptions(args, options);
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  const settings = parseSerialSettings(values);
  const panelId = parseId(values['panel-id'], '--panel-id');
  const button = parseId(values.button, '--button');
  const hbMs = parseDuration(values.hb, '--hb');
  const repeatMs = parseDuration(values.repeat, '--repeat');
  const { count, everyMs, timeoutMs } = parsePressOptions(values);
  const key = values.press === undefined ? undefined : parseKey(values.press, '--press');
  if (key === undefined && (everyMs !== undefined || count !== undefined)) {
    throw new UsageError('--every and --count need --press');
  }

  const sim = new HelpPanelSimulator({ ...settings, panelId, hbMs, repeatMs });
  try {
    await sim.open();
  } catch (error) {
    io.stderr.write(`linli-sim panel: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  }
  const press: Presser = (k, b, signal) => sim.press(b ?? button, k, { signal });
  try {
    if (key !== undefined)
      return await pressRepeatedly(press, { key, button, count, everyMs, timeoutMs }, io, 'panel');
    return await pressStdinLines(press, button, timeoutMs, io, 'panel', () => sim.heartbeat());
  } catch (error) {
    io.stderr.write(`linli-sim panel: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  } finally {
    await sim.close();
  }
}

/** The `panel` subcommand. */
export const panelCommand: SimCommand = {
  summary: 'wired help-button panel on a serial port ($HB, $AL until $AK)',
  usage,
  run,
};
