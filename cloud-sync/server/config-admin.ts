/**
 * Changes to a house's config made through the cloud's admin API (docs/config-sync.md, "Admin
 * API"): one entity or a batch, all or nothing, in one transaction under the house's config lock
 * and at one new version (none when nothing changed: a put of what is stored is a no-op).
 *
 * - Optimistic concurrency: a change with `base` applies only if the entity is still at `base`
 *   (0: it does not exist, or only as a tombstone); a stale one refuses the whole change (409).
 * - Fields the admin API never answers in full are kept when a put leaves them out, unless named in
 *   `unset`: a resident's `idNumber` (answered masked) and `badge`, a user's `passwordHash` (set
 *   through `password`), a device's `secretHash` (made here, its credential shown once).
 */
import {
  type ConfigKind,
  checkEntity,
  checkEntityId,
  type DeviceData,
  isConfigKind,
} from '../protocol/config.js';
import { hashPassword } from '../protocol/password-hash.js';
import { type DeviceCredential, deviceProblem, deviceSecret, passwordProblem } from './config-credentials.js';
import {
  type EntityWrite,
  entityKey,
  holdsNul,
  loadEntities,
  lockConfig,
  type StoredEntity,
  sameData,
  writeEntities,
} from './config-store.js';
import type { Db } from './db/db.js';

export interface AdminChange {
  kind: ConfigKind;
  id: string;
  op: 'put' | 'delete';
  /** put: the entity's data (kept fields may be left out). */
  data?: Record<string, unknown>;
  /** The version the change was made on (0: create); absent: no precondition. */
  base?: number;
  /** user: a new password (required to create one). */
  password?: string;
  /** Kept fields to remove. */
  unset?: string[];
  /** device: make a new credential even if the transport is unchanged. */
  rotateSecret?: boolean;
}

/** Fields kept when a put leaves them out (module comment). */
export const KEPT_FIELDS: Partial<Record<ConfigKind, readonly string[]>> = {
  resident: ['idNumber', 'badge'],
  user: ['passwordHash'],
  device: ['secretHash'],
};

/** Fields the admin API never takes in `data` nor answers. */
export const SECRET_FIELDS: Partial<Record<ConfigKind, readonly string[]>> = {
  user: ['passwordHash'],
  device: ['secretHash'],
};

export interface ChangeProblem {
  index: number;
  kind: string;
  id: string;
  reason: string;
}

export interface StaleChange {
  index: number;
  kind: string;
  id: string;
  /** The entity's version now (0 when the cloud never had it). */
  version: number;
}

export class ConfigAdminError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: 'config-invalid' | 'config-not-found' | 'config-stale',
    message: string,
    readonly problems: ChangeProblem[] = [],
    readonly stale: StaleChange[] = [],
  ) {
    super(message);
    this.name = 'ConfigAdminError';
  }
}

export interface ChangeResult {
  /** The house's version after the change. */
  version: number;
  /** Each change's entity as it stands after it, in order. */
  entities: StoredEntity[];
  /** Whether each change wrote something (false: already so). */
  changed: boolean[];
  /** Whether each change made an entity that did not exist. */
  created: boolean[];
  credentials: DeviceCredential[];
}

/**
 * Applies `changes` for cloud user `by`, all or nothing. `mustExist`: a delete of an entity that
 * does not exist is a 404 (a single DELETE) rather than a no-op (a batch).
 */
export async function changeConfig(
  db: Db,
  cloudKey: Buffer,
  house: string,
  changes: readonly AdminChange[],
  by: string,
  nowMs: number,
  opts: { mustExist?: boolean } = {},
): Promise<ChangeResult> {
  const problems: ChangeProblem[] = [];
  const seen = new Set<string>();
  changes.forEach((c, index) => {
    const reason = shapeProblem(c) ?? (seen.has(entityKey(c.kind, c.id)) ? 'twice in one change' : undefined);
    if (reason) problems.push({ index, kind: String(c.kind), id: String(c.id), reason });
    seen.add(entityKey(c.kind, c.id));
  });
  if (problems.length > 0) throw invalid(problems);
  // scrypt before the lock: ~100 ms each
  const hashes = new Map<number, string>();
  for (const [i, c] of changes.entries()) if (c.password) hashes.set(i, await hashPassword(c.password));

  const nowIso = new Date(nowMs).toISOString();
  return await db.transaction(async (tx) => {
    const before = await lockConfig(tx, house);
    const next = before + 1;
    const current = await loadEntities(tx, cloudKey, house, changes);
    const stale: StaleChange[] = [];
    const writes: EntityWrite[] = [];
    const out: ChangeResult = { version: before, entities: [], changed: [], created: [], credentials: [] };
    for (const [index, c] of changes.entries()) {
      const cur = current.get(entityKey(c.kind, c.id));
      const live = cur && !cur.deleted ? cur : undefined;
      if (c.base !== undefined && !(c.base === 0 ? !live : cur?.version === c.base)) {
        stale.push({ index, kind: c.kind, id: c.id, version: cur?.version ?? 0 });
        continue;
      }
      if (c.op === 'delete') {
        if (!live && opts.mustExist)
          throw new ConfigAdminError(404, 'config-not-found', `no ${c.kind} ${c.id}`);
        out.entities.push(
          live
            ? {
                ...live,
                version: next,
                deleted: true,
                edit: null,
                updatedBy: by,
                updatedAt: nowIso,
                data: undefined,
              }
            : (cur ?? tombstone(c, 0, nowIso)),
        );
        if (live) writes.push({ kind: c.kind, id: c.id, by });
        out.changed.push(live !== undefined);
        out.created.push(false);
        continue;
      }
      const data = await compose(c, live, hashes.get(index), out.credentials);
      const reason =
        typeof data === 'string'
          ? data
          : (checkEntity(c.kind, c.id, data) ??
            (holdsNul(data) ? 'a value holds a NUL character' : undefined));
      if (reason || typeof data === 'string') {
        problems.push({ index, kind: c.kind, id: c.id, reason: reason ?? 'invalid' });
        continue;
      }
      const unchanged = live !== undefined && sameData(live.data, data);
      out.entities.push(
        unchanged
          ? live
          : {
              kind: c.kind,
              id: c.id,
              version: next,
              deleted: false,
              data,
              edit: null,
              updatedBy: by,
              updatedAt: nowIso,
            },
      );
      if (!unchanged) writes.push({ kind: c.kind, id: c.id, data, by });
      out.changed.push(!unchanged);
      out.created.push(!live);
    }
    if (problems.length > 0) throw invalid(problems);
    if (stale.length > 0) {
      throw new ConfigAdminError(409, 'config-stale', 'changed since: read it again', [], stale);
    }
    if (writes.length > 0) {
      await writeEntities(tx, cloudKey, house, next, writes, nowIso);
      out.version = next;
    }
    return out;
  });
}

/** A put's whole data (kept fields carried over, secrets made), or why it cannot be. */
async function compose(
  c: AdminChange,
  live: StoredEntity | undefined,
  passwordHash: string | undefined,
  credentials: DeviceCredential[],
): Promise<Record<string, unknown> | string> {
  const data: Record<string, unknown> = { ...c.data };
  for (const f of KEPT_FIELDS[c.kind] ?? []) {
    if (data[f] === undefined && !c.unset?.includes(f) && live?.data?.[f] !== undefined)
      data[f] = live.data[f];
  }
  if (c.kind === 'user') {
    if (passwordHash) data.passwordHash = passwordHash;
    if (data.passwordHash === undefined) return 'a new user needs a password';
  }
  if (c.kind === 'device') {
    const d = data as Partial<DeviceData>;
    delete d.secretHash;
    const bad = checkEntity(c.kind, c.id, d) ?? deviceProblem(c.id, d);
    if (bad) return bad;
    const s = await deviceSecret(
      c.id,
      d as DeviceData,
      live?.data as Partial<DeviceData>,
      c.rotateSecret === true,
    );
    if (s.secretHash) d.secretHash = s.secretHash;
    if (s.credential) credentials.push(s.credential);
  }
  return data;
}

/** Why a change is malformed before looking at the store, or undefined. */
function shapeProblem(c: AdminChange): string | undefined {
  if (!isConfigKind(c.kind)) return 'unknown kind';
  const badId = checkEntityId(c.kind, c.id);
  if (badId) return badId;
  if (c.base !== undefined && !(Number.isSafeInteger(c.base) && c.base >= 0)) return 'base is an integer ≥ 0';
  const kept = KEPT_FIELDS[c.kind] ?? [];
  const unknown = (c.unset ?? []).find((f) => !kept.includes(f));
  if (unknown !== undefined)
    return kept.length ? `unset takes ${kept.join(', ')}` : `${c.kind} has nothing to unset`;
  if (c.password !== undefined && c.kind !== 'user') return 'only a user takes a password';
  if (c.password !== undefined && c.op === 'put') {
    const bad = passwordProblem(c.password);
    if (bad) return bad;
  }
  if (c.rotateSecret !== undefined && c.kind !== 'device') return 'only a device takes rotateSecret';
  if (c.op === 'delete') {
    return c.data !== undefined || c.password !== undefined ? 'a delete carries no data' : undefined;
  }
  if (c.op !== 'put') return 'op is put or delete';
  if (c.data === null || typeof c.data !== 'object' || Array.isArray(c.data)) return 'a put carries data';
  const secret = (SECRET_FIELDS[c.kind] ?? []).find((f) => f in (c.data as object));
  if (secret) return `${secret} is made by the cloud${c.kind === 'user' ? ': send password' : ''}`;
  return undefined;
}

function tombstone(c: AdminChange, version: number, nowIso: string): StoredEntity {
  return { kind: c.kind, id: c.id, version, deleted: true, edit: null, updatedBy: null, updatedAt: nowIso };
}

function invalid(problems: ChangeProblem[]): ConfigAdminError {
  return new ConfigAdminError(400, 'config-invalid', problems[0]?.reason ?? 'invalid', problems);
}
