/**
 * Drives a bank terminal over its ECR link (DESIGN.md, "Serial wire protocols" 3): `sale`,
 * `query`, `void` and `settle` out; prompts, results, void results and settlements in, as typed
 * events (`events.ts`) and as the answers the calls resolve with. It knows nothing of payments: it
 * never sends a sale twice by itself, never decides what a lost result means (the edge does), and
 * its errors ({@link EcrError}) say whether the terminal may have taken the message. It never logs;
 * no event or error holds more of a card number than its first 6 and last 4 digits.
 */

import { EventEmitter } from 'node:events';
import { type DriverCounters, isoNow, type LinkState } from '../device-events.js';
import { type Backoff, type SerialBinding, SerialLink, type SerialSettings } from '../serial/serial-link.js';
import type { EcrFrameFault } from './codec.js';
import { EcrError } from './ecr-error.js';
import type {
  BankTerminalEvent,
  TerminalResultEvent,
  TerminalSettlementEvent,
  TerminalVoidEvent,
} from './events.js';
import { DEFAULT_ECR_LINK_TIMINGS, EcrLink, type EcrLinkCounters, type EcrLinkTimings } from './link.js';
import {
  type EcrEdgeMessage,
  type EcrMessageFault,
  type EcrTerminalMessage,
  ecrOutcome,
  encodeEcrMessage,
  parseEcrMessage,
} from './message-codec.js';

export { EcrError, type EcrErrorCode, type EcrReached } from './ecr-error.js';

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_TERMINAL_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/** Every timing of the driver, in ms (the link's, and how long answers may take). */
export interface BankTerminalTimings extends EcrLinkTimings {
  /** For the answer to a sale, a void or a settlement, from its ACK (DESIGN.md: a result may take 90 s). */
  resultTimeoutMs: number;
  /** For the answer to a query, from its ACK: the terminal answers at once. */
  queryTimeoutMs: number;
}

export const DEFAULT_TERMINAL_TIMINGS: BankTerminalTimings = {
  ...DEFAULT_ECR_LINK_TIMINGS,
  resultTimeoutMs: 90_000,
  queryTimeoutMs: 10_000,
};

/** Options of {@link BankTerminalDriver}. Line settings are required: a device's are never guessed. */
export interface BankTerminalDriverOptions extends SerialSettings {
  deviceId: string;
  /** Reconnection backoff; {@link DEFAULT_TERMINAL_BACKOFF} when absent. */
  backoff?: Backoff;
  /** Timings; each one absent is taken from {@link DEFAULT_TERMINAL_TIMINGS}. */
  timings?: Partial<BankTerminalTimings>;
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
  /** Randomness in [0, 1) for the reconnection jitter. */
  random?: () => number;
  /** Clock for event time stamps, in ms since the epoch. */
  now?: () => number;
}

/** Counters of a terminal: the common ones (malformed frames and messages, reconnects) and the link's. */
export type BankTerminalCounters = DriverCounters & Omit<EcrLinkCounters, 'malformed'>;

/** A frame dropped by the link, or a good frame whose message broke a rule. */
export type BankTerminalMalformed = { reason: EcrFrameFault } | EcrMessageFault;

export interface BankTerminalDriverEvents {
  event: [event: BankTerminalEvent];
  /** Online while the port is open and the terminal acknowledges; `reason` says what is missing. */
  link: [state: LinkState];
  malformed: [malformed: BankTerminalMalformed];
}

interface Pending {
  resolve: (event: BankTerminalEvent) => void;
  reject: (error: EcrError) => void;
  timer: NodeJS.Timeout | undefined;
  /** The request's frame was acknowledged: it waits for its answer only. */
  acked: boolean;
  done: boolean;
}

/**
 * A bank terminal driver. The constructor only stores its options; `start()` opens the port (or
 * reports it offline and retries) and never throws; `stop()` closes it and fails what waits.
 */
export class BankTerminalDriver extends EventEmitter<BankTerminalDriverEvents> {
  readonly deviceId: string;
  readonly #options: BankTerminalDriverOptions;
  readonly #timings: BankTerminalTimings;
  readonly #ecr: EcrLink;
  readonly #pending = new Map<string, Pending>();
  #serial: SerialLink | undefined;
  #port: LinkState = { online: false, reason: 'not started' };
  #state: LinkState | undefined;
  #malformedMessages = 0;
  #reconnectsOfEarlierLinks = 0;

  constructor(options: BankTerminalDriverOptions) {
    super();
    this.deviceId = options.deviceId;
    this.#options = { ...options };
    this.#timings = { ...DEFAULT_TERMINAL_TIMINGS, ...options.timings };
    this.#ecr = new EcrLink({ write: async (bytes) => await this.#write(bytes), timings: this.#timings });
    this.#ecr.on('data', (data) => this.#onData(data));
    this.#ecr.on('malformed', (fault) => this.emit('malformed', fault));
    this.#ecr.on('state', () => this.#updateState());
  }

  /** True while the port is open and the terminal acknowledges frames. */
  get online(): boolean {
    return this.#state?.online === true;
  }

  get counters(): BankTerminalCounters {
    const { malformed, ...link } = this.#ecr.counters;
    return {
      malformed: malformed + this.#malformedMessages,
      reconnects: this.#reconnectsOfEarlierLinks + (this.#serial?.reconnects ?? 0),
      ...link,
    };
  }

  /** Opens the port; resolves after the first attempt, online or not. Never throws. */
  async start(): Promise<void> {
    if (this.#serial !== undefined) return;
    const { path, baudRate, dataBits, parity, stopBits, binding, random } = this.#options;
    const serial = new SerialLink({
      ...{ path, baudRate, dataBits, parity, stopBits },
      backoff: this.#options.backoff ?? DEFAULT_TERMINAL_BACKOFF,
      ...(binding === undefined ? {} : { binding }),
      ...(random === undefined ? {} : { random }),
    });
    this.#serial = serial;
    serial.on('data', (chunk) => this.#ecr.receive(chunk));
    serial.on('link', (state) => this.#onPort(state));
    await serial.start();
  }

  /** Closes the port and stops reconnecting; what waits for an answer fails with `link-lost`. */
  async stop(): Promise<void> {
    const serial = this.#serial;
    if (serial === undefined) return;
    this.#reconnectsOfEarlierLinks += serial.reconnects;
    await serial.stop(); // reports {online: false, reason: 'stopped'} through #onPort
    serial.removeAllListeners();
    this.#serial = undefined;
  }

  /**
   * Sends `S|<ref>|<amountFen>|<memo>` and resolves with the sale's result (`R`, any code but `PD`).
   * Rejects with an {@link EcrError}; after `no-ack`, `link-lost` or `timeout` the sale's fate is
   * unknown: never send it again, query it. A result that arrives later is still an `event`.
   */
  async sale(
    ref: string,
    amountFen: number,
    memo: string,
    /** Called once the terminal acknowledged the `S` frame: from then on it has the sale. */
    onAck?: () => void,
  ): Promise<TerminalResultEvent> {
    const message = { type: 'S', ref, amountFen, memo } as const;
    return (await this.#request(
      `S:${ref}`,
      message,
      this.#timings.resultTimeoutMs,
      onAck,
    )) as TerminalResultEvent;
  }

  /** Sends `Q|<ref>` and resolves with the answer (`R`: `PD` in progress, `NF` unknown, `VD` voided …). */
  async query(ref: string): Promise<TerminalResultEvent> {
    return (await this.#request(
      `Q:${ref}`,
      { type: 'Q', ref },
      this.#timings.queryTimeoutMs,
    )) as TerminalResultEvent;
  }

  /** Sends `V|<ref>` and resolves with the void's result (`VR`). */
  async void(ref: string): Promise<TerminalVoidEvent> {
    return (await this.#request(
      `V:${ref}`,
      { type: 'V', ref },
      this.#timings.resultTimeoutMs,
    )) as TerminalVoidEvent;
  }

  /** Sends `T` and resolves with the closed batch's count and total (`TR`). */
  async settle(): Promise<TerminalSettlementEvent> {
    return (await this.#request(
      'T',
      { type: 'T' },
      this.#timings.resultTimeoutMs,
    )) as TerminalSettlementEvent;
  }

  async #request(
    key: string,
    message: EcrEdgeMessage,
    timeoutMs: number,
    onAck?: () => void,
  ): Promise<BankTerminalEvent> {
    let data: Buffer;
    try {
      data = encodeEcrMessage(message);
    } catch (error) {
      throw new EcrError('invalid', (error as Error).message);
    }
    if (this.#pending.has(key)) {
      throw new EcrError('busy', `${message.type}: the same request is still waiting for its answer`);
    }
    if (!this.#port.online) throw new EcrError('offline', `terminal port is offline: ${this.#port.reason}`);
    const pending: Pending = {
      resolve: () => {},
      reject: () => {},
      timer: undefined,
      acked: false,
      done: false,
    };
    const answer = new Promise<BankTerminalEvent>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
    });
    answer.catch(() => {}); // it may fail before it is awaited below; the await still sees the error
    this.#pending.set(key, pending);
    try {
      await this.#ecr.send(data);
      pending.acked = true;
      onAck?.();
      if (!pending.done) {
        pending.timer = setTimeout(() => {
          this.#settle(key, new EcrError('timeout', `${message.type}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    } catch (error) {
      this.#settle(key, error as EcrError); // unless the answer came first (a lost ACK)
    }
    return await answer;
  }

  /** Ends the request waiting under `key`, if any, with an answer or an error. */
  #settle(key: string, outcome: BankTerminalEvent | EcrError): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    this.#pending.delete(key);
    pending.done = true;
    clearTimeout(pending.timer);
    if (outcome instanceof EcrError) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  #onData(data: Buffer): void {
    const parsed = parseEcrMessage(data, 'terminal');
    if (!parsed.ok) {
      this.#malformedMessages++;
      this.emit('malformed', parsed.fault);
      return;
    }
    const event = this.#toEvent(parsed.message);
    this.emit('event', event);
    if (event.type === 'terminal.result') {
      this.#settle(`Q:${event.ref}`, event);
      if (event.outcome !== 'in-progress') this.#settle(`S:${event.ref}`, event);
    } else if (event.type === 'terminal.void') {
      this.#settle(`V:${event.ref}`, event);
    } else if (event.type === 'terminal.settlement') {
      this.#settle('T', event);
    }
  }

  #toEvent(message: EcrTerminalMessage): BankTerminalEvent {
    const ts = isoNow(this.#options.now);
    switch (message.type) {
      case 'P':
        return { type: 'terminal.prompt', ts, ref: message.ref, prompt: message.prompt };
      case 'R': {
        const { type: _, time, ...rest } = message;
        return {
          type: 'terminal.result',
          ts,
          ...rest,
          outcome: ecrOutcome(message.code),
          terminalTime: time,
        };
      }
      case 'VR': {
        const { ref, code, traceNo, time } = message;
        return { type: 'terminal.void', ts, ref, code, traceNo, terminalTime: time };
      }
      case 'TR': {
        const { batchNo, count, totalFen } = message;
        return { type: 'terminal.settlement', ts, batchNo, count, totalFen };
      }
    }
  }

  #onPort(state: LinkState): void {
    this.#port = state;
    // A new connection starts clean; a lost one fails the frames in the link (each request with
    // the link's verdict: written or not) and here the requests already acknowledged.
    this.#ecr.reset();
    if (!state.online) {
      const error = new EcrError('link-lost', `terminal port lost: ${state.reason ?? 'closed'}`);
      for (const [key, pending] of [...this.#pending]) if (pending.acked) this.#settle(key, error);
    }
    this.#updateState();
  }

  #updateState(): void {
    let state = this.#port;
    if (state.online && !this.#ecr.up) {
      const { maxSends } = this.#timings;
      state = { online: false, reason: `terminal does not acknowledge: no ACK after ${maxSends} sends` };
    }
    const previous = this.#state;
    if (previous?.online === state.online && previous.reason === state.reason) return;
    this.#state = state;
    this.emit('link', state);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const serial = this.#serial;
    if (serial === undefined) throw new Error('stopped');
    await serial.write(bytes);
  }
}
