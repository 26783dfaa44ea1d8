import { existsSync } from 'node:fs';

/** Where systemd-timesyncd marks the system clock synchronized (absent until it is). */
export const TIMESYNC_FLAG = '/run/systemd/timesync/synchronized';

/** Offsets learned from the cloud that differ from the one in use by less than this are ignored (jitter). */
const FOLLOW_MS = 1000;

/**
 * The time the edge writes on its records (DESIGN.md, "Records and sync"). Until the clock is
 * trusted — no answer from the cloud and no system time sync since start — records carry
 * `clock: "unsynced"`. Once the cloud has answered, the edge follows the cloud's time: `now()` is
 * the wall clock plus the offset learned from the answers' `serverTime` (an edge booted an hour or
 * a year off writes the right time from then on), and records are `synced`.
 */
export class EdgeClock {
  #offsetMs = 0;
  #cloudContact = false;
  #systemSynced: boolean;
  readonly #wall: () => number;
  readonly #isSystemSynced: () => boolean;

  constructor(opts: { wall?: () => number; systemSynced?: () => boolean } = {}) {
    this.#wall = opts.wall ?? Date.now;
    this.#isSystemSynced = opts.systemSynced ?? (() => existsSync(TIMESYNC_FLAG));
    this.#systemSynced = this.#isSystemSynced();
  }

  /** Milliseconds since the epoch by the best time the edge knows. */
  readonly now = (): number => this.#wall() + this.#offsetMs;

  /** Whether a record made now can vouch for its time. */
  readonly state = (): 'synced' | 'unsynced' =>
    this.#cloudContact || this.#systemSynced ? 'synced' : 'unsynced';

  /** The offset in use (cloud time minus wall clock), ms. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** An answer from the cloud: `offsetMs` is what to add to the wall clock to get the cloud's time. */
  learn(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) return;
    this.#cloudContact = true;
    if (Math.abs(offsetMs - this.#offsetMs) > FOLLOW_MS) this.#offsetMs = Math.round(offsetMs);
  }

  /** Looks again whether the system clock has been synchronized (called now and then). */
  recheckSystem(): void {
    if (!this.#systemSynced) this.#systemSynced = this.#isSystemSynced();
  }
}
