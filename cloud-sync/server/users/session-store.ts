/**
 * Login sessions in the database, so any instance answers any request: a random token (shown once,
 * to the client) and its SHA-256 digest stored (never the token), 12 h by default.
 */
import { randomSecret, tokenDigest } from '../../protocol/password-hash.js';
import type { CloudRole, CloudUser } from '../cloud-context.js';
import type { Queryable } from '../db/db.js';

export const SESSION_MS = 12 * 3600 * 1000;

export interface Session extends CloudUser {
  expiresAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Starts a session; removes expired ones (of anyone) on the way. */
export async function startSession(
  db: Queryable,
  username: string,
  nowMs: number,
  ttlMs = SESSION_MS,
): Promise<{ token: string; expiresAt: string }> {
  // A bounded batch at a time, skipping rows another instance is deleting: never a wait or a deadlock.
  await db.query(
    `DELETE FROM cloud_sessions WHERE digest IN (
       SELECT digest FROM cloud_sessions WHERE expires_at <= $1::timestamptz LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
    [iso(nowMs)],
  );
  const token = randomSecret(32);
  const expiresAt = iso(nowMs + ttlMs);
  await db.query(
    'INSERT INTO cloud_sessions (digest, username, expires_at) VALUES ($1, $2, $3::timestamptz)',
    [tokenDigest(token), username, expiresAt],
  );
  return { token, expiresAt };
}

/** The session's user, unless the token is unknown, expired, or its user disabled. */
export async function sessionFor(db: Queryable, token: string, nowMs: number): Promise<Session | undefined> {
  if (token.length === 0 || token.length > 256) return undefined;
  const [row] = await db.query<{ username: string; role: CloudRole; expires_at: Date }>(
    `SELECT u.username, u.role, s.expires_at FROM cloud_sessions s JOIN cloud_users u USING (username)
      WHERE s.digest = $1 AND s.expires_at > $2::timestamptz AND NOT u.disabled`,
    [tokenDigest(token), iso(nowMs)],
  );
  return row
    ? { username: row.username, role: row.role, expiresAt: iso(new Date(row.expires_at).getTime()) }
    : undefined;
}

export async function endSession(db: Queryable, token: string): Promise<void> {
  if (token.length === 0 || token.length > 256) return;
  await db.query('DELETE FROM cloud_sessions WHERE digest = $1', [tokenDigest(token)]);
}
