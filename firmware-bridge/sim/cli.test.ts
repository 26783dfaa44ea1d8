/**
 * `linli-sim` through its entry point: argument errors, and the `qr` command writing to a real pty
 * pair with the QR driver reading the other end.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import { SerialCardReaderDriver } from '../card-reader/serial-driver.js';
import type { HeartbeatEvent, HelpPressedEvent, QrScannedEvent } from '../device-events.js';
import { GsmModemDriver, ModemError } from '../gsm-modem/driver.js';
import { HelpPanelDriver } from '../help-panel/driver.js';
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

t.test('panel and button: help and argument errors', async (t) => {
  const help = await sim(['--help']);
  t.match(help.stdout, /\bpanel\b.*help-button panel/);
  t.match(help.stdout, /\bbutton\b.*MQTT/);
  t.match((await sim(['panel', '--help'])).stdout, /--press KEY/);
  t.match((await sim(['button', '--help'])).stdout, /--password PW/);
  const cases: [string[], RegExp][] = [
    [['panel'], /--port is required/],
    [['panel', '--port', '/x', '--press', 'blue'], /--press must be red, green, sos or service/],
    [['panel', '--port', '/x', '--panel-id', 'a b'], /--panel-id must match/],
    [['panel', '--port', '/x', '--button', 'x'.repeat(33)], /--button must match/],
    [['panel', '--port', '/x', '--hb', '0s'], /--hb must be a duration/],
    [['panel', '--port', '/x', '--every', '1s'], /--every and --count need --press/],
    [['panel', '--port', '/x', '--press', 'red', '--timeout', 'soon'], /--timeout must be a duration/],
    [['button'], /--id is required/],
    [['button', '--id', 'b1'], /--password is required/],
    [['button', '--id', 'a/b', '--password', 'p'], /--id must match/],
    [['button', '--id', 'b1', '--password', 'p', '--url', 'http://x'], /--url must be mqtt:\/\/HOST:PORT/],
    [['button', '--id', 'b1', '--password', 'p', '--battery', '101'], /--battery must be an integer 0–100/],
    [['button', '--id', 'b1', '--password', 'p', '--count', '2'], /--every and --count need --press/],
  ];
  for (const [argv, message] of cases) {
    const run = await sim(argv);
    t.equal(run.code, 64, `${argv.join(' ')}: exit 64`);
    t.match(run.stderr, message);
    t.ok(oneLine(run.stderr), `one line: ${run.stderr.trim()}`);
  }
  const absent = await sim(['panel', '--port', '/nonexistent/ttyX', '--press', 'red']);
  t.equal(absent.code, 69, 'a port that cannot be opened: exit 69');
  t.match(absent.stderr, /cannot open \/nonexistent\/ttyX: ENOENT/);
  const nobody = await sim([
    'button',
    '--url',
    'mqtt://127.0.0.1:1',
    '--id',
    'b1',
    '--password',
    'pw-secret',
  ]);
  t.equal(nobody.code, 69, 'a broker that cannot be reached: exit 69');
  t.match(nobody.stderr, /cannot connect to mqtt:\/\/127\.0\.0\.1:1 as b1: .*ECONNREFUSED/);
  t.notMatch(nobody.stderr, /pw-secret/, 'the password is never printed');
});

t.test('linli-sim panel over a pty pair, acked by the panel driver', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-sim-panel-'));
  const pair = await ptyPair(dir);
  const driver = new HelpPanelDriver({
    deviceId: 'panel-cli',
    path: pair.a,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  const events: (HeartbeatEvent | HelpPressedEvent)[] = [];
  let acking = true;
  driver.on('event', (e) => {
    events.push(e);
    const sends = events.filter((x) => x.type === 'help.pressed' && x.seq === e.seq).length;
    if (e.type === 'help.pressed' && acking && sends === 2) void driver.ack(e.seq).catch(t.error);
  });
  t.teardown(async () => {
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await driver.start();
  const panel = (argv: string[], stdin?: Readable) =>
    sim(['panel', '--port', pair.b, '--repeat', '30ms', '--timeout', '5s', ...argv], stdin);

  t.test('--press: a heartbeat at start, the alarm repeated until acked', async (t) => {
    events.length = 0;
    const run = await panel(['--press', 'red', '--button', 'B7', '--panel-id', 'P9']);
    t.equal(run.code, 0, run.stderr);
    // Acked at its 2nd send; on a busy machine a 3rd may already be on its way (repeat 30 ms).
    t.match(run.stdout, /^acked seq 1 \(sos B7\): [23] sends, \d+ ms\n$/);
    const seen = events.map((e) => (e.type === 'heartbeat' ? ['hb', e.seq] : [e.seq, e.key, e.button]));
    t.same(seen.slice(0, 3), [
      ['hb', 0],
      [1, 'sos', 'B7'],
      [1, 'sos', 'B7'],
    ]);
    t.ok(
      seen.slice(3).every((x) => x[0] === 1),
      'only repeats of the same alarm after that',
    );
  });

  t.test('--count with --every', async (t) => {
    events.length = 0;
    const run = await panel(['--press', 'green', '--count', '2', '--every', '20ms']);
    t.equal(run.code, 0, run.stderr);
    t.match(run.stdout, /^acked seq 1 \(service B1\): \d+ sends, \d+ ms\nacked seq 2 \(service B1\)/);
  });

  t.test('lines from stdin; a bad line means exit 65', async (t) => {
    events.length = 0;
    const run = await panel([], Readable.from(['red B1\ngreen B2\nhb\nblue B3\n\n']));
    t.equal(run.code, 65, run.stderr);
    t.match(run.stderr, /line not understood: "blue B3"/);
    t.match(run.stdout, /acked seq 1 \(sos B1\)/);
    t.match(run.stdout, /acked seq 2 \(service B2\)/);
    t.ok(
      events.some((e) => e.type === 'heartbeat' && e.seq === 3),
      'hb sent a heartbeat with the next seq',
    );
  });

  t.test('--timeout: an unacknowledged alarm means exit 69', async (t) => {
    acking = false;
    const run = await panel(['--press', 'red', '--timeout', '100ms']);
    acking = true;
    t.equal(run.code, 69);
    t.match(run.stderr, /alarm seq 1 not acknowledged after \d+ sends: aborted/);
    t.ok(oneLine(run.stderr));
  });
});

t.test('linli-sim button against an MQTT broker, acked by a peer', async (t) => {
  const aedes = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
  const acker = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const seen: { seq: number; key: string; boot: string }[] = [];
  acker.on('message', (_topic, payload) => {
    const m = JSON.parse(payload.toString()) as { type: string; seq: number; key: string; boot: string };
    if (m.type !== 'help.pressed') return;
    seen.push(m);
    acker.publish('linli/v1/dev/btn-cli/cmd', JSON.stringify({ type: 'help.ack', seq: m.seq, boot: m.boot }));
  });
  await acker.subscribeAsync('linli/v1/dev/btn-cli/evt', { qos: 1 });
  t.teardown(async () => {
    await acker.endAsync();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise((resolve) => server.close(resolve));
  });
  const button = (argv: string[], stdin?: Readable) =>
    sim(['button', '--url', url, '--id', 'btn-cli', '--password', 'pw', '--timeout', '5s', ...argv], stdin);

  const once = await button(['--press', 'sos', '--count', '2', '--every', '10ms']);
  t.equal(once.code, 0, once.stderr);
  t.match(once.stdout, /^acked seq 0 \(sos\): 1 send, \d+ ms\nacked seq 1 \(sos\): 1 send, \d+ ms\n$/);
  const lines = await button([], Readable.from(['service\nred\nsos B1\n']));
  t.equal(lines.code, 65);
  t.match(lines.stderr, /line not understood: "sos B1"/);
  t.match(lines.stdout, /acked seq 0 \(service\)/);
  t.match(lines.stdout, /acked seq 1 \(sos\)/);
  t.same(
    seen.map((s) => [s.seq, s.key]),
    [
      [0, 'sos'],
      [1, 'sos'],
      [0, 'service'],
      [1, 'sos'],
    ],
  );
  t.not(seen[0]?.boot, seen[2]?.boot, 'each run is a new power-up with a new boot');
});

t.test('modem: help and argument errors', async (t) => {
  t.match((await sim(['--help'])).stdout, /\bmodem\b.*GSM modem/);
  t.match((await sim(['modem', '--help'])).stdout, /--fail FAULT/);
  const cases: [string[], RegExp][] = [
    [['modem'], /--port is required/],
    [['modem', '--port', '/x', '--fail', 'bogus'], /--fail must be error, timeout, cms:N/],
    [['modem', '--port', '/x', '--fail', 'cms:x'], /--fail cms: needs a code/],
    [['modem', '--port', '/x', '--fail', 'slow:2'], /--fail slow: must be a duration/],
    [['modem', '--port', '/x', '--fail-times', '2'], /--fail-times needs --fail/],
    [['modem', '--port', '/x', '--rssi', '40'], /--rssi must be 0-31 or 99/],
  ];
  for (const [argv, message] of cases) {
    const run = await sim(argv);
    t.equal(run.code, 64, `${argv.join(' ')}: exit 64`);
    t.match(run.stderr, message);
    t.ok(oneLine(run.stderr), `one line: ${run.stderr.trim()}`);
  }
  const absent = await sim(['modem', '--port', '/nonexistent/ttyX']);
  t.equal(absent.code, 69, 'a port that cannot be opened: exit 69');
  t.match(absent.stderr, /cannot open \/nonexistent\/ttyX: ENOENT/);
});

t.test('linli-sim modem over a pty pair: prints each SMS masked, --fail refuses', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-sim-modem-'));
  const pair = await ptyPair(dir);
  const driver = new GsmModemDriver({
    deviceId: 'modem-cli',
    path: pair.a,
    baudRate: 115200,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    backoff: { initialMs: 50, maxMs: 200 },
    timeouts: { commandMs: 300, sendMs: 3000, initRetryMs: 100 },
  });
  const controller = new AbortController();
  t.teardown(async () => {
    controller.abort();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  const running = sim(
    ['modem', '--port', pair.b, '--fail', 'cms:330', '--fail-times', '1'],
    Readable.from([]),
    controller.signal,
  );
  await driver.start();
  for (const deadline = Date.now() + 3000; !driver.online && Date.now() < deadline; ) await sleep(10);
  t.ok(driver.online, 'the driver initialised the simulated modem');

  const refused = await driver.sendSms('+8613800138000', '测试').catch((e: unknown) => e);
  t.type(refused, ModemError);
  t.match(refused, { code: 'cms-error', modemCode: 330 });
  const text = '【邻里】紧急求助：'.repeat(10);
  t.same((await driver.sendSms('+8613800138000', text)).parts, 2);
  controller.abort();
  const run = await running;
  t.equal(run.code, 0, run.stderr);
  t.equal(
    run.stdout,
    `modem ready on ${pair.b}\nfault: answered +CMS ERROR: 330\n` +
      `SMS to +*********8000 (2 parts): ${JSON.stringify(text)}\n`,
  );
});

t.test('card: help and argument errors; unreachable vpcd', async (t) => {
  t.match((await sim(['--help'])).stdout, /\bcard\b.*vpcd/);
  t.match((await sim(['card', '--help'])).stdout, /--uid HEX/);
  const cases: [string[], RegExp][] = [
    [['card'], /--uid is required/],
    [['card', '--uid', '04A1B2'], /--uid must be 4 to 10 bytes, got 3/],
    [['card', '--uid', '04A1B2CX'], /uid must be an even number of hex digits/],
    [['card', '--uid', '04A1B2C3', '--reader', '2'], /--reader must be one of 0, 1/],
    [['card', '--uid', '04A1B2C3', '--cpu', '--atr', '3B00'], /--cpu and --atr exclude each other/],
    [['card', '--uid', '04A1B2C3', '--hold', '1'], /--hold must be a duration/],
    [
      ['card', '--uid', '0011223344', '--port', '/x', '--format', 'decimal'],
      /--uid cannot be sent as decimal/,
    ],
    [
      ['card', '--uid', '04A1B2C3', '--port', '/x', '--format', 'oct'],
      /--format must be one of hex, decimal/,
    ],
  ];
  for (const [argv, message] of cases) {
    const run = await sim(argv);
    t.equal(run.code, 64, `${argv.join(' ')}: exit 64`);
    t.match(run.stderr, message);
    t.ok(oneLine(run.stderr), `one line: ${run.stderr.trim()}`);
  }
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
  const absent = await sim(['card', '--uid', '04A1B2C3', '--vpcd-port', String(port)]);
  t.equal(absent.code, 69, 'vpcd not reachable: exit 69');
  t.match(absent.stderr, /vpcd not reachable on 127\.0\.0\.1:\d+ \(ECONNREFUSED\): is pcscd running\?/);
});

t.test('linli-sim card against a stand-in vpcd: the ATR and the UID as pcscd asks for them', async (t) => {
  const answers: Buffer[] = [];
  const server = createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        answers.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
    });
    // vpcd: power on (no answer), "send the ATR", then GET DATA UID and an unknown APDU
    socket.write(Buffer.from('000101' + '000104' + '0005FFCA000000' + '000500A4040000', 'hex'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const port = String((server.address() as AddressInfo).port);
  const run = await sim(['card', '--uid', '04a1b2c3', '--cpu', '--hold', '300ms', '--vpcd-port', port]);
  t.equal(run.code, 0, run.stderr);
  t.same(
    answers.map((a) => a.toString('hex').toUpperCase()),
    ['3B8180018080', '04A1B2C39000', '6A81'],
    'ATR, UID + 90 00, 6A 81 for anything else',
  );
  t.match(run.stdout, /card 04A1B2C3 on reader 0 .*ATR 3B8180018080\nUID read: 04A1B2C3\n/);
  t.match(run.stdout, /card 04A1B2C3 removed\n$/);
});

t.test('linli-sim card --port: a serial card reader, decimal, read by the driver', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-sim-card-'));
  const pair = await ptyPair(dir);
  const line = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
  const driver = new SerialCardReaderDriver({
    deviceId: 'card-cli',
    path: pair.a,
    ...line,
    uidFormat: 'decimal',
  });
  const uids: string[] = [];
  driver.on('event', (e) => uids.push(e.uid));
  t.teardown(async () => {
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await driver.start();
  const run = await sim([
    'card',
    '--uid',
    '04A1B2C3',
    '--port',
    pair.b,
    '--format',
    'decimal',
    '--hold',
    '300ms',
    '--repeat',
    '100ms',
  ]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /^sent 04A1B2C3 as decimal \(\d lines\)\n$/);
  for (const deadline = Date.now() + 3000; uids.length === 0 && Date.now() < deadline; ) await sleep(10);
  await sleep(50);
  t.same(uids, ['04A1B2C3'], 'a held card repeated by the reader: one tap');
});
