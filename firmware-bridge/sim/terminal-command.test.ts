/**
 * `linli-sim terminal` through the CLI's entry point: argument errors, and a run on a real pty pair
 * with the bank terminal driver on the other end: sales, a lost result found by a query, a power
 * cycle and a balance set from stdin, totals, a settlement.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import { BankTerminalDriver, EcrError } from '../bank-terminal/driver.js';
import { main } from './cli.js';
import { formatYuan, parseFaults, parseYuan } from './terminal-command.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function start(
  argv: string[],
  stdin: NodeJS.ReadableStream = Readable.from([]),
  signal = new AbortController().signal,
) {
  const out: Run = { code: -1, stdout: '', stderr: '' };
  const done = main(argv, {
    stdin,
    signal,
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
  }).then((code) => {
    out.code = code;
    return out;
  });
  return { out, done };
}

t.test('help and argument errors', async (t) => {
  const help = await start(['--help']).done;
  t.match(help.stdout, /\bterminal\b.*bank terminal/);
  const own = await start(['terminal', '--help']).done;
  t.equal(own.code, 0);
  t.match(own.stdout, /--faults LIST/);
  const cases: [string[], RegExp][] = [
    [['terminal'], /--port is required/],
    [['terminal', '--port', '/x', '--balance', '12.345'], /--balance must be an amount in yuan/],
    [['terminal', '--port', '/x', '--balance', '1,50'], /--balance must be an amount in yuan/],
    [['terminal', '--port', '/x', '--card', '1234'], /--card must be 13-19 digits/],
    [['terminal', '--port', '/x', '--faults', 'explode:1'], /unknown fault "explode:1"/],
    [['terminal', '--port', '/x', '--faults', 'corrupt:x'], /needs a count N, a rate P% or all/],
    [['terminal', '--port', '/x', '--faults', 'corrupt:150%'], /needs a count N, a rate P% or all/],
    [['terminal', '--port', '/x', '--faults', 'decline:00'], /needs a code such as C, 51 or 55/],
    [['terminal', '--port', '/x', '--faults', 'delay:5'], /must be a duration/],
    [['terminal', '--port', '/x', '--ack-timeout', 'soon'], /--ack-timeout must be a duration/],
  ];
  for (const [argv, message] of cases) {
    const run = await start(argv).done;
    t.equal(run.code, 64, `${argv.join(' ')}: exit 64`);
    t.match(run.stderr, message);
    t.equal(run.stderr.trim().split('\n').length, 1, 'one line');
  }
  const absent = await start(['terminal', '--path', '/nonexistent/ttyX']).done;
  t.equal(absent.code, 69, '--path works as --port; a port that cannot be opened: exit 69');
  t.match(absent.stderr, /cannot open \/nonexistent\/ttyX: ENOENT/);
});

t.test('amounts and fault lists', async (t) => {
  t.equal(parseYuan('250', 'x'), 25_000);
  t.equal(parseYuan('12.3', 'x'), 1230);
  t.equal(parseYuan('0.05', 'x'), 5);
  t.equal(formatYuan(1230), '12.30');
  t.equal(formatYuan(5), '0.05');
  t.same(parseFaults('corrupt:10%,lose-result:1,decline:55:all,delay:2s,drop-ack:3'), {
    corrupt: { count: 0, rate: 0.1 },
    loseResult: { count: 1, rate: 0 },
    declineCode: '55',
    decline: { count: Number.POSITIVE_INFINITY, rate: 0 },
    resultDelayMs: 2000,
    dropAck: { count: 3, rate: 0 },
  });
  t.same(parseFaults('decline:C'), { declineCode: 'C', decline: { count: 1, rate: 0 } });
});

const skip = await skipWithoutSocat();

t.test('linli-sim terminal over a pty pair, driven by the bank terminal driver', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-sim-terminal-'));
  const pair = await ptyPair(dir);
  const timings = {
    ackTimeoutMs: 300,
    maxSends: 3,
    duplicateWindowMs: 900,
    resultTimeoutMs: 2500,
    queryTimeoutMs: 1500,
  };
  const driver = new BankTerminalDriver({
    ...{ deviceId: 'bank-cli', path: pair.a, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
    backoff: { initialMs: 50, maxMs: 200 },
    timings,
  });
  const stdin = new PassThrough();
  const stop = new AbortController();
  t.teardown(async () => {
    stop.abort();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await driver.start();
  const sim = start(
    [
      ...['terminal', '--port', pair.b, '--balance', '100', '--card', '6222020000000005678'],
      ...['--faults', 'lose-result:1', '--card-delay', '20ms', '--pin-delay', '20ms', '--host-delay', '20ms'],
      ...['--ack-timeout', '300ms', '--dup-window', '900ms'],
    ],
    stdin,
    stop.signal,
  );
  for (const deadline = Date.now() + 3000; !sim.out.stdout.includes('ready'); await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`not ready: ${sim.out.stderr}`);
  }
  t.match(sim.out.stdout, /^terminal ready on .*ttyB \(balance 100\.00, card 622202\*{9}5678\)\n/);

  const lost = 'CLI000000001';
  const error = await driver.sale(lost, 4250, '物业费').catch((e: unknown) => e);
  t.ok(error instanceof EcrError && error.code === 'timeout', 'the first result is lost');
  t.match(await driver.query(lost), { code: '00', amountFen: 4250 }, 'found by a query');

  stdin.write('power 50ms\nbalance 0.50\nwhat is this\n');
  await sleep(150);
  t.match(await driver.sale('CLI000000002', 100, ''), { code: '51' }, 'the balance set from stdin');
  t.match(await driver.query(lost), { code: '00' }, 'the approved sale survived the power cycle');
  stdin.write('totals\n');
  await sleep(50);
  t.match(await driver.settle(), { batchNo: '000001', count: 1, totalFen: 4250 });

  stop.abort();
  const run = await sim.done;
  t.equal(run.code, 0, run.stderr);
  t.match(run.stderr, /line not understood: "what is this"/);
  const lines = run.stdout.split('\n');
  t.same(
    lines.filter((l) => /^(sale|result|settlement|totals|fault)/.test(l)),
    [
      'sale CLI000000001: 42.50 started',
      'result CLI000000001: 00 交易成功 42.50 card 622202*********5678 trace 000001 batch 000001',
      'fault: lost the result after the sale ended',
      'fault: power cycle (50 ms off)',
      'sale CLI000000002: 1.00 started',
      'result CLI000000002: 51 余额不足 1.00 card 622202*********5678 trace 000002 batch 000001',
      'totals: open batch 000001: 1 sales, 42.50; settled: none; balance 0.50',
      'settlement batch 000001: 1 sales, 42.50',
    ],
  );
  t.notMatch(run.stdout, /6222020000000005678|物业费/, 'neither the card number nor the memo is printed');
});
