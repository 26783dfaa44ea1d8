/**
 * The PC/SC card reader driver against the real stack: pcscd with the vpcd virtual reader driver,
 * `nfc-pcsc` in the worker process, and a virtual card on the vpcd socket (TESTBED.md, "PC/SC").
 * One pcscd per machine with fixed ports: every PC/SC test lives in this one file and runs in order.
 *
 * Not yet in `npm test`: it failed 2 times in ~40 runs on a loaded machine (drivers saw no card
 * for ~10 s until pcscd restarted) and CI is one shot. Run it with `npm run test:pcsc` (needs
 * `apt-get install pcscd libpcsclite-dev pcsc-tools vsmartcard-vpcd` before `npm ci`); it joins
 * the suite once that flake is understood (issue 4).
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { ensurePcscd, pcscMissing, VPCD_READER_0, VPCD_READER_1 } from '../../test/helpers/pcscd.js';
import type { CardTappedEvent, LinkState } from '../device-events.js';
import { main } from '../sim/cli.js';
import { PcscReaderClaims } from './pcsc-claims.js';
import { PcscCardReaderDriver, type PcscCardReaderDriverOptions } from './pcsc-driver.js';
import { ISO14443_4A_ATR, VirtualCard, vpcdPort } from './virtual-card.js';

/** Scaled-down timings: pings every 200 ms, a silent worker killed after 3 s, quick restarts. */
const FAST = {
  workerHeartbeatMs: 200,
  workerTimeoutMs: 3000,
  restartBackoff: { initialMs: 100, maxMs: 500 },
  cooldownMs: 1200,
} as const;

/** Resolves with the next `event` of `emitter` that satisfies `accept`; rejects after `ms`. */
async function next<T>(
  emitter: EventEmitter,
  event: string,
  accept: (v: T) => boolean = () => true,
  ms = 5000,
) {
  const signal = AbortSignal.timeout(ms);
  try {
    for await (const [value] of EventEmitter.on(emitter, event, { signal }) as AsyncIterable<[T]>) {
      if (accept(value)) return value;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  const state = emitter instanceof PcscCardReaderDriver ? ` (online: ${emitter.online})` : '';
  throw new Error(`no ${event} within ${ms} ms${state}`);
}

/** A driver that records its events and link states, stopped at the end of the test `t`. */
function driverFor(t: Test, options: Partial<PcscCardReaderDriverOptions> & { deviceId: string }) {
  const driver = new PcscCardReaderDriver({ ...FAST, ...options });
  const events: CardTappedEvent[] = [];
  const links: LinkState[] = [];
  driver.on('event', (e) => events.push(e));
  driver.on('link', (s) => links.push(s));
  t.teardown(() => driver.stop());
  /**
   * Resolves when the driver next comes online; else fails with the link states it went through.
   * 8 s leaves room for a worker that hangs starting (killed after 3 s) and its replacement.
   */
  const online = (ms = 8000) =>
    next<LinkState>(driver, 'link', (s) => s.online, ms).catch((error: unknown) => {
      const states = links.map((s) => s.reason ?? 'online').join(' → ') || 'none';
      throw new Error(`${options.deviceId} not online (${driver.workerStarts} workers; ${states}): ${error}`);
    });
  return { driver, events, links, online };
}

/** Puts a card on a reader for `holdMs`, then takes it off. */
async function present(card: VirtualCard, holdMs: number): Promise<void> {
  await card.insert();
  await sleep(holdMs);
  await card.remove();
}

/** Counts the parent's timer ticks and the longest gap between them: the event loop never blocks. */
function ticker(t: Test, everyMs = 50) {
  let last = performance.now();
  const stats = { ticks: 0, maxGapMs: 0 };
  const timer = setInterval(() => {
    const now = performance.now();
    stats.maxGapMs = Math.max(stats.maxGapMs, now - last);
    stats.ticks++;
    last = now;
  }, everyMs);
  t.teardown(() => clearInterval(timer));
  return stats;
}

const skip = await pcscMissing(); // throws under CI when a piece is missing: never skipped there

t.test('PC/SC card readers on pcscd + vpcd', { skip }, async (t) => {
  const pcscd = await ensurePcscd();
  t.teardown(() => pcscd.release());

  t.test('without nfc-pcsc: offline, says why, and is not restarted', async (t) => {
    const { driver, links } = driverFor(t, { deviceId: 'no-lib', nfcModule: 'linli-no-such-nfc-module' });
    const offline = next<LinkState>(driver, 'link');
    await driver.start();
    t.same(await offline, { online: false, reason: 'nfc-pcsc is not installed' });
    await sleep(800);
    t.equal(driver.workerStarts, 1, 'no restarts');
    t.same(links, [{ online: false, reason: 'nfc-pcsc is not installed' }], 'and it keeps saying why');
  });

  t.test('one tap, one card.tapped: MIFARE on reader 0, a CPU card on reader 1', async (t) => {
    const claims = new PcscReaderClaims();
    const any = driverFor(t, { deviceId: 'kiosk-any', claims });
    const pinned = driverFor(t, { deviceId: 'desk-pinned', claims, reader: 'PCD 00 01' });
    const both = [any.online(), pinned.online()];
    await Promise.all([any.driver.start(), pinned.driver.start()]);
    await Promise.all(both);
    t.equal(any.driver.readerName, VPCD_READER_0, 'without a filter: the reader nobody names');
    t.equal(pinned.driver.readerName, VPCD_READER_1, 'with a filter: its reader');

    const third = driverFor(t, { deviceId: 'third', claims });
    const refused = next<LinkState>(third.driver, 'link');
    await third.driver.start();
    t.same(await refused, { online: false, reason: 'every matching reader is claimed by another device' });
    await third.driver.stop();

    const mifare = new VirtualCard({ uid: '04A1B2C3', port: vpcdPort(0) });
    const tapped = next<CardTappedEvent>(any.driver, 'event');
    await present(mifare, 1500); // held well past pcscd's polling: still one event
    const event = await tapped;
    t.equal(event.uid, '04A1B2C3');
    t.equal(event.type, 'card.tapped');
    t.match(event.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const cpu = new VirtualCard({ uid: '04112233445566', atr: ISO14443_4A_ATR, port: vpcdPort(1) });
    const cpuTapped = next<CardTappedEvent>(pinned.driver, 'event');
    await present(cpu, 1000);
    t.equal((await cpuTapped).uid, '04112233445566', 'ISO 14443-4 card: UID by FF CA 00 00 00');
    await sleep(300);
    t.same(
      any.events.map((e) => e.uid),
      ['04A1B2C3'],
      'reader 0: one event for one long presence',
    );
    t.same(
      pinned.events.map((e) => e.uid),
      ['04112233445566'],
      'reader 1: its own card only',
    );
  });

  t.test('a re-tap within the cooldown is ignored; after it, a new event', async (t) => {
    const { driver, events, online: up } = driverFor(t, { deviceId: 'cooldown' });
    const online = up();
    await driver.start();
    await online;
    const card = new VirtualCard({ uid: '08A0B0C0', port: vpcdPort(0) });
    const first = next<CardTappedEvent>(driver, 'event');
    await card.insert();
    await first;
    await card.remove();
    await sleep(500); // pcscd sees the card leave; the cooldown (1.2 s) runs from there
    await present(card, 700); // seen ~0.3–0.4 s after insertion: within the cooldown
    t.equal(events.length, 1, 'the re-tap within the cooldown gave no event');
    await sleep(FAST.cooldownMs + 500);
    const again = next<CardTappedEvent>(driver, 'event');
    await present(card, 700);
    t.equal((await again).uid, '08A0B0C0', 'after the cooldown: a new event');
    t.equal(events.length, 2);
  });

  t.test('linli-sim card taps a virtual card', async (t) => {
    const { driver, online: up } = driverFor(t, { deviceId: 'sim-cli', reader: 'PCD 00 01' });
    const online = up();
    await driver.start();
    await online;
    const tapped = next<CardTappedEvent>(driver, 'event');
    let stdout = '';
    const code = await main(['card', '--uid', '04c0ffee', '--reader', '1', '--cpu', '--hold', '900ms'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      signal: new AbortController().signal,
    });
    t.equal(code, 0);
    t.equal((await tapped).uid, '04C0FFEE');
    t.match(stdout, /UID read: 04C0FFEE/);
    t.match(stdout, /card 04C0FFEE removed/);
  });

  t.test('pcscd stops: offline in seconds, the daemon never blocks; it comes back by itself', async (t) => {
    const { driver, events, links, online: up } = driverFor(t, { deviceId: 'survivor' });
    const online = up();
    await driver.start();
    await online;
    const loop = ticker(t);
    const startsBefore = driver.workerStarts;

    const stoppedAt = performance.now();
    const offline = next<LinkState>(driver, 'link', (s) => !s.online);
    const noDaemon = next<LinkState>(driver, 'link', (s) => s.reason === 'pcscd not running', 8000);
    await pcscd.stop();
    const down = await offline;
    t.ok(
      performance.now() - stoppedAt < 5000,
      `offline after ${Math.round(performance.now() - stoppedAt)} ms`,
    );
    t.match(down.reason, /reader detached|pcscd not running/);
    await noDaemon;
    await sleep(1000); // restarts keep finding no pcscd, and nothing blocks
    t.ok(driver.workerStarts > startsBefore, `worker restarted ${driver.workerStarts - startsBefore} times`);

    const back = up();
    await pcscd.start();
    await back;
    const tapped = next<CardTappedEvent>(driver, 'event');
    await present(new VirtualCard({ uid: '04DEAD01', port: vpcdPort(0) }), 800);
    t.equal((await tapped).uid, '04DEAD01', 'taps work again without restarting the driver');
    t.equal(events.length, 1);
    t.equal(driver.counters.reconnects, 1);
    t.ok(loop.maxGapMs < 1000, `event loop never blocked: longest tick gap ${Math.round(loop.maxGapMs)} ms`);
    t.ok(
      links.some((s) => s.reason === 'pcscd not running'),
      `link states: ${links.map((s) => s.reason ?? 'online').join(' → ')}`,
    );
  });

  t.test('a worker blocked in the native binding is killed and replaced', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'linli-nfc-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const fixture = join(dir, 'blocking-nfc.mjs');
    // What the real binding does while pcscd does not answer: spin in the constructor, forever.
    await writeFile(fixture, 'export class NFC { constructor() { for (;;) {} } }\n');
    const { driver } = driverFor(t, {
      deviceId: 'blocked',
      nfcModule: pathToFileURL(fixture).href,
      workerTimeoutMs: 1000,
    });
    const loop = ticker(t);
    const offline = next<LinkState>(driver, 'link', (s) => s.reason === 'PC/SC worker not answering', 5000);
    await driver.start();
    await offline;
    await sleep(1500);
    t.ok(driver.workerStarts >= 2, `replaced: ${driver.workerStarts} workers started`);
    t.ok(loop.maxGapMs < 1000, `event loop never blocked: longest tick gap ${Math.round(loop.maxGapMs)} ms`);
    const stopping = performance.now();
    await driver.stop();
    t.ok(performance.now() - stopping < 1000, 'stop() kills a blocked worker at once');
  });
});
