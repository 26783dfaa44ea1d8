/**
 * The help-panel driver against a real serial peer: a socat pty pair, the panel simulator on one end
 * and the driver on the other. Alarms are repeated until the driver acks them; killing socat is a
 * pulled cable, restarting it plugs the panel back in.
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import type { HeartbeatEvent, HelpPressedEvent, LinkState } from '../device-events.js';
import { HelpPanelDriver, type HelpPanelDriverOptions, PANEL_HEARTBEAT_S } from './driver.js';
import { HelpPanelSimulator, type HelpPanelSimulatorOptions, PanelNoAckError } from './simulator.js';

const LINE = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
const BACKOFF = { initialMs: 50, maxMs: 400 };
const NOW = Date.parse('2026-03-01T08:00:00.000Z');
const TS = '2026-03-01T08:00:00.000Z';
type PanelEvent = HeartbeatEvent | HelpPressedEvent;

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

function driverFor(path: string, extra: Partial<HelpPanelDriverOptions> = {}): HelpPanelDriver {
  return new HelpPanelDriver({
    deviceId: 'panel-1',
    path,
    ...LINE,
    backoff: BACKOFF,
    now: () => NOW,
    ...extra,
  });
}

function simFor(path: string, extra: Partial<HelpPanelSimulatorOptions> = {}): HelpPanelSimulator {
  return new HelpPanelSimulator({ path, ...LINE, panelId: 'P1', hbMs: 0, repeatMs: 60, ...extra });
}

const isAlarm = (e: PanelEvent): e is HelpPressedEvent => e.type === 'help.pressed';

const skip = await skipWithoutSocat();

t.test('help panel over a socat pty pair', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-panel-'));
  const pair = await ptyPair(dir);
  const driver = driverFor(pair.a);
  const links: LinkState[] = [];
  const events: PanelEvent[] = [];
  driver.on('link', (state) => links.push(state));
  driver.on('event', (event) => events.push(event));
  let sim = simFor(pair.b, { seq: 40 });
  t.teardown(async () => {
    await sim.close();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });

  await driver.start();
  t.same(links, [{ online: true }], 'online once started');
  await sim.open();
  t.equal(PANEL_HEARTBEAT_S, 30);

  t.test('press → help.pressed → ack(seq) → the panel stops', async (t) => {
    events.length = 0;
    const arrived = next<PanelEvent>(driver, 'event');
    const press = sim.press('B1', 'sos');
    const event = await arrived;
    t.same(event, { type: 'help.pressed', ts: TS, seq: 40, key: 'sos', button: 'B1' });
    await driver.ack(event.seq);
    const result = await press;
    t.equal(result.seq, 40);
    t.equal(result.sends, 1, 'acked before the first repeat');
    t.ok(result.ackMs >= 0 && result.ackMs < 1000, `ack after ${result.ackMs.toFixed(1)} ms`);
    await sleep(200);
    t.equal(events.length, 1, 'no repeat after the ack');
  });

  t.test('every repeat is an event until acked; the green key is service', async (t) => {
    events.length = 0;
    const press = sim.press('bed.3', 'service');
    while (events.length < 3) await next<PanelEvent>(driver, 'event');
    t.same(
      events.map((e) => (isAlarm(e) ? [e.seq, e.key, e.button] : e.type)),
      Array.from({ length: 3 }, () => [41, 'service', 'bed.3']),
      'three sends of the same alarm, same seq',
    );
    await driver.ack(41);
    const result = await press;
    t.equal(result.sends, 3);
    const count = events.length;
    await sleep(200);
    t.equal(events.length, count, 'repeats stop');
  });

  t.test('an ack for another seq does not stop an alarm; two alarms at once', async (t) => {
    events.length = 0;
    const first = sim.press('B1', 'sos');
    const second = sim.press('B2', 'sos');
    while (new Set(events.filter(isAlarm).map((e) => e.seq)).size < 2) await next(driver, 'event');
    await driver.ack(9999);
    await driver.ack(43);
    t.equal((await second).seq, 43);
    await sleep(150);
    t.ok(events.filter((e) => e.seq === 42).length >= 2, 'seq 42 still repeating');
    await driver.ack(42);
    t.equal((await first).seq, 42);
  });

  t.test('heartbeats carry the shared seq counter, and it wraps after 65535', async (t) => {
    await sim.close();
    sim = simFor(pair.b, { seq: 65534, hbMs: 50 });
    events.length = 0;
    await sim.open();
    while (events.length < 3) await next<PanelEvent>(driver, 'event');
    t.same(events.slice(0, 3), [
      { type: 'heartbeat', ts: TS, seq: 65534 },
      { type: 'heartbeat', ts: TS, seq: 65535 },
      { type: 'heartbeat', ts: TS, seq: 0 },
    ]);
    await sim.close();
    sim = simFor(pair.b, { seq: 100 });
    await sim.open();
  });

  t.test('bad checksums and garbage are dropped and counted; dropped acks mean repeats', async (t) => {
    const before = driver.counters.malformed;
    const reasons: string[] = [];
    driver.on('malformed', (m) => reasons.push(m.reason));
    sim.faults.badChecksum = true;
    await sim.heartbeat();
    sim.faults.badChecksum = false;
    await sim.writeRaw('\x00\xff$HB,P1,1\r\n$AL,B1,1,SOS*00\n$AL,B1,1,RED*30\r\n');
    const good = next<PanelEvent>(driver, 'event');
    await sim.writeRaw('$HB,P1', { chunks: [3] });
    await sim.writeRaw(',7*5c\n', { chunks: [2, 2], gapMs: 30 });
    t.same(await good, { type: 'heartbeat', ts: TS, seq: 7 }, 'split across reads, lower-case CS');
    t.same(reasons, ['checksum', 'bad-char', 'checksum', 'form']);
    t.equal(driver.counters.malformed, before + 4);

    sim.faults.dropAcks = 2;
    events.length = 0;
    const acker = (e: PanelEvent) => void driver.ack(e.seq).catch(t.error);
    driver.on('event', acker);
    const result = await sim.press('B1', 'sos');
    driver.off('event', acker);
    t.equal(result.sends, 3, 'two acks ignored: acked on the third send');
    await t.rejects(sim.press('B1', 'sos', { maxSends: 2 }), PanelNoAckError, 'no acker: gives up');
  });

  t.test('killing socat: offline, ack rejects; restarting: reconnects and alarms flow', async (t) => {
    await sim.writeRaw('$AL,B9,5,SO'); // never terminated: must not reach a later line
    await sleep(50);
    const offline = next<LinkState>(driver, 'link', (s) => !s.online);
    await pair.kill();
    const state = await offline;
    t.equal(state.online, false);
    t.match(state.reason, /\S/, `reason given: ${state.reason}`);
    await t.rejects(driver.ack(1), /offline/, 'ack while the port is down');
    await t.rejects(driver.ack(70_000), RangeError, 'ack of a seq out of range');

    const online = next<LinkState>(driver, 'link', (s) => s.online);
    await pair.restart();
    t.same(await online, { online: true });
    t.equal(driver.counters.reconnects, 1, 'reconnects counted');

    await sim.close();
    sim = simFor(pair.b, { seq: 200 });
    await sim.open();
    events.length = 0;
    const arrived = next<PanelEvent>(driver, 'event');
    const press = sim.press('B1', 'sos');
    t.same(await arrived, { type: 'help.pressed', ts: TS, seq: 200, key: 'sos', button: 'B1' });
    await driver.ack(200);
    t.equal((await press).sends, 1);
  });

  t.test('stop reports offline; ack after stop rejects', async (t) => {
    const stopped = next<LinkState>(driver, 'link', (s) => !s.online);
    await driver.stop();
    t.same(await stopped, { online: false, reason: 'stopped' });
    await t.rejects(driver.ack(1), /stopped/);
    t.equal(driver.counters.reconnects, 1, 'counters survive stop()');
  });
});

t.test(
  'start() with the port absent: offline, retries, comes online when it appears',
  { skip },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'linli-panel-'));
    const driver = driverFor(join(dir, 'ttyA'));
    let pair: Awaited<ReturnType<typeof ptyPair>> | undefined;
    const sim = simFor(join(dir, 'ttyB'), { hbMs: 100, seq: 5 });
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
    const beat = next<PanelEvent>(driver, 'event');
    await sim.open();
    t.same(await beat, { type: 'heartbeat', ts: TS, seq: 5 }, 'the first heartbeat at power-up');
  },
);
