/**
 * A house's config bundle at rest (migrations 2 and 3; docs/config-sync.md): versioned entities,
 * their sensitive fields sealed under the cloud key (context `<house>/<kind>/<id>`), plain fields
 * in `data`.
 *
 * Every change runs in one transaction that first locks the house's `config_versions` row
 * ({@link lockConfig}); so changes of one house serialize across instances in the database, and
 * each bumps the house's version by one and stamps every entity it changed with it
 * ({@link writeEntities}). Readers take one statement, one snapshot ({@link readBundle}).
 */
import {
  type ConfigEntity,
  type ConfigKind,
  canonicalJson,
  isConfigKind,
  splitSensitive,
} from '../protocol/config.js';
import type { Queryable } from './db/db.js';
import { open, seal } from './secret-box.js';

/** An entity as stored, its sensitive fields opened. */
export interface StoredEntity {
  kind: ConfigKind;
  id: string;
  version: number;
  deleted: boolean;
  /** Plain and sensitive fields together; absent for a deletion. */
  data?: Record<string, unknown>;
  /** The edge edit that made this version, or null for a change made in the cloud. */
  edit: string | null;
  updatedBy: string | null;
  updatedAt: string;
}

/** One change to write: `data` to put, or none to delete (a tombstone). */
export interface EntityWrite {
  kind: ConfigKind;
  id: string;
  data?: Record<string, unknown>;
  edit?: string;
  by: string;
}

interface Row {
  kind: string;
  id: string;
  version: number;
  deleted: boolean;
  data: Record<string, unknown>;
  sealed: string | null;
  edit: string | null;
  updated_by: string | null;
  updated_at: Date;
}

const COLUMNS =
  'e.kind, e.id, e.version, e.deleted, e.data, e.sealed, e.edit::text AS edit, e.updated_by, e.updated_at';

export const entityKey = (kind: string, id: string) => `${kind}\u0000${id}`;
const sealContext = (house: string, kind: string, id: string) => `${house}/${kind}/${id}`;

/** Whether a value holds a NUL character, which PostgreSQL's text and jsonb refuse. */
export function holdsNul(v: unknown): boolean {
  return (JSON.stringify(v) ?? '').includes('\\u0000');
}

/** Whether two entities' data are the same (key order aside). */
export function sameData(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Whether the house is registered. */
export async function houseExists(db: Queryable, house: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM houses WHERE id = $1', [house])).length > 0;
}

/**
 * Locks the house's config version row for the rest of the transaction (creating it at 0 the
 * first time) and returns the version. The house must be registered.
 */
export async function lockConfig(tx: Queryable, house: string): Promise<number> {
  await tx.query('INSERT INTO config_versions (house) VALUES ($1) ON CONFLICT (house) DO NOTHING', [house]);
  const [row] = await tx.query<{ version: number }>(
    'SELECT version FROM config_versions WHERE house = $1 FOR UPDATE',
    [house],
  );
  return Number(row?.version ?? 0);
}

/** The stored entities among `keys` (kind, id), by {@link entityKey}. */
export async function loadEntities(
  tx: Queryable,
  cloudKey: Buffer,
  house: string,
  keys: readonly { kind: string; id: string }[],
): Promise<Map<string, StoredEntity>> {
  const out = new Map<string, StoredEntity>();
  if (keys.length === 0) return out;
  const rows = await tx.query<Row>(
    `SELECT ${COLUMNS} FROM config_entities e
       JOIN unnest($2::text[], $3::text[]) AS k (kind, id) ON e.kind = k.kind AND e.id = k.id
      WHERE e.house = $1`,
    [house, keys.map((k) => k.kind), keys.map((k) => k.id)],
  );
  for (const r of rows) out.set(entityKey(r.kind, r.id), fromRow(cloudKey, house, r));
  return out;
}

/**
 * Writes `writes` at `version` (the house's version + 1, inside {@link lockConfig}'s transaction)
 * and moves the house's version there. A later write of the same entity replaces an earlier one.
 */
export async function writeEntities(
  tx: Queryable,
  cloudKey: Buffer,
  house: string,
  version: number,
  writes: readonly EntityWrite[],
  at: string,
): Promise<void> {
  const last = new Map<string, EntityWrite>();
  for (const w of writes) last.set(entityKey(w.kind, w.id), w);
  const rows = [...last.values()].map((w) => {
    if (w.data === undefined) {
      return {
        kind: w.kind,
        id: w.id,
        deleted: true,
        data: {},
        sealed: null,
        edit: w.edit ?? null,
        by: w.by,
      };
    }
    const { plain, sensitive } = splitSensitive(w.kind, w.data);
    const sealed =
      Object.keys(sensitive).length > 0
        ? seal(cloudKey, JSON.stringify(sensitive), sealContext(house, w.kind, w.id))
        : null;
    return { kind: w.kind, id: w.id, deleted: false, data: plain, sealed, edit: w.edit ?? null, by: w.by };
  });
  if (rows.length > 0) {
    await tx.query(
      `INSERT INTO config_entities (house, kind, id, version, deleted, data, sealed, edit, updated_by, updated_at)
       SELECT $1, x.kind, x.id, $2, x.deleted, x.data, x.sealed, x.edit, x.by, $3::timestamptz
         FROM jsonb_to_recordset($4::text::jsonb)
           AS x (kind text, id text, deleted boolean, data jsonb, sealed text, edit uuid, by text)
       ON CONFLICT (house, kind, id) DO UPDATE SET
         version = EXCLUDED.version, deleted = EXCLUDED.deleted, data = EXCLUDED.data,
         sealed = EXCLUDED.sealed, edit = EXCLUDED.edit, updated_by = EXCLUDED.updated_by,
         updated_at = EXCLUDED.updated_at`,
      [house, version, at, JSON.stringify(rows)],
    );
  }
  await tx.query('UPDATE config_versions SET version = $2, updated_at = $3::timestamptz WHERE house = $1', [
    house,
    version,
    at,
  ]);
}

/**
 * The house's version and every entity changed after `since`, in version order, read in one
 * statement (one snapshot: never an entity of a version the answer does not cover).
 */
export async function readBundle(
  db: Queryable,
  cloudKey: Buffer,
  house: string,
  since: number,
): Promise<{ version: number; entities: StoredEntity[] }> {
  const rows = await db.query<{ house_version: number } & Partial<Row>>(
    `SELECT v.version AS house_version, ${COLUMNS}
       FROM config_versions v
       LEFT JOIN config_entities e ON e.house = v.house AND e.version > $2 AND e.version <= v.version
      WHERE v.house = $1
      ORDER BY e.version, e.kind COLLATE "C", e.id COLLATE "C"`,
    [house, since],
  );
  const version = Number(rows[0]?.house_version ?? 0);
  const entities = rows.filter((r) => r.kind != null).map((r) => fromRow(cloudKey, house, r as Row));
  return { version, entities };
}

/** The house's current config version (0 before any change). */
export async function configVersion(db: Queryable, house: string): Promise<number> {
  const [row] = await db.query<{ version: number }>('SELECT version FROM config_versions WHERE house = $1', [
    house,
  ]);
  return Number(row?.version ?? 0);
}

/** A page of the house's entities of one kind, by id (`C` collation), after `after`. */
export async function listEntities(
  db: Queryable,
  cloudKey: Buffer,
  house: string,
  kind: ConfigKind,
  opts: { after?: string; limit: number; deleted: boolean },
): Promise<{ version: number; entities: StoredEntity[] }> {
  const rows = await db.query<{ house_version: number | null } & Row>(
    `SELECT (SELECT version FROM config_versions WHERE house = $1) AS house_version, ${COLUMNS}
       FROM config_entities e
      WHERE e.house = $1 AND e.kind = $2 AND ($3::text IS NULL OR e.id COLLATE "C" > $3)
        AND ($4 OR NOT e.deleted)
      ORDER BY e.id COLLATE "C" LIMIT $5`,
    [house, kind, opts.after ?? null, opts.deleted, opts.limit],
  );
  const version = rows.length > 0 ? Number(rows[0]?.house_version ?? 0) : await configVersion(db, house);
  return { version, entities: rows.map((r) => fromRow(cloudKey, house, r)) };
}

/** How many live entities of each kind the house has. */
export async function countEntities(db: Queryable, house: string): Promise<Record<string, number>> {
  const rows = await db.query<{ kind: string; n: number }>(
    'SELECT kind, count(*)::int AS n FROM config_entities WHERE house = $1 AND NOT deleted GROUP BY kind',
    [house],
  );
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

/**
 * The live resident whose active badge has this token digest, in any house (the expression index
 * of migration 3); the latest if two ever shared one.
 */
export async function findByBadge(
  db: Queryable,
  cloudKey: Buffer,
  digest: string,
): Promise<{ house: string; resident: StoredEntity } | undefined> {
  const [row] = await db.query<Row & { house: string }>(
    `SELECT e.house, ${COLUMNS} FROM config_entities e
      WHERE e.kind = 'resident' AND NOT e.deleted AND (e.data #>> '{badge,digest}') = $1
      ORDER BY e.updated_at DESC LIMIT 1`,
    [digest],
  );
  return row ? { house: row.house, resident: fromRow(cloudKey, row.house, row) } : undefined;
}

/** The entity as the downlink carries it. */
export function toConfigEntity(e: StoredEntity): ConfigEntity {
  return {
    kind: e.kind,
    id: e.id,
    version: e.version,
    ...(e.deleted ? { deleted: true as const } : { data: e.data as ConfigEntity['data'] }),
    ...(e.edit ? { edit: e.edit } : {}),
    updatedAt: e.updatedAt,
  };
}

function fromRow(cloudKey: Buffer, house: string, r: Row): StoredEntity {
  if (!isConfigKind(r.kind)) throw new Error('config_entities holds an unknown kind');
  const base = {
    kind: r.kind,
    id: r.id,
    version: Number(r.version),
    edit: r.edit,
    updatedBy: r.updated_by,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
  if (r.deleted) return { ...base, deleted: true };
  const sensitive = r.sealed
    ? (JSON.parse(open(cloudKey, r.sealed, sealContext(house, r.kind, r.id))) as Record<string, unknown>)
    : {};
  return { ...base, deleted: false, data: { ...r.data, ...sensitive } };
}
