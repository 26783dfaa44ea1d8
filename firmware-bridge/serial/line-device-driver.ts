/**
 * What every line-framed serial device driver shares: a reconnecting link with explicit line
 * settings, a fresh decoder per connection (a partial frame cut by a disconnect is dropped, never
 * glued to the next), counters of malformed frames and reconnections, and typed events. A device
 * supplies its decoder and how a frame becomes a device event.
 */

import { EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';
import type { DriverCounters, LinkState } from '../device-events.js';
import { type Backoff, type SerialBinding, SerialLink, type SerialSettings } from './serial-link.js';

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_SERIAL_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/** Options every line device driver takes. Line settings are required: a device's are never guessed. */
export interface LineDeviceOptions extends SerialSettings {
  deviceId: string;
  /** Reconnection backoff; {@link DEFAULT_SERIAL_BACKOFF} when absent. */
  backoff?: Backoff;
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
  /** Clock for event timestamps, in ms since the epoch. */
  now?: () => number;
}

export interface LineDeviceEvents<E, M> {
  event: [event: E];
  link: [state: LinkState];
  malformed: [malformed: M];
}

/**
 * The constructor only stores its options; `start()` opens the port (or reports it offline and
 * retries) and never throws; `stop()` closes it.
 */
export abstract class LineDeviceDriver<
  F,
  E,
  M,
  O extends LineDeviceOptions = LineDeviceOptions,
> extends EventEmitter<LineDeviceEvents<E, M>> {
  readonly deviceId: string;
  protected readonly options: O;
  #link: SerialLink | undefined;
  #decoder: Transform | undefined;
  #malformed = 0;
  #reconnectsOfEarlierLinks = 0;

  constructor(options: O) {
    super();
    this.deviceId = options.deviceId;
    this.options = { ...options };
  }

  /** A decoder for one connection: bytes in, frames (`data`) and `malformed` out. */
  protected abstract createDecoder(): Transform;

  /** The device event a frame is, or undefined for frames that are no event. */
  protected abstract toEvent(frame: F): E | undefined;

  /** Malformed frames dropped and reconnections made since construction. */
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
    const { path, baudRate, dataBits, parity, stopBits, binding } = this.options;
    const link = new SerialLink({
      path,
      baudRate,
      dataBits,
      parity,
      stopBits,
      backoff: this.options.backoff ?? DEFAULT_SERIAL_BACKOFF,
      ...(binding === undefined ? {} : { binding }),
    });
    this.#link = link;
    link.on('data', (chunk) => this.#decoder?.write(chunk));
    link.on('link', (state) => {
      this.#endDecoder();
      if (state.online) this.#decoder = this.#wire(this.createDecoder());
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

  /** Writes to the device; rejects when the driver is stopped or the port is down. */
  protected async write(bytes: Uint8Array): Promise<void> {
    const link = this.#link;
    if (link === undefined) throw new Error(`device ${this.deviceId} is stopped`);
    await link.write(bytes);
  }

  #wire(decoder: Transform): Transform {
    decoder.on('data', (frame: F) => {
      const e = this.toEvent(frame);
      if (e !== undefined) this.emit('event', e);
    });
    decoder.on('malformed', (m: M) => {
      this.#malformed++;
      this.emit('malformed', m);
    });
    return decoder;
  }

  /** Ends the current decoder: complete frames already decoded are still delivered, a partial one is dropped. */
  #endDecoder(): void {
    this.#decoder?.end();
    this.#decoder = undefined;
  }
}
