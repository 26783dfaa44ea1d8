/**
 * The QR scanner driver against a real serial peer: a socat pty pair, the simulator on one end and
 * the driver on the other. Killing socat is a pulled cable; restarting it plugs the scanner back in.
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import type { LinkState, QrScannedEvent } from '../device-events.js';
import { QrScannerDriver, type QrScannerDriverOptions } from './driver.js';
import { QrScannerSimulator } from './simulator.js';

const LINE = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
const BACKOFF = { initialMs: 50, maxMs: 400 };
const NOW = Date.parse('2026-03-01T08:00:00.000Z');

/** Resolves with the next `event` emitted by `emitter` that satisfies `accept`; rejects after `ms`. */
async function next<T>(
  emitter: EventEmitter,
  event: string,
  accept: (v: T) => boolean = () => true,
  ms = 3000,
) {
  const signal = AbortSignal.timeout(ms);
  for await (const [value] of EventEmitter.on(emitter, event, { signal }) as AsyncIterable<[T]>) {
    if (accept(value)) return value;
  }
  throw new Error(`no ${event}`);
}

/** Resolves with the next `count` values of `event` (listening from the call on); rejects after `ms`. */
async function take<T>(emitter: EventEmitter, event: string, count: number, ms = 3000): Promise<T[]> {
  const values: T[] = [];
  for await (const [value] of EventEmitter.on(emitter, event, {
    signal: AbortSignal.timeout(ms),
  }) as AsyncIterable<[T]>) {
    values.push(value);
    if (values.length === count) return values;
  }
  return values;
}

function driverFor(path: string, extra: Partial<QrScannerDriverOptions> = {}): QrScannerDriver {
  return new QrScannerDriver({ deviceId: 'qr-1', path, ...LINE, backoff: BACKOFF, now: () => NOW, ...extra });
}

const skip = await skipWithoutSocat();

t.test('QR scanner over a socat pty pair', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-qr-'));
  const pair = await ptyPair(dir);
  const driver = driverFor(pair.a);
  const links: LinkState[] = [];
  driver.on('link', (state) => links.push(state));
  let sim = new QrScannerSimulator({ path: pair.b, ...LINE });
  t.teardown(async () => {
    await sim.close();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });

  await driver.start();
  t.same(links, [{ online: true }], 'online once started');
  await sim.open();

  t.test('scans arrive as qr.scanned events', async (t) => {
    const arrived = next<QrScannedEvent>(driver, 'event');
    await sim.scan('https://x.cn/a', { aim: 'Q1' });
    t.same(await arrived, {
      type: 'qr.scanned',
      ts: '2026-03-01T08:00:00.000Z',
      text: 'https://x.cn/a',
      symbology: 'Q1',
    });

    const plain = next<QrScannedEvent>(driver, 'event');
    await sim.scan('邻里 6901234567892', { terminator: '\r', chunks: [2, 3, 1] });
    t.same(await plain, { type: 'qr.scanned', ts: '2026-03-01T08:00:00.000Z', text: '邻里 6901234567892' });

    const two = take<QrScannedEvent>(driver, 'event', 2);
    await sim.writeRaw('split\r\nafter\r\n', { chunks: [6], gapMs: 30 }); // CR and LF in separate reads
    t.same(
      (await two).map((e) => e.text),
      ['split', 'after'],
      'a CR LF split across reads is one terminator',
    );
  });

  t.test('malformed lines are dropped and counted', async (t) => {
    const before = driver.counters.malformed;
    const dropped = next<{ reason: string }>(driver, 'malformed');
    const good = next<QrScannedEvent>(driver, 'event');
    await sim.writeRaw(Buffer.from([0x61, 0x07, 0x62, 0x0d, 0x0a]));
    await sim.scan('good');
    t.same(await dropped, { reason: 'control-byte' });
    t.equal((await good).text, 'good');
    t.equal(driver.counters.malformed, before + 1);
  });

  t.test('killing socat: offline with a reason; restarting: reconnects and scans flow', async (t) => {
    await sim.writeRaw('partial-before-unplug'); // never terminated: must not reach a later scan
    await new Promise((resolve) => setTimeout(resolve, 50));
    const offline = next<LinkState>(driver, 'link', (s) => !s.online);
    await pair.kill();
    const state = await offline;
    t.equal(state.online, false);
    t.match(state.reason, /\S/, `reason given: ${state.reason}`);
    t.equal(driver.online, false);

    const online = next<LinkState>(driver, 'link', (s) => s.online);
    await pair.restart();
    t.same(await online, { online: true });
    t.equal(driver.counters.reconnects, 1, 'reconnects counted');

    await sim.close();
    sim = new QrScannerSimulator({ path: pair.b, ...LINE });
    await sim.open();
    const arrived = next<QrScannedEvent>(driver, 'event');
    await sim.scan('after-replug', { aim: 'Q1' });
    t.same(await arrived, {
      type: 'qr.scanned',
      ts: '2026-03-01T08:00:00.000Z',
      text: 'after-replug',
      symbology: 'Q1',
    });
  });

  t.test('stop reports offline and closes the port', async (t) => {
    const stopped = next<LinkState>(driver, 'link', (s) => !s.online);
    await driver.stop();
    t.same(await stopped, { online: false, reason: 'stopped' });
    t.equal(driver.counters.reconnects, 1, 'counters survive stop()');
  });
});

t.test(
  'start() with the port absent: offline, retries, comes online when it appears',
  { skip },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'linli-qr-'));
    const driver = driverFor(join(dir, 'ttyA'), { encoding: 'gbk' });
    let pair: Awaited<ReturnType<typeof ptyPair>> | undefined;
    const sim = new QrScannerSimulator({ path: join(dir, 'ttyB'), ...LINE, encoding: 'gbk' });
    t.teardown(async () => {
      await sim.close();
      await driver.stop();
      await pair?.kill();
      await rm(dir, { recursive: true, force: true });
    });

    const first = next<LinkState>(driver, 'link');
    await driver.start(); // must not throw
    const state = await first;
    t.equal(state.online, false);
    t.match(state.reason, /^ENOENT: no such port /, String(state.reason));

    const online = next<LinkState>(driver, 'link', (s) => s.online);
    pair = await ptyPair(dir);
    t.same(await online, { online: true });
    t.equal(driver.counters.reconnects, 0, 'a first connection is not a reconnection');

    await sim.open();
    const arrived = next<QrScannedEvent>(driver, 'event');
    await sim.scan('邻里社区', { aim: 'Q1' });
    t.equal((await arrived).text, '邻里社区', 'GBK scan decoded');
  },
);
