/**
 * Edits made on an edge, applied to its house's config by the conflict rule (DESIGN.md "Records and
 * sync"; docs/config-sync.md, "The conflict rule"):
 *
 * - An edit made on version `base` is applied iff the entity is still at `base`; `base` 0 means
 *   "the entity does not exist", which holds while the cloud has no entity or only a tombstone.
 * - Extension: an edit naming the edit it was made on top of (`after`) is applied too when that
 *   edit made the entity's current version (the edge's own edits in a row never conflict).
 * - Otherwise the cloud wins: the edit is kept as a conflict (the names of the fields it changed,
 *   never the values) and answered with the cloud's entity (`current`).
 * - Each edit is checked alone: a bad one is `rejected` with a reason and never fails the others.
 * - Idempotent by edit id: a re-sent edit gets its first outcome again (rejections are not kept).
 *
 * All edits of one request: one transaction under the house's config lock, one version for all
 * applied ones.
 */
import {
  type ConfigEdit,
  type ConfigEditResult,
  type ConfigEntity,
  type ConfigKind,
  changedFields,
  checkEdit,
} from '../protocol/config.js';
import {
  configVersion,
  type EntityWrite,
  entityKey,
  holdsNul,
  loadEntities,
  lockConfig,
  type StoredEntity,
  toConfigEntity,
  writeEntities,
} from './config-store.js';
import type { Db, Queryable } from './db/db.js';

/** An edit's outcome as kept in `config_edits`. */
interface Decision {
  edit: string;
  kind: string;
  id: string;
  op: 'put' | 'delete';
  base: number;
  outcome: 'applied' | 'conflict';
  version: number;
  at: string;
  by: string;
  fields: string[] | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Times PostgreSQL and ISO-8601 both take without surprises. */
const MIN_AT = Date.parse('2000-01-01T00:00:00Z');
const MAX_AT = Date.parse('9999-12-31T23:59:59Z');

/** Who made an edge edit, as `updated_by` keeps it. */
export const edgeAuthor = (by: string) => `edge:${by}`;

/** Why an edit cannot be decided (checkEdit's reasons, and what the store refuses), or undefined. */
export function editProblem(e: unknown): string | undefined {
  const bad = checkEdit(e);
  if (bad) return bad;
  const x = e as ConfigEdit;
  const at = Date.parse(x.at);
  if (at < MIN_AT || at > MAX_AT) return 'at is not a time between 2000 and 9999';
  if (holdsNul(x.data) || holdsNul(x.by)) return 'a value holds a NUL character';
  return undefined;
}

export async function applyEdits(
  db: Db,
  cloudKey: Buffer,
  house: string,
  edits: readonly unknown[],
  nowMs: number,
): Promise<{ version: number; results: ConfigEditResult[] }> {
  const nowIso = new Date(nowMs).toISOString();
  const results: ConfigEditResult[] = [];
  const valid: { index: number; edit: ConfigEdit }[] = [];
  edits.forEach((e, index) => {
    const reason = editProblem(e);
    if (reason === undefined) {
      valid.push({ index, edit: e as ConfigEdit });
      results.push({ edit: (e as ConfigEdit).edit, outcome: 'rejected' }); // replaced below
    } else {
      const id = (e as { edit?: unknown } | null)?.edit;
      results.push({ edit: typeof id === 'string' && UUID.test(id) ? id : '', outcome: 'rejected', reason });
    }
  });
  if (valid.length === 0) return { version: await configVersion(db, house), results };

  return await db.transaction(async (tx) => {
    const before = await lockConfig(tx, house);
    const next = before + 1;
    const decided = await loadDecisions(
      tx,
      house,
      valid.map((v) => v.edit.edit),
    );
    const entities = await loadEntities(
      tx,
      cloudKey,
      house,
      valid.map((v) => v.edit),
    );
    const writes: EntityWrite[] = [];
    const fresh: Decision[] = [];
    /** Conflict results whose `current` is filled from the final state. */
    const currents: { result: ConfigEditResult; kind: ConfigKind; id: string }[] = [];

    for (const { index, edit: e } of valid) {
      const k = entityKey(e.kind, e.id);
      const prior = decided.get(e.edit);
      if (prior) {
        if (prior.kind !== e.kind || prior.id !== e.id || prior.op !== e.op || prior.base !== e.base) {
          results[index] = {
            edit: e.edit,
            outcome: 'rejected',
            reason: 'edit id already used for another change',
          };
        } else {
          const result: ConfigEditResult = { edit: e.edit, outcome: prior.outcome, version: prior.version };
          if (prior.outcome === 'conflict') currents.push({ result, kind: e.kind, id: e.id });
          results[index] = result;
        }
        continue;
      }
      const cur = entities.get(k);
      const decision: Decision = {
        edit: e.edit,
        kind: e.kind,
        id: e.id,
        op: e.op,
        base: e.base,
        outcome: 'applied',
        version: next,
        at: new Date(Date.parse(e.at)).toISOString(),
        by: e.by,
        fields: null,
      };
      if (accepts(cur, e)) {
        const data = e.op === 'put' ? (e.data as Record<string, unknown>) : undefined;
        const by = edgeAuthor(e.by);
        entities.set(k, {
          kind: e.kind,
          id: e.id,
          version: next,
          deleted: data === undefined,
          ...(data ? { data } : {}),
          edit: e.edit,
          updatedBy: by,
          updatedAt: nowIso,
        });
        writes.push({ kind: e.kind, id: e.id, ...(data ? { data } : {}), edit: e.edit, by });
        results[index] = { edit: e.edit, outcome: 'applied', version: next };
      } else {
        decision.outcome = 'conflict';
        decision.version = cur?.version ?? 0;
        decision.fields = changedFields(e.data, cur?.deleted ? undefined : cur?.data);
        const result: ConfigEditResult = { edit: e.edit, outcome: 'conflict', version: decision.version };
        currents.push({ result, kind: e.kind, id: e.id });
        results[index] = result;
      }
      decided.set(e.edit, decision);
      fresh.push(decision);
    }

    if (writes.length > 0) await writeEntities(tx, cloudKey, house, next, writes, nowIso);
    await insertDecisions(tx, house, fresh, nowIso);
    for (const c of currents) c.result.current = currentOf(entities.get(entityKey(c.kind, c.id)), c, nowIso);
    return { version: writes.length > 0 ? next : before, results };
  });
}

/** The conflict rule (module comment). */
function accepts(cur: StoredEntity | undefined, e: ConfigEdit): boolean {
  if (e.base === 0 && (cur === undefined || cur.deleted)) return true;
  if (cur === undefined) return false;
  if (cur.version === e.base) return true;
  return e.after !== undefined && cur.edit === e.after;
}

/** The cloud's entity for a conflict; one the cloud never had is a tombstone at version 0. */
function currentOf(
  cur: StoredEntity | undefined,
  key: { kind: ConfigKind; id: string },
  nowIso: string,
): ConfigEntity {
  return cur
    ? toConfigEntity(cur)
    : { kind: key.kind, id: key.id, version: 0, deleted: true, updatedAt: nowIso };
}

async function loadDecisions(
  tx: Queryable,
  house: string,
  ids: readonly string[],
): Promise<Map<string, Decision>> {
  const rows = await tx.query<Omit<Decision, 'at'> & { at: Date }>(
    `SELECT edit::text AS edit, kind, id, op, base, outcome, version, at, by, fields
       FROM config_edits WHERE house = $1 AND edit = ANY($2::uuid[])`,
    [house, [...new Set(ids)]],
  );
  return new Map(
    rows.map((r) => [
      r.edit,
      { ...r, base: Number(r.base), version: Number(r.version), at: new Date(r.at).toISOString() },
    ]),
  );
}

async function insertDecisions(tx: Queryable, house: string, rows: readonly Decision[], nowIso: string) {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO config_edits (house, edit, kind, id, op, base, outcome, version, at, by, decided_at, fields)
     SELECT $1, x.edit, x.kind, x.id, x.op, x.base, x.outcome, x.version, x.at, x.by, $2::timestamptz,
            CASE WHEN x.fields IS NULL OR jsonb_typeof(x.fields) = 'null' THEN NULL
                 ELSE ARRAY(SELECT jsonb_array_elements_text(x.fields)) END
       FROM jsonb_to_recordset($3::text::jsonb)
         AS x (edit uuid, kind text, id text, op text, base bigint, outcome text, version bigint,
               at timestamptz, by text, fields jsonb)`,
    [house, nowIso, JSON.stringify(rows)],
  );
}
