/**
 * Drives a serial card reader: UID lines in (`uidFormat` hex or decimal), `card.tapped` device
 * events out, with the same-UID cooldown. Reports the link state and counts malformed lines and
 * reconnections; knows nothing of what a card means to the business.
 */

import type { Transform } from 'node:stream';
import { type CardTappedEvent, isoNow } from '../device-events.js';
import {
  DEFAULT_SERIAL_BACKOFF,
  LineDeviceDriver,
  type LineDeviceOptions,
} from '../serial/line-device-driver.js';
import { CardLineDecoder, type CardMalformed, type UidFormat } from './codec.js';
import { TapCooldown } from './cooldown.js';

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_CARD_BACKOFF = DEFAULT_SERIAL_BACKOFF;

/** Options of {@link SerialCardReaderDriver}. Line settings and the UID format are required. */
export interface SerialCardReaderDriverOptions extends LineDeviceOptions {
  /** How the reader writes the UID (docs/protocols.md, "Card readers"). */
  uidFormat: UidFormat;
  /** Same-UID cooldown in ms; 1500 when absent. `now` is its clock too. */
  cooldownMs?: number;
}

/**
 * A serial card reader driver (see {@link LineDeviceDriver} for the lifecycle). Every UID line is a
 * sighting: a reader that repeats the line while a card lies on it gives one tap. The cooldown
 * survives reconnections.
 */
export class SerialCardReaderDriver extends LineDeviceDriver<
  string,
  CardTappedEvent,
  CardMalformed,
  SerialCardReaderDriverOptions
> {
  readonly #cooldown: TapCooldown;

  constructor(options: SerialCardReaderDriverOptions) {
    super(options);
    this.#cooldown = new TapCooldown({
      ...(options.cooldownMs === undefined ? {} : { cooldownMs: options.cooldownMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }

  protected createDecoder(): Transform {
    return new CardLineDecoder(this.options.uidFormat);
  }

  protected toEvent(uid: string): CardTappedEvent | undefined {
    if (!this.#cooldown.seen(uid)) return undefined;
    return { type: 'card.tapped', ts: isoNow(this.options.now), uid };
  }
}
