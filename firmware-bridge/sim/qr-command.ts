/**
 * `linli-sim qr`: a QR / barcode scanner on a serial port. Sends `--text` (once, `--count` times,
 * or every `--every`), or else each line read from stdin, as the scanner would.
 */

import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EncodeScanOptions, encodeScan, type QrEncoding } from '../qr-scanner/codec.js';
import { QrScannerSimulator } from '../qr-scanner/simulator.js';
import { parseSerialSettings, serialOptions, serialUsage } from './serial-options.js';
import {
  EX_DATAERR,
  EX_UNAVAILABLE,
  parseChoice,
  parseDuration,
  parseOptions,
  parsePositiveInt,
  type SimCommand,
  type SimIo,
  UsageError,
} from './sim-command.js';

const TERMINATORS = { cr: '\r', lf: '\n', crlf: '\r\n' } as const;

const usage = `Usage: linli-sim qr --port PATH [options]

Acts as a QR / barcode scanner: writes each scan as text ended by a terminator, with an optional
AIM prefix. Without --text, reads lines from stdin and sends each one as a scan.
Start the edge (the reading side) first: bytes written before the other side opens are lost.

${serialUsage}
  --text TEXT         scan to send (default: read lines from stdin)
  --aim ID            AIM symbology prefix, e.g. Q1 (QR code), E0 (EAN-13); sent as ]Q1
  --encoding E        utf-8 or gbk (default utf-8)
  --terminator T      cr, lf or crlf (default crlf)
  --count N           send --text N times (default 1, or without end with --every)
  --every DURATION    pause between sends of --text, e.g. 500ms, 2s, 1m
  -h, --help          show this help

Example: linli-sim qr --port /tmp/pty/ttyB --aim Q1 --text "https://x.cn/a" --every 2s --count 5`;

const options = {
  ...serialOptions,
  text: { type: 'string' },
  aim: { type: 'string' },
  encoding: { type: 'string', default: 'utf-8' },
  terminator: { type: 'string', default: 'crlf' },
  count: { type: 'string' },
  every: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(args: string[], io: SimIo): Promise<number> {
  const { values } = parseOptions(args, options);
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  const settings = parseSerialSettings(values);
  const encoding = parseChoice(values.encoding, ['utf-8', 'gbk'] as const, '--encoding') satisfies QrEncoding;
  const terminator =
    TERMINATORS[parseChoice(values.terminator, ['cr', 'lf', 'crlf'] as const, '--terminator')];
  const aim = values.aim;
  if (aim !== undefined && !/^[A-Za-z][0-9A-Za-z]$/.test(aim)) {
    throw new UsageError(`--aim must be a letter and a letter or digit (e.g. Q1), got "${aim}"`);
  }
  const everyMs = values.every === undefined ? undefined : parseDuration(values.every, '--every');
  const count = values.count === undefined ? undefined : parsePositiveInt(values.count, '--count');
  const text = values.text;
  if (text === undefined && (everyMs !== undefined || count !== undefined)) {
    throw new UsageError('--every and --count need --text');
  }
  const scanOptions: EncodeScanOptions = { encoding, terminator, ...(aim === undefined ? {} : { aim }) };
  if (text !== undefined) checkEncodable(text, scanOptions);

  const sim = new QrScannerSimulator({ ...settings, ...scanOptions });
  try {
    await sim.open();
  } catch (error) {
    io.stderr.write(`linli-sim qr: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  }
  try {
    if (text !== undefined) {
      await sendRepeatedly(
        sim,
        text,
        count ?? (everyMs === undefined ? 1 : Number.POSITIVE_INFINITY),
        everyMs,
        io,
      );
      return 0;
    }
    return await sendStdinLines(sim, scanOptions, io);
  } catch (error) {
    io.stderr.write(`linli-sim qr: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  } finally {
    await sim.close();
  }
}

function checkEncodable(text: string, scanOptions: EncodeScanOptions): void {
  try {
    encodeScan(text, scanOptions);
  } catch (error) {
    throw new UsageError(`--text cannot be sent: ${(error as Error).message}`);
  }
}

async function sendRepeatedly(
  sim: QrScannerSimulator,
  text: string,
  count: number,
  everyMs: number | undefined,
  io: SimIo,
): Promise<void> {
  for (let sent = 0; sent < count && !io.signal.aborted; sent++) {
    if (sent > 0 && everyMs !== undefined) {
      const stopped = await sleep(everyMs, false, { signal: io.signal }).catch(() => true);
      if (stopped) return;
    }
    await sim.scan(text);
    io.stdout.write(`sent ${JSON.stringify(text)}\n`);
  }
}

async function sendStdinLines(
  sim: QrScannerSimulator,
  scanOptions: EncodeScanOptions,
  io: SimIo,
): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const stop = () => lines.close();
  io.signal.addEventListener('abort', stop, { once: true });
  let failed = 0;
  try {
    for await (const line of lines) {
      if (line === '') continue;
      try {
        encodeScan(line, scanOptions);
      } catch (error) {
        failed++;
        io.stderr.write(`linli-sim qr: line not sent: ${(error as Error).message}\n`);
        continue;
      }
      await sim.scan(line);
      io.stdout.write(`sent ${JSON.stringify(line)}\n`);
    }
  } finally {
    io.signal.removeEventListener('abort', stop);
    lines.close();
  }
  return failed > 0 ? EX_DATAERR : 0;
}

/** The `qr` subcommand. */
export const qrCommand: SimCommand = {
  summary: 'QR / barcode scanner on a serial port',
  usage,
  run,
};
