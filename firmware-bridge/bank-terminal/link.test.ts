/**
 * The ECR link layer over a real socat pty pair: an EcrLink on one end, and on the other a scripted
 * peer that reads frames and answers (or not) byte by byte — or a second EcrLink for full duplex.
 * Timings scaled down: an ACK timeout of 300 ms stands for 2 s.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SerialPort } from 'serialport';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import { closePort, openPort, writeAndDrain } from '../serial/port-io.js';
import { ACK, EcrFrameParser, type EcrItem, encodeEcrFrame, NAK } from './codec.js';
import { EcrError } from './ecr-error.js';
import { EcrLink, type EcrLinkTimings } from './link.js';

const LINE = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
const TIMINGS: EcrLinkTimings = { ackTimeoutMs: 300, maxSends: 3, duplicateWindowMs: 900 };
const frameOf = (text: string) => encodeEcrFrame(Buffer.from(text));

/** The far end, scripted: every item it reads, with the time it arrived. */
class Peer {
  readonly items: { item: EcrItem; at: number }[] = [];
  readonly #parser = new EcrFrameParser();
  constructor(readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      for (const item of this.#parser.feed(chunk)) this.items.push({ item, at: performance.now() });
    });
  }
  frames(): string[] {
    return this.items.flatMap(({ item }) => (item.kind === 'frame' ? [item.data.toString()] : []));
  }
  answers(): string[] {
    return this.items.flatMap(({ item }) => (item.kind === 'ack' || item.kind === 'nak' ? [item.kind] : []));
  }
  async write(bytes: Uint8Array): Promise<void> {
    await writeAndDrain(this.port, bytes);
  }
  /** Waits until `count` items arrived; rejects after `ms`. */
  async waitItems(count: number, ms = 3000): Promise<void> {
    for (const deadline = performance.now() + ms; this.items.length < count; await sleep(5)) {
      if (performance.now() > deadline) throw new Error(`peer got ${this.items.length} of ${count} items`);
    }
  }
  clear(): void {
    this.items.length = 0;
  }
}

async function errorOf(promise: Promise<unknown>): Promise<EcrError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!(error instanceof EcrError)) throw error;
  return error;
}

const skip = await skipWithoutSocat();

t.test('ECR link over a socat pty pair', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-ecr-link-'));
  const pair = await ptyPair(dir);
  const portA = await openPort({ path: pair.a, ...LINE });
  const portB = await openPort({ path: pair.b, ...LINE });
  const peer = new Peer(portB);
  const link = new EcrLink({ write: async (bytes) => await writeAndDrain(portA, bytes), timings: TIMINGS });
  portA.on('data', (chunk: Buffer) => link.receive(chunk));
  const received: string[] = [];
  const states: boolean[] = [];
  const faults: string[] = [];
  link.on('data', (data) => received.push(data.toString()));
  link.on('state', (up) => states.push(up));
  link.on('malformed', (m) => faults.push(m.reason));
  t.teardown(async () => {
    link.reset();
    await closePort(portA);
    await closePort(portB);
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });

  t.test('a frame acknowledged at once: one send', async (t) => {
    peer.clear();
    const sent = link.send(Buffer.from('T'));
    await peer.waitItems(1);
    t.same(peer.frames(), ['T'], 'the exact frame');
    await peer.write(Uint8Array.of(ACK));
    await sent;
    t.match(link.counters, { framesSent: 1, resends: 0 });
  });

  t.test('no ACK: 3 sends one ACK timeout apart, then no-ack and the link down', async (t) => {
    peer.clear();
    const started = performance.now();
    const error = await errorOf(link.send(Buffer.from('Q|0A1B2C3D4E5F')));
    const elapsed = performance.now() - started;
    t.equal(error.code, 'no-ack');
    t.equal(error.reachedTerminal, 'maybe', 'the terminal may have taken it');
    t.same(peer.frames(), Array(3).fill('Q|0A1B2C3D4E5F'), 'sent 3 times, never more');
    // Gaps seen by the peer carry the pty's delivery jitter; the sender's total is the firm bound:
    // it waits a whole ACK timeout after each of its 3 sends.
    const gaps = peer.items.slice(1).map((x, i) => x.at - (peer.items[i]?.at ?? 0));
    t.ok(
      gaps.every((g) => g >= 200),
      `resent about one ACK timeout apart: ${gaps.map((g) => g.toFixed(0))} ms`,
    );
    t.ok(elapsed >= 900 && elapsed < 3000, `gave up after 3 × 300 ms (${elapsed.toFixed(0)} ms)`);
    t.same(states, [false], 'reported down');
    t.equal(link.up, false);
    t.match(link.counters, { ackTimeouts: 3, failedFrames: 1 });
  });

  t.test('a good frame from the peer brings it up again and is acknowledged', async (t) => {
    peer.clear();
    await peer.write(frameOf('P|0A1B2C3D4E5F|请刷卡或插卡'));
    await peer.waitItems(1);
    t.same(peer.answers(), ['ack']);
    t.same(received.at(-1), 'P|0A1B2C3D4E5F|请刷卡或插卡');
    t.same(states, [false, true]);
  });

  t.test('NAK: resent at once, not after the timeout', async (t) => {
    peer.clear();
    const sent = link.send(Buffer.from('V|0A1B2C3D4E5F'));
    await peer.waitItems(1);
    await peer.write(Uint8Array.of(NAK));
    await peer.waitItems(2);
    await peer.write(Uint8Array.of(ACK));
    await sent;
    const gap = (peer.items[1]?.at ?? 0) - (peer.items[0]?.at ?? 0);
    t.ok(gap < 200, `resent ${gap.toFixed(1)} ms after the first send, not after 300`);
    t.same(peer.frames(), ['V|0A1B2C3D4E5F', 'V|0A1B2C3D4E5F']);
    t.match(link.counters, { naksReceived: 1 });
  });

  t.test('bad frames in: NAK for LRC, ETX and BCD faults, nothing for a cut frame or noise', async (t) => {
    peer.clear();
    faults.length = 0;
    const good = frameOf('TR|000001|3|37020');
    const badLrc = encodeEcrFrame(Buffer.from('TR|000001|3|37020'), { badLrc: true });
    const noEtx = Buffer.from(good);
    noEtx[noEtx.length - 2] = 0x04;
    const badBcd = Buffer.from(good);
    badBcd[2] = 0x1a;
    // Noise, a frame cut short by the next one, the good frame: only the good one is answered.
    await peer.write(Buffer.concat([Buffer.from('noise'), good.subarray(0, 8), good]));
    for (const bytes of [badLrc, noEtx, badBcd]) {
      await sleep(30);
      await peer.write(bytes);
    }
    await peer.waitItems(4);
    await sleep(50);
    t.same(peer.answers(), ['ack', 'nak', 'nak', 'nak'], 'the ACK of the good frame, then a NAK each');
    t.same(faults, ['noise', 'cut', 'lrc', 'etx', 'bcd']);
    t.equal(received.at(-1), 'TR|000001|3|37020');
  });

  t.test('a resend (its ACK was lost) is acknowledged again but delivered once', async (t) => {
    peer.clear();
    received.length = 0;
    const r = frameOf('R|0A1B2C3D4E5F|00|100|||||20260301160000|ok');
    await peer.write(r);
    await sleep(40);
    await peer.write(r); // the peer did not get our ACK and sends the same frame again
    await peer.waitItems(2);
    t.same(peer.answers(), ['ack', 'ack'], 'both acknowledged');
    t.equal(received.length, 1, 'delivered once');
    t.match(link.counters, { duplicates: 1 });

    await peer.write(frameOf('P|0A1B2C3D4E5F|x'));
    await peer.write(r); // another frame came between: a new message, not a resend
    await sleep(TIMINGS.duplicateWindowMs + 50);
    await peer.write(frameOf('P|0A1B2C3D4E5F|x')); // outside the window: a new message too
    await peer.waitItems(5);
    t.equal(received.length, 4, 'a repeat after another frame or after the window is delivered');
  });

  t.test(
    'the same message on purpose: held until the window has passed, so it is not taken for a resend',
    async (t) => {
      peer.clear();
      const acker = () => {
        if (peer.items.at(-1)?.item.kind === 'frame') void peer.write(Uint8Array.of(ACK));
      };
      portB.on('data', acker);
      await link.send(Buffer.from('T'));
      const acked = performance.now();
      await link.send(Buffer.from('T'));
      portB.off('data', acker);
      const gap = (peer.items[1]?.at ?? 0) - acked;
      t.same(peer.frames(), ['T', 'T']);
      t.ok(
        gap > TIMINGS.duplicateWindowMs,
        `the second T went ${gap.toFixed(0)} ms after the first was acknowledged`,
      );
    },
  );

  t.test('stray answers are counted, not taken for the next frame', async (t) => {
    peer.clear();
    const before = link.counters.strays;
    await peer.write(Uint8Array.of(ACK, NAK));
    await sleep(50);
    t.equal(link.counters.strays, before + 2);
  });

  t.test('reset: the frame in flight fails link-lost, the queued one offline', async (t) => {
    peer.clear();
    const first = errorOf(link.send(Buffer.from('Q|000000000001')));
    const second = errorOf(link.send(Buffer.from('Q|000000000002')));
    await peer.waitItems(1);
    link.reset();
    t.equal((await first).code, 'link-lost');
    const queued = await second;
    t.equal(queued.code, 'offline');
    t.equal(queued.reachedTerminal, 'no');
  });
});

t.test(
  'two links, full duplex: both send at once, every frame delivered once, in order',
  { skip },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'linli-ecr-link-'));
    const pair = await ptyPair(dir);
    const portA = await openPort({ path: pair.a, ...LINE });
    const portB = await openPort({ path: pair.b, ...LINE });
    const a = new EcrLink({ write: async (bytes) => await writeAndDrain(portA, bytes), timings: TIMINGS });
    const b = new EcrLink({ write: async (bytes) => await writeAndDrain(portB, bytes), timings: TIMINGS });
    portA.on('data', (chunk: Buffer) => a.receive(chunk));
    portB.on('data', (chunk: Buffer) => b.receive(chunk));
    t.teardown(async () => {
      await closePort(portA);
      await closePort(portB);
      await pair.kill();
      await rm(dir, { recursive: true, force: true });
    });
    const atA: string[] = [];
    const atB: string[] = [];
    a.on('data', (d) => atA.push(d.toString()));
    b.on('data', (d) => atB.push(d.toString()));
    const fromA = Array.from({ length: 50 }, (_, i) => `Q|${String(i).padStart(12, '0')}`);
    const fromB = Array.from({ length: 50 }, (_, i) => `P|${String(i).padStart(12, '0')}|第${i}步`);
    await Promise.all([
      ...fromA.map((m) => a.send(Buffer.from(m))),
      ...fromB.map((m) => b.send(Buffer.from(m))),
    ]);
    t.same(atB, fromA);
    t.same(atA, fromB);
    await Promise.all([a.send(Buffer.from('T')), a.send(Buffer.from('T'))]);
    t.same(atB.slice(-2), ['T', 'T'], 'a message sent twice on purpose arrives twice');
    t.match(a.counters, { framesSent: 52, resends: 0, framesReceived: 50, malformed: 0 });
    t.match(b.counters, { framesSent: 50, resends: 0, framesReceived: 52, duplicates: 0, malformed: 0 });
  },
);
