import { v7 as uuidv7 } from 'uuid';
import {
  CONFIG_KINDS,
  type ConfigEdit,
  type ConfigEditsAnswer,
  type ConfigKind,
  changedFields,
  checkEntity,
  checkEntityId,
  isConfigKind,
} from '../../cloud-sync/protocol/config.js';
import { type EntitySync, entityKey } from '../state/config-sync-state.js';
import type { EdgeState } from '../state/edge-state.js';
import { promoteNext, storeMeta } from './bundle-apply.js';
import { readEntity } from './entity-mapping.js';
import type { ResidentKeys } from './resident-mapping.js';
import { StateRows } from './state-rows.js';
import { type ConfigChanges, entityProblem, noChanges, takeEntity } from './take-entity.js';

/** Conflicts and rejected edits kept for the admin page; the oldest go beyond this. */
export const MAX_PROBLEMS = 500;

const ORDER = new Map<ConfigKind, number>(CONFIG_KINDS.map((k, i) => [k, i]));

/** An edit the edge cannot send: its data does not fit the protocol (it is rejected here). */
export interface UnfitEdit {
  edit: string;
  kind: ConfigKind;
  id: string;
  reason: string;
}

/**
 * The pending edits to send, at most `max`, each with its data as the state holds it now: puts in
 * the protocol's kind order (residents before their cards), then deletes in the reverse order;
 * oldest first within a kind. An edit whose data does not fit the protocol is returned as unfit.
 */
export function collectPending(
  s: EdgeState,
  max: number,
  keys: ResidentKeys,
): { edits: ConfigEdit[]; unfit: UnfitEdit[] } {
  const all: {
    kind: ConfigKind;
    id: string;
    meta: EntitySync & { pending: NonNullable<EntitySync['pending']> };
  }[] = [];
  for (const [key, meta] of Object.entries(s.configSync.entities)) {
    if (!meta.pending) continue;
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    if (!isConfigKind(kind)) continue;
    all.push({ kind, id: key.slice(slash + 1), meta: meta as (typeof all)[number]['meta'] });
  }
  const rank = (x: (typeof all)[number]) => {
    const k = ORDER.get(x.kind) ?? 0;
    return x.meta.pending.op === 'put' ? k : 2 * CONFIG_KINDS.length - k;
  };
  all.sort(
    (a, b) =>
      rank(a) - rank(b) || a.meta.pending.at.localeCompare(b.meta.pending.at) || a.id.localeCompare(b.id),
  );
  const edits: ConfigEdit[] = [];
  const unfit: UnfitEdit[] = [];
  const rows = new StateRows(s);
  for (const { kind, id, meta } of all) {
    if (edits.length >= max) break;
    const p = meta.pending;
    const data = p.op === 'put' ? readEntity(rows, kind, id, keys) : undefined;
    const problem = data !== undefined ? checkEntity(kind, id, data) : checkEntityId(kind, id);
    if (problem) {
      unfit.push({ edit: p.edit, kind, id, reason: `the edge's data does not fit: ${problem}` });
      continue;
    }
    edits.push({
      edit: p.edit,
      kind,
      id,
      base: meta.base,
      // An entity gone without a tracked delete (removed by hand): it goes up as deleted.
      op: data === undefined ? 'delete' : 'put',
      ...(data !== undefined ? { data } : {}),
      at: p.at,
      by: p.by,
    });
  }
  return { edits, unfit };
}

function cap<T>(list: T[]): void {
  if (list.length > MAX_PROBLEMS) list.splice(0, list.length - MAX_PROBLEMS);
}

/** Records an edit as rejected (local value kept); its successor, if any, goes up on the same base. */
export function rejectEdit(d: EdgeState, e: UnfitEdit, now: string): void {
  const key = entityKey(e.kind, e.id);
  const meta = d.configSync.entities[key];
  if (!meta?.pending || meta.pending.edit !== e.edit) return;
  d.configSync.rejected.push({
    edit: e.edit,
    kind: e.kind,
    id: e.id,
    base: meta.base,
    at: meta.pending.at,
    by: meta.pending.by,
    reason: e.reason.slice(0, 500),
    detectedAt: now,
  });
  cap(d.configSync.rejected);
  promoteNext(meta);
  storeMeta(d, key, meta);
}

/**
 * Settles sent edits with the cloud's results, in a draft of the state. An edit no longer pending
 * (settled by a bundle that showed it, or a result seen twice) is passed over.
 * - applied: the entity's base is the new version; a waiting successor goes up next, on it;
 * - conflict: the cloud's `current` is taken (its version wins), the conflict is kept with the
 *   names of the fields that differed (none: no conflict worth showing), a successor is dropped;
 *   but when `current` is a tombstone at version 0 the cloud never had the entity: it goes up again
 *   as new (a cloud that lost its store must not wipe the edge);
 * - rejected: the local value stays, the edit is kept as a problem with the cloud's reason.
 */
export function settleEdits(
  d: EdgeState,
  sent: readonly ConfigEdit[],
  answer: ConfigEditsAnswer,
  keys: ResidentKeys,
  now: string,
): ConfigChanges {
  const changes = noChanges();
  const rows = new StateRows(d);
  const byEdit = new Map(sent.map((e) => [e.edit, e]));
  for (const r of answer.results) {
    const e = byEdit.get(r.edit);
    if (!e) continue;
    const key = entityKey(e.kind, e.id);
    const meta = d.configSync.entities[key];
    if (!meta?.pending || meta.pending.edit !== r.edit) continue;
    if (r.outcome === 'applied') {
      if (Number.isSafeInteger(r.version)) meta.base = r.version as number;
      promoteNext(meta);
      storeMeta(d, key, meta);
    } else if (r.outcome === 'conflict' && r.current?.deleted === true && r.current.version === 0) {
      // The cloud never had the entity (its store was reset, or the edge's base is from another
      // cloud): nothing won over the edge. It goes up again as new, under a fresh edit id (this
      // one is decided on the cloud); a delete of something the cloud never had is done.
      meta.base = 0;
      if (meta.pending.op === 'put' || meta.next?.op === 'put') {
        meta.pending = { edit: uuidv7(), op: 'put', at: meta.pending.at, by: meta.pending.by };
      } else delete meta.pending;
      delete meta.next;
      d.configSync.editSeq++;
      storeMeta(d, key, meta);
    } else if (r.outcome === 'conflict') {
      const local = readEntity(rows, e.kind, e.id, keys);
      const cur = r.current;
      let fields: string[];
      let cloudVersion = r.version ?? meta.base;
      if (cur && cur.kind === e.kind && cur.id === e.id && entityProblem(cur) === undefined) {
        takeEntity(rows, cur, keys, changes, now);
        meta.base = cur.version;
        cloudVersion = r.version ?? cur.version;
        fields = changedFields(local, cur.deleted ? undefined : cur.data);
      } else {
        // No usable current: the local value stays until the next change of it comes down.
        meta.base = cloudVersion;
        fields = changedFields(local, undefined);
      }
      delete meta.pending;
      delete meta.next;
      storeMeta(d, key, meta);
      if (fields.length > 0) {
        d.configSync.conflicts.push({
          edit: e.edit,
          kind: e.kind,
          id: e.id,
          base: e.base,
          cloudVersion,
          at: e.at,
          by: e.by,
          detectedAt: now,
          fields,
        });
        cap(d.configSync.conflicts);
      }
    } else {
      rejectEdit(
        d,
        { edit: e.edit, kind: e.kind, id: e.id, reason: r.reason ?? 'rejected by the cloud' },
        now,
      );
    }
  }
  rows.flush();
  return changes;
}
