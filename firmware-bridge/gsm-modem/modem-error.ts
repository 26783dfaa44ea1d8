/**
 * The one error the GSM modem driver rejects with. Its message is log-safe: it names the AT
 * command and the modem's answer, never a phone number or message text (personal data).
 */

/**
 * Why a modem operation failed:
 * - `timeout`: no answer (or no `> ` prompt) in time; the driver re-initialises the modem next.
 * - `error`: the modem answered `ERROR` (or an answer the driver could not use).
 * - `cms-error`: `+CMS ERROR: <n>` (TS 27.005 §3.2.5), e.g. 330 SMSC address unknown, 331 no network.
 * - `cme-error`: `+CME ERROR: <n>` (TS 27.007 §9.2), e.g. 10 SIM not inserted.
 * - `link-down`: the serial port is closed or was lost (or the driver was stopped).
 * - `not-ready`: the port is open but the modem did not complete its initialisation (no answer to
 *   `AT`, or it refused `AT+CMGF=0`); the driver keeps retrying it.
 */
export type ModemErrorCode = 'timeout' | 'error' | 'cms-error' | 'cme-error' | 'link-down' | 'not-ready';

/** Details of a {@link ModemError}. */
export interface ModemErrorDetails {
  /** The numeric `+CMS ERROR` / `+CME ERROR` code, when the modem gave one. */
  modemCode?: number;
  /** The AT command that failed, without its arguments (`AT+CMGS`). */
  command?: string;
  /** For an SMS: parts the modem had accepted before the failure (they may be delivered). */
  partsSent?: number;
}

/** A failed modem operation, with a machine-readable {@link ModemErrorCode}. */
export class ModemError extends Error {
  override name = 'ModemError';
  readonly code: ModemErrorCode;
  readonly modemCode: number | undefined;
  readonly command: string | undefined;
  readonly partsSent: number | undefined;

  constructor(code: ModemErrorCode, message: string, details: ModemErrorDetails = {}) {
    super(message);
    this.code = code;
    this.modemCode = details.modemCode;
    this.command = details.command;
    this.partsSent = details.partsSent;
  }

  /** A copy with `partsSent` set (the SMS layer adds it to a command-level error). */
  withPartsSent(partsSent: number, totalParts: number): ModemError {
    const message =
      totalParts === 1
        ? this.message
        : `${this.message} (part ${partsSent + 1} of ${totalParts}, ${partsSent} sent)`;
    return new ModemError(this.code, message, {
      ...(this.modemCode === undefined ? {} : { modemCode: this.modemCode }),
      ...(this.command === undefined ? {} : { command: this.command }),
      partsSent,
    });
  }
}
