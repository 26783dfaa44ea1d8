/**
 * A wired help-button panel simulator: opens a serial port (the far end of a pty pair, or a real
 * port wired to the edge), sends `$HB` heartbeats and `$AL` alarms byte for byte as a panel does,
 * repeats each alarm until the edge's `$AK` for its seq arrives, and reads those acks. For fault
 * injection it writes raw bytes (optionally in chunks), sends bad checksums and ignores acks.
 */

import { performance } from 'node:perf_hooks';
import type { SerialPort } from 'serialport';
import {
  closePort,
  openPort,
  type SerialBinding,
  type SerialSettings,
  writeAndDrain,
} from '../serial/port-io.js';
import { describePortError } from '../serial/serial-link.js';
import { type ChunkOptions, splitBytes } from '../serial/serial-peer.js';
import {
  type EdgeFrame,
  encodeAlarm,
  encodeHeartbeat,
  nextPanelSeq,
  PANEL_MAX_SEQ,
  type PanelKey,
  PanelLineDecoder,
} from './codec.js';
import { PANEL_HEARTBEAT_S } from './driver.js';

export type { ChunkOptions } from '../serial/serial-peer.js';

/** Faults the simulator can inject; change them at any time through {@link HelpPanelSimulator.faults}. */
export interface PanelFaults {
  /** Send every frame with a checksum that does not match its body. */
  badChecksum: boolean;
  /** Ignore this many of the next `$AK` frames (`Infinity`: all of them). */
  dropAcks: number;
}

/** Options of {@link HelpPanelSimulator}. */
export interface HelpPanelSimulatorOptions extends SerialSettings {
  /** The id sent in `$HB`. */
  panelId: string;
  /** Heartbeat interval in ms: one at `open()`, then every `hbMs`; 30 000 when absent, 0 for none. */
  hbMs?: number;
  /** Pause between sends of an unacknowledged alarm, in ms; 2000 when absent. */
  repeatMs?: number;
  /** The first seq to send (0 when absent): set it near 65535 to see the counter wrap. */
  seq?: number;
  /** Faults to start with. */
  faults?: Partial<PanelFaults>;
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
}

/** How an alarm ended: acknowledged after `sends` sends, `ackMs` after the first. */
export interface PanelPressResult {
  seq: number;
  sends: number;
  ackMs: number;
}

/** Options of one {@link HelpPanelSimulator.press}. */
export interface PanelPressOptions {
  /** Stop re-sending (and reject) when it aborts. */
  signal?: AbortSignal;
  /** Give up (and reject with {@link PanelNoAckError}) one repeat interval after this many sends. */
  maxSends?: number;
}

/** An alarm that ended without its `$AK`. */
export class PanelNoAckError extends Error {
  override name = 'PanelNoAckError';
  constructor(
    readonly seq: number,
    readonly sends: number,
    why: string,
  ) {
    super(`alarm seq ${seq} not acknowledged after ${sends} send${sends === 1 ? '' : 's'}: ${why}`);
  }
}

interface Pending {
  ackedAt: number | undefined;
  wake: (() => void) | undefined;
}

/**
 * A help-button panel on a serial port. `open()` rejects with a plain reason when the port cannot be
 * opened; writes reject once the port is gone. The constructor has no side effects. One seq counter
 * serves heartbeats and alarms alike (a new alarm takes the next value, its repeats keep it).
 */
export class HelpPanelSimulator {
  /** Current faults; mutable. */
  readonly faults: PanelFaults;
  readonly #options: HelpPanelSimulatorOptions;
  readonly #pending = new Map<number, Pending>();
  #port: SerialPort | undefined;
  #timer: NodeJS.Timeout | undefined;
  #seq: number;
  #closed = false;
  #acks = 0;
  #malformed = 0;

  constructor(options: HelpPanelSimulatorOptions) {
    this.#options = { ...options };
    this.#seq = options.seq ?? 0;
    if (!Number.isInteger(this.#seq) || this.#seq < 0 || this.#seq > PANEL_MAX_SEQ) {
      throw new RangeError(`seq must be an integer 0–${PANEL_MAX_SEQ}, got ${this.#seq}`);
    }
    this.faults = { badChecksum: false, dropAcks: 0, ...options.faults };
  }

  /** True while the port is open. */
  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  /** The seq the next heartbeat or alarm will carry. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** `$AK` frames taken (dropped ones excluded) and lines from the edge dropped as malformed. */
  get counters(): { acks: number; malformed: number } {
    return { acks: this.#acks, malformed: this.#malformed };
  }

  /** Opens the port and starts the heartbeats (the first one at once). */
  async open(): Promise<void> {
    if (this.#port !== undefined) return;
    const { path } = this.#options;
    let port: SerialPort;
    try {
      port = await openPort(this.#options, this.#options.binding);
    } catch (error) {
      throw new Error(`cannot open ${path}: ${describePortError(error, path)}`);
    }
    this.#closed = false;
    const decoder = new PanelLineDecoder({ source: 'edge' });
    decoder.on('data', (frame: EdgeFrame) => this.#onAck(frame.seq));
    decoder.on('malformed', () => this.#malformed++);
    port.on('data', (chunk: Buffer) => decoder.write(chunk));
    port.on('close', () => {
      decoder.end();
      if (this.#port === port) this.#port = undefined;
    });
    this.#port = port;
    const hbMs = this.#options.hbMs ?? PANEL_HEARTBEAT_S * 1000;
    if (hbMs > 0) {
      this.#beat();
      this.#timer = setInterval(() => this.#beat(), hbMs);
    }
  }

  /** Sends one `$HB` now and resolves with its seq. */
  async heartbeat(): Promise<number> {
    const seq = this.#takeSeq();
    await this.writeRaw(encodeHeartbeat(this.#options.panelId, seq, this.#frameOptions()));
    return seq;
  }

  /**
   * Presses a key of button `buttonId`: sends `$AL` with the next seq and re-sends it every
   * `repeatMs` until an `$AK` with that seq arrives. Resolves with the seq, the number of sends and
   * the time from the first send to the ack. Rejects with {@link PanelNoAckError} on `maxSends`, an
   * aborted `signal` or `close()`; with the port's error when a send fails; with a `RangeError` for
   * a bad button id.
   */
  async press(buttonId: string, key: PanelKey, options: PanelPressOptions = {}): Promise<PanelPressResult> {
    encodeAlarm(buttonId, 0, key); // a bad id throws here, before a seq is taken
    const { signal, maxSends = Number.POSITIVE_INFINITY } = options;
    const repeatMs = this.#options.repeatMs ?? 2000;
    const seq = this.#takeSeq();
    const pending: Pending = { ackedAt: undefined, wake: undefined };
    this.#pending.set(seq, pending);
    const started = performance.now();
    let sends = 0;
    try {
      for (;;) {
        if (pending.ackedAt !== undefined) return { seq, sends, ackMs: pending.ackedAt - started };
        if (this.#closed) throw new PanelNoAckError(seq, sends, 'simulator closed');
        if (signal?.aborted) throw new PanelNoAckError(seq, sends, 'aborted');
        if (sends >= maxSends) throw new PanelNoAckError(seq, sends, 'no more sends allowed');
        await this.writeRaw(encodeAlarm(buttonId, seq, key, this.#frameOptions()));
        sends++;
        if (pending.ackedAt === undefined) await this.#wait(pending, repeatMs, signal);
      }
    } finally {
      this.#pending.delete(seq);
    }
  }

  /** Writes bytes exactly as given (a latin1 string maps each char to one byte), optionally in chunks. */
  async writeRaw(bytes: Uint8Array | string, options: ChunkOptions = {}): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    const pieces = options.chunks === undefined ? [Buffer.from(data)] : splitBytes(data, options.chunks);
    const gapMs = options.gapMs ?? 20;
    for (const [index, piece] of pieces.entries()) {
      if (index > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      const port = this.#port;
      if (port === undefined || !port.isOpen) throw new Error(`${this.#options.path} is not open`);
      await writeAndDrain(port, piece);
    }
  }

  /** Stops the heartbeats, ends pending alarms (they reject) and closes the port. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const pending of this.#pending.values()) pending.wake?.();
    const port = this.#port;
    this.#port = undefined;
    if (port !== undefined) await closePort(port);
  }

  #beat(): void {
    // A heartbeat lost while the port is down is lost on a real panel too; the next one follows.
    this.heartbeat().catch(() => {});
  }

  #takeSeq(): number {
    const seq = this.#seq;
    this.#seq = nextPanelSeq(seq);
    return seq;
  }

  #frameOptions(): { badChecksum: boolean } {
    return { badChecksum: this.faults.badChecksum };
  }

  #onAck(seq: number): void {
    if (this.faults.dropAcks > 0) {
      this.faults.dropAcks--;
      return;
    }
    this.#acks++;
    const pending = this.#pending.get(seq);
    if (pending === undefined || pending.ackedAt !== undefined) return; // a late ack of a repeat
    pending.ackedAt = performance.now();
    pending.wake?.();
  }

  /** Waits `ms`, or less if an ack, the signal or `close()` wakes it. */
  async #wait(pending: Pending, ms: number, signal: AbortSignal | undefined): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        pending.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      pending.wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
