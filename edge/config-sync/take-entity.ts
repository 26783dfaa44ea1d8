import {
  type ConfigData,
  type ConfigEntity,
  type ConfigKind,
  checkEntity,
  checkEntityId,
  isConfigKind,
} from '../../cloud-sync/protocol/config.js';
import type { DeviceRow } from '../state/edge-state.js';
import { removeEntity, writeEntity } from './entity-mapping.js';
import type { ResidentKeys } from './resident-mapping.js';
import type { StateRows } from './state-rows.js';

/** What a bundle or an edit's outcome changed, for the services that keep derived state. */
export interface ConfigChanges {
  /** Devices added, removed or changed: their drivers follow. */
  devices: { before?: DeviceRow; after?: DeviceRow }[];
  /** An activity, goods or the points scheme changed: the points service takes the new scheme. */
  points: boolean;
  notices: boolean;
  /** Entities replaced or deleted, by kind. */
  taken: Partial<Record<ConfigKind, number>>;
}

export function noChanges(): ConfigChanges {
  return { devices: [], points: false, notices: false, taken: {} };
}

export function anyChange(c: ConfigChanges): boolean {
  return Object.keys(c.taken).length > 0;
}

/** Why an entity from the cloud cannot be taken, or undefined. Never quotes a value. */
export function entityProblem(e: ConfigEntity): string | undefined {
  if (e === null || typeof e !== 'object') return 'an entity is an object';
  if (!isConfigKind(e.kind)) return 'unknown kind';
  const badId = checkEntityId(e.kind, e.id);
  if (badId) return `${e.kind}: ${badId}`;
  if (!Number.isSafeInteger(e.version) || e.version < 0) return `${e.kind} ${e.id}: version`;
  if (e.deleted === true) return undefined;
  const bad = checkEntity(e.kind, e.id, e.data);
  return bad ? `${e.kind} ${e.id}: ${bad}` : undefined;
}

/**
 * Puts the cloud's version of an entity (or its deletion) into a draft of the state (through its
 * rows: the caller flushes them) and notes what changed. The entity must have passed {@link entityProblem}.
 */
export function takeEntity(
  rows: StateRows,
  e: ConfigEntity,
  keys: ResidentKeys,
  changes: ConfigChanges,
  now: string,
): void {
  const before = e.kind === 'device' ? rows.get('device', e.id) : undefined;
  const at = typeof e.updatedAt === 'string' && !Number.isNaN(Date.parse(e.updatedAt)) ? e.updatedAt : now;
  if (e.deleted === true) {
    if (!removeEntity(rows, e.kind, e.id)) return;
  } else {
    writeEntity(rows, e.kind, e.id, e.data as ConfigData[ConfigKind], at, keys);
  }
  changes.taken[e.kind] = (changes.taken[e.kind] ?? 0) + 1;
  if (e.kind === 'activity' || e.kind === 'goods' || e.kind === 'points-scheme') changes.points = true;
  if (e.kind === 'notice') changes.notices = true;
  if (e.kind === 'device') {
    const after = rows.get('device', e.id);
    if (!sameDevice(before, after)) {
      changes.devices.push({
        ...(before ? { before: structuredClone(before) } : {}),
        ...(after ? { after: structuredClone(after) } : {}),
      });
    }
  }
}

function sameDevice(a: DeviceRow | undefined, b: DeviceRow | undefined): boolean {
  if (!a || !b) return a === b;
  const { createdAt: _a, ...x } = a;
  const { createdAt: _b, ...y } = b;
  return JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
}
