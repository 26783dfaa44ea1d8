/**
 * Drives a wired help-button panel on a serial port: `$HB` and `$AL` lines in, `heartbeat` and
 * `help.pressed` device events out; `$AK` out when the edge has an alarm on disk. Reports the link
 * state and counts malformed lines and reconnections; knows nothing of what an alarm means to the
 * business, and does not deduplicate: every repeat of an alarm is an event (the edge dedupes).
 */

import { EventEmitter } from 'node:events';
import {
  type DriverCounters,
  type HeartbeatEvent,
  type HelpPressedEvent,
  isoNow,
  type LinkState,
} from '../device-events.js';
import { type Backoff, type SerialBinding, SerialLink, type SerialSettings } from '../serial/serial-link.js';
import { encodeAck, type PanelFrame, PanelLineDecoder, type PanelMalformed } from './codec.js';

/** The panel's heartbeat interval in seconds (DESIGN.md): what the edge supervises it against. */
export const PANEL_HEARTBEAT_S = 30;

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_PANEL_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/** Options of {@link HelpPanelDriver}. Line settings are required: a device's are never guessed. */
export interface HelpPanelDriverOptions extends SerialSettings {
  deviceId: string;
  /** Reconnection backoff; {@link DEFAULT_PANEL_BACKOFF} when absent. */
  backoff?: Backoff;
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
  /** Clock for event timestamps, in ms since the epoch. */
  now?: () => number;
}

/** Events of a {@link HelpPanelDriver}. */
export interface HelpPanelDriverEvents {
  event: [event: HeartbeatEvent | HelpPressedEvent];
  link: [state: LinkState];
  malformed: [malformed: PanelMalformed];
}

/**
 * A help-button panel driver. The constructor only stores its options; `start()` opens the port (or
 * reports it offline and retries) and never throws; `stop()` closes it. Each connection gets a fresh
 * line decoder, so a partial line cut by a disconnect is dropped, never glued to the next one.
 */
export class HelpPanelDriver extends EventEmitter<HelpPanelDriverEvents> {
  readonly deviceId: string;
  readonly #options: HelpPanelDriverOptions;
  #link: SerialLink | undefined;
  #decoder: PanelLineDecoder | undefined;
  #malformed = 0;
  #reconnectsOfEarlierLinks = 0;

  constructor(options: HelpPanelDriverOptions) {
    super();
    this.deviceId = options.deviceId;
    this.#options = { ...options };
  }

  /** Malformed lines dropped and reconnections made since construction. */
  get counters(): DriverCounters {
    return {
      malformed: this.#malformed,
      reconnects: this.#reconnectsOfEarlierLinks + (this.#link?.reconnects ?? 0),
    };
  }

  /** True while the serial port is open. */
  get online(): boolean {
    return this.#link?.online === true;
  }

  /** Opens the port; resolves after the first attempt, online or not. Never throws. */
  async start(): Promise<void> {
    if (this.#link !== undefined) return;
    const { path, baudRate, dataBits, parity, stopBits, binding } = this.#options;
    const link = new SerialLink({
      path,
      baudRate,
      dataBits,
      parity,
      stopBits,
      backoff: this.#options.backoff ?? DEFAULT_PANEL_BACKOFF,
      ...(binding === undefined ? {} : { binding }),
    });
    this.#link = link;
    link.on('data', (chunk) => this.#decoder?.write(chunk));
    link.on('link', (state) => {
      this.#endDecoder();
      if (state.online) this.#decoder = this.#createDecoder();
      this.emit('link', state);
    });
    await link.start();
  }

  /** Closes the port and stops reconnecting. */
  async stop(): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    this.#link = undefined;
    this.#reconnectsOfEarlierLinks += link.reconnects; // a stopping link makes no new connection
    await link.stop();
    link.removeAllListeners();
    this.#endDecoder();
  }

  /**
   * Sends `$AK,<seq>*CS` CR LF: call it once the alarm `seq` is on disk, and again for every repeat.
   * Resolves once the bytes were handed to the OS; rejects when the port is down (the panel keeps
   * repeating, so the next repeat gets its ack) or `seq` is not an integer 0–65535.
   */
  async ack(seq: number): Promise<void> {
    const bytes = encodeAck(seq); // throws RangeError for a bad seq: rejects this promise
    const link = this.#link;
    if (link === undefined) throw new Error(`help panel ${this.deviceId} is stopped`);
    await link.write(bytes);
  }

  #createDecoder(): PanelLineDecoder {
    const decoder = new PanelLineDecoder({ source: 'panel' });
    decoder.on('data', (frame: PanelFrame) => this.emit('event', this.#toEvent(frame)));
    decoder.on('malformed', (malformed: PanelMalformed) => {
      this.#malformed++;
      this.emit('malformed', malformed);
    });
    return decoder;
  }

  #toEvent(frame: PanelFrame): HeartbeatEvent | HelpPressedEvent {
    const ts = isoNow(this.#options.now);
    if (frame.kind === 'hb') return { type: 'heartbeat', ts, seq: frame.seq };
    return { type: 'help.pressed', ts, seq: frame.seq, key: frame.key, button: frame.buttonId };
  }

  /** Ends the current decoder: complete lines already decoded are still delivered, a partial one is dropped. */
  #endDecoder(): void {
    this.#decoder?.end();
    this.#decoder = undefined;
  }
}
