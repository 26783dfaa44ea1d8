/**
 * `linli-sim modem`: a GSM modem on a serial port. Answers the edge's AT commands, takes its SMS
 * in PDU mode and prints each one (the number masked but for its last four digits), optionally
 * refusing them with a fault, until SIGINT or SIGTERM.
 */

import { GsmModemSimulator, type ModemFault, type ReceivedSms } from '../gsm-modem/simulator.js';
import { parseSerialSettings, serialOptions, serialUsage } from './serial-options.js';
import {
  EX_UNAVAILABLE,
  parseDuration,
  parseOptions,
  parsePositiveInt,
  type SimCommand,
  type SimIo,
  UsageError,
} from './sim-command.js';

const usage = `Usage: linli-sim modem --port PATH [options]

Acts as a GSM modem: answers AT, ATE, AT+CMEE, AT+CMGF, AT+CSQ and AT+CMGS (PDU mode), and
prints each SMS it is given, concatenated parts joined, with the number masked. Runs until Ctrl-C.

${serialUsage.replace('(default 9600)', '(default 115200)')}
  --fail FAULT        answer AT+CMGS with a fault: error, cms:N (cms:330 SMSC address unknown),
                      cme:N, timeout (never answer) or slow:DURATION (answer after DURATION)
  --fail-times N      apply --fail to the next N SMS parts only (default: to all)
  --rssi N            signal quality answered to AT+CSQ: 0-31, or 99 unknown (default 20)
  -h, --help          show this help

Example: linli-sim modem --port /tmp/pty/ttyB --fail cms:330 --fail-times 1`;

const options = {
  ...serialOptions,
  baud: { type: 'string', default: '115200' },
  fail: { type: 'string' },
  'fail-times': { type: 'string' },
  rssi: { type: 'string', default: '20' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A number as it may be shown: every digit but the last four replaced by `*` (`+*********8000`). */
export function maskNumber(number: string): string {
  const digits = number.replace(/\D/g, '').length;
  let seen = 0;
  return number.replace(/\d/g, (digit) => (++seen > digits - 4 ? digit : '*'));
}

/** Parses `--fail`: `error`, `timeout`, `cms:N`, `cme:N`, `slow:DURATION`. */
export function parseFault(value: string): ModemFault {
  if (value === 'error' || value === 'timeout') return { kind: value };
  const [kind, argument = ''] = value.split(':', 2);
  if (kind === 'cms' || kind === 'cme') {
    if (!/^\d{1,3}$/.test(argument))
      throw new UsageError(`--fail ${kind}: needs a code 0-999, e.g. ${kind}:330`);
    return { kind: kind === 'cms' ? 'cms-error' : 'cme-error', code: Number(argument) };
  }
  if (kind === 'slow') return { kind: 'slow', delayMs: parseDuration(argument, '--fail slow:') };
  throw new UsageError(`--fail must be error, timeout, cms:N, cme:N or slow:DURATION, got "${value}"`);
}

function describeFault(fault: ModemFault): string {
  switch (fault.kind) {
    case 'error':
      return 'answered ERROR to AT+CMGS';
    case 'cms-error':
      return `answered +CMS ERROR: ${fault.code}`;
    case 'cme-error':
      return `answered +CME ERROR: ${fault.code} (ERROR while AT+CMEE=0)`;
    case 'timeout':
      return 'left AT+CMGS unanswered';
    case 'slow':
      return `answering after ${fault.delayMs} ms`;
    case 'drop':
      return 'closed the port';
  }
}

async function run(args: string[], io: SimIo): Promise<number> {
  const { values } = parseOptions(args, options);
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  const settings = parseSerialSettings(values);
  const fault = values.fail === undefined ? undefined : parseFault(values.fail);
  const times =
    values['fail-times'] === undefined ? undefined : parsePositiveInt(values['fail-times'], '--fail-times');
  if (times !== undefined && fault === undefined) throw new UsageError('--fail-times needs --fail');
  const rssi = Number(values.rssi);
  if (!/^\d{1,2}$/.test(values.rssi) || (rssi > 31 && rssi !== 99)) {
    throw new UsageError(`--rssi must be 0-31 or 99, got "${values.rssi}"`);
  }

  const sim = new GsmModemSimulator({ ...settings, rssi });
  if (fault !== undefined) sim.setFault(fault, times);
  sim.on('sms', (sms: ReceivedSms) => {
    const parts = sms.parts === 1 ? '1 part' : `${sms.parts} parts`;
    io.stdout.write(`SMS to ${maskNumber(sms.to)} (${parts}): ${JSON.stringify(sms.text)}\n`);
  });
  sim.on('fault', (applied: ModemFault) => io.stdout.write(`fault: ${describeFault(applied)}\n`));
  try {
    await sim.open();
  } catch (error) {
    io.stderr.write(`linli-sim modem: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  }
  io.stdout.write(`modem ready on ${settings.path}\n`);
  const closedByPeer = await new Promise<boolean>((resolve) => {
    const onAbort = () => resolve(false);
    if (io.signal.aborted) return resolve(false);
    io.signal.addEventListener('abort', onAbort, { once: true });
    sim.once('close', () => {
      io.signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
  await sim.close();
  if (!closedByPeer) return 0;
  io.stderr.write(`linli-sim modem: ${settings.path} closed\n`);
  return EX_UNAVAILABLE;
}

/** The `modem` subcommand. */
export const modemCommand: SimCommand = {
  summary: 'GSM modem taking SMS by AT commands on a serial port',
  usage,
  run,
};
