/** The config client's interfaces: what the edge provides, how it is set up, what it reports. */
import type { ConfigBundle, ConfigEdit, ConfigEditsAnswer } from '../protocol/config.js';
import type { Transport } from './http-transport.js';

/** What the edge keeps: the bundle version, the pending edits, their outcomes. */
export interface ConfigSyncStore {
  /** The bundle version the edge holds (0: none yet): the next pull's `since`. */
  version(): number;
  /**
   * Up to `max` pending edits with their data as it stands now, in the order to send. The store
   * notes (durably, before it resolves) that they may have reached the cloud: a later local edit
   * of the same entity then waits for their outcome instead of replacing them.
   */
  pendingEdits(max: number): Promise<ConfigEdit[]>;
  /** The cloud's answer to edits sent: each one applied, in conflict or rejected. */
  settle(sent: readonly ConfigEdit[], answer: ConfigEditsAnswer): Promise<void>;
  /** Applies a bundle in one write, its version included. `bundle.since === 0`: the whole config. */
  apply(bundle: ConfigBundle): Promise<void>;
  /** Edits waiting for an outcome, and conflicts not yet dismissed. */
  counts(): { pendingEdits: number; openConflicts: number };
}

export interface ConfigClientOptions {
  cloudUrl: string;
  house: string;
  /** The house secret as issued (used as UTF-8 text). */
  secret: string;
  store: ConfigSyncStore;
  /** The edge's wall clock, ms. */
  now?: () => number;
  /** ≤ MAX_EDITS by protocol. */
  maxEdits?: number;
  /** Backoff after a failed round: first ceiling, cap (ms). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Pause between good rounds (ms); {@link ConfigClient.kick} cuts it short. */
  idleMs?: number;
  /** A request taking longer is aborted (ms). */
  requestTimeoutMs?: number;
  /** How requests go out; node:http by default (http-transport.ts). */
  fetch?: Transport;
  random?: () => number;
  /** Told each backoff the loop chooses (metrics, tests). */
  onBackoff?: (delayMs: number, failures: number, ceilingMs: number) => void;
  /** Told the clock offset whenever an answer teaches one (the records sync may share it). */
  onClockOffset?: (offsetMs: number) => void;
}

export interface ConfigSyncError {
  /** A cloud code (`auth-clock-skew`, `config-invalid`…), `http-<status>`, `network` or `bad-answer`. */
  code: string;
  status?: number;
  message: string;
  at: string;
}

export interface ConfigClientStatus {
  version: number;
  /** Last time a pull was answered (200 or 304). */
  lastPullAt: string | null;
  /** Last time edits were answered. */
  lastPushAt: string | null;
  lastSuccessAt: string | null;
  lastError: ConfigSyncError | null;
  pendingEdits: number;
  openConflicts: number;
  clockOffsetMs: number | null;
  running: boolean;
  consecutiveFailures: number;
}

export interface ConfigRoundResult {
  editsSent: number;
  applied: number;
  conflicts: number;
  rejected: number;
  /** Entities in the bundle pulled (0 on 304). */
  pulled: number;
  /** Whether the bundle was pulled from 0 after `config-since-ahead`. */
  repulled: boolean;
  requests: number;
}

/** An answer other than the expected one, or no answer. */
export class ConfigRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ConfigRequestError';
  }
}
