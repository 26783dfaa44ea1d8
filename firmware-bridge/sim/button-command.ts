/**
 * `linli-sim button`: a wireless help button on MQTT. Logs in as `--id` with `--password`, holds a
 * retained birth status (last will offline), heartbeats, and for `--press` (once, `--count` times,
 * or every `--every`) or each stdin line `sos` / `service` sends `help.pressed` until `help.ack`.
 */

import { HelpButtonSimulator } from '../help-button/simulator.js';
import {
  type Presser,
  parseKey,
  parsePressOptions,
  pressRepeatedly,
  pressStdinLines,
} from './panel-command.js';
import {
  EX_UNAVAILABLE,
  parseDuration,
  parseOptions,
  type SimCommand,
  type SimIo,
  UsageError,
} from './sim-command.js';

const usage = `Usage: linli-sim button --id ID --password PW [options]

Acts as a wireless help button on MQTT 3.1.1: logs in as its device id, publishes a retained birth
on linli/v1/dev/ID/status (last will {"online":false}), a heartbeat on .../evt every --hb, and for
each key press a help.pressed (QoS 1) re-sent every --repeat until a help.ack with its seq and boot
arrives on .../cmd. Each run is a new power-up: a new random boot, seq from 0. Without --press,
reads lines "sos" or "service" (or "red", "green") from stdin and presses each; it runs until stdin
ends and every press is acknowledged.
Exit status: 0 every press acknowledged, 65 a stdin line not understood, 69 the broker cannot be
reached or refuses the login, or a press was not acknowledged (--timeout, SIGINT).

  --url URL           broker, mqtt:// or mqtts:// (default mqtt://127.0.0.1:1883)
  --id ID             the device id, as registered on the edge (required)
  --password PW       its MQTT password, as shown once at registration (required)
  --press KEY         press a key: sos (red) or service (green)
  --count N           press N times, each after the previous one's ack (default 1)
  --every DURATION    pause after each ack before the next press (without --count: until SIGINT)
  --hb DURATION       heartbeat interval, announced in the birth (default 60s)
  --repeat DURATION   pause between sends of an unacknowledged press (default 2s)
  --timeout DURATION  give up on a press not acknowledged within this (default: keep trying)
  --fw VERSION        firmware version in the birth (default linli-sim)
  --battery N         battery level 0–100 in the birth (default 100)
  -h, --help          show this help

Example: linli-sim button --url mqtt://127.0.0.1:1883 --id btn-101 --password "$PW" --press sos`;

const options = {
  url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
  id: { type: 'string' },
  password: { type: 'string' },
  press: { type: 'string' },
  count: { type: 'string' },
  every: { type: 'string' },
  hb: { type: 'string', default: '60s' },
  repeat: { type: 'string', default: '2s' },
  timeout: { type: 'string' },
  fw: { type: 'string', default: 'linli-sim' },
  battery: { type: 'string', default: '100' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(args: string[], io: SimIo): Promise<number> {
  const { values } = parseOptions(args, options);
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!/^mqtts?:\/\/[^/\s]+\/?$/.test(values.url)) {
    throw new UsageError(`--url must be mqtt://HOST:PORT or mqtts://HOST:PORT, got "${values.url}"`);
  }
  const deviceId = values.id;
  if (deviceId === undefined) throw new UsageError('--id is required');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(deviceId)) {
    throw new UsageError(`--id must match [A-Za-z0-9._-]{1,64}, got "${deviceId}"`);
  }
  const password = values.password;
  if (password === undefined || password === '') throw new UsageError('--password is required');
  const hbMs = parseDuration(values.hb, '--hb');
  const repeatMs = parseDuration(values.repeat, '--repeat');
  const battery = Number(values.battery);
  if (!/^\d+$/.test(values.battery) || battery > 100) {
    throw new UsageError(`--battery must be an integer 0–100, got "${values.battery}"`);
  }
  const { count, everyMs, timeoutMs } = parsePressOptions(values);
  const key = values.press === undefined ? undefined : parseKey(values.press, '--press');
  if (key === undefined && (everyMs !== undefined || count !== undefined)) {
    throw new UsageError('--every and --count need --press');
  }

  const sim = new HelpButtonSimulator({
    url: values.url,
    deviceId,
    password,
    hbMs,
    repeatMs,
    fw: values.fw,
    battery,
  });
  try {
    await sim.open();
  } catch (error) {
    io.stderr.write(`linli-sim button: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  }
  const press: Presser = (k, _button, signal) => sim.press(k, { signal });
  try {
    if (key !== undefined)
      return await pressRepeatedly(press, { key, count, everyMs, timeoutMs }, io, 'button');
    return await pressStdinLines(press, undefined, timeoutMs, io, 'button');
  } finally {
    await sim.close();
  }
}

/** The `button` subcommand. */
export const buttonCommand: SimCommand = {
  summary: 'wireless help button on MQTT (help.pressed until help.ack)',
  usage,
  run,
};
