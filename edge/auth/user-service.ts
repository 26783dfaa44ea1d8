import type { Role } from '../api/types.js';
import { type TrackedEdit, trackEdit } from '../config-sync/track-edit.js';
import { LinliError } from '../errors.js';
import type { EdgeState, UserRow } from '../state/edge-state.js';
import type { StateStore } from '../store/state-store.js';
import {
  dummyPasswordHash,
  hashPassword,
  randomSecret,
  tokenDigest,
  verifyPassword,
} from './password-hash.js';

const ROLE_RANK: Record<Role, number> = { viewer: 0, staff: 1, admin: 2 };

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLE_RANK[have] >= ROLE_RANK[need];
}

export interface Session {
  username: string;
  role: Role;
  expiresAt: string;
}

/** Users, passwords and login sessions (DESIGN.md, "Users and roles"). */
export class UserService {
  constructor(
    private readonly store: StateStore<EdgeState>,
    private readonly sessionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates the first admin (user `admin`) on an empty store. Returns the generated password
   * when none was configured (the caller prints it once on stderr), else undefined.
   */
  async ensureFirstAdmin(configured?: string): Promise<string | undefined> {
    if (this.store.data.users.length > 0) return undefined;
    const password = configured ?? randomSecret(12);
    await this.create('admin', 'admin', password, 'linli-edge');
    return configured ? undefined : password;
  }

  list(): readonly UserRow[] {
    return this.store.data.users;
  }

  /** Creates a user (`by`: who, for the config edit the cloud learns it by). */
  async create(
    username: string,
    role: Role,
    password: string,
    by: string,
  ): Promise<{ row: UserRow; tracked: TrackedEdit }> {
    if (this.store.data.users.some((u) => u.username === username)) {
      throw new LinliError('USER_EXISTS', `user ${username} exists`);
    }
    const row: UserRow = {
      username,
      role,
      passwordHash: await hashPassword(password),
      createdAt: new Date(this.now()).toISOString(),
    };
    let tracked: TrackedEdit | undefined;
    await this.store.update((d) => {
      if (d.users.some((u) => u.username === username)) {
        throw new LinliError('USER_EXISTS', `user ${username} exists`);
      }
      d.users.push(row);
      tracked = trackEdit(d, 'user', username, 'put', by, row.createdAt);
    });
    return { row, tracked: tracked as TrackedEdit };
  }

  /** Checks a password; the same cost whether or not the user exists. */
  async verify(username: string, password: string): Promise<UserRow | undefined> {
    const user = this.store.data.users.find((u) => u.username === username && !u.disabled);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    return ok && user ? user : undefined;
  }

  async login(username: string, password: string): Promise<{ token: string; session: Session }> {
    const user = await this.verify(username, password);
    if (!user) throw new LinliError('BAD_CREDENTIALS', 'wrong user name or password');
    const token = randomSecret(32);
    const nowMs = this.now();
    const expiresAt = new Date(nowMs + this.sessionMs).toISOString();
    await this.store.update((d) => {
      const nowIso = new Date(nowMs).toISOString();
      d.sessions = d.sessions.filter((s) => s.expiresAt > nowIso);
      d.sessions.push({ digest: tokenDigest(token), username, expiresAt, createdAt: nowIso });
    });
    return { token, session: { username, role: user.role, expiresAt } };
  }

  /** The session a token belongs to, or undefined when unknown, expired or its user is gone. */
  session(token: string): Session | undefined {
    const digest = tokenDigest(token);
    const s = this.store.data.sessions.find((x) => x.digest === digest);
    if (!s || s.expiresAt <= new Date(this.now()).toISOString()) return undefined;
    const user = this.store.data.users.find((u) => u.username === s.username && !u.disabled);
    return user ? { username: user.username, role: user.role, expiresAt: s.expiresAt } : undefined;
  }

  async logout(token: string): Promise<void> {
    const digest = tokenDigest(token);
    if (!this.store.data.sessions.some((s) => s.digest === digest)) return;
    await this.store.update((d) => {
      d.sessions = d.sessions.filter((s) => s.digest !== digest);
    });
  }
}
