/**
 * The serial card reader driver against a real serial peer: a socat pty pair, the simulator on one
 * end and the driver on the other. Killing socat is a pulled cable.
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import type { CardTappedEvent, LinkState } from '../device-events.js';
import type { CardMalformed } from './codec.js';
import { SerialCardReaderDriver } from './serial-driver.js';
import { SerialCardReaderSimulator } from './serial-simulator.js';

const LINE = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
const BACKOFF = { initialMs: 50, maxMs: 400 };

/** Resolves with the next `event` of `emitter` that satisfies `accept`; rejects after `ms`. */
async function next<T>(
  emitter: EventEmitter,
  event: string,
  accept: (v: T) => boolean = () => true,
  ms = 3000,
) {
  for await (const [value] of EventEmitter.on(emitter, event, {
    signal: AbortSignal.timeout(ms),
  }) as AsyncIterable<[T]>) {
    if (accept(value)) return value;
  }
  throw new Error(`no ${event}`);
}

const skip = await skipWithoutSocat();

t.test('serial card reader over a socat pty pair', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-card-'));
  const pair = await ptyPair(dir);
  let clock = Date.parse('2026-03-01T08:00:00.000Z');
  const driver = new SerialCardReaderDriver({
    deviceId: 'card-1',
    path: pair.a,
    ...LINE,
    uidFormat: 'decimal',
    cooldownMs: 1000,
    backoff: BACKOFF,
    now: () => clock,
  });
  const events: CardTappedEvent[] = [];
  driver.on('event', (e) => events.push(e));
  let sim = new SerialCardReaderSimulator({ path: pair.b, ...LINE, uidFormat: 'decimal' });
  t.teardown(async () => {
    await sim.close();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  const online = next<LinkState>(driver, 'link');
  await driver.start();
  t.same(await online, { online: true });
  await sim.open();

  t.test('a decimal line becomes card.tapped with the UID in hex', async (t) => {
    const tapped = next<CardTappedEvent>(driver, 'event');
    await sim.tap('04A1B2C3');
    t.same(await tapped, { type: 'card.tapped', ts: '2026-03-01T08:00:00.000Z', uid: '04A1B2C3' });
  });

  t.test('a held card repeated by the reader taps once; after the cooldown it taps again', async (t) => {
    clock += 5000;
    events.length = 0;
    const lines = await sim.tap('04B2A1C3B2B057', { holdMs: 300, repeatMs: 50 });
    t.ok(lines >= 4, `${lines} lines while held`);
    await sleep(100);
    t.same(
      events.map((e) => e.uid),
      ['04B2A1C3B2B057'],
      'one event for the whole hold',
    );
    clock += 999;
    await sim.tap('04B2A1C3B2B057');
    await sleep(100);
    t.equal(events.length, 1, 'within the cooldown of the last line: ignored');
    clock += 1000;
    const again = next<CardTappedEvent>(driver, 'event');
    await sim.tap('04B2A1C3B2B057');
    t.equal((await again).uid, '04B2A1C3B2B057', 'after the cooldown: a new tap');
  });

  t.test('bad lines are dropped and counted; a line split across writes is whole', async (t) => {
    const dropped = next<CardMalformed>(driver, 'malformed');
    const good = next<CardTappedEvent>(driver, 'event');
    await sim.writeRaw('04A1B2C3\r\n'); // hex on a decimal reader
    await sim.writeRaw('1122');
    await sleep(30);
    await sim.writeRaw('33\r\n');
    t.same(await dropped, { reason: 'bad-decimal' });
    t.equal((await good).uid, '69B60100', '112233 = 0x01B669, little-endian');
    t.equal(driver.counters.malformed, 1);
  });

  t.test('killing socat: offline; restarting: back online, the cooldown survives', async (t) => {
    // Let the driver's read settle into waiting: a pty hang-up that lands while a read is in flight
    // makes that read return 0 bytes, which serialport's unixRead retries forever (never a 'close').
    await sleep(50);
    const offline = next<LinkState>(driver, 'link', (s) => !s.online);
    await pair.kill();
    t.match((await offline).reason, /\S/);
    const back = next<LinkState>(driver, 'link', (s) => s.online);
    await pair.restart();
    t.same(await back, { online: true });
    t.equal(driver.counters.reconnects, 1);
    await sim.close();
    sim = new SerialCardReaderSimulator({ path: pair.b, ...LINE, uidFormat: 'decimal' });
    await sim.open();
    clock += 10_000;
    const tapped = next<CardTappedEvent>(driver, 'event');
    await sim.tap('0A0B0C0D');
    t.equal((await tapped).uid, '0A0B0C0D');
  });

  t.test('stop reports offline', async (t) => {
    const stopped = next<LinkState>(driver, 'link', (s) => !s.online);
    await driver.stop();
    t.same(await stopped, { online: false, reason: 'stopped' });
  });
});

t.test('hex reader: upper-cases what it reads', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-card-'));
  const pair = await ptyPair(dir);
  const driver = new SerialCardReaderDriver({ deviceId: 'card-2', path: pair.a, ...LINE, uidFormat: 'hex' });
  const sim = new SerialCardReaderSimulator({ path: pair.b, ...LINE, uidFormat: 'hex', terminator: '\r' });
  t.teardown(async () => {
    await sim.close();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await driver.start();
  await sim.open();
  const tapped = next<CardTappedEvent>(driver, 'event');
  await sim.writeRaw('04:a1:b2:c3\r');
  t.equal((await tapped).uid, '04A1B2C3');
});
