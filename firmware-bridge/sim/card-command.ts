/**
 * `linli-sim card`: taps a card. By default a virtual contactless card on a vpcd reader of the local
 * pcscd (the edge's PC/SC driver reads it through `nfc-pcsc`); with `--port`, a serial card reader
 * writing the UID line.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { encodeCardLine, type UidFormat } from '../card-reader/codec.js';
import { SerialCardReaderSimulator } from '../card-reader/serial-simulator.js';
import {
  ISO14443_4A_ATR,
  MIFARE_CLASSIC_ATR,
  parseHex,
  VirtualCard,
  vpcdPort,
} from '../card-reader/virtual-card.js';
import { parseSerialSettings, serialOptions, serialUsage } from './serial-options.js';
import {
  EX_UNAVAILABLE,
  parseChoice,
  parseDuration,
  parseOptions,
  parsePositiveInt,
  type SimCommand,
  type SimIo,
  UsageError,
} from './sim-command.js';

const usage = `Usage: linli-sim card --uid HEX [options]

Taps a card. Without --port: puts a virtual card on a vpcd reader of the local pcscd (apt-get
install pcscd vsmartcard-vpcd; pcscd must run) for --hold, then takes it off. It answers
FF CA 00 00 00 with its UID. With --port: acts as a serial card reader and writes the UID line.
Exit status: 0 done, 64 bad arguments, 69 vpcd not reachable (pcscd not running) or port not opened.

  --uid HEX           the card's UID, e.g. 04A1B2C3 (4, 7 or 10 bytes) (required)
  --hold DURATION     how long the card stays on the reader (default 1s)
  --count N           tap N times (default 1)
  --every DURATION    pause between taps (default 2s)
PC/SC (virtual card):
  --reader N          vpcd reader 0 (Virtual PCD 00 00) or 1 (Virtual PCD 00 01) (default 0)
  --cpu               an ISO 14443-4 CPU card (ATR ${ISO14443_4A_ATR}) instead of MIFARE Classic
  --atr HEX           any other ATR
  --vpcd-port N       vpcd's TCP port (default 35963 + reader)
  --vpcd-host HOST    vpcd's host (default 127.0.0.1)
Serial card reader (with --port):
${serialUsage}
  --format F          hex or decimal (little-endian, as 10-digit readers print) (default hex)
  --repeat DURATION   repeat the line while the card is held (default: once per tap)

Examples: linli-sim card --uid 04A1B2C3 --reader 1 --cpu
          linli-sim card --uid 04A1B2C3 --port /tmp/linli/ttyB --format decimal`;

const options = {
  ...serialOptions,
  uid: { type: 'string' },
  hold: { type: 'string', default: '1s' },
  count: { type: 'string', default: '1' },
  every: { type: 'string', default: '2s' },
  reader: { type: 'string', default: '0' },
  cpu: { type: 'boolean' },
  atr: { type: 'string' },
  'vpcd-port': { type: 'string' },
  'vpcd-host': { type: 'string', default: '127.0.0.1' },
  format: { type: 'string', default: 'hex' },
  repeat: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** One presentation of the card; resolves when it is over. */
type Tap = (holdMs: number, signal: AbortSignal) => Promise<void>;

function hex(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseHex(value, flag).toString('hex').toUpperCase();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function run(args: string[], io: SimIo): Promise<number> {
  const { values } = parseOptions(args, options);
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  const uid = hex(values.uid, '--uid');
  if (uid === undefined) throw new UsageError('--uid is required');
  if (uid.length < 8 || uid.length > 20)
    throw new UsageError(`--uid must be 4 to 10 bytes, got ${uid.length / 2}`);
  const holdMs = parseDuration(values.hold, '--hold');
  const count = parsePositiveInt(values.count, '--count');
  const everyMs = parseDuration(values.every, '--every');
  const tap = values.port === undefined ? virtualCardTap(uid, values, io) : serialTap(uid, values, io);
  const ready = await tap.open();
  if (typeof ready === 'string') {
    io.stderr.write(`linli-sim card: ${ready}\n`);
    return EX_UNAVAILABLE;
  }
  try {
    for (let n = 0; n < count && !io.signal.aborted; n++) {
      if (n > 0 && (await sleep(everyMs, false, { signal: io.signal }).catch(() => true))) break;
      await ready(holdMs, io.signal);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`linli-sim card: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  } finally {
    await tap.close();
  }
}

type Values = ReturnType<typeof parseOptions<typeof options>>['values'];

interface Tapper {
  /** Checks the far side; resolves to the tap function, or a plain reason it cannot be reached. */
  open(): Promise<Tap | string>;
  close(): Promise<void>;
}

function virtualCardTap(uid: string, values: Values, io: SimIo): Tapper {
  const reader = Number(parseChoice(values.reader, ['0', '1'] as const, '--reader'));
  if (values.cpu && values.atr !== undefined) throw new UsageError('--cpu and --atr exclude each other');
  const atr = hex(values.atr, '--atr') ?? (values.cpu ? ISO14443_4A_ATR : MIFARE_CLASSIC_ATR);
  const port =
    values['vpcd-port'] === undefined
      ? vpcdPort(reader)
      : parsePositiveInt(values['vpcd-port'], '--vpcd-port');
  const card = new VirtualCard({ uid, atr, port, host: values['vpcd-host'] });
  card.on('apdu', (command, response) => {
    if (command.subarray(0, 2).equals(Buffer.from([0xff, 0xca]))) io.stdout.write(`UID read: ${uid}\n`);
    else io.stdout.write(`APDU ${command.toString('hex')} → ${response.toString('hex')}\n`);
  });
  const where = `reader ${reader} (vpcd ${values['vpcd-host']}:${port})`;
  const tap: Tap = async (holdMs, signal) => {
    await card.insert();
    io.stdout.write(`card ${uid} on ${where}, ATR ${atr}\n`);
    await sleep(holdMs, undefined, { signal }).catch(() => {});
    await card.remove();
    io.stdout.write(`card ${uid} removed\n`);
  };
  return {
    // no probe: a connection to vpcd is a card on the reader; an unreachable vpcd fails the first tap
    open: async () => tap,
    close: () => card.remove(),
  };
}

function serialTap(uid: string, values: Values, io: SimIo): Tapper {
  const format = parseChoice(values.format, ['hex', 'decimal'] as const, '--format') satisfies UidFormat;
  try {
    encodeCardLine(uid, format);
  } catch (error) {
    throw new UsageError(`--uid cannot be sent as ${format}: ${(error as Error).message}`);
  }
  const repeatMs = values.repeat === undefined ? undefined : parseDuration(values.repeat, '--repeat');
  const sim = new SerialCardReaderSimulator({ ...parseSerialSettings(values), uidFormat: format });
  const tap: Tap = async (holdMs, signal) => {
    const lines = await sim.tap(uid, { holdMs, signal, ...(repeatMs === undefined ? {} : { repeatMs }) });
    io.stdout.write(`sent ${uid} as ${format}${lines > 1 ? ` (${lines} lines)` : ''}\n`);
  };
  return {
    async open() {
      try {
        await sim.open();
        return tap;
      } catch (error) {
        return (error as Error).message;
      }
    },
    close: () => sim.close(),
  };
}

/** The `card` subcommand. */
export const cardCommand: SimCommand = {
  summary: 'card tap: a virtual card on a vpcd (PC/SC) reader, or a serial card reader',
  usage,
  run,
};
