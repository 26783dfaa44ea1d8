/**
 * Drives a GSM modem on a serial port to send SMS (3GPP TS 27.005, PDU mode). Commands run one
 * at a time from a queue. On every (re)connection the modem is initialised (`ESC`, `AT`, `ATE0`,
 * `AT+CMEE=1`, `AT+CMGF=0`), again after any command timed out, and retried until it answers.
 * The driver never logs and its errors never hold a phone number or message text.
 */

import { EventEmitter } from 'node:events';
import { type DriverCounters, isoNow, type LinkState } from '../device-events.js';
import { type Backoff, type SerialBinding, SerialLink, type SerialSettings } from '../serial/serial-link.js';
import { type AtAnswer, AtChannel, type AtUntil, finalError } from './at-channel.js';
import {
  encodeSmsSubmitPdus,
  type ModemLine,
  ModemLineDecoder,
  type ModemMalformed,
  type SmsSubmitPdu,
} from './codec.js';
import { CommandQueue } from './command-queue.js';
import { ModemError } from './modem-error.js';

export { ModemError, type ModemErrorCode } from './modem-error.js';

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_MODEM_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/** How long the driver waits, in ms. */
export interface ModemTimeouts {
  /** For the answer to a command, and for the `> ` prompt after `AT+CMGS`. */
  commandMs: number;
  /** For `+CMGS: <mr>` and `OK` after a PDU: the modem first hands it to the network (seconds, up to a minute). */
  sendMs: number;
  /** Before initialising again after the modem did not answer or refused its initialisation. */
  initRetryMs: number;
}

/** Timeouts used for those the caller does not give. */
export const DEFAULT_MODEM_TIMEOUTS: ModemTimeouts = { commandMs: 5_000, sendMs: 60_000, initRetryMs: 5_000 };

/** Options of {@link GsmModemDriver}. Line settings are required: a device's are never guessed. */
export interface GsmModemDriverOptions extends SerialSettings {
  deviceId: string;
  /** Reconnection backoff; {@link DEFAULT_MODEM_BACKOFF} when absent. */
  backoff?: Backoff;
  /** Timeouts; each one absent is taken from {@link DEFAULT_MODEM_TIMEOUTS}. */
  timeouts?: Partial<ModemTimeouts>;
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
  /** Randomness in [0, 1) for the reconnection jitter and the first concatenation reference. */
  random?: () => number;
  /** Clock for time stamps, in ms since the epoch. */
  now?: () => number;
}

/** What {@link GsmModemDriver.sendSms} resolves with once the modem accepted every part. */
export interface SmsSendResult {
  /** Number of SMS the text was sent as. */
  parts: number;
  /** TP-MR the modem gave each part (`+CMGS: <mr>`), in order; -1 where it gave none. */
  messageRefs: number[];
  /** When the modem accepted the last part (ISO-8601 UTC). */
  sentAt: string;
}

/** Counters of a modem: the common ones, plus lines that answered no command. */
export interface GsmModemCounters extends DriverCounters {
  /** Unsolicited result codes (`RING`, `+CMTI`, `^BOOT`…) and stray late answers, ignored. */
  unsolicited: number;
}

/** Events of a {@link GsmModemDriver}. */
export interface GsmModemDriverEvents {
  /** `online` once the port is open and the modem initialised; `reason` says what is missing. */
  link: [state: LinkState];
  malformed: [malformed: ModemMalformed];
}

const ESC = Uint8Array.of(0x1b);
const CTRL_Z = '\x1a';
const INIT_COMMANDS = ['AT', 'ATE0', 'AT+CMEE=1', 'AT+CMGF=0'] as const;

/**
 * A GSM modem driver. The constructor only stores its options; `start()` opens the port (or
 * reports it offline and retries) and never throws; `stop()` closes it and fails what is queued.
 */
export class GsmModemDriver extends EventEmitter<GsmModemDriverEvents> {
  readonly deviceId: string;
  readonly #options: GsmModemDriverOptions;
  readonly #timeouts: ModemTimeouts;
  readonly #channel = new AtChannel(async (bytes) => await this.#write(bytes));
  #link: SerialLink | undefined;
  #decoder: ModemLineDecoder | undefined;
  readonly #queue = new CommandQueue();
  #portOnline = false;
  #ready = false;
  #initQueued = false;
  #generation = 0;
  /** The connection the running job started on: its exchanges never go to a newer one. */
  #jobGeneration = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #state: LinkState | undefined;
  #nextRef: number | undefined;
  #malformed = 0;
  #reconnectsOfEarlierLinks = 0;

  constructor(options: GsmModemDriverOptions) {
    super();
    this.deviceId = options.deviceId;
    this.#options = { ...options };
    this.#timeouts = { ...DEFAULT_MODEM_TIMEOUTS, ...options.timeouts };
  }

  /** Malformed lines, reconnections and unsolicited lines since construction. */
  get counters(): GsmModemCounters {
    return {
      malformed: this.#malformed,
      reconnects: this.#reconnectsOfEarlierLinks + (this.#link?.reconnects ?? 0),
      unsolicited: this.#channel.unsolicited,
    };
  }

  /** True while the port is open and the modem initialised: an SMS can be sent. */
  get online(): boolean {
    return this.#state?.online === true;
  }

  /** Opens the port; resolves after the first attempt, online or not. Never throws. */
  async start(): Promise<void> {
    if (this.#link !== undefined) return;
    const { path, baudRate, dataBits, parity, stopBits, binding, random } = this.#options;
    const link = new SerialLink({
      path,
      baudRate,
      dataBits,
      parity,
      stopBits,
      backoff: this.#options.backoff ?? DEFAULT_MODEM_BACKOFF,
      ...(binding === undefined ? {} : { binding }),
      ...(random === undefined ? {} : { random }),
    });
    this.#link = link;
    link.on('data', (chunk) => this.#decoder?.write(chunk));
    link.on('link', (state) => this.#onPortState(state));
    await link.start();
  }

  /** Closes the port and stops reconnecting; what is running or queued fails with `link-down`. */
  async stop(): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    this.#reconnectsOfEarlierLinks += link.reconnects;
    await link.stop(); // reports {online: false, reason: 'stopped'} through #onPortState
    link.removeAllListeners();
    this.#link = undefined;
    clearTimeout(this.#retryTimer);
  }

  /**
   * Sends `text` to `to` (`+8613800138000` or `13800138000`) as one SMS or as concatenated parts,
   * and resolves once the modem accepted every part. Rejects with a `RangeError` for a number that
   * is not one, or with a {@link ModemError} whose `partsSent` tells how many parts were accepted
   * before the failure. The caller retries the whole message: a retry may deliver the earlier
   * parts twice, which SMS cannot avoid (there is no delivery transaction across parts).
   */
  async sendSms(to: string, text: string): Promise<SmsSendResult> {
    const pdus = encodeSmsSubmitPdus(to, text, this.#takeRef());
    return await this.#userTask(async () => {
      const messageRefs: number[] = [];
      try {
        await this.#command('AT+CMGF=0'); // a modem that restarted by itself is back in its default mode
        for (const pdu of pdus) messageRefs.push(await this.#sendPart(pdu));
      } catch (error) {
        throw error instanceof ModemError ? error.withPartsSent(messageRefs.length, pdus.length) : error;
      }
      return { parts: pdus.length, messageRefs, sentAt: isoNow(this.#options.now) };
    });
  }

  /** Received signal strength from `AT+CSQ` (TS 27.007 §8.5): 0–31 (-113 to -51 dBm), 99 unknown. */
  async signalQuality(): Promise<number> {
    return await this.#userTask(async () => {
      const info = await this.#command('AT+CSQ');
      const match = info.map((line) => /^\+CSQ:\s*(\d+)\s*,\s*\d+/.exec(line)).find((m) => m !== null);
      const rssi = Number(match?.[1] ?? Number.NaN);
      if ((rssi >= 0 && rssi <= 31) || rssi === 99) return rssi;
      throw new ModemError('error', 'modem gave no usable +CSQ line to AT+CSQ', { command: 'AT+CSQ' });
    });
  }

  async #sendPart(part: SmsSubmitPdu): Promise<number> {
    const command = `AT+CMGS=${part.tpduLength}`;
    const { commandMs, sendMs } = this.#timeouts;
    const prompt = await this.#exchange(command, `${command}\r`, 'prompt', commandMs);
    if (prompt.final !== undefined) {
      throw finalError(prompt.final, command) ?? new ModemError('error', 'no prompt to AT+CMGS');
    }
    const answer = await this.#exchange(command, `${part.pdu}${CTRL_Z}`, 'final', sendMs);
    const error = answer.final === undefined ? undefined : finalError(answer.final, command);
    if (error !== undefined) throw error;
    const mr = answer.info.map((line) => /^\+CMGS:\s*(\d+)/.exec(line)).find((m) => m !== null);
    return mr === undefined ? -1 : Number(mr[1]);
  }

  async #command(command: string): Promise<string[]> {
    const answer = await this.#exchange(command, `${command}\r`, 'final', this.#timeouts.commandMs);
    const error = answer.final === undefined ? undefined : finalError(answer.final, command);
    if (error !== undefined) throw error;
    return answer.info;
  }

  async #exchange(command: string, text: string, until: AtUntil, timeoutMs: number): Promise<AtAnswer> {
    if (this.#jobGeneration !== this.#generation) throw new ModemError('link-down', 'serial link was lost');
    return await this.#channel.exchange(command, Buffer.from(text, 'latin1'), until, timeoutMs);
  }

  /** Queues a caller's operation; it runs only on an initialised modem; a timeout re-initialises. */
  async #userTask<T>(task: () => Promise<T>): Promise<T> {
    return await this.#queue.run(async () => {
      if (!this.#portOnline) throw new ModemError('link-down', 'serial link is down');
      if (!this.#ready) throw new ModemError('not-ready', this.#state?.reason ?? 'modem not ready');
      this.#jobGeneration = this.#generation;
      try {
        return await task();
      } catch (error) {
        if (error instanceof ModemError && error.code === 'timeout') {
          this.#ready = false;
          this.#queueInit();
        }
        throw error;
      }
    });
  }

  #onPortState(state: LinkState): void {
    this.#generation++;
    clearTimeout(this.#retryTimer);
    this.#ready = false;
    this.#decoder?.end(); // a partial line cut by the disconnect is dropped
    this.#decoder = undefined;
    this.#portOnline = state.online;
    if (state.online) {
      this.#decoder = this.#createDecoder();
      this.#queueInit();
      return;
    }
    this.#channel.fail(new ModemError('link-down', `serial link down: ${state.reason ?? 'closed'}`));
    this.#setState(state);
  }

  #queueInit(): void {
    if (this.#initQueued) return;
    this.#initQueued = true;
    void this.#queue.run(async () => {
      this.#initQueued = false;
      await this.#initialise();
    }, true);
  }

  /** Initialises the modem on the current connection; on failure reports why and retries later. */
  async #initialise(): Promise<void> {
    if (!this.#portOnline) return;
    const generation = this.#generation;
    this.#jobGeneration = generation;
    try {
      await this.#write(ESC); // cancels a PDU the modem may still be waiting for
      for (const command of INIT_COMMANDS) await this.#command(command);
    } catch (error) {
      if (generation !== this.#generation) return; // the link went down meanwhile: it reported why
      this.#setState({ online: false, reason: `modem not ready: ${(error as Error).message}` });
      this.#retryTimer = setTimeout(() => this.#queueInit(), this.#timeouts.initRetryMs);
      return;
    }
    if (generation !== this.#generation) return;
    this.#ready = true;
    this.#setState({ online: true });
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const link = this.#link;
    try {
      if (link === undefined) throw new Error('not started');
      await link.write(bytes);
    } catch {
      throw new ModemError('link-down', 'serial link is down');
    }
  }

  #takeRef(): number {
    const ref = this.#nextRef ?? Math.floor((this.#options.random ?? Math.random)() * 256) % 256;
    this.#nextRef = (ref + 1) % 256;
    return ref;
  }

  #createDecoder(): ModemLineDecoder {
    const decoder = new ModemLineDecoder();
    decoder.on('data', (line: ModemLine) => this.#channel.onLine(line));
    decoder.on('malformed', (malformed: ModemMalformed) => {
      this.#malformed++;
      this.emit('malformed', malformed);
    });
    return decoder;
  }

  #setState(state: LinkState): void {
    const previous = this.#state;
    if (previous?.online === state.online && previous.reason === state.reason) return;
    this.#state = state;
    this.emit('link', state);
  }
}
