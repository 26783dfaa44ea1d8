/**
 * Drives a PC/SC card reader through `nfc-pcsc`, supervising the worker child process that holds
 * the PC/SC context (`pcsc-worker.ts`; DESIGN.md, "Card reader"). A missing or restarting pcscd, a
 * blocked native binding or a missing `nfc-pcsc` never reaches this process: the worker is
 * restarted with backoff when it exits, and killed and restarted when it stops pinging (or, newly
 * started, does not ping within {@link DEFAULT_PCSC_WORKER_START_TIMEOUT_MS}: starting Node, and tsx
 * from a checkout, takes seconds on a busy machine, so a start is not judged by the heartbeat).
 *
 * Each driver binds to one reader: the one whose name contains `reader`, or, without it, the first
 * one that a {@link PcscReaderClaims} registry lets it take. It is online while that reader is
 * attached. It emits one `card.tapped` per presence of a card, with the same-UID cooldown.
 */

import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type CardTappedEvent, type DriverCounters, isoNow, type LinkState } from '../device-events.js';
import { type Backoff, backoffDelay } from '../serial/serial-link.js';
import { TapCooldown } from './cooldown.js';
import { PcscReaderClaims } from './pcsc-claims.js';
import {
  parseWorkerMessage,
  WORKER_EXIT_UNAVAILABLE,
  type WorkerMessage,
  workerExitReason,
} from './pcsc-messages.js';
import { forkPcscWorker } from './pcsc-spawn.js';

/**
 * How long a new worker may take to send its first message when the caller gives no
 * `workerStartTimeoutMs`. Until then the worker runs Node's (from a checkout, tsx's) start-up, no
 * PC/SC: from a checkout that took up to 6 s with two cores overloaded, so judged by the heartbeat
 * (5 s by default, 3 s in tests) healthy workers were killed at start, again and again.
 */
export const DEFAULT_PCSC_WORKER_START_TIMEOUT_MS = 30_000;

/** Restart backoff when the caller gives none: 0.25 s doubling to 5 s. */
export const DEFAULT_PCSC_RESTART_BACKOFF: Backoff = { initialMs: 250, maxMs: 5000 };

/** Options of {@link PcscCardReaderDriver}. */
export interface PcscCardReaderDriverOptions {
  deviceId: string;
  /** A substring of the PC/SC reader name; absent: any reader not claimed by another device. */
  reader?: string;
  /** The registry shared by all PC/SC drivers of the process; a private one when absent. */
  claims?: PcscReaderClaims;
  /** Same-UID cooldown in ms; 1500 when absent. */
  cooldownMs?: number;
  /** How often the worker pings, in ms; 1000 when absent. */
  workerHeartbeatMs?: number;
  /** Silence after which the worker is killed and replaced, in ms; 5 heartbeats when absent. */
  workerTimeoutMs?: number;
  /**
   * How long a new worker may take to send its first message before it is killed and replaced, in
   * ms; {@link DEFAULT_PCSC_WORKER_START_TIMEOUT_MS} (or `workerTimeoutMs` when longer) when absent.
   */
  workerStartTimeoutMs?: number;
  /** Backoff between worker restarts; {@link DEFAULT_PCSC_RESTART_BACKOFF} when absent. */
  restartBackoff?: Backoff;
  /** Clock for event timestamps and the cooldown, in ms since the epoch. */
  now?: () => number;
  /** Module the worker loads instead of `nfc-pcsc` (tests). */
  nfcModule?: string;
}

/** A card came onto the reader but gave no UID. */
export interface PcscMalformed {
  reason: string;
}

/** Events of a {@link PcscCardReaderDriver}. */
export interface PcscCardReaderDriverEvents {
  event: [event: CardTappedEvent];
  link: [state: LinkState];
  malformed: [malformed: PcscMalformed];
}

/**
 * A PC/SC card reader driver. The constructor only stores its options; `start()` starts the worker
 * and never throws; `stop()` kills it. Link reasons are plain: `pcscd not running`, `reader
 * detached`, `nfc-pcsc is not installed`, `no reader attached`, `PC/SC worker not answering` …
 */
export class PcscCardReaderDriver extends EventEmitter<PcscCardReaderDriverEvents> {
  readonly deviceId: string;
  readonly #options: PcscCardReaderDriverOptions;
  readonly #claims: PcscReaderClaims;
  readonly #cooldown: TapCooldown;
  readonly #heartbeatMs: number;
  readonly #timeoutMs: number;
  readonly #startTimeoutMs: number;
  #running = false;
  #child: ChildProcess | undefined;
  #lastHeard = 0;
  /** Whether the current worker has sent anything yet (before that, the start timeout applies). */
  #heard = false;
  /** The current worker reported a failure of its PC/SC context and exits: its readers are gone. */
  #failing = false;
  #watchdog: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #starts = 0;
  #lastError: string | undefined;
  #stderr = '';
  /** Readers the current worker reports attached, in the order they came. */
  #attached = new Set<string>();
  /** The current worker reported `ready`: the readers attached at its start are all known. */
  #listed = false;
  #present: string | undefined;
  #state: LinkState | undefined;
  #everOnline = false;
  #malformed = 0;
  #reconnects = 0;

  constructor(options: PcscCardReaderDriverOptions) {
    super();
    this.deviceId = options.deviceId;
    this.#options = { ...options };
    this.#claims = options.claims ?? new PcscReaderClaims();
    this.#cooldown = new TapCooldown({
      ...(options.cooldownMs === undefined ? {} : { cooldownMs: options.cooldownMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    this.#heartbeatMs = options.workerHeartbeatMs ?? 1000;
    this.#timeoutMs = options.workerTimeoutMs ?? 5 * this.#heartbeatMs;
    this.#startTimeoutMs =
      options.workerStartTimeoutMs ?? Math.max(DEFAULT_PCSC_WORKER_START_TIMEOUT_MS, this.#timeoutMs);
  }

  /** Cards that gave no UID, and times the reader came back after a loss. */
  get counters(): DriverCounters {
    return { malformed: this.#malformed, reconnects: this.#reconnects };
  }

  /** True while the bound reader is attached. */
  get online(): boolean {
    return this.#state?.online === true;
  }

  /** The name of the reader this driver holds (attached or not), if any. */
  get readerName(): string | undefined {
    return this.#claims.claimOf(this.deviceId);
  }

  /** How many worker processes were started (the first included). */
  get workerStarts(): number {
    return this.#starts;
  }

  /** Starts the worker; resolves once it is spawned. Never throws. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#claims.register(this.deviceId, this.#options.reader);
    this.#watchdog = setInterval(() => this.#checkWorker(), this.#heartbeatMs);
    await this.#spawn();
  }

  /** Kills the worker, gives up the reader, reports `{online: false, reason: 'stopped'}`. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#watchdog);
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    this.#claims.unregister(this.deviceId);
    this.#attached.clear();
    this.#present = undefined;
    if (this.#state !== undefined) this.#setState({ online: false, reason: 'stopped' });
    this.#everOnline = false; // a later start()'s first connection is no reconnection
  }

  async #spawn(): Promise<void> {
    this.#starts++;
    this.#lastError = undefined;
    this.#stderr = '';
    this.#listed = false;
    this.#failing = false;
    this.#heard = false;
    this.#lastHeard = performance.now();
    const child = forkPcscWorker(this.#heartbeatMs, this.#options.nfcModule);
    this.#child = child;
    child.stderr?.on('data', (data: Buffer) => {
      this.#stderr = (this.#stderr + data.toString()).slice(-500);
    });
    child.on('message', (message) => {
      const parsed = parseWorkerMessage(message);
      if (parsed !== undefined && this.#child === child) this.#onMessage(parsed);
    });
    child.once('exit', (code, signal) => {
      if (this.#child === child) this.#onExit(code, signal);
    });
    await new Promise<void>((resolve) => {
      child.once('spawn', resolve);
      child.once('error', () => {
        if (child.pid === undefined && this.#child === child) this.#onExit(null, null); // fork failed
        resolve();
      });
    });
  }

  #onMessage(message: WorkerMessage): void {
    this.#lastHeard = performance.now();
    this.#heard = true;
    // A worker that reported a failure exits next; nothing it says until then brings a reader back.
    if (this.#failing) return;
    switch (message.type) {
      case 'ping':
        return;
      case 'unavailable':
        this.#fail(message.reason); // the exit code (no restart) follows
        return;
      case 'ready':
        this.#attempt = 0;
        this.#listed = true;
        this.#evaluate(true);
        return;
      case 'reader':
        if (message.attached) this.#attached.add(message.name);
        else this.#attached.delete(message.name);
        if (!message.attached && message.name === this.readerName) {
          this.#present = undefined;
          this.#setState({ online: false, reason: 'reader detached' });
        }
        this.#evaluate(message.attached && this.#listed);
        return;
      case 'error':
        if (message.reader !== undefined) return; // the worker exits when a reader's watch fails
        this.#fail(message.reason);
        return;
      default:
        this.#onCard(message);
    }
  }

  /** The current worker's PC/SC context failed (it exits next): offline with `reason`. */
  #fail(reason: string): void {
    this.#failing = true;
    this.#lastError = reason;
    this.#attached.clear();
    this.#present = undefined;
    this.#setState({ online: false, reason });
  }

  #onCard(message: Extract<WorkerMessage, { type: 'card' | 'card.off' | 'card.unreadable' }>): void {
    if (!this.online || message.reader !== this.readerName) return;
    if (message.type === 'card') {
      this.#present = message.uid;
      if (this.#cooldown.seen(message.uid)) {
        this.emit('event', { type: 'card.tapped', ts: isoNow(this.#options.now), uid: message.uid });
      }
    } else if (message.type === 'card.off') {
      if (this.#present !== undefined) this.#cooldown.left(this.#present);
      this.#present = undefined;
    } else {
      this.#malformed++;
      this.emit('malformed', { reason: message.reason });
    }
  }

  /**
   * Binds to a reader: the held one when attached; else, when none is held or `mayTakeAnother` (a
   * reader plugged in after `ready`, or `ready` itself: never one of the readers a new worker lists
   * at its start, as after a pcscd restart, nor a detachment), the first attached one the registry
   * allows. Before `ready` it gives no reason for being offline: the list of readers is incomplete.
   */
  #evaluate(mayTakeAnother: boolean): void {
    const held = this.readerName;
    if (held !== undefined && this.#attached.has(held)) {
      this.#setState({ online: true });
      return;
    }
    if (held === undefined || mayTakeAnother) {
      for (const name of this.#attached) {
        if (this.#claims.claim(this.deviceId, name)) {
          this.#present = undefined;
          this.#setState({ online: true });
          return;
        }
      }
    }
    if (this.#listed && !this.online)
      this.#setState({ online: false, reason: this.#claims.whyNoReader(this.deviceId, this.#attached) });
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#child = undefined;
    this.#attached.clear();
    this.#present = undefined;
    if (!this.#running) return;
    // the exit code tells what a last message (which may arrive after 'exit') says
    this.#lastError ??= workerExitReason(code);
    const detail = this.#stderr.trim().split('\n').pop();
    const reason =
      this.#lastError ?? `PC/SC worker exited (${signal ?? `code ${code}`})${detail ? `: ${detail}` : ''}`;
    this.#setState({ online: false, reason });
    if (code === WORKER_EXIT_UNAVAILABLE) return; // nfc-pcsc will not appear by itself: no restart
    const delay = backoffDelay(this.#options.restartBackoff ?? DEFAULT_PCSC_RESTART_BACKOFF, this.#attempt++);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#running && this.#child === undefined) void this.#spawn(); // #spawn never rejects
    }, delay);
  }

  #checkWorker(): void {
    const child = this.#child;
    const limit = this.#heard ? this.#timeoutMs : this.#startTimeoutMs;
    if (child === undefined || performance.now() - this.#lastHeard <= limit) return;
    this.#lastError = 'PC/SC worker not answering';
    child.kill('SIGKILL'); // a blocked native call ignores everything else; 'exit' restarts it
  }

  #setState(state: LinkState): void {
    const previous = this.#state;
    if (previous?.online === state.online && previous.reason === state.reason) return;
    if (state.online && previous?.online !== true) {
      if (this.#everOnline) this.#reconnects++;
      this.#everOnline = true;
    }
    this.#state = state;
    this.emit('link', state);
  }
}
