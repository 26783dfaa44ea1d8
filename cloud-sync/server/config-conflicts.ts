/**
 * Conflicts on the cloud's admin page (docs/config-sync.md): edge edits the cloud's version beat,
 * from `config_edits`, open until a staff member dismisses them (who and when kept).
 */
import type { ConfigConflict, ConfigKind } from '../protocol/config.js';
import type { Queryable } from './db/db.js';

export interface ConflictView extends ConfigConflict {
  dismissedAt: string | null;
  dismissedBy: string | null;
}

interface Row {
  edit: string;
  kind: ConfigKind;
  id: string;
  base: number;
  version: number;
  at: Date;
  by: string;
  decided_at: Date;
  fields: string[] | null;
  dismissed_at: Date | null;
  dismissed_by: string | null;
}

const COLUMNS =
  'edit::text AS edit, kind, id, base, version, at, by, decided_at, fields, dismissed_at, dismissed_by';

/** The house's conflicts, newest first: open ones, or all with `all`. */
export async function listConflicts(
  db: Queryable,
  house: string,
  opts: { all: boolean; limit: number },
): Promise<ConflictView[]> {
  const rows = await db.query<Row>(
    `SELECT ${COLUMNS} FROM config_edits
      WHERE house = $1 AND outcome = 'conflict' AND ($2 OR dismissed_at IS NULL)
      ORDER BY decided_at DESC, edit DESC LIMIT $3`,
    [house, opts.all, opts.limit],
  );
  return rows.map(toView);
}

/**
 * Dismisses a conflict: the first dismissal is kept (who and when), a later one changes nothing.
 * Undefined when the house has no such conflict.
 */
export async function dismissConflict(
  db: Queryable,
  house: string,
  edit: string,
  by: string,
  nowIso: string,
): Promise<ConflictView | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(edit)) return undefined;
  await db.query(
    `UPDATE config_edits SET dismissed_at = $4::timestamptz, dismissed_by = $3
      WHERE house = $1 AND edit = $2::uuid AND outcome = 'conflict' AND dismissed_at IS NULL`,
    [house, edit, by, nowIso],
  );
  const [row] = await db.query<Row>(
    `SELECT ${COLUMNS} FROM config_edits WHERE house = $1 AND edit = $2::uuid AND outcome = 'conflict'`,
    [house, edit],
  );
  return row ? toView(row) : undefined;
}

function toView(r: Row): ConflictView {
  const iso = (d: Date) => new Date(d).toISOString();
  return {
    edit: r.edit,
    kind: r.kind,
    id: r.id,
    base: Number(r.base),
    cloudVersion: Number(r.version),
    at: iso(r.at),
    by: r.by,
    detectedAt: iso(r.decided_at),
    fields: r.fields ?? [],
    dismissedAt: r.dismissed_at ? iso(r.dismissed_at) : null,
    dismissedBy: r.dismissed_by,
  };
}
