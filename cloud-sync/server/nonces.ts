import type { Queryable } from './db/db.js';

/**
 * Replay protection: records (house, nonce) and answers whether it was already seen. Safe across
 * instances (the primary key decides; the loser of a race sees `true`). Nonces older than the
 * window (by their request ts, against `nowMs`, the cloud's clock) are purged: a request that old
 * is refused for its timestamp before its nonce is looked at.
 */
export async function nonceSeen(
  db: Queryable,
  house: string,
  nonce: string,
  ts: number,
  windowS: number,
  nowMs: number = Date.now(),
): Promise<boolean> {
  await db.query('DELETE FROM nonces WHERE ts < to_timestamp($1)', [nowMs / 1000 - windowS]);
  const rows = await db.query(
    `INSERT INTO nonces (house, nonce, ts) VALUES ($1, $2, to_timestamp($3))
     ON CONFLICT (house, nonce) DO NOTHING RETURNING 1 AS inserted`,
    [house, nonce, ts],
  );
  return rows.length === 0;
}
