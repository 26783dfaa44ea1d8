import { v7 as uuidv7 } from 'uuid';
import type { ConfigKind } from '../../cloud-sync/protocol/config.js';
import { type EntitySync, entityKey, type PendingEdit } from '../state/config-sync-state.js';
import type { EdgeState } from '../state/edge-state.js';

/** What a local edit's `registry` record carries about its sync (never a value). */
export interface TrackedEdit {
  /** The edit's id (UUIDv7): the cloud learns the edit under it. */
  edit: string;
  /** The cloud version the edit was made on (0: the entity never came from the cloud). */
  base: number;
  /** An earlier edit of the entity that never went up: this one replaces it. */
  replaces?: string;
  /** An earlier edit already sent: this one goes up once that one's outcome is known. */
  follows?: string;
}

/**
 * Marks an entity as edited on the edge, inside the state update that makes the edit (so the row
 * and its pending edit are on disk together: no edit is lost between "saved" and its upload).
 * Called by every service that edits config (residents, cards, users, devices, duty, contacts,
 * notices). The edit's data is not kept here: it is read from the state when the edit is sent.
 *
 * - Nothing pending: this edit is pending, on the entity's base.
 * - An earlier edit pending but never sent: this one replaces it (same base; the earlier id is
 *   never sent, its record says so through this one's `replaces`).
 * - An earlier edit sent (it may have reached the cloud): this one waits as `next` (replacing an
 *   earlier `next`) and goes up on the version the sent one gets.
 * - A delete of an entity made here that never went up: nothing is left for the cloud to learn.
 */
export function trackEdit(
  draft: EdgeState,
  kind: ConfigKind,
  id: string,
  op: PendingEdit['op'],
  by: string,
  at: string,
): TrackedEdit {
  const cs = draft.configSync;
  const key = entityKey(kind, id);
  const e: EntitySync = cs.entities[key] ?? { base: 0 };
  const mine: PendingEdit = { edit: uuidv7(), op, at, by: by.slice(0, 64) || '?' };
  const tracked: TrackedEdit = { edit: mine.edit, base: e.base };
  if (!e.pending) e.pending = mine;
  else if (!e.pending.sent) {
    tracked.replaces = e.pending.edit;
    e.pending = mine;
  } else {
    if (e.next) tracked.replaces = e.next.edit;
    tracked.follows = e.pending.edit;
    e.next = mine;
  }
  if (e.base === 0 && op === 'delete' && e.pending === mine) delete e.pending;
  if (e.base === 0 && !e.pending && !e.next) delete cs.entities[key];
  else cs.entities[key] = e;
  cs.editSeq++;
  return tracked;
}

/** The sync fields of a `registry` record body. */
export function auditOf(t: TrackedEdit): Record<string, string | number> {
  return {
    edit: t.edit,
    base: t.base,
    ...(t.replaces ? { replaces: t.replaces } : {}),
    ...(t.follows ? { follows: t.follows } : {}),
  };
}
