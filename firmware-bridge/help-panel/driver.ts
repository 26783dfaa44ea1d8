/**
 * Drives a wired help-button panel on a serial port: `$HB` and `$AL` lines in, `heartbeat` and
 * `help.pressed` device events out; `$AK` out when the edge has an alarm on disk. Reports the link
 * state and counts malformed lines and reconnections; knows nothing of what an alarm means to the
 * business, and does not deduplicate: every repeat of an alarm is an event (the edge dedupes).
 */

import type { Transform } from 'node:stream';
import { type HeartbeatEvent, type HelpPressedEvent, isoNow } from '../device-events.js';
import {
  DEFAULT_SERIAL_BACKOFF,
  LineDeviceDriver,
  type LineDeviceOptions,
} from '../serial/line-device-driver.js';
import { encodeAck, type PanelFrame, PanelLineDecoder, type PanelMalformed } from './codec.js';

/** The panel's heartbeat interval in seconds (DESIGN.md): what the edge supervises it against. */
export const PANEL_HEARTBEAT_S = 30;

/** Backoff used when the caller gives none: 0.5 s doubling to 30 s. */
export const DEFAULT_PANEL_BACKOFF = DEFAULT_SERIAL_BACKOFF;

/** Options of {@link HelpPanelDriver}. Line settings are required: a device's are never guessed. */
export type HelpPanelDriverOptions = LineDeviceOptions;

/** A help-button panel driver (see {@link LineDeviceDriver} for the lifecycle). */
export class HelpPanelDriver extends LineDeviceDriver<
  PanelFrame,
  HeartbeatEvent | HelpPressedEvent,
  PanelMalformed
> {
  /**
   * Sends `$AK,<seq>*CS` CR LF: call it once the alarm `seq` is on disk, and again for every repeat.
   * Resolves once the bytes were handed to the OS; rejects when the port is down (the panel keeps
   * repeating, so the next repeat gets its ack) or `seq` is not an integer 0–65535.
   */
  async ack(seq: number): Promise<void> {
    const bytes = encodeAck(seq); // throws RangeError for a bad seq: rejects this promise
    await this.write(bytes);
  }

  protected createDecoder(): Transform {
    return new PanelLineDecoder({ source: 'panel' });
  }

  protected toEvent(frame: PanelFrame): HeartbeatEvent | HelpPressedEvent {
    const ts = isoNow(this.options.now);
    if (frame.kind === 'hb') return { type: 'heartbeat', ts, seq: frame.seq };
    return { type: 'help.pressed', ts, seq: frame.seq, key: frame.key, button: frame.buttonId };
  }
}
