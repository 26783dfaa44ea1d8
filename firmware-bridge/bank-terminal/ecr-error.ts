/**
 * The one error the ECR link and the bank terminal driver reject with. Its message is log-safe: it
 * names the message type and the rule, never a field value (a card number, a memo).
 */

/**
 * Why an ECR operation failed, and whether the terminal may have taken the message:
 * - `invalid`: the arguments break a rule of the protocol (ref, amount, memo); nothing was sent.
 * - `busy`: the same request (type and ref, or a settlement) is still waiting for its answer;
 *   nothing was sent.
 * - `offline`: the serial port is not open, or the driver is stopped; nothing was written.
 * - `no-ack`: written, but not acknowledged after the last send (NAK or no ACK in time, each
 *   time); the link is reported down. The terminal may have taken it.
 * - `link-lost`: the port closed (or the driver stopped) after the message was written and before
 *   its answer. The terminal may have taken it.
 * - `timeout`: acknowledged, but no answer in time. The terminal took it.
 */
export type EcrErrorCode = 'invalid' | 'busy' | 'offline' | 'no-ack' | 'link-lost' | 'timeout';

/** Whether the terminal may have received the message: what the caller must assume. */
export type EcrReached = 'no' | 'maybe' | 'yes';

const REACHED: Readonly<Record<EcrErrorCode, EcrReached>> = {
  invalid: 'no',
  busy: 'no',
  offline: 'no',
  'no-ack': 'maybe',
  'link-lost': 'maybe',
  timeout: 'yes',
};

/** A failed ECR operation, with a machine-readable {@link EcrErrorCode}. */
export class EcrError extends Error {
  override name = 'EcrError';
  readonly code: EcrErrorCode;

  constructor(code: EcrErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  /** `no`: the terminal never saw it; `maybe`: it may have; `yes`: it acknowledged it. */
  get reachedTerminal(): EcrReached {
    return REACHED[this.code];
  }
}
