/**
 * The PC/SC worker: a child process that the PC/SC driver forks (`pcsc-driver.ts`), because the
 * native binding blocks its thread — creating the `NFC` object spins until pcscd answers — and an
 * existing context never recovers from a pcscd restart (TESTBED.md, "PC/SC"). Whatever happens here,
 * the daemon's event loop keeps running; the driver kills and replaces this process.
 *
 * Life: ping the driver every heartbeat (argv[2], ms) from the first moment; load `nfc-pcsc` (an
 * optional dependency; argv[3] names another module, for tests) or report `unavailable` and exit;
 * check that pcscd accepts connections, or report `pcscd not running` and exit (creating `NFC`
 * then would spin); create `NFC`, report the readers attached, then `ready`, then readers as they
 * come and go, and for each card the UID it answers to `FF CA 00 00 00`. Automatic processing of
 * `nfc-pcsc` is off: it gives no UID for ISO 14443-4 (CPU) cards. When the PC/SC context or a
 * reader's watch fails, or pcscd stops or restarts, report it and exit. Messages: `pcsc-messages.ts`.
 */

import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import {
  WORKER_EXIT_NO_PCSCD,
  WORKER_EXIT_PCSC_ERROR,
  WORKER_EXIT_UNAVAILABLE,
  type WorkerMessage,
} from './pcsc-messages.js';

/** GET DATA, UID (PC/SC part 3): `FF CA 00 00 00`. */
const GET_UID = Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]);
/** pcscd's client socket (pcsc-lite's default, or `PCSCLITE_CSOCK_NAME` as libpcsclite reads it). */
const PCSCD_SOCKET = process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';
/** The pid file pcscd keeps beside its socket. */
const PCSCD_PID_FILE = join(dirname(PCSCD_SOCKET), 'pcscd.pid');

/** The parts of `nfc-pcsc`'s reader this worker uses. */
interface NfcReader {
  readonly name: string;
  autoProcessing: boolean;
  on(event: 'card' | 'card.off' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
}

/** The callback `@pokusew/pcsclite` gives its context's `start`: called with each list of readers. */
type ListCallback = (error: Error | undefined, readers?: Buffer) => void;

/** The parts of `nfc-pcsc`'s `NFC` this worker uses. */
interface Nfc {
  on(event: 'reader', listener: (reader: NfcReader) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** The `@pokusew/pcsclite` context, whose `start` it calls on the next tick after `new NFC()`. */
  readonly pcsc?: { start?: (callback: ListCallback) => void };
}

type NfcConstructor = new () => Nfc;

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

/** Sends a last message and exits once it is handed to the channel. */
function sendAndExit(message: WorkerMessage, code: number): void {
  if (!process.connected || process.send === undefined) process.exit(code);
  process.send(message, undefined, {}, () => process.exit(code));
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}

/** Whether pcscd accepts a connection on its socket (connect, then close at once). */
async function pcscdAnswers(): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(PCSCD_SOCKET);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Which pcscd runs: its pid when its pid file names a live process, else `'up'` when its socket
 * answers, else `undefined` (not running). A change means the daemon was stopped or restarted.
 */
async function pcscdIdentity(): Promise<number | 'up' | undefined> {
  const pid = Number.parseInt(await readFile(PCSCD_PID_FILE, 'utf8').catch(() => ''), 10);
  if (pid > 0) {
    try {
      process.kill(pid, 0);
      return pid;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPERM') return pid; // alive, another user's
    }
  }
  return (await pcscdAnswers()) ? 'up' : undefined;
}

/** Set once this worker is on its way out: it reports one failure, then exits. */
let exiting = false;

/** Reports `reason` as the failure of this worker's PC/SC context and exits. */
function exitWith(reason: string): void {
  if (exiting) return;
  exiting = true;
  sendAndExit({ type: 'error', reason }, WORKER_EXIT_PCSC_ERROR);
}

/**
 * Exits when pcscd stops or restarts: the context would never recover, and `nfc-pcsc` does not
 * always report the loss (its readers may just end).
 */
function watchDaemon(identity: number | 'up', everyMs: number): void {
  setInterval(() => {
    void pcscdIdentity().then((now) => {
      if (now === identity || exiting) return;
      exitWith(now === undefined ? 'pcscd not running' : 'pcscd restarted');
    });
  }, everyMs);
}

/**
 * Exits after a failure of the context or of a reader's watch, so that a new worker takes over:
 * neither recovers (a reader whose watch failed is not watched again while the list of readers stays
 * the same, so its cards would go unseen while this worker pings on). Says why: when pcscd stops,
 * the failures come a moment before its pid goes, so the daemon is watched for up to a second
 * before a failure counts as PC/SC's own.
 */
function failed(identity: number | 'up', error: Error): void {
  if (exiting) return;
  const deadline = performance.now() + 1000;
  const check = (): void => {
    void pcscdIdentity().then((now) => {
      if (exiting) return;
      if (now === undefined) exitWith('pcscd not running');
      else if (now !== identity) exitWith('pcscd restarted');
      else if (performance.now() >= deadline) exitWith(`PC/SC error: ${describe(error)}`);
      else setTimeout(check, 100);
    });
  };
  check();
}

/** The `NFC` class of `nfc-pcsc`, or why it cannot be had. */
async function loadNfc(name: string): Promise<NfcConstructor | string> {
  try {
    const loaded = (await import(name)) as { NFC?: NfcConstructor; default?: { NFC?: NfcConstructor } };
    const NFC = loaded.NFC ?? loaded.default?.NFC;
    return NFC ?? 'nfc-pcsc has no NFC export';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && describe(error).includes(name)) return 'nfc-pcsc is not installed';
    return `nfc-pcsc cannot be loaded: ${describe(error)}`;
  }
}

async function readUid(reader: NfcReader): Promise<void> {
  try {
    const response = await reader.transmit(GET_UID, 32);
    const sw = response.length >= 2 ? response.readUInt16BE(response.length - 2) : -1;
    if (response.length > 2 && sw === 0x9000) {
      const uid = response.subarray(0, -2).toString('hex').toUpperCase();
      send({ type: 'card', reader: reader.name, uid });
    } else {
      const status = response.toString('hex').toUpperCase() || 'nothing';
      send({ type: 'card.unreadable', reader: reader.name, reason: `GET UID answered ${status}` });
    }
  } catch (error) {
    send({ type: 'card.unreadable', reader: reader.name, reason: describe(error) });
  }
}

/**
 * Calls `listed` once `nfc-pcsc` has reported the readers attached at its start. It lists them in the
 * first callback of its context's `start`, emitting `reader` for each before that callback returns;
 * `start` is called on the next tick after `new NFC()`, so wrapping it right after construction sees
 * that callback. Without that hook (another `nfc-pcsc`), `listed` follows after `fallbackMs`.
 */
function afterFirstList(nfc: Nfc, listed: () => void, fallbackMs: number): void {
  const pcsc = nfc.pcsc;
  const start = pcsc?.start;
  if (pcsc === undefined || typeof start !== 'function') {
    setTimeout(listed, fallbackMs);
    return;
  }
  let first = true;
  pcsc.start = (callback) =>
    start.call(pcsc, (error, readers) => {
      callback(error, readers);
      if (first && error === undefined) listed(); // an error is the context's, and ends this worker
      first = false;
    });
}

function watch(nfc: Nfc, identity: number | 'up'): void {
  nfc.on('reader', (reader) => {
    reader.autoProcessing = false;
    const name = reader.name;
    send({ type: 'reader', name, attached: true });
    reader.on('card', () => void readUid(reader)); // readUid reports its own failures
    reader.on('card.off', () => send({ type: 'card.off', reader: name }));
    reader.on('error', (error) => {
      send({ type: 'error', reader: name, reason: describe(error) });
      failed(identity, error); // its watch ended: 'end' follows, and the reader would not come back
    });
    reader.on('end', () => send({ type: 'reader', name, attached: false }));
  });
  // no nfc.close(): the context is broken and this process ends, which releases it
  nfc.on('error', (error) => failed(identity, error));
}

async function main(): Promise<void> {
  if (process.send === undefined) {
    process.stderr.write('pcsc-worker: started by the PC/SC card reader driver (child_process.fork) only\n');
    process.exitCode = 64;
    return;
  }
  process.on('disconnect', () => process.exit(0)); // the driver is gone or stopped us
  const heartbeatMs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 1000;
  setInterval(() => send({ type: 'ping' }), heartbeatMs);
  send({ type: 'ping' });

  // a variable specifier: nfc-pcsc is an optional dependency, absent at compile time on some machines
  const NFC = await loadNfc(process.argv[3] || 'nfc-pcsc');
  if (typeof NFC === 'string') {
    sendAndExit({ type: 'unavailable', reason: NFC }, WORKER_EXIT_UNAVAILABLE);
    return;
  }
  const identity = await pcscdIdentity();
  if (identity === undefined) {
    sendAndExit({ type: 'error', reason: 'pcscd not running' }, WORKER_EXIT_NO_PCSCD);
    return;
  }
  // Blocks (spinning) if pcscd went away since the check: the pings stop and the driver kills us.
  const nfc = new NFC();
  watch(nfc, identity);
  afterFirstList(
    nfc,
    () => {
      if (!exiting) send({ type: 'ready' });
    },
    heartbeatMs,
  );
  watchDaemon(identity, heartbeatMs);
}

await main();
