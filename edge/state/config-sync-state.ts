import type { ConfigConflict, ConfigKind } from '../../cloud-sync/protocol/config.js';

/**
 * What the edge keeps of the config downlink and of its own edits (docs/config-sync.md, "On the
 * edge"), inside the state file so that an entity's row and its pending edit are written together.
 */

/** One local edit waiting for the cloud's outcome. Its data is read from the state when it is sent. */
export interface PendingEdit {
  /** UUIDv7; the `registry` record of the edit carries it as `edit`. */
  edit: string;
  op: 'put' | 'delete';
  /** Edge time of the edit and who made it (an edge user, or `linli-edge` for enrolment). */
  at: string;
  by: string;
  /** Set (durably) before it is posted: it may have reached the cloud, so it is never replaced. */
  sent?: true;
}

/** The sync state of one entity. An entity without an entry has base 0 and nothing pending. */
export interface EntitySync {
  /** The cloud version the local entity is based on; 0: never from the cloud. */
  base: number;
  /** The edit that goes up next; a second edit before it was sent replaces it (same base). */
  pending?: PendingEdit;
  /** An edit made after `pending` was sent: it waits for that outcome, then goes up on its version. */
  next?: PendingEdit;
}

/** An edit the cloud refused: the local value stays, shown as a problem until dismissed. */
export interface RejectedEdit {
  edit: string;
  kind: ConfigKind;
  id: string;
  base: number;
  at: string;
  by: string;
  /** The cloud's reason (never a value). */
  reason: string;
  detectedAt: string;
}

export interface ConfigSyncState {
  /** The bundle version the edge holds: the next pull's `since`. */
  version: number;
  /** When the last bundle was applied (edge clock). */
  appliedAt?: string;
  /** First contact done: every entity the edge made alone was enrolled as a pending edit. */
  enrolled: boolean;
  /** Bumped by every local edit, so the sync loop can tell that one is waiting. */
  editSeq: number;
  /** By `<kind>/<id>`. */
  entities: Record<string, EntitySync>;
  /** Edge edits the cloud's version won over (names of fields only), newest last. */
  conflicts: ConfigConflict[];
  rejected: RejectedEdit[];
}

export function emptyConfigSync(): ConfigSyncState {
  return { version: 0, enrolled: false, editSeq: 0, entities: {}, conflicts: [], rejected: [] };
}

export function entityKey(kind: ConfigKind, id: string): string {
  return `${kind}/${id}`;
}
