/**
 * A serial port that stays connected: opens the port, reports the link state, and when the port is
 * absent, fails to open or disappears (a USB adapter pulled, socat killed) retries with exponential
 * backoff and jitter until stopped. Every serial driver (QR scanner, help panel, bank terminal, GSM
 * modem, card reader) reads and writes through one of these; it knows nothing of any wire protocol.
 */

import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import type { LinkState } from '../device-events.js';
import { closePort, openPort, type SerialBinding, type SerialSettings, writeAndDrain } from './port-io.js';

export type { SerialBinding, SerialSettings } from './port-io.js';

/** Exponential backoff between reconnection attempts. */
export interface Backoff {
  /** Delay before the first retry after a failure or a loss, in ms. */
  initialMs: number;
  /** Longest delay between retries, in ms. */
  maxMs: number;
}

/** Options of a {@link SerialLink}: line settings and backoff are required, there are no hidden defaults. */
export interface SerialLinkOptions extends SerialSettings {
  backoff: Backoff;
  /** Injected binding (unit tests); the platform's binding when absent. */
  binding?: SerialBinding;
  /** Source of randomness for the jitter, in [0, 1); `Math.random` when absent. */
  random?: () => number;
}

/** Events of a {@link SerialLink}. */
export interface SerialLinkEvents {
  /** Bytes as read from the port. */
  data: [chunk: Buffer];
  /** Each change of the link state (not every failed retry with the same reason). */
  link: [state: LinkState];
}

/** Delay before retry number `attempt` (0-based): exponential, capped, with jitter in [50%, 100%]. */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** A plain reason for the admin page, from a serialport error (`ENOENT: no such port /dev/ttyUSB0`). */
export function describePortError(error: unknown, path: string): string {
  const message = error instanceof Error ? error.message.replace(/^Error:?\s*/, '') : String(error);
  if (error instanceof Error && (error as { disconnected?: boolean }).disconnected === true) {
    return `disconnected: ${message}`;
  }
  if (/No such file or directory/i.test(message)) return `ENOENT: no such port ${path}`;
  if (/Permission denied/i.test(message)) return `EACCES: permission denied on ${path}`;
  if (/Cannot lock port|Resource temporarily unavailable/i.test(message)) return `EBUSY: ${path} is in use`;
  return message;
}

/**
 * A reconnecting serial link. The constructor only stores its options; `start()` opens the port
 * (or reports it offline and keeps retrying) and never throws; `stop()` closes it for good.
 * `reconnects` counts re-openings after a loss or failure that followed a first success.
 */
export class SerialLink extends EventEmitter<SerialLinkEvents> {
  readonly #options: SerialLinkOptions;
  #port: SerialPort | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #generation = 0;
  #attempt = 0;
  #everOnline = false;
  #state: LinkState | undefined;
  #reconnects = 0;

  constructor(options: SerialLinkOptions) {
    super();
    this.#options = { ...options };
  }

  /** The port path this link opens. */
  get path(): string {
    return this.#options.path;
  }

  /** True while the port is open. */
  get online(): boolean {
    return this.#state?.online === true;
  }

  /** Times the link was re-established after a loss. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Opens the port; resolves after the first attempt, online or not. Never throws. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#connect(this.#generation);
  }

  /** Stops retrying and closes the port; reports `{online: false, reason: 'stopped'}`. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#attempt = 0;
    this.#everOnline = false;
    const port = this.#port;
    this.#port = undefined;
    if (port !== undefined) await closePort(port);
    if (this.#state !== undefined) this.#setState({ online: false, reason: 'stopped' });
  }

  /** Writes bytes and resolves once they were handed to the OS. Rejects when offline. */
  async write(bytes: Uint8Array): Promise<void> {
    const port = this.#port;
    if (port === undefined || !port.isOpen) throw new Error(`serial link ${this.#options.path} is offline`);
    await writeAndDrain(port, bytes);
  }

  async #connect(generation: number): Promise<void> {
    let port: SerialPort;
    try {
      port = await openPort(this.#options, this.#options.binding);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#setState({ online: false, reason: describePortError(error, this.#options.path) });
      this.#scheduleRetry();
      return;
    }
    if (generation !== this.#generation) {
      await closePort(port); // stopped while opening
      return;
    }
    this.#port = port;
    this.#attempt = 0;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('close', (error: Error | null) => this.#onClose(port, error));
    if (this.#everOnline) this.#reconnects++;
    this.#everOnline = true;
    this.#setState({ online: true });
  }

  #onClose(port: SerialPort, error: Error | null): void {
    if (this.#port !== port) return; // closed by stop()
    this.#port = undefined;
    this.#setState({
      online: false,
      reason: error ? describePortError(error, this.#options.path) : 'closed',
    });
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (!this.#running) return;
    const delay = backoffDelay(this.#options.backoff, this.#attempt++, this.#options.random);
    const generation = this.#generation;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect(generation); // #connect handles every failure itself and never rejects
    }, delay);
  }

  #setState(state: LinkState): void {
    const previous = this.#state;
    if (previous?.online === state.online && previous.reason === state.reason) return;
    this.#state = state;
    this.emit('link', state);
  }
}
