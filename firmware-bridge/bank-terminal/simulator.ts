/**
 * A bank terminal simulator on a serial port (the far end of a pty pair, or a real port wired to
 * the edge): speaks the ECR link byte for byte (`link.ts`, `message-codec.ts`), runs each sale as
 * a terminal does (prompts with delays, card, PIN, host), keeps its books in a
 * {@link TerminalLedger}, and injects the faults of {@link TerminalFaults}. A power cycle goes
 * silent for a while and forgets what a terminal loses (DESIGN.md; `TerminalLedger.powerCycle`).
 */

import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SerialPort } from 'serialport';
import {
  closePort,
  openPort,
  type SerialBinding,
  type SerialSettings,
  writeAndDrain,
} from '../serial/port-io.js';
import { describePortError } from '../serial/serial-link.js';
import { EcrLink, type EcrLinkCounters, type EcrLinkTimings } from './link.js';
import {
  type EcrEdgeMessage,
  type EcrSaleResult,
  type EcrSettlement,
  type EcrTerminalMessage,
  type EcrVoidResult,
  encodeEcrMessage,
  formatTerminalTime,
  parseEcrMessage,
} from './message-codec.js';
import { noFaults, strikes, type TerminalFaults } from './terminal-faults.js';
import { type TerminalBatch, TerminalLedger, type TerminalSale } from './terminal-ledger.js';

export type { FaultBudget, TerminalFaults } from './terminal-faults.js';
export type { TerminalBatch, TerminalSale } from './terminal-ledger.js';

/** How long each step of a sale takes, in ms. */
export interface TerminalDelays {
  /** After "insert or swipe the card" until the card is read. */
  cardMs: number;
  /** After "enter the PIN" until it is entered. */
  pinMs: number;
  /** After "processing" until the host answers. */
  hostMs: number;
}

export const DEFAULT_TERMINAL_DELAYS: TerminalDelays = { cardMs: 1500, pinMs: 1500, hostMs: 1000 };

/** The prompts a sale shows, in order (`P|<ref>|<prompt>`). */
export interface TerminalPrompts {
  card: string;
  pin: string;
  processing: string;
}

export const DEFAULT_TERMINAL_PROMPTS: TerminalPrompts = {
  card: '请刷卡或插卡',
  pin: '请输入密码',
  processing: '交易处理中，请稍候',
};

export interface BankTerminalSimulatorOptions extends SerialSettings {
  /** The card's balance; 100 000 fen (1000 yuan) when absent. */
  balanceFen?: number;
  /** The card's number (13–19 digits); only its masked form is ever kept or sent. */
  cardNumber?: string;
  delays?: Partial<TerminalDelays>;
  prompts?: Partial<TerminalPrompts>;
  /** The link's timings: the terminal's own ACK timeout and sends. */
  link?: Partial<EcrLinkTimings>;
  faults?: Partial<TerminalFaults>;
  /** The open batch's number (1) and the last trace number (0) at power-up. */
  batchNo?: number;
  traceNo?: number;
  /** Randomness in [0, 1) for faults given as a rate; `Math.random` when absent. */
  random?: () => number;
  /** Clock in ms since the epoch, and the local zone in minutes east of UTC (480, China). */
  now?: () => number;
  utcOffsetMinutes?: number;
  binding?: SerialBinding;
}

export interface BankTerminalSimulatorEvents {
  /** Each good message from the edge (duplicates excluded). */
  message: [message: EcrEdgeMessage];
  /** A new sale began. */
  sale: [sale: TerminalSale];
  /** A sale ended (whether or not its `R` then reaches the edge). */
  result: [result: EcrSaleResult];
  void: [result: EcrVoidResult];
  settlement: [settlement: EcrSettlement];
  /** A frame the terminal sent was never acknowledged (the link gave up): what it was. */
  undelivered: [type: EcrTerminalMessage['type'], ref: string | undefined];
  /** A fault struck, in plain words (no card number, no memo). */
  fault: [what: string];
  /** The port closed under the simulator (socat killed). */
  close: [];
}

export interface BankTerminalSimulatorStats extends EcrLinkCounters {
  /** Sales begun (one per ref, ever). */
  salesStarted: number;
  /** `S` frames for a ref already in the log, answered from the log. */
  repeatedSales: number;
  /** Good frames whose message broke a rule. */
  malformedMessages: number;
  powerCycles: number;
}

/** A bank terminal on a serial port. The constructor has no side effects; `open()` powers it up. */
export class BankTerminalSimulator extends EventEmitter<BankTerminalSimulatorEvents> {
  /** Current faults; change them at any time. */
  readonly faults: TerminalFaults;
  readonly ledger: TerminalLedger;
  readonly #options: BankTerminalSimulatorOptions;
  readonly #delays: TerminalDelays;
  readonly #prompts: TerminalPrompts;
  readonly #random: () => number;
  readonly #link: EcrLink;
  #port: SerialPort | undefined;
  #off = false;
  #generation = 0;
  /** Aborted at every power cycle and close: the sleeps of the sales in progress end at once. */
  #abort = new AbortController();
  readonly #stats = { salesStarted: 0, repeatedSales: 0, malformedMessages: 0, powerCycles: 0 };

  constructor(options: BankTerminalSimulatorOptions) {
    super();
    this.#options = { ...options };
    this.#delays = { ...DEFAULT_TERMINAL_DELAYS, ...options.delays };
    this.#prompts = { ...DEFAULT_TERMINAL_PROMPTS, ...options.prompts };
    this.#random = options.random ?? Math.random;
    this.faults = { ...noFaults(), ...options.faults };
    for (const prompt of Object.values(this.#prompts)) {
      encodeEcrMessage({ type: 'P', ref: '000000000000', prompt }); // throws RangeError for a bad prompt
    }
    const now = options.now ?? Date.now;
    const offset = options.utcOffsetMinutes ?? 480;
    this.ledger = new TerminalLedger({
      balanceFen: options.balanceFen ?? 100_000,
      cardNumber: options.cardNumber ?? '6217000000000001234',
      clock: () => formatTerminalTime(now(), offset),
      ...(options.batchNo === undefined ? {} : { batchNo: options.batchNo }),
      ...(options.traceNo === undefined ? {} : { traceNo: options.traceNo }),
    });
    this.#link = new EcrLink({
      write: async (bytes) => await this.#write(bytes),
      ...(options.link === undefined ? {} : { timings: options.link }),
      hooks: { outgoing: (frame) => this.#outgoing(frame), incoming: () => this.#incoming() },
    });
    this.#link.on('data', (data) => this.#onData(data));
  }

  /** True while the port is open. */
  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  /** True between the two halves of a {@link powerCycle}. */
  get poweredOff(): boolean {
    return this.#off;
  }

  get stats(): BankTerminalSimulatorStats {
    return { ...this.#link.counters, ...this.#stats };
  }

  /** The open batch as it stands (for reconciliation tests) and the batches closed so far. */
  totals(): { open: TerminalBatch; settled: TerminalBatch[]; balanceFen: number } {
    return {
      open: this.ledger.openBatch(),
      settled: this.ledger.settlements(),
      balanceFen: this.ledger.balanceFen,
    };
  }

  /** Opens the port (again, after the cable was pulled); rejects with a plain reason when it cannot. */
  async open(): Promise<void> {
    if (this.#port !== undefined) return;
    const { path } = this.#options;
    let port: SerialPort;
    try {
      port = await openPort(this.#options, this.#options.binding);
    } catch (error) {
      throw new Error(`cannot open ${path}: ${describePortError(error, path)}`);
    }
    port.on('data', (chunk: Buffer) => {
      if (!this.#off) this.#link.receive(chunk); // a terminal that is off hears nothing
    });
    port.on('close', () => {
      if (this.#port !== port) return;
      // A pulled cable: the frame in flight is lost, but a sale in progress goes on with the
      // customer and ends in the books (its result cannot be sent).
      this.#port = undefined;
      this.#link.reset();
      this.emit('close');
    });
    this.#port = port;
  }

  /** Stops every sale in progress and closes the port. */
  async close(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    this.#halt();
    if (port !== undefined) await closePort(port);
  }

  /**
   * Switches the terminal off for `offMs` (it hears and sends nothing; the port stays open, as on
   * RS-232) and on again, having forgotten every sale not yet settled except approved ones.
   */
  async powerCycle(offMs = 0): Promise<void> {
    this.#stats.powerCycles++;
    this.#off = true;
    this.#halt();
    this.ledger.powerCycle();
    this.emit('fault', `power cycle (${offMs} ms off)`);
    if (offMs > 0) await sleep(offMs);
    this.#off = false;
  }

  /** Sends a message now (for tests that need an unsolicited one); resolves at its ACK. */
  async send(message: EcrTerminalMessage): Promise<void> {
    await this.#link.send(encodeEcrMessage(message));
  }

  #halt(): void {
    this.#generation++; // sale flows see it and stop
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#link.reset();
  }

  #outgoing(frame: Buffer): Buffer | null {
    if (strikes(this.faults.dropOut, this.#random)) {
      this.emit('fault', 'dropped a frame it sent');
      return null;
    }
    if (strikes(this.faults.corrupt, this.#random)) {
      this.emit('fault', 'corrupted a frame it sent (LRC)');
      const bad = Buffer.from(frame);
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
      return bad;
    }
    return frame;
  }

  #incoming(): 'ack' | 'ignore' | 'no-ack' {
    if (strikes(this.faults.dropIn, this.#random)) {
      this.emit('fault', 'ignored a frame from the edge');
      return 'ignore';
    }
    if (strikes(this.faults.dropAck, this.#random)) {
      this.emit('fault', 'took a frame from the edge without ACK');
      return 'no-ack';
    }
    return 'ack';
  }

  #onData(data: Buffer): void {
    const parsed = parseEcrMessage(data, 'edge');
    if (!parsed.ok) {
      this.#stats.malformedMessages++;
      return;
    }
    const message = parsed.message;
    this.emit('message', message);
    if (message.type === 'S') this.#onSale(message.ref, message.amountFen);
    else if (message.type === 'Q') this.#reply(this.ledger.resultOf(message.ref));
    else if (message.type === 'V') {
      const result = this.ledger.void(message.ref);
      this.emit('void', result);
      this.#reply(result);
    } else {
      const settlement = this.ledger.settle();
      this.emit('settlement', settlement);
      this.#reply(settlement);
    }
  }

  #onSale(ref: string, amountFen: number): void {
    const known = this.ledger.get(ref);
    if (known !== undefined) {
      this.#stats.repeatedSales++;
      // Answered from the log, never a second sale; one in progress answers when it ends.
      if (known.state !== 'in-progress') this.#reply(this.ledger.resultOf(ref));
      return;
    }
    if (this.ledger.inProgress() !== undefined) {
      this.ledger.refuse(ref, amountFen, 'TB');
      this.#reply(this.ledger.resultOf(ref));
      return;
    }
    this.#stats.salesStarted++;
    this.emit('sale', this.ledger.begin(ref, amountFen));
    void this.#runSale(ref, this.#generation); // handles its own failures
  }

  /** One sale, step by step; stops quietly when a power cycle or close changes the generation. */
  async #runSale(ref: string, generation: number): Promise<void> {
    const alive = () => generation === this.#generation;
    const { signal } = this.#abort;
    const pause = async (ms: number) => await sleep(ms, undefined, { signal }).catch(() => {}); // aborted: see alive()
    const declined = strikes(this.faults.decline, this.#random) ? this.faults.declineCode : undefined;
    if (declined !== undefined) this.emit('fault', `declining with code ${declined}`);
    const steps: [string, number][] = [[this.#prompts.card, this.#delays.cardMs]];
    if (declined !== 'C') {
      steps.push([this.#prompts.pin, this.#delays.pinMs], [this.#prompts.processing, this.#delays.hostMs]);
    }
    for (const [prompt, ms] of steps) {
      this.#reply({ type: 'P', ref, prompt });
      await pause(ms);
      if (!alive()) return;
    }
    if (strikes(this.faults.noResult, this.#random)) {
      this.emit('fault', 'hung: the sale never ends');
      return;
    }
    this.ledger.complete(ref, declined);
    const result = this.ledger.resultOf(ref);
    this.emit('result', result);
    if (this.faults.resultDelayMs > 0) {
      await pause(this.faults.resultDelayMs);
      if (!alive()) return;
    }
    if (strikes(this.faults.loseResult, this.#random)) {
      this.emit('fault', 'lost the result after the sale ended');
      return;
    }
    this.#reply(result);
  }

  /** Sends a message; one the edge never acknowledges is reported as undelivered. */
  #reply(message: EcrTerminalMessage): void {
    const ref = 'ref' in message ? message.ref : undefined;
    this.send(message).catch(() => {
      if (!this.#off) this.emit('undelivered', message.type, ref);
    });
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const port = this.#port;
    if (this.#off) throw new Error('powered off');
    if (port === undefined || !port.isOpen) throw new Error(`${this.#options.path} is not open`);
    await writeAndDrain(port, bytes);
  }
}
