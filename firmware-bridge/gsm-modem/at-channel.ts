/**
 * One AT exchange at a time over a serial link: writes a command (or the PDU after the prompt),
 * collects the intermediate lines and resolves on the final result code (or on the `> ` prompt),
 * rejects on timeout or link loss. It does no queueing: the driver runs one exchange at a time.
 * Lines that answer nothing (unsolicited result codes, a late answer to a command that timed out)
 * are counted and otherwise ignored.
 */

import { type FinalLine, isFinal, type ModemLine } from './codec.js';
import { ModemError } from './modem-error.js';

/** What ended an exchange: the prompt, or a final result code; with the lines before it. */
export interface AtAnswer {
  final?: FinalLine;
  prompt?: true;
  /** Intermediate and information lines, in order. */
  info: string[];
}

/** What an exchange waits for. */
export type AtUntil = 'final' | 'prompt';

interface Pending {
  until: AtUntil;
  info: string[];
  resolve: (answer: AtAnswer) => void;
  reject: (error: ModemError) => void;
  timer: NodeJS.Timeout;
}

/** The AT command name of a command line, without arguments, for log-safe errors (`AT+CMGS`). */
export function commandName(command: string): string {
  return /^AT[+^&]?[A-Z]*/i.exec(command)?.[0]?.toUpperCase() ?? 'AT';
}

/**
 * Turns a final result code into a {@link ModemError} (`OK` into `undefined`): `ERROR`, `+CMS
 * ERROR: n`, `+CME ERROR: n`, with the numeric code when there is one.
 */
export function finalError(final: FinalLine, command: string): ModemError | undefined {
  const name = commandName(command);
  if (final.kind === 'ok') return undefined;
  if (final.kind === 'error')
    return new ModemError('error', `modem answered ERROR to ${name}`, { command: name });
  const label = final.kind === 'cms-error' ? '+CMS ERROR' : '+CME ERROR';
  // The text of a verbose error is the modem's own wording (`SIM not inserted`), never user data.
  return new ModemError(final.kind, `modem answered ${label}: ${final.text} to ${name}`, {
    command: name,
    ...(final.code === undefined ? {} : { modemCode: final.code }),
  });
}

/** Runs AT exchanges over `write`; feed it every decoded line through {@link AtChannel.onLine}. */
export class AtChannel {
  readonly #write: (bytes: Uint8Array) => Promise<void>;
  #pending: Pending | undefined;
  #unsolicited = 0;

  constructor(write: (bytes: Uint8Array) => Promise<void>) {
    this.#write = write;
  }

  /** Lines that answered nothing: unsolicited result codes and stray or late answers. */
  get unsolicited(): number {
    return this.#unsolicited;
  }

  /**
   * Writes `bytes` (a command line with its CR, or a PDU with its Ctrl-Z) and waits up to
   * `timeoutMs` for `until`. `command` names the exchange in errors. Rejects with a
   * {@link ModemError}: `timeout`, or `link-down` when the write fails or {@link fail} is called.
   */
  async exchange(command: string, bytes: Uint8Array, until: AtUntil, timeoutMs: number): Promise<AtAnswer> {
    if (this.#pending !== undefined) throw new Error('AtChannel: one exchange at a time');
    const name = commandName(command);
    const answer = new Promise<AtAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle()?.reject(
          new ModemError(
            'timeout',
            `no ${until === 'prompt' ? 'prompt' : 'answer'} to ${name} in ${timeoutMs} ms`,
            {
              command: name,
            },
          ),
        );
      }, timeoutMs);
      this.#pending = { until, info: [], resolve, reject, timer };
    });
    try {
      await this.#write(bytes);
    } catch {
      this.fail(new ModemError('link-down', `serial link lost while writing ${name}`, { command: name }));
    }
    return await answer;
  }

  /** Rejects the exchange in progress, if any (the link was lost or the driver stopped). */
  fail(error: ModemError): void {
    this.#settle()?.reject(error);
  }

  /** Handles one decoded line from the modem. */
  onLine(line: ModemLine): void {
    if (line.kind === 'echo') return;
    const pending = this.#pending;
    if (line.kind === 'urc' || pending === undefined) {
      this.#unsolicited++;
      return;
    }
    if (line.kind === 'info') {
      pending.info.push(line.text);
    } else if (line.kind === 'prompt') {
      if (pending.until === 'prompt') this.#settle()?.resolve({ prompt: true, info: pending.info });
      else this.#unsolicited++;
    } else if (isFinal(line)) {
      // No modem answers OK to AT+CMGS=<n> before the prompt: an OK then is a late answer to an
      // earlier command, not the end of this one.
      if (pending.until === 'prompt' && line.kind === 'ok') this.#unsolicited++;
      else this.#settle()?.resolve({ final: line, info: pending.info });
    }
  }

  #settle(): Pending | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) clearTimeout(pending.timer);
    return pending;
  }
}
