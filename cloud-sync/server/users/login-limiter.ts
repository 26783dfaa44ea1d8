/**
 * Password checks per client address, limited in the database so the limit holds across
 * instances (DESIGN.md: "Login attempts are rate-limited"). A check first takes a slot — under a
 * transaction-level advisory lock on the address, so concurrent attempts on several instances
 * count exactly — and gives it back when the password was right: the slots left are the recent
 * failures. At most `max` failures (or checks in flight) per address per window; beyond, the
 * attempt is refused before any password is looked at.
 */
import type { Db } from '../db/db.js';

/** First key of the advisory lock (the second is the address's hash): "LiLo". */
const LOCK_CLASS = 0x4c694c6f;

export interface LimiterOptions {
  /** Failures allowed per address in the window (default 10). */
  max?: number;
  /** The window, ms (default 60 s). */
  windowMs?: number;
}

export type Attempt = { ok: true; slot: number } | { ok: false; retryAfterS: number };

export class LoginLimiter {
  readonly max: number;
  readonly windowMs: number;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    opts: LimiterOptions = {},
  ) {
    this.max = opts.max ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
  }

  /** Takes a slot for one password check from `address`, or says how long to wait. */
  async begin(address: string): Promise<Attempt> {
    const t = this.now();
    const since = new Date(t - this.windowMs).toISOString();
    // Old slots of every address go, a bounded batch at a time, never waiting on another instance.
    await this.db.query(
      `DELETE FROM login_attempts WHERE id IN (
         SELECT id FROM login_attempts WHERE at <= $1::timestamptz LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
      [since],
    );
    return await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, address]);
      const [row] = await tx.query<{ n: number; oldest: Date | null }>(
        `SELECT count(*)::int AS n, min(at) AS oldest FROM login_attempts
          WHERE address = $1 AND at > $2::timestamptz`,
        [address, since],
      );
      if ((row?.n ?? 0) >= this.max) {
        const oldest = row?.oldest ? new Date(row.oldest).getTime() : t;
        return { ok: false, retryAfterS: Math.max(1, Math.ceil((oldest + this.windowMs - t) / 1000)) };
      }
      const [slot] = await tx.query<{ id: number }>(
        'INSERT INTO login_attempts (address, at) VALUES ($1, $2::timestamptz) RETURNING id',
        [address, new Date(t).toISOString()],
      );
      return { ok: true, slot: Number(slot?.id) };
    });
  }

  /** The password was right: the slot is not a failure. */
  async succeeded(slot: number): Promise<void> {
    await this.db.query('DELETE FROM login_attempts WHERE id = $1', [slot]);
  }
}
