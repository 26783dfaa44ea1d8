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
  {
    version: 4,
    name: 'cloud users and sessions, last contact, edge reports, city view projections',
    sql: `
-- Cloud users (DESIGN.md "Users and roles"): scrypt hashes (protocol/password-hash.ts).
CREATE TABLE cloud_users (
  username text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9._-]{1,64}$'),
  role text NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
  password_hash text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Login sessions, by the SHA-256 digest of their token (never the token itself).
CREATE TABLE cloud_sessions (
  digest text PRIMARY KEY,
  username text NOT NULL REFERENCES cloud_users (username),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cloud_sessions_expires ON cloud_sessions (expires_at);
CREATE INDEX cloud_sessions_user ON cloud_sessions (username);
-- Password checks in flight or failed, per client address: the login rate limit of every instance.
CREATE TABLE login_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX login_attempts_address ON login_attempts (address, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- The last verified request of the house (any signed route).
ALTER TABLE houses ADD COLUMN last_contact_at timestamptz;
-- The latest sync report of each house (protocol/status.ts); the age is as of received_at.
CREATE TABLE house_reports (
  house text PRIMARY KEY REFERENCES houses (id),
  received_at timestamptz NOT NULL,
  edge_at timestamptz NOT NULL,
  version text NOT NULL,
  backlog bigint NOT NULL,
  oldest_unsynced_age_ms bigint,
  dead_letters bigint NOT NULL,
  clock_offset_ms bigint,
  config_version bigint NOT NULL,
  disk_free_bytes bigint,
  streams jsonb NOT NULL
);

-- Projections for the city views, kept by ingest in its transaction from the records it stores
-- (server/projections/): they count records stored from this version on.
ALTER TABLE stream_state
  ADD COLUMN records bigint NOT NULL DEFAULT 0,
  ADD COLUMN max_seq bigint NOT NULL DEFAULT 0,
  ADD COLUMN gaps integer NOT NULL DEFAULT 0;
-- Per (day in Asia/Shanghai, house, stream): records by their ts, those of them with an unsynced
-- clock, and records received that day (by the cloud's clock).
CREATE TABLE records_daily (
  day date NOT NULL,
  house text NOT NULL,
  stream text NOT NULL,
  records bigint NOT NULL DEFAULT 0,
  unsynced bigint NOT NULL DEFAULT 0,
  received bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, house, stream)
);
CREATE INDEX records_daily_house ON records_daily (house, day);
-- Per device: its latest status and its latest counters window, each by seq.
CREATE TABLE device_state (
  house text NOT NULL,
  device_id text NOT NULL,
  online boolean,
  reason text,
  status_seq bigint,
  status_at timestamptz,
  status_clock text,
  status_received_at timestamptz,
  counters_seq bigint,
  counters jsonb,
  PRIMARY KEY (house, device_id)
);
CREATE INDEX device_state_offline ON device_state (house) WHERE online = false;
-- Per alarm: the raised record's facts (lowest seq), the furthest state reached (0 raised,
-- 1 notified, 2 escalated, 3 acknowledged, 4 resolved: the edge's reducer never goes back), the
-- highest escalation level, the first acknowledgement and resolution.
CREATE TABLE alarm_state (
  house text NOT NULL,
  alarm_id text NOT NULL,
  raised_seq bigint,
  raised_at timestamptz,
  kind text,
  device_id text,
  assigned_to text,
  reason text,
  state_rank smallint NOT NULL DEFAULT 0,
  level integer NOT NULL DEFAULT 0,
  ack_seq bigint,
  acknowledged_at timestamptz,
  resolved_seq bigint,
  resolved_at timestamptz,
  outcome text,
  last_seq bigint NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (house, alarm_id)
);
CREATE INDEX alarm_state_open ON alarm_state (raised_at) WHERE state_rank < 4 AND raised_seq IS NOT NULL;
-- Per (month in Asia/Shanghai, house, resident): points earned (credits and deductions), as the
-- edge's monthly ranking counts them.
CREATE TABLE points_monthly (
  month text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
  house text NOT NULL,
  resident_id text NOT NULL,
  points bigint NOT NULL DEFAULT 0,
  records integer NOT NULL DEFAULT 0,
  PRIMARY KEY (month, house, resident_id)
);
-- A party branch's members across houses, for the rankings.
CREATE INDEX config_entities_branch ON config_entities ((data ->> 'branch')) WHERE kind = 'resident';
`,
  },
  {
    version: 5,
    name: 'receipt pages: payment records by receipt digest',
    sql: `
-- /p/receipt/{token}: the newest approved or voided payment record whose receipt has the token's digest.
CREATE INDEX records_receipt_digest ON records ((body #>> '{receipt,digest}'), ts)
  WHERE stream = 'payment' AND type IN ('payment.approved', 'payment.voided');
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
