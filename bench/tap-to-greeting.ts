/**
 * Tap to greeting: from a card's UID line written to a real pty (socat pair), where the daemon's
 * serial card reader driver reads it, until the kiosk's SSE client has the member's greeting with
 * the month's points, rank, balance and goods. The house holds 10,000 residents with party cards
 * and 1,000,000 journal records (a year of weekly branch sessions, bench/points-year.ts); an
 * activity session is open on the reader, so every tap is the full path: driver → broker (QoS 1)
 * → intake → credit record + swipe record, each fsynced → summary → SSE. Taps go one at a time,
 * each by another member.
 *
 * Beside it: an admin MQTT watcher stamps when `card.tapped` crosses the broker; and, where pcscd
 * with vpcd is installed, what PC/SC adds before any of this: a virtual card put on the reader
 * until the PC/SC driver reports it (pcscd's polling), measured on its own.
 * Writes `<outDir>/tap-to-greeting.json`.
 *
 *   node --import tsx bench/tap-to-greeting.ts [--quick] [--no-pcsc]
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type mqtt from 'mqtt';
import { PcscCardReaderDriver } from '../firmware-bridge/card-reader/pcsc-driver.js';
import { SerialCardReaderSimulator } from '../firmware-bridge/card-reader/serial-simulator.js';
import { VirtualCard, vpcdPort } from '../firmware-bridge/card-reader/virtual-card.js';
import type { CardTappedEvent } from '../firmware-bridge/device-events.js';
import { hasSocat, ptyPair } from '../firmware-bridge/sim/pty-pair.js';
import { ensurePcscd, pcscMissing } from '../test/helpers/pcscd.js';
import {
  Arrival,
  api,
  cli,
  eventWatcher,
  isMain,
  login,
  machine,
  requireBuiltDaemon,
  rssMB,
  SseClient,
  type SseMessage,
  sleep,
  startEdge,
  summarize,
  tempDir,
  writeResult,
} from './lib.js';
import { memberUid, writeYear } from './points-year.js';

const GOAL_P99_MS = 30;
const WARM_UP = 20;
const TIMEOUT_MS = 5000;
const READER = 'bench-reader';

/** PC/SC on its own: a virtual card onto vpcd's reader until the driver emits card.tapped. */
async function pcscPolling(taps: number) {
  const missing = await pcscMissing().catch((e: Error) => e.message);
  if (missing) return { measured: false, why: missing };
  const pcscd = await ensurePcscd();
  const driver = new PcscCardReaderDriver({ deviceId: 'bench-pcsc', cooldownMs: 0 });
  try {
    const online = new Promise<void>((resolve) => driver.on('link', (s) => s.online && resolve()));
    await driver.start();
    await Promise.race([
      online,
      sleep(15_000).then(() => Promise.reject(new Error('PC/SC reader not online'))),
    ]);
    const samples: number[] = [];
    for (let i = 0; i < taps; i++) {
      const uid = `04${(0xa00000 + i).toString(16).toUpperCase()}`;
      const card = new VirtualCard({ uid, port: vpcdPort(0) });
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${uid} not seen`)), 10_000);
        const on = (e: CardTappedEvent) => {
          if (e.uid !== uid) return;
          clearTimeout(timer);
          driver.off('event', on);
          resolve(performance.now());
        };
        driver.on('event', on);
      });
      const t0 = performance.now();
      await card.insert();
      samples.push((await seen) - t0);
      await card.remove();
      await sleep(300);
    }
    return { measured: true, insertToTapMs: summarize(samples) };
  } finally {
    await driver.stop();
    await pcscd.release();
  }
}

export async function run(opts: { quick: boolean; outDir: string }) {
  requireBuiltDaemon();
  if (!(await hasSocat())) throw new Error('socat is needed (apt-get install socat)');
  const members = opts.quick ? 1_000 : 10_000;
  const total = opts.quick ? 60_000 : 1_000_000;
  const taps = opts.quick ? 200 : 1_000;
  const dir = await tempDir('linli-bench-tap-');
  const dataDir = join(dir, 'data');
  try {
    const fill = await writeYear(dataDir, members, total);
    const pty = await ptyPair(join(dir, 'pty'));
    const edge = await startEdge(
      dataDir,
      { LINLI_SERIAL_BACKOFF_MS: '50', LINLI_SERIAL_BACKOFF_MAX_MS: '200' },
      180_000,
    );
    const greeting = new Arrival(TIMEOUT_MS);
    const mqttAt = new Map<string, number>();
    let online: (() => void) | undefined;
    const sim = new SerialCardReaderSimulator({
      path: pty.b,
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      uidFormat: 'hex',
      terminator: '\r',
    });
    let screen: SseClient | undefined;
    let staff: SseClient | undefined;
    let watcher: mqtt.MqttClient | undefined;
    try {
      const token = await login(edge.httpUrl);
      const kiosk = await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
        id: 'bench-kiosk',
        type: 'kiosk',
        transport: 'http',
      });
      let bad: unknown;
      screen = await SseClient.connect(
        `${edge.httpUrl}/api/kiosk/events`,
        { authorization: `Bearer ${kiosk.body.token}` },
        (e: SseMessage) => {
          if (e.event !== 'kiosk.greeting') return;
          const g = e.data as { result?: string; points?: { rank?: number; goods?: unknown[] } };
          if (g.result !== 'ok' || g.points?.rank === undefined) bad ??= g;
          greeting.hit('tap', e.at);
        },
      );
      staff = await SseClient.connect(
        `${edge.httpUrl}/api/events`,
        { authorization: `Bearer ${token}` },
        (e) => {
          const d = e.data as { deviceId?: string; online?: boolean };
          if (e.event === 'device.status' && d.deviceId === READER && d.online) online?.();
        },
      );
      watcher = await eventWatcher(edge.mqttUrl, READER, (e, at) => {
        if (e.type === 'card.tapped' && typeof e.uid === 'string') mqttAt.set(e.uid, at);
      });
      const isOnline = new Promise<void>((resolve) => {
        online = resolve;
      });
      const reg = await api(edge.httpUrl, token, 'POST', '/api/devices', {
        id: READER,
        type: 'card-reader',
        transport: 'serial',
        path: pty.a,
        baudRate: 9600,
        uidFormat: 'hex',
      });
      if (reg.status !== 201)
        throw new Error(`registering the reader: ${reg.status} ${JSON.stringify(reg.body)}`);
      await Promise.race([
        isOnline,
        sleep(10_000).then(() => Promise.reject(new Error('reader never came online'))),
      ]);
      const session = await api(edge.httpUrl, token, 'POST', '/api/points/sessions', {
        itemId: 'volunteer',
        readers: [READER],
      });
      if (session.status !== 201) throw new Error(`opening a session: ${session.status}`);
      await sim.open();

      const e2e: number[] = [];
      const viaMqtt: number[] = [];
      for (let i = 0; i < WARM_UP + taps; i++) {
        const uid = memberUid((i * 7919) % members); // another member each time, all branches
        const seen = greeting.arm('tap');
        const t0 = performance.now();
        await sim.tap(uid);
        const at = await seen;
        if (i < WARM_UP) continue;
        e2e.push(at - t0);
        const m = mqttAt.get(uid);
        if (m !== undefined) viaMqtt.push(m - t0);
      }
      if (bad) throw new Error(`a greeting without the member's summary: ${JSON.stringify(bad)}`);
      const endToEnd = summarize(e2e);
      const rss = await rssMB(edge.pid);
      const pcsc = process.argv.includes('--no-pcsc')
        ? { measured: false, why: '--no-pcsc' }
        : await pcscPolling(opts.quick ? 5 : 20);
      const report = {
        bench: 'tap-to-greeting',
        at: new Date().toISOString(),
        machine: machine(),
        quick: opts.quick,
        method:
          'UID line (CR) written to a socat pty; the daemon reads it with its serial card reader driver; ' +
          'an activity session is open, so each tap writes a credit and a swipe record (fsynced) before ' +
          'the greeting (month points, rank in the branch, balance, flag, goods) reaches the kiosk SSE client. ' +
          'viaMqtt: when card.tapped reached an admin MQTT watcher. pcsc: vpcd virtual card inserted until ' +
          'the PC/SC driver reported it, on its own (pcscd polls the reader).',
        fill,
        daemon: { readyMs: Math.round(edge.readyMs), rssMB: rss },
        taps,
        endToEnd,
        viaMqtt: summarize(viaMqtt),
        pcsc,
        goals: {
          p99Ms: { target: `≤ ${GOAL_P99_MS}`, value: endToEnd.p99Ms, pass: endToEnd.p99Ms <= GOAL_P99_MS },
        },
      };
      await writeResult(opts.outDir, 'tap-to-greeting', report);
      return report;
    } finally {
      await sim.close().catch(() => undefined);
      screen?.close();
      staff?.close();
      await watcher?.endAsync();
      await edge.stop();
      await sleep(50);
      await pty.kill();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await cli(run);
