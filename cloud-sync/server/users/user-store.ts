/**
 * Cloud users in the database (DESIGN.md, "Users and roles"): roles `admin`, `staff`, `viewer`;
 * passwords as scrypt hashes (protocol/password-hash.ts, the edge's algorithm). The first admin,
 * user `admin` with `LINLI_CLOUD_ADMIN_PASSWORD`, is created on an empty table at start.
 */
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../protocol/password-hash.js';
import type { CloudRole } from '../cloud-context.js';
import type { Db, Queryable } from '../db/db.js';

export const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 1024;

export interface CloudUserRow {
  username: string;
  role: CloudRole;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export class UserError extends Error {
  constructor(
    readonly code: 'user-exists' | 'user-unknown' | 'user-invalid' | 'user-last-admin',
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

interface Row {
  username: string;
  role: CloudRole;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'username, role, disabled, created_at, updated_at';
const toUser = (r: Row): CloudUserRow => ({
  username: r.username,
  role: r.role,
  disabled: r.disabled,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new UserError('user-invalid', `a password has ${MIN_PASSWORD}–${MAX_PASSWORD} characters`);
  }
}

/**
 * Creates user `admin` (role admin) when the table is empty; true when it did. Safe when several
 * instances start at once: the first insert wins, the others find a user.
 */
export async function ensureFirstAdmin(db: Queryable, password: string): Promise<boolean> {
  const [any] = await db.query('SELECT 1 FROM cloud_users LIMIT 1');
  if (any) return false;
  const hash = await hashPassword(password);
  const rows = await db.query(
    `INSERT INTO cloud_users (username, role, password_hash)
     SELECT 'admin', 'admin', $1 WHERE NOT EXISTS (SELECT 1 FROM cloud_users)
     ON CONFLICT (username) DO NOTHING RETURNING 1`,
    [hash],
  );
  return rows.length > 0;
}

/**
 * The user whose password this is, if enabled; the same cost (one scrypt) whether or not the user
 * exists, so timing tells nothing. `hash` is the stored hash, for callers that cache a success.
 */
export async function checkCredentials(
  db: Queryable,
  username: string,
  password: string,
): Promise<(CloudUserRow & { hash: string }) | undefined> {
  const [row] = USERNAME.test(username)
    ? await db.query<Row & { password_hash: string }>(
        `SELECT ${COLUMNS}, password_hash FROM cloud_users WHERE username = $1 AND NOT disabled`,
        [username],
      )
    : [];
  const ok = await verifyPassword(
    password.slice(0, MAX_PASSWORD),
    row?.password_hash ?? (await dummyPasswordHash()),
  );
  return ok && row ? { ...toUser(row), hash: row.password_hash } : undefined;
}

/** An enabled user's role and stored hash (no password check), or undefined. */
export async function activeUser(
  db: Queryable,
  username: string,
): Promise<{ role: CloudRole; hash: string } | undefined> {
  if (!USERNAME.test(username)) return undefined;
  const [row] = await db.query<{ role: CloudRole; password_hash: string }>(
    'SELECT role, password_hash FROM cloud_users WHERE username = $1 AND NOT disabled',
    [username],
  );
  return row ? { role: row.role, hash: row.password_hash } : undefined;
}

export async function listUsers(db: Queryable): Promise<CloudUserRow[]> {
  const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM cloud_users ORDER BY username`);
  return rows.map(toUser);
}

export async function createUser(
  db: Queryable,
  u: { username: string; role: CloudRole; password: string },
): Promise<CloudUserRow> {
  if (!USERNAME.test(u.username)) throw new UserError('user-invalid', 'a user name is [A-Za-z0-9._-]{1,64}');
  checkPassword(u.password);
  const hash = await hashPassword(u.password);
  const [row] = await db.query<Row>(
    `INSERT INTO cloud_users (username, role, password_hash) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
    [u.username, u.role, hash],
  );
  if (!row) throw new UserError('user-exists', `user ${u.username} exists`);
  return toUser(row);
}

/**
 * Changes a user's role or disables (enables) them. The last enabled admin can be neither demoted
 * nor disabled: the enabled admins are locked first, so two admins demoting each other at once on
 * two instances cannot both succeed. A disabled user's sessions end.
 */
export async function updateUser(
  db: Db,
  username: string,
  change: { role?: CloudRole; disabled?: boolean },
): Promise<CloudUserRow> {
  return await db.transaction(async (tx) => {
    const admins = await tx.query<{ username: string }>(
      `SELECT username FROM cloud_users WHERE role = 'admin' AND NOT disabled ORDER BY username FOR UPDATE`,
    );
    const [before] = await tx.query<Row>(
      `SELECT ${COLUMNS} FROM cloud_users WHERE username = $1 FOR UPDATE`,
      [username],
    );
    if (!before) throw new UserError('user-unknown', `no user ${username}`);
    const role = change.role ?? before.role;
    const disabled = change.disabled ?? before.disabled;
    const staysAdmin = role === 'admin' && !disabled;
    if (!staysAdmin && admins.some((a) => a.username === username) && admins.length === 1) {
      throw new UserError('user-last-admin', 'the last enabled admin cannot be demoted or disabled');
    }
    const [row] = await tx.query<Row>(
      `UPDATE cloud_users SET role = $2, disabled = $3, updated_at = now() WHERE username = $1
       RETURNING ${COLUMNS}`,
      [username, role, disabled],
    );
    if (disabled) await tx.query('DELETE FROM cloud_sessions WHERE username = $1', [username]);
    return toUser(row as Row);
  });
}

/** Sets a new password; the user's sessions end. */
export async function resetPassword(db: Db, username: string, password: string): Promise<CloudUserRow> {
  checkPassword(password);
  const hash = await hashPassword(password);
  return await db.transaction(async (tx) => {
    const [row] = await tx.query<Row>(
      `UPDATE cloud_users SET password_hash = $2, updated_at = now() WHERE username = $1 RETURNING ${COLUMNS}`,
      [username, hash],
    );
    if (!row) throw new UserError('user-unknown', `no user ${username}`);
    await tx.query('DELETE FROM cloud_sessions WHERE username = $1', [username]);
    return toUser(row);
  });
}
