/**
 * `linli-sim` through its entry point: argument errors, and the `qr` command writing to a real pty
 * pair with the QR driver reading the other end.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import type { QrScannedEvent } from '../device-events.js';
import { QrScannerDriver } from '../qr-scanner/driver.js';
import { main } from './cli.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function sim(
  argv: string[],
  stdin: Readable = Readable.from([]),
  signal = new AbortController().signal,
) {
  const out: Run = { code: -1, stdout: '', stderr: '' };
  out.code = await main(argv, {
    stdin,
    signal,
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
  });
  return out;
}

const oneLine = (s: string) => s.trim().split('\n').length === 1;

t.test('help and argument errors', async (t) => {
  const help = await sim(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: linli-sim <command>/);
  t.match(help.stdout, /\bqr\b.*scanner/);
  const qrHelp = await sim(['qr', '--help']);
  t.equal(qrHelp.code, 0);
  t.match(qrHelp.stdout, /--port PATH/);
  t.equal((await sim([])).code, 64, 'no command');

  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['qr'], /--port is required/],
    [['qr', '--port', '/x', '--bogus'], /Unknown option '--bogus'/],
    [['qr', '--port', '/x', 'stray'], /Unexpected argument 'stray'/],
    [['qr', '--port', '/x', '--baud', 'fast'], /--baud must be a positive integer/],
    [['qr', '--port', '/x', '--parity', 'maybe'], /--parity must be one of/],
    [['qr', '--port', '/x', '--aim', ']Q1'], /--aim must be/],
    [['qr', '--port', '/x', '--text', 'a', '--every', '2'], /--every must be a duration/],
    [['qr', '--port', '/x', '--text', 'a', '--count', '0'], /--count must be a positive integer/],
    [['qr', '--port', '/x', '--every', '1s'], /--every and --count need --text/],
    [
      ['qr', '--port', '/x', '--encoding', 'gbk', '--text', '😀'],
      /--text cannot be sent: GBK cannot represent/,
    ],
  ];
  for (const [argv, message] of cases) {
    const run = await sim(argv);
    t.equal(run.code, 64, `${argv.join(' ')}: exit 64`);
    t.match(run.stderr, message);
    t.ok(oneLine(run.stderr), `one line: ${run.stderr.trim()}`);
  }
  const absent = await sim(['qr', '--port', '/nonexistent/ttyX', '--text', 'a']);
  t.equal(absent.code, 69, 'a port that cannot be opened: exit 69');
  t.match(absent.stderr, /cannot open \/nonexistent\/ttyX: ENOENT/);
});

const skip = await skipWithoutSocat();

t.test('linli-sim qr over a pty pair', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-sim-'));
  const pair = await ptyPair(dir);
  const driver = new QrScannerDriver({
    deviceId: 'qr-cli',
    path: pair.a,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  const events: QrScannedEvent[] = [];
  driver.on('event', (e) => events.push(e));
  t.teardown(async () => {
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await driver.start();
  /** Polls until `done()` holds (or 3 s pass), then gives the driver a moment for stray extras. */
  const settle = async (done: () => boolean) => {
    for (const deadline = Date.now() + 3000; !done() && Date.now() < deadline; ) await sleep(10);
    await sleep(30);
  };

  t.test('--text with --every and --count', async (t) => {
    events.length = 0;
    const run = await sim([
      'qr',
      '--port',
      pair.b,
      '--aim',
      'Q1',
      '--text',
      'https://x.cn/a',
      '--every',
      '20ms',
      '--count',
      '3',
    ]);
    t.equal(run.code, 0, run.stderr);
    t.equal(run.stdout, 'sent "https://x.cn/a"\n'.repeat(3));
    await settle(() => events.length >= 3);
    t.same(
      events.map((e) => [e.text, e.symbology]),
      Array.from({ length: 3 }, () => ['https://x.cn/a', 'Q1']),
    );
  });

  t.test('--encoding gbk: bytes a UTF-8 scanner config rejects', async (t) => {
    events.length = 0;
    const before = driver.counters.malformed;
    const run = await sim(['qr', '--port', pair.b, '--encoding', 'gbk', '--text', '邻里']);
    t.equal(run.code, 0, run.stderr);
    await settle(() => driver.counters.malformed > before);
    t.same(events, [], 'the driver is configured for UTF-8');
    t.equal(driver.counters.malformed, before + 1, 'the GBK line was dropped as bad-encoding');
  });

  t.test('lines from stdin, CR terminator', async (t) => {
    events.length = 0;
    const run = await sim(
      ['qr', '--port', pair.b, '--terminator', 'cr'],
      Readable.from(['one\ntwo\r\n\n邻里\n']),
    );
    t.equal(run.code, 0, run.stderr);
    await settle(() => events.length >= 3);
    t.same(
      events.map((e) => e.text),
      ['one', 'two', '邻里'],
    );
  });

  t.test('--every without --count runs until the signal', async (t) => {
    events.length = 0;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const run = await sim(
      ['qr', '--port', pair.b, '--text', 'tick', '--every', '30ms'],
      Readable.from([]),
      controller.signal,
    );
    t.equal(run.code, 0);
    await settle(() => events.length >= 2);
    t.ok(events.length >= 2, `${events.length} scans before the signal`);
  });
});
