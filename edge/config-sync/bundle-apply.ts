import { v7 as uuidv7 } from 'uuid';
import type { ConfigBundle } from '../../cloud-sync/protocol/config.js';
import { type EntitySync, entityKey } from '../state/config-sync-state.js';
import type { EdgeState } from '../state/edge-state.js';
import { localEntities } from './entity-mapping.js';
import type { ResidentKeys } from './resident-mapping.js';
import { StateRows } from './state-rows.js';
import { type ConfigChanges, noChanges, takeEntity } from './take-entity.js';

/** Who the edits of first contact (and of re-enrolment after a cloud reset) are by. */
export const ENROL_BY = 'linli-edge';

/** The pending edit's successor (if any) goes up next, on the entity's base as it now stands. */
export function promoteNext(meta: EntitySync): void {
  if (meta.next) meta.pending = meta.next;
  else delete meta.pending;
  delete meta.next;
}

/** Keeps an entity's entry only while it says something (a base above 0 or an edit pending). */
export function storeMeta(d: EdgeState, key: string, meta: EntitySync): void {
  if (meta.base === 0 && !meta.pending && !meta.next) delete d.configSync.entities[key];
  else d.configSync.entities[key] = meta;
}

/**
 * Applies a bundle (its entities checked already) to a draft of the state, in version order:
 * - an entity with a local edit pending is left alone: that edit's outcome settles it (applied:
 *   the edge's value is the cloud's; conflict: the cloud's `current` is taken then);
 * - except when the bundle shows that very edit applied (its answer was lost): it is settled here;
 * - any other entity is replaced, or removed for a tombstone, and takes the bundle's version as base.
 * A whole bundle (`since` 0: first contact, or after the cloud was reset) is never a reason to
 * wipe: an entity the edge holds that the cloud does not know is enrolled as a pending edit instead.
 */
export function applyBundle(
  d: EdgeState,
  bundle: ConfigBundle,
  keys: ResidentKeys,
  now: string,
): ConfigChanges {
  const cs = d.configSync;
  const changes = noChanges();
  const rows = new StateRows(d);
  const seen = new Set<string>();
  const entities = [...bundle.entities].sort((a, b) => a.version - b.version);
  for (const e of entities) {
    const key = entityKey(e.kind, e.id);
    seen.add(key);
    const meta: EntitySync = cs.entities[key] ?? { base: 0 };
    if (meta.pending && e.edit !== undefined && e.edit === meta.pending.edit) {
      meta.base = Math.max(meta.base, e.version);
      promoteNext(meta);
      if (!meta.pending) takeEntity(rows, e, keys, changes, now);
      storeMeta(d, key, meta);
      continue;
    }
    if (meta.pending || meta.next) continue;
    if (e.version < meta.base) continue;
    takeEntity(rows, e, keys, changes, now);
    meta.base = e.version;
    storeMeta(d, key, meta);
  }
  rows.flush();
  if (bundle.since === 0) enrolUnknown(d, seen, now);
  cs.version = bundle.version;
  cs.appliedAt = now;
  return changes;
}

/** After a whole bundle: what the edge holds and the cloud does not know goes up again. */
function enrolUnknown(d: EdgeState, inBundle: ReadonlySet<string>, now: string): void {
  const cs = d.configSync;
  const local = new Set<string>();
  for (const { kind, id } of localEntities(d)) {
    const key = entityKey(kind, id);
    local.add(key);
    if (inBundle.has(key)) continue;
    const meta: EntitySync = cs.entities[key] ?? { base: 0 };
    if (meta.pending || meta.next) continue;
    meta.base = 0;
    meta.pending = { edit: uuidv7(), op: 'put', at: now, by: ENROL_BY };
    cs.entities[key] = meta;
    cs.editSeq++;
  }
  // Known to neither side any more (and nothing pending): nothing to keep.
  for (const [key, meta] of Object.entries(cs.entities)) {
    if (!inBundle.has(key) && !local.has(key) && !meta.pending && !meta.next) delete cs.entities[key];
  }
}
