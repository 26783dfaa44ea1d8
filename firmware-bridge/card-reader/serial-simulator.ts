/**
 * A serial card reader simulator: opens a serial port (the far end of a pty pair, or a real port
 * wired to the edge) and writes a UID line for each card, as a cheap reader does. With `repeatMs`
 * it repeats the line while the card is held, as many readers do; for fault injection it writes
 * raw bytes.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { SerialBinding, SerialSettings } from '../serial/port-io.js';
import { SerialPeer } from '../serial/serial-peer.js';
import { encodeCardLine, type UidFormat } from './codec.js';

/** Options of {@link SerialCardReaderSimulator}. */
export interface SerialCardReaderSimulatorOptions extends SerialSettings {
  /** How the reader writes UIDs. */
  uidFormat: UidFormat;
  /** Line terminator; CR LF when absent. */
  terminator?: '\r' | '\n' | '\r\n';
  /** Injected serialport binding (unit tests). */
  binding?: SerialBinding;
}

/** How a card is presented. */
export interface SerialTapOptions {
  /** How long the card stays on the reader, in ms; 0 (a single line) when absent. */
  holdMs?: number;
  /** While held, the line is repeated every this many ms (a reader that reads continuously). */
  repeatMs?: number;
  /** Stops a hold early. */
  signal?: AbortSignal;
}

/**
 * A card reader on a serial port. `open()` rejects with a plain reason when the port cannot be
 * opened; writes reject once the port is gone. The constructor has no side effects.
 */
export class SerialCardReaderSimulator extends SerialPeer {
  readonly #options: SerialCardReaderSimulatorOptions;

  constructor(options: SerialCardReaderSimulatorOptions) {
    super(options, options.binding);
    this.#options = { ...options };
  }

  /**
   * Presents a card: writes its UID line, and with `holdMs` and `repeatMs` repeats it while held.
   * Resolves with the number of lines written. Throws a `RangeError` for a UID the format cannot carry.
   */
  async tap(uid: string, options: SerialTapOptions = {}): Promise<number> {
    const line = encodeCardLine(uid, this.#options.uidFormat, this.#options.terminator);
    const { holdMs = 0, repeatMs, signal } = options;
    const until = Date.now() + holdMs;
    let lines = 0;
    for (;;) {
      await this.writeRaw(line);
      lines++;
      if (repeatMs === undefined || signal?.aborted || Date.now() + repeatMs > until) break;
      const stopped = await sleep(repeatMs, false, signal ? { signal } : {}).catch(() => true);
      if (stopped) break;
    }
    const rest = until - Date.now();
    if (rest > 0 && !signal?.aborted) await sleep(rest, undefined, signal ? { signal } : {}).catch(() => {});
    return lines;
  }
}
