/**
 * The ECR link layer, the same on both ends (the edge's driver and the terminal simulator): frames
 * out one at a time, each resent on NAK or when no ACK comes within the ACK timeout, at most
 * `maxSends` sends, then the link is reported down; frames in, each answered by ACK (a good frame)
 * or NAK (a bad LRC, ETX or LEN), and delivered once.
 *
 * Duplicates: a sender whose ACK was lost resends the same frame. Frames carry no sequence number,
 * so a good frame with the same DATA as the previous good frame, arriving within
 * `duplicateWindowMs` of it, is a resend: it is acknowledged again (the sender is waiting for
 * that ACK) and not delivered a second time. For that rule to be safe, a sender never sends a
 * frame with the same DATA as its previous frame until `duplicateWindowMs` after that one was
 * acknowledged (or given up): a message repeated on purpose (a second query, a second settlement)
 * waits that long and is then delivered. Both ends must use the same window.
 *
 * It does no I/O of its own: bytes go out through the injected `write`, bytes read are handed to
 * {@link EcrLink.receive}. It never logs and never holds more than one frame of input.
 */

import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { ACK, type EcrFrameFault, EcrFrameParser, encodeEcrFrame, NAK, NAK_FAULTS } from './codec.js';
import { EcrError } from './ecr-error.js';

/** Timings of the link (DESIGN.md: ACK within 2 s, at most 3 sends). */
export interface EcrLinkTimings {
  /** How long to wait for ACK or NAK after a frame was written. */
  ackTimeoutMs: number;
  /** Sends of one frame, the first included, before the link is reported down. */
  maxSends: number;
  /** A repeat of the previous frame's DATA within this is a resend, not a new message. */
  duplicateWindowMs: number;
}

/** DESIGN.md's timings; the duplicate window covers every resend of a frame with one ACK timeout to spare. */
export const DEFAULT_ECR_LINK_TIMINGS: EcrLinkTimings = {
  ackTimeoutMs: 2000,
  maxSends: 3,
  duplicateWindowMs: 6000,
};

/** What to do with a good incoming frame: the simulator's fault injection; `ack` by default. */
export type EcrIncomingPolicy = 'ack' | 'ignore' | 'no-ack';

/**
 * Fault injection, for the simulator (the driver uses none): `outgoing` sees each frame about to
 * be written (every resend too) and returns the bytes to write instead, or null to write nothing
 * (a frame lost on the wire); `incoming` decides per good frame: `ignore` (never seen: no ACK,
 * not delivered) or `no-ack` (delivered, its ACK lost).
 */
export interface EcrLinkHooks {
  outgoing?(frame: Buffer): Buffer | null;
  incoming?(data: Buffer): EcrIncomingPolicy;
}

export interface EcrLinkOptions {
  /** Writes bytes to the port; rejects when the port is gone. */
  write: (bytes: Uint8Array) => Promise<void>;
  timings?: Partial<EcrLinkTimings>;
  hooks?: EcrLinkHooks;
  /** Monotonic clock in ms, for the duplicate window. */
  monotonic?: () => number;
}

/** What a link counted since it was made. */
export interface EcrLinkCounters {
  /** Frames sent for the first time, and sent again. */
  framesSent: number;
  resends: number;
  /** NAKs received, and sends that met no ACK or NAK in time. */
  naksReceived: number;
  ackTimeouts: number;
  /** Frames that were never acknowledged after the last send. */
  failedFrames: number;
  /** New frames delivered; resends acknowledged and dropped; NAKs sent. */
  framesReceived: number;
  duplicates: number;
  naksSent: number;
  /** ACK or NAK bytes that arrived while nothing waited for one. */
  strays: number;
  /** Dropped input (every fault, noise included). */
  malformed: number;
}

export interface EcrLinkEvents {
  /** The DATA of a new good frame. */
  data: [data: Buffer];
  /** Bytes dropped, with the reason. */
  malformed: [fault: { reason: EcrFrameFault }];
  /** Down after a frame went unacknowledged; up again at the next ACK or good frame. */
  state: [up: boolean];
}

interface Job {
  frame: Buffer;
  written: boolean;
  /** From the start of a send's write until its answer: an ACK or NAK now is this send's. */
  listening: boolean;
  answer: 'ack' | 'nak' | 'reset' | undefined;
  wake: (() => void) | undefined;
  resolve: () => void;
  reject: (error: EcrError) => void;
}

export class EcrLink extends EventEmitter<EcrLinkEvents> {
  readonly #write: (bytes: Uint8Array) => Promise<void>;
  readonly #timings: EcrLinkTimings;
  readonly #hooks: EcrLinkHooks;
  readonly #monotonic: () => number;
  readonly #parser = new EcrFrameParser();
  readonly #queue: Job[] = [];
  #current: Job | undefined;
  #pumping = false;
  #generation = 0;
  #up = true;
  /** The last new frame received, and when: the duplicate rule. */
  #last: { data: Buffer; at: number } | undefined;
  /** The last frame sent, and when it was acknowledged or given up: the sender's side of the rule. */
  #lastSent: { frame: Buffer; at: number } | undefined;
  readonly #counters: EcrLinkCounters = {
    ...{ framesSent: 0, resends: 0, naksReceived: 0, ackTimeouts: 0, failedFrames: 0 },
    ...{ framesReceived: 0, duplicates: 0, naksSent: 0, strays: 0, malformed: 0 },
  };

  constructor(options: EcrLinkOptions) {
    super();
    this.#write = options.write;
    this.#timings = { ...DEFAULT_ECR_LINK_TIMINGS, ...options.timings };
    this.#hooks = options.hooks ?? {};
    this.#monotonic = options.monotonic ?? (() => performance.now());
  }

  /** False after a frame went unacknowledged, until the next ACK or good frame. */
  get up(): boolean {
    return this.#up;
  }

  get counters(): EcrLinkCounters {
    return { ...this.#counters };
  }

  get timings(): EcrLinkTimings {
    return { ...this.#timings };
  }

  /**
   * Sends `data` as one frame, after the frames queued before it, and resolves at its ACK. Rejects
   * with an {@link EcrError}: `no-ack` after the last unanswered send, `link-lost` when the link is
   * reset or a write fails after the frame was written once, `offline` when it never was.
   */
  async send(data: Uint8Array): Promise<void> {
    const frame = encodeEcrFrame(data);
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({
        frame,
        written: false,
        listening: false,
        answer: undefined,
        wake: undefined,
        resolve,
        reject,
      });
      void this.#pump(); // every job settles its own promise; #pump never rejects
    });
  }

  /** Takes bytes read from the port. */
  receive(chunk: Uint8Array): void {
    for (const item of this.#parser.feed(chunk)) {
      if (item.kind === 'frame') this.#onFrame(item.data);
      else if (item.kind === 'malformed') this.#onMalformed(item.reason);
      else this.#onAnswer(item.kind);
    }
  }

  /**
   * A new connection, or none: forgets a partial frame and the last frame received, fails the frame
   * in flight (`link-lost`) and the queued ones (`offline`), and counts the link as up again.
   */
  reset(): void {
    this.#generation++;
    this.#setUp(true);
    this.#parser.reset();
    this.#last = undefined; // the sender's #lastSent stays: the peer may still remember that frame
    for (const job of this.#queue.splice(0)) {
      job.reject(new EcrError('offline', 'ECR link reset before the frame was sent'));
    }
    const current = this.#current;
    if (current !== undefined) {
      current.answer = 'reset';
      current.wake?.();
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
      this.#current = job;
      try {
        await this.#transmit(job);
        job.resolve();
      } catch (error) {
        job.reject(error as EcrError);
      }
      this.#current = undefined;
    }
    this.#pumping = false;
  }

  async #transmit(job: Job): Promise<void> {
    const generation = this.#generation;
    const { maxSends, ackTimeoutMs, duplicateWindowMs } = this.#timings;
    const last = this.#lastSent;
    if (last?.frame.equals(job.frame)) {
      // The same DATA again: wait until the peer cannot take it for a resend of the previous one.
      const wait = last.at + duplicateWindowMs + 1 - this.#monotonic();
      if (wait > 0) await this.#pause(job, wait);
    }
    try {
      await this.#sendUntilAnswered(job, generation, maxSends, ackTimeoutMs);
    } finally {
      if (job.written) this.#lastSent = { frame: job.frame, at: this.#monotonic() };
    }
  }

  async #sendUntilAnswered(
    job: Job,
    generation: number,
    maxSends: number,
    ackTimeoutMs: number,
  ): Promise<void> {
    for (let send = 1; send <= maxSends; send++) {
      if (generation !== this.#generation) throw this.#lost(job);
      job.answer = undefined;
      job.listening = true;
      const bytes = this.#hooks.outgoing === undefined ? job.frame : this.#hooks.outgoing(job.frame);
      if (send === 1) this.#counters.framesSent++;
      else this.#counters.resends++;
      try {
        if (bytes !== null) await this.#write(bytes);
      } catch {
        job.listening = false;
        throw this.#lost(job);
      }
      job.written = true;
      if (job.answer === undefined) await this.#pause(job, ackTimeoutMs);
      const answer = job.answer;
      job.listening = false;
      if (answer === 'ack') {
        this.#setUp(true);
        return;
      }
      if (answer === 'reset') throw this.#lost(job);
      if (answer === 'nak') this.#counters.naksReceived++;
      else this.#counters.ackTimeouts++;
    }
    this.#counters.failedFrames++;
    this.#setUp(false);
    throw new EcrError('no-ack', `no ACK after ${maxSends} sends`);
  }

  #lost(job: Job): EcrError {
    return job.written
      ? new EcrError('link-lost', 'ECR link lost before the frame was acknowledged')
      : new EcrError('offline', 'ECR link is offline: the frame was not written');
  }

  /** Waits `ms`, or less when an answer (ACK, NAK) or a reset wakes the job. */
  async #pause(job: Job, ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        job.wake = undefined;
        resolve();
      }
      job.wake = done;
    });
  }

  #onAnswer(answer: 'ack' | 'nak'): void {
    const job = this.#current;
    // An answer counts for the send in progress, even one that arrives while it is still being
    // written (a fast peer); any other is a stray (a late ACK, a second answer to one send).
    if (job === undefined || !job.listening || job.answer !== undefined) {
      this.#counters.strays++;
      return;
    }
    job.answer = answer;
    job.wake?.();
  }

  #onFrame(data: Buffer): void {
    const policy = this.#hooks.incoming?.(data) ?? 'ack';
    if (policy === 'ignore') return;
    if (policy === 'ack') this.#answer(ACK);
    this.#setUp(true);
    const now = this.#monotonic();
    const last = this.#last;
    if (last !== undefined && now - last.at <= this.#timings.duplicateWindowMs && last.data.equals(data)) {
      this.#counters.duplicates++;
      return;
    }
    this.#last = { data, at: now };
    this.#counters.framesReceived++;
    this.emit('data', data);
  }

  #onMalformed(reason: EcrFrameFault): void {
    this.#counters.malformed++;
    if (NAK_FAULTS.has(reason)) {
      this.#counters.naksSent++;
      this.#answer(NAK);
    }
    this.emit('malformed', { reason });
  }

  #answer(byte: number): void {
    // An ACK or NAK that cannot be written is lost like one lost on the wire: the peer resends.
    this.#write(Uint8Array.of(byte)).catch(() => {});
  }

  #setUp(up: boolean): void {
    if (this.#up === up) return;
    this.#up = up;
    this.emit('state', up);
  }
}
