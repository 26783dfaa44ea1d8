/**
 * What the PC/SC worker (`pcsc-worker.ts`, a child process) tells its driver over the IPC channel,
 * as JSON. The worker sends; the driver validates each message with {@link parseWorkerMessage} and
 * ignores anything else.
 */

/** The worker is alive; sent every heartbeat interval from its start, also while pcscd is down. */
export interface WorkerPing {
  type: 'ping';
}

/** `nfc-pcsc` cannot be loaded: the worker exits and is not restarted. */
export interface WorkerUnavailable {
  type: 'unavailable';
  reason: string;
}

/**
 * The worker holds a PC/SC context and has reported the readers attached at its start (each in a
 * {@link WorkerReader} before this): a driver without a reader may now say that none is there.
 * Readers reported after this were plugged in later.
 */
export interface WorkerReady {
  type: 'ready';
}

/** A reader appeared or disappeared. */
export interface WorkerReader {
  type: 'reader';
  name: string;
  attached: boolean;
}

/** A card came onto `reader` and answered `FF CA 00 00 00` with `uid` (upper-case hex). */
export interface WorkerCard {
  type: 'card';
  reader: string;
  uid: string;
}

/** The card left `reader`. */
export interface WorkerCardOff {
  type: 'card.off';
  reader: string;
}

/** A card came onto `reader` but gave no UID (connect failed, or the APDU was refused). */
export interface WorkerCardUnreadable {
  type: 'card.unreadable';
  reader: string;
  reason: string;
}

/**
 * A PC/SC failure. With `reader`: that reader's watch failed, and a failure without `reader` follows.
 * Without: the worker exits next (an existing context never recovers, nor does a failed watch).
 */
export interface WorkerError {
  type: 'error';
  reason: string;
  reader?: string;
}

/** Any message of the worker. */
export type WorkerMessage =
  | WorkerPing
  | WorkerUnavailable
  | WorkerReady
  | WorkerReader
  | WorkerCard
  | WorkerCardOff
  | WorkerCardUnreadable
  | WorkerError;

/** Exit code of a worker that found pcscd not running (the driver restarts it with backoff). */
export const WORKER_EXIT_NO_PCSCD = 3;
/** Exit code of a worker whose PC/SC context failed (pcscd stopped or restarted). */
export const WORKER_EXIT_PCSC_ERROR = 4;
/** Exit code of a worker without `nfc-pcsc`. */
export const WORKER_EXIT_UNAVAILABLE = 5;

/** What a worker's exit code says, for when its last message did not arrive. */
export function workerExitReason(code: number | null): string | undefined {
  if (code === WORKER_EXIT_NO_PCSCD) return 'pcscd not running';
  if (code === WORKER_EXIT_UNAVAILABLE) return 'nfc-pcsc cannot be loaded';
  return undefined;
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** The message in `value`, or `undefined` when it is not one the worker sends. */
export function parseWorkerMessage(value: unknown): WorkerMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'ping':
    case 'ready':
      return { type: m.type };
    case 'unavailable':
      return isString(m.reason) ? { type: 'unavailable', reason: m.reason } : undefined;
    case 'reader':
      return isString(m.name) && typeof m.attached === 'boolean'
        ? { type: 'reader', name: m.name, attached: m.attached }
        : undefined;
    case 'card':
      return isString(m.reader) && isString(m.uid) && /^(?:[0-9A-F]{2})+$/.test(m.uid)
        ? { type: 'card', reader: m.reader, uid: m.uid }
        : undefined;
    case 'card.off':
      return isString(m.reader) ? { type: 'card.off', reader: m.reader } : undefined;
    case 'card.unreadable':
      return isString(m.reader) && isString(m.reason)
        ? { type: 'card.unreadable', reader: m.reader, reason: m.reason }
        : undefined;
    case 'error':
      if (!isString(m.reason)) return undefined;
      return isString(m.reader)
        ? { type: 'error', reason: m.reason, reader: m.reader }
        : { type: 'error', reason: m.reason };
    default:
      return undefined;
  }
}
