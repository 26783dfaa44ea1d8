/**
 * `linli-sim terminal`: a bank terminal on a serial port, speaking the ECR link. Takes the edge's
 * sales, queries, voids and settlements, shows each one on stdout (the card number masked, never
 * the memo), injects the faults of `--faults`, and takes commands on stdin (`power 2s`, `balance
 * 12.34`, `fault decline:51`, `totals`) until SIGINT or SIGTERM.
 */

import { createInterface } from 'node:readline';
import { BankTerminalSimulator, type TerminalFaults } from '../bank-terminal/simulator.js';
import { NOT_DECLINES } from '../bank-terminal/terminal-faults.js';
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

const usage = `Usage: linli-sim terminal --port PATH [options]

Acts as a bank terminal on the ECR link (docs/protocols.md, "Bank terminal"): runs each sale with
its prompts (card, PIN, processing), answers queries, voids and settlements from its own books, and
prints what happens. Runs until Ctrl-C. Lines on stdin while it runs:
  power [DURATION]    power cycle: off for DURATION (default 2s), forgetting what a terminal forgets
  balance YUAN        set the card's balance
  fault LIST          add faults, as --faults
  totals              print the open batch, the closed ones and the balance

${serialUsage.replace('write to', 'use')}
  --path PATH         same as --port
  --balance YUAN      the card's balance, e.g. 250.50 (default 1000.00)
  --card NUMBER       the card's number, 13-19 digits; only first 6 and last 4 are ever shown or sent
  --faults LIST       comma-separated faults; N is a count (the next N times), P% a rate, all every time:
                        corrupt:N|P%      frames it sends get a wrong LRC (one send each)
                        drop-out:N|P%     frames it sends never reach the wire (one send each)
                        drop-in:N|P%      frames from the edge it never sees (no ACK)
                        drop-ack:N|P%     frames from the edge it takes without ACK (the edge resends)
                        decline:CODE[:N|P%]  decline sales with CODE (C, 51, 55, …; default once)
                        no-result:N|P%    sales that hang without a result until a power cycle
                        lose-result:N|P%  sales that end but whose result is never sent
                        delay:DURATION    wait this long before sending each result
  --card-delay D      from "insert the card" to the card read (default 1.5s)
  --pin-delay D       from "enter the PIN" to the PIN entered (default 1.5s)
  --host-delay D      from "processing" to the bank's answer (default 1s)
  --ack-timeout D     its ACK timeout (default 2s); --max-sends N (default 3)
  --dup-window D      a repeat of the last frame within D is a resend (default 6s; as the edge's)
  --seed N            seed for faults given as a rate (default: random)
  -h, --help          show this help

Example: linli-sim terminal --port /tmp/linli/ttyB --balance 50 --faults lose-result:1,corrupt:10%`;

const options = {
  ...serialOptions,
  path: { type: 'string' },
  balance: { type: 'string', default: '1000.00' },
  card: { type: 'string', default: '6217000000000001234' },
  faults: { type: 'string' },
  'card-delay': { type: 'string', default: '1.5s' },
  'pin-delay': { type: 'string', default: '1.5s' },
  'host-delay': { type: 'string', default: '1s' },
  'ack-timeout': { type: 'string', default: '2s' },
  'max-sends': { type: 'string', default: '3' },
  'dup-window': { type: 'string', default: '6s' },
  seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `12.34` yuan → 1234 fen; a bare `12` is 12 yuan. */
export function parseYuan(value: string, flag: string): number {
  const match = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (match === null)
    throw new UsageError(`${flag} must be an amount in yuan such as 250 or 12.34, got "${value}"`);
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** 1234 fen → `12.34`. */
export function formatYuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

const BUDGETS = {
  corrupt: 'corrupt',
  'drop-out': 'dropOut',
  'drop-in': 'dropIn',
  'drop-ack': 'dropAck',
  'no-result': 'noResult',
  'lose-result': 'loseResult',
} as const;

function parseBudget(value: string, flag: string): { count: number; rate: number } {
  if (value === 'all') return { count: Number.POSITIVE_INFINITY, rate: 0 };
  const rate = /^(\d{1,3}(?:\.\d+)?)%$/.exec(value);
  if (rate !== null && Number(rate[1]) <= 100) return { count: 0, rate: Number(rate[1]) / 100 };
  if (/^\d+$/.test(value)) return { count: parsePositiveInt(value, flag), rate: 0 };
  throw new UsageError(`${flag} needs a count N, a rate P% or all, got "${value}"`);
}

/** Parses `--faults` (and the `fault` stdin command) into the faults it sets. */
export function parseFaults(list: string): Partial<TerminalFaults> {
  const faults: Partial<TerminalFaults> = {};
  for (const item of list.split(',').map((s) => s.trim())) {
    const [name = '', ...args] = item.split(':');
    if (Object.hasOwn(BUDGETS, name)) {
      if (args.length !== 1) throw new UsageError(`--faults ${name}: needs one value, e.g. ${name}:1`);
      faults[BUDGETS[name as keyof typeof BUDGETS]] = parseBudget(args[0] as string, `--faults ${name}:`);
    } else if (name === 'decline') {
      const [code = '', budget = '1', ...rest] = args;
      if (!/^(C|[0-9A-Z]{2})$/.test(code) || NOT_DECLINES.has(code) || rest.length > 0) {
        throw new UsageError(
          `--faults decline: needs a code such as C, 51 or 55 (not 00, PD, NF, VD), got "${item}"`,
        );
      }
      faults.declineCode = code;
      faults.decline = parseBudget(budget, '--faults decline:CODE:');
    } else if (name === 'delay' && args.length === 1) {
      faults.resultDelayMs = parseDuration(args[0] as string, '--faults delay:');
    } else {
      throw new UsageError(`--faults: unknown fault "${item}" (see linli-sim terminal --help)`);
    }
  }
  return faults;
}

/** mulberry32: a seeded random source for faults given as a rate. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function report(sim: BankTerminalSimulator, io: SimIo): void {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  sim.on('sale', (s) => out(`sale ${s.ref}: ${formatYuan(s.amountFen)} started`));
  sim.on('result', (r) => {
    const card = r.maskedPan === '' ? '' : ` card ${r.maskedPan}`;
    const trace = r.traceNo === '' ? '' : ` trace ${r.traceNo}`;
    out(`result ${r.ref}: ${r.code} ${r.text} ${formatYuan(r.amountFen)}${card}${trace} batch ${r.batchNo}`);
  });
  sim.on('void', (v) => out(`void ${v.ref}: ${v.code}${v.traceNo === '' ? '' : ` trace ${v.traceNo}`}`));
  sim.on('settlement', (s) =>
    out(`settlement batch ${s.batchNo}: ${s.count} sales, ${formatYuan(s.totalFen)}`),
  );
  sim.on('undelivered', (type, ref) => out(`undelivered: ${type}${ref === undefined ? '' : ` for ${ref}`}`));
  sim.on('fault', (what) => out(`fault: ${what}`));
}

function printTotals(sim: BankTerminalSimulator, io: SimIo): void {
  const { open, settled, balanceFen } = sim.totals();
  const batches = settled.map((b) => ` ${b.batchNo}: ${b.count}, ${formatYuan(b.totalFen)};`).join('');
  io.stdout.write(
    `totals: open batch ${open.batchNo}: ${open.count} sales, ${formatYuan(open.totalFen)};` +
      ` settled:${batches || ' none;'} balance ${formatYuan(balanceFen)}\n`,
  );
}

/** Runs one stdin command; a line not understood is reported on stderr. */
async function command(line: string, sim: BankTerminalSimulator, io: SimIo): Promise<void> {
  const [word = '', ...args] = line.trim().split(/\s+/);
  try {
    if (word === '') return;
    if (word === 'power' && args.length <= 1) await sim.powerCycle(parseDuration(args[0] ?? '2s', 'power'));
    else if (word === 'balance' && args.length === 1)
      sim.ledger.balanceFen = parseYuan(args[0] as string, 'balance');
    else if (word === 'fault' && args.length === 1) Object.assign(sim.faults, parseFaults(args[0] as string));
    else if (word === 'totals' && args.length === 0) printTotals(sim, io);
    else throw new UsageError(`line not understood: ${JSON.stringify(line)}`);
  } catch (error) {
    io.stderr.write(`linli-sim terminal: ${(error as Error).message}\n`);
  }
}

async function run(args: string[], io: SimIo): Promise<number> {
  const { values } = parseOptions(args, options);
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  const settings = parseSerialSettings({ ...values, port: values.port ?? values.path });
  if (!/^\d{13,19}$/.test(values.card)) throw new UsageError(`--card must be 13-19 digits`);
  const faults = values.faults === undefined ? {} : parseFaults(values.faults);
  const seed = values.seed === undefined ? undefined : parsePositiveInt(values.seed, '--seed');
  const sim = new BankTerminalSimulator({
    ...settings,
    balanceFen: parseYuan(values.balance, '--balance'),
    cardNumber: values.card,
    faults,
    delays: {
      cardMs: parseDuration(values['card-delay'], '--card-delay'),
      pinMs: parseDuration(values['pin-delay'], '--pin-delay'),
      hostMs: parseDuration(values['host-delay'], '--host-delay'),
    },
    link: {
      ackTimeoutMs: parseDuration(values['ack-timeout'], '--ack-timeout'),
      maxSends: parsePositiveInt(values['max-sends'], '--max-sends'),
      duplicateWindowMs: parseDuration(values['dup-window'], '--dup-window'),
    },
    ...(seed === undefined ? {} : { random: seeded(seed) }),
  });
  report(sim, io);
  try {
    await sim.open();
  } catch (error) {
    io.stderr.write(`linli-sim terminal: ${(error as Error).message}\n`);
    return EX_UNAVAILABLE;
  }
  const balance = formatYuan(sim.ledger.balanceFen);
  io.stdout.write(`terminal ready on ${settings.path} (balance ${balance}, card ${sim.ledger.maskedPan})\n`);
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => void command(line, sim, io)); // command reports its own errors
  const closedByPeer = await new Promise<boolean>((resolve) => {
    const onAbort = () => resolve(false);
    if (io.signal.aborted) return resolve(false);
    io.signal.addEventListener('abort', onAbort, { once: true });
    sim.once('close', () => {
      io.signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
  lines.close();
  await sim.close();
  if (!closedByPeer) return 0;
  io.stderr.write(`linli-sim terminal: ${settings.path} closed\n`);
  return EX_UNAVAILABLE;
}

/** The `terminal` subcommand. */
export const terminalCommand: SimCommand = {
  summary: 'bank terminal on the ECR link (sales, queries, voids, settlement; faults)',
  usage,
  run,
};
