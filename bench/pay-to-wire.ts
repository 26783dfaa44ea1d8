/**
 * Pay to wire, result to screen: what the edge adds to a bank-card payment (issue 6). The daemon
 * runs as a real process with a bank terminal on one end of a socat pty pair and the terminal
 * simulator, answering at once (no card, PIN or host delay), on the other. A paired kiosk starts
 * each payment (`POST /api/payments`) and listens on its own event stream.
 *
 * - pay → wire: from the moment the kiosk sends its request until the simulator has read the whole
 *   `S` frame (the edge writes `payment.created` to disk first, then sends the sale);
 * - result → screen: from the moment the simulator writes the `R` frame until the kiosk's SSE
 *   client has the `payment` event with state `approved` (written to disk first).
 *
 * Beside them, in the same run: the floor, the same frames written by a bare serialport on a
 * fresh pty pair and read by another, and the time those frames would take on a real 9600-baud
 * line (10 bits a byte with 8N1), which a pty does not simulate. Payments go one at a time.
 * Writes `<outDir>/pay-to-wire.json`.
 *
 *   node --import tsx bench/pay-to-wire.ts [--quick]
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeEcrFrame } from '../firmware-bridge/bank-terminal/codec.js';
import { encodeEcrMessage } from '../firmware-bridge/bank-terminal/message-codec.js';
import { BankTerminalSimulator } from '../firmware-bridge/bank-terminal/simulator.js';
import { closePort, openPort, type SerialSettings } from '../firmware-bridge/serial/port-io.js';
import { hasSocat, ptyPair } from '../firmware-bridge/sim/pty-pair.js';
import {
  api,
  cli,
  isMain,
  login,
  machine,
  requireBuiltDaemon,
  SseClient,
  type SseMessage,
  startEdge,
  summarize,
  tempDir,
  writeResult,
} from './lib.js';

const GOAL_P99_MS = 20;
const WARM_UP = 10;
const STEP_TIMEOUT_MS = 10_000;
const TERMINAL = 'bench-pos-1';
const KIOSK = 'bench-kiosk-1';
const BAUD = 9600;
const AMOUNT_FEN = 12_345;

const settings = (path: string): SerialSettings => ({
  path,
  baudRate: BAUD,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
});

/** Milliseconds `bytes` take on a real line at `BAUD`, 8N1: a start bit, 8 data bits, a stop bit. */
const wireMs = (bytes: number) => (bytes * 10 * 1000) / BAUD;

/** A promise with its resolver and a deadline, for one awaited arrival. */
function deadline<T>(what: string): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: not seen in ${STEP_TIMEOUT_MS} ms`)),
      STEP_TIMEOUT_MS,
    );
    resolve = (v) => {
      clearTimeout(timer);
      res(v);
    };
  });
  return { promise, resolve };
}

/** Typical frames of one sale, for the floor and the 9600-baud figures. */
function typicalFrames(): { sale: Buffer; result: Buffer } {
  const ref = 'A1B2C3D4E5F6';
  const sale = encodeEcrFrame(encodeEcrMessage({ type: 'S', ref, amountFen: AMOUNT_FEN, memo: '水电费' }));
  const result = encodeEcrFrame(
    encodeEcrMessage({
      type: 'R',
      ref,
      code: '00',
      amountFen: AMOUNT_FEN,
      maskedPan: '622202******1234',
      authCode: '123456',
      traceNo: '000123',
      batchNo: '000001',
      time: '20261202103000',
      text: '交易成功',
    }),
  );
  return { sale, result };
}

/** The floor: a frame written by one bare serialport on a pty pair, read whole by another. */
async function floor(dir: string, frame: Buffer, total: number): Promise<number[]> {
  const pty = await ptyPair(dir);
  const reader = await openPort(settings(pty.a));
  const writer = await openPort(settings(pty.b));
  let got = 0;
  let waiting: ((at: number) => void) | undefined;
  reader.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got >= frame.length && waiting) {
      got = 0;
      const w = waiting;
      waiting = undefined;
      w(performance.now());
    }
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARM_UP + total; i++) {
      const seen = deadline<number>('floor frame');
      waiting = seen.resolve;
      const t0 = performance.now();
      writer.write(frame);
      const at = await seen.promise;
      if (i >= WARM_UP) samples.push(at - t0);
    }
  } finally {
    await closePort(writer);
    await closePort(reader);
    await pty.kill();
  }
  return samples;
}

interface EdgeSamples {
  payToWire: number[];
  payAnswer: number[];
  resultToScreen: number[];
  saleFrameBytes: number;
  resultFrameBytes: number;
}

async function throughDaemon(dir: string, total: number): Promise<EdgeSamples> {
  const pty = await ptyPair(join(dir, 'pty'));
  const edge = await startEdge(join(dir, 'data'), {
    LINLI_SERIAL_BACKOFF_MS: '50',
    LINLI_SERIAL_BACKOFF_MAX_MS: '200',
  });
  const sim = new BankTerminalSimulator({
    ...settings(pty.b),
    balanceFen: 1_000_000_000,
    delays: { cardMs: 0, pinMs: 0, hostMs: 0 },
  });
  let staff: SseClient | undefined;
  let kiosk: SseClient | undefined;
  let onSale: ((at: number) => void) | undefined;
  const resultAt = new Map<string, number>();
  let onApproved: ((ref: string, at: number) => void) | undefined;
  const out: EdgeSamples = {
    payToWire: [],
    payAnswer: [],
    resultToScreen: [],
    saleFrameBytes: 0,
    resultFrameBytes: 0,
  };
  sim.on('message', (m) => {
    if (m.type === 'S') onSale?.(performance.now());
  });
  sim.on('result', (r) => resultAt.set(r.ref, performance.now()));
  try {
    const token = await login(edge.httpUrl);
    let online: (() => void) | undefined;
    const isOnline = new Promise<void>((resolve) => {
      online = resolve;
    });
    staff = await SseClient.connect(
      `${edge.httpUrl}/api/events`,
      { authorization: `Bearer ${token}` },
      (e: SseMessage) => {
        const d = e.data as { deviceId?: string; online?: boolean };
        if (e.event === 'device.status' && d.deviceId === TERMINAL && d.online === true) online?.();
      },
    );
    await sim.open();
    const term = await api(edge.httpUrl, token, 'POST', '/api/devices', {
      id: TERMINAL,
      type: 'bank-terminal',
      transport: 'serial',
      path: pty.a,
      baudRate: BAUD,
    });
    if (term.status !== 201)
      throw new Error(`registering the terminal: ${term.status} ${JSON.stringify(term.body)}`);
    const reg = await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
      id: KIOSK,
      type: 'kiosk',
      transport: 'http',
    });
    if (reg.status !== 201)
      throw new Error(`registering the kiosk: ${reg.status} ${JSON.stringify(reg.body)}`);
    const cookie = `linli_kiosk=${reg.body.token}`;
    kiosk = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, { cookie }, (e: SseMessage) => {
      const d = e.data as { ref?: string; state?: string };
      if (e.event === 'payment' && d.state === 'approved' && d.ref) onApproved?.(d.ref, e.at);
    });
    await Promise.race([
      isOnline,
      new Promise((_, reject) => setTimeout(() => reject(new Error('terminal never came online')), 10_000)),
    ]);

    for (let i = 0; i < WARM_UP + total; i++) {
      const wire = deadline<number>('sale frame');
      onSale = wire.resolve;
      const approved = deadline<{ ref: string; at: number }>('approved on the kiosk');
      onApproved = (ref, at) => approved.resolve({ ref, at });
      const t0 = performance.now();
      const res = await fetch(`${edge.httpUrl}/api/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ amountFen: AMOUNT_FEN, item: 'utility-bill', deviceId: TERMINAL }),
      });
      const tAnswer = performance.now();
      const body = (await res.json()) as { id?: string; ref?: string; state?: string };
      if (res.status !== 201 || !body.ref) throw new Error(`pay: ${res.status} ${JSON.stringify(body)}`);
      const atWire = await wire.promise;
      const seen = await approved.promise;
      if (seen.ref !== body.ref) throw new Error(`approved ${seen.ref} while waiting for ${body.ref}`);
      const rAt = resultAt.get(body.ref);
      if (rAt === undefined) throw new Error(`no result stamped for ${body.ref}`);
      if (i < WARM_UP) continue;
      out.payToWire.push(atWire - t0);
      out.payAnswer.push(tAnswer - t0);
      out.resultToScreen.push(seen.at - rAt);
    }
    const frames = typicalFrames();
    out.saleFrameBytes = frames.sale.length;
    out.resultFrameBytes = frames.result.length;
    return out;
  } finally {
    await sim.close().catch(() => undefined);
    staff?.close();
    kiosk?.close();
    const code = await edge.stop();
    if (code !== 0) process.stderr.write(`pay-to-wire: daemon exited ${code}\n`);
    await pty.kill();
  }
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  requireBuiltDaemon();
  if (!(await hasSocat()))
    throw new Error('pay-to-wire needs socat: apt-get install -y --no-install-recommends socat');
  const payments = opts.quick ? 50 : 500;
  const dir = await tempDir('linli-bench-pay-');
  const frames = typicalFrames();
  let floorSale: ReturnType<typeof summarize>;
  let floorResult: ReturnType<typeof summarize>;
  let edge: EdgeSamples;
  try {
    floorSale = summarize(await floor(join(dir, 'floor-s'), frames.sale, payments));
    floorResult = summarize(await floor(join(dir, 'floor-r'), frames.result, payments));
    edge = await throughDaemon(dir, payments);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const payToWire = summarize(edge.payToWire);
  const resultToScreen = summarize(edge.resultToScreen);
  const report = {
    bench: 'pay-to-wire',
    at: new Date().toISOString(),
    quick: opts.quick,
    machine: machine(),
    note:
      'ms, daemon as a real process, terminal simulator on a socat pty answering at once. pay→wire: ' +
      'kiosk POST /api/payments until the simulator read the whole S frame (payment.created fsynced ' +
      'first). result→screen: simulator writes R until the kiosk SSE client has payment approved ' +
      '(fsynced first). Floor: the same frame between two bare serialports on a pty pair. wire9600: ' +
      'the frame on a real 9600 8N1 line, which a pty does not simulate.',
    payments,
    payToWire,
    payAnswer: summarize(edge.payAnswer),
    resultToScreen,
    floor: { saleFrame: floorSale, resultFrame: floorResult },
    wire9600Ms: {
      saleFrame: { bytes: frames.sale.length, ms: wireMs(frames.sale.length) },
      resultFrame: { bytes: frames.result.length, ms: wireMs(frames.result.length) },
      ack: { bytes: 1, ms: wireMs(1) },
    },
    goals: {
      payToWireP99: {
        target: `≤ ${GOAL_P99_MS} ms`,
        value: payToWire.p99Ms,
        pass: payToWire.p99Ms <= GOAL_P99_MS,
      },
      resultToScreenP99: {
        target: `≤ ${GOAL_P99_MS} ms`,
        value: resultToScreen.p99Ms,
        pass: resultToScreen.p99Ms <= GOAL_P99_MS,
      },
    },
  };
  await writeResult(opts.outDir, 'pay-to-wire', report);
  return report;
}

if (isMain(import.meta.url)) await cli(run);
