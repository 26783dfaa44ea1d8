import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Key of the transaction-level advisory lock that serializes migrators across instances. */
export const MIGRATION_LOCK_KEY = 0x4c696e6c6931; // "Linli1"

/**
 * The schema, in order. Never edit an applied migration: append a new one. Plain PostgreSQL that
 * PGlite runs too.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenancy, records, rejections, stream state, nonces',
    sql: `
CREATE TABLE cities (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE districts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  city_id bigint NOT NULL REFERENCES cities (id),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (city_id, name)
);
CREATE TABLE streets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  district_id bigint NOT NULL REFERENCES districts (id),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (district_id, name)
);
CREATE TABLE communities (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  street_id bigint NOT NULL REFERENCES streets (id),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (street_id, name)
);
-- secret_enc: the house secret sealed with AES-256-GCM under the cloud key (never plain text).
CREATE TABLE houses (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
  community_id bigint NOT NULL REFERENCES communities (id),
  name text NOT NULL,
  secret_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (community_id, name)
);
-- Per (house, stream): the highest seq up to which every seq is a record or a rejection.
-- Its row is the lock that serializes ingest of one (house, stream) across instances.
CREATE TABLE stream_state (
  house text NOT NULL REFERENCES houses (id),
  stream text NOT NULL,
  contiguous bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (house, stream)
);
CREATE TABLE records (
  id uuid PRIMARY KEY,
  house text NOT NULL,
  stream text NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  type text NOT NULL,
  ts timestamptz NOT NULL,
  clock text NOT NULL CHECK (clock IN ('synced', 'unsynced')),
  received_at timestamptz NOT NULL DEFAULT now(),
  body jsonb NOT NULL,
  UNIQUE (house, stream, seq)
);
-- A rejected record holds its seq (so it never blocks its stream) until the fixed record,
-- re-sent with the same id and seq, replaces it.
CREATE TABLE rejections (
  id uuid PRIMARY KEY,
  house text NOT NULL,
  stream text NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  reason text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (house, stream, seq)
);
CREATE TABLE nonces (
  house text NOT NULL,
  nonce text NOT NULL,
  ts timestamptz NOT NULL,
  PRIMARY KEY (house, nonce)
);
CREATE INDEX nonces_ts ON nonces (ts);
`,
  },
  {
    version: 2,
    name: 'config bundle: versioned entities per house',
    sql: `
-- The house's config bundle version: bumped by every change to one of its entities.
CREATE TABLE config_versions (
  house text PRIMARY KEY REFERENCES houses (id),
  version bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- One entity of a house's config bundle (kind: resident, card, user, activity, goods, duty,
-- notice, device, contacts …). version: the bundle version at which it last changed (its version
-- for the conflict rule of DESIGN.md). data: its fields that are not sensitive (a resident's
-- branch, roles, community …); sealed: the sensitive ones (names, phones, ID numbers, health notes)
-- sealed with AES-256-GCM under the cloud key, context "<house>/<kind>/<id>".
CREATE TABLE config_entities (
  house text NOT NULL REFERENCES houses (id),
  kind text NOT NULL,
  id text NOT NULL,
  version bigint NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  data jsonb NOT NULL,
  sealed text,
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (house, kind, id)
);
CREATE INDEX config_entities_version ON config_entities (house, version);
`,
  },
  {
    version: 3,
    name: 'config edits from the edge: outcomes, conflicts, edit stamps, badge lookup',
    sql: `
-- edit: the edge edit (its uuid) that made this version, null for a change made in the cloud.
ALTER TABLE config_entities ADD COLUMN edit uuid;
-- The public badge page finds a resident by the digest of its badge token, across houses.
CREATE INDEX config_entities_badge ON config_entities ((data #>> '{badge,digest}'))
  WHERE kind = 'resident' AND NOT deleted;
-- Every edge edit the cloud has decided, once (a re-sent edit gets its first outcome). Rejected
-- edits are not kept: they are decided again when re-sent. version: applied, the version the
-- entity got; conflict, the cloud's version that won. A conflict also keeps the names (never the
-- values) of the fields the lost edit had changed, and who dismissed it on the cloud's admin page.
CREATE TABLE config_edits (
  house text NOT NULL REFERENCES houses (id),
  edit uuid NOT NULL,
  kind text NOT NULL,
  id text NOT NULL,
  op text NOT NULL CHECK (op IN ('put', 'delete')),
  base bigint NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('applied', 'conflict')),
  version bigint NOT NULL,
  at timestamptz NOT NULL,
  by text NOT NULL,
  decided_at timestamptz NOT NULL,
  fields text[],
  dismissed_at timestamptz,
  dismissed_by text,
  PRIMARY KEY (house, edit)
);
CREATE INDEX config_edits_conflicts ON config_edits (house, decided_at) WHERE outcome = 'conflict';
`,
  },
];

/**
 * Brings the schema up to date, in one transaction under `pg_advisory_xact_lock`: a second
 * instance starting at the same time waits, then finds the work done. Returns the versions applied
 * now (empty when already current). A database newer than this code is refused.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version <= 0 || (i > 0 && ordered[i - 1]?.version === m.version)) {
      throw new Error(`bad migration version ${m.version}`);
    }
  });
  return await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const latest = ordered.at(-1)?.version ?? 0;
    const newer = [...done].filter((v) => v > latest);
    if (newer.length > 0) {
      throw new Error(
        `the database has schema version ${Math.max(...newer)}, newer than this linli-cloud knows (${latest})`,
      );
    }
    const applied: number[] = [];
    for (const m of ordered) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
