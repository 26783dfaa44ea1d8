import {
  CONFIG_KINDS,
  type ConfigData,
  type ConfigKind,
  type ContactsData,
  SINGLETON_IDS,
} from '../../cloud-sync/protocol/config.js';
import type { EdgeState, PointsCatalogueRow } from '../state/edge-state.js';
import { type ResidentKeys, residentData, residentRow } from './resident-mapping.js';
import { isListKind, type ListKind, type RowTypes, type StateRows } from './state-rows.js';

/**
 * The edge's rows as the protocol's entities and back, for every kind (protocol/config.ts):
 * resident (id), card (uid), user (username), device (id), activity (points item id), goods
 * (goods id), notice (id), and the singletons points-scheme, duty and contacts. Local-only fields
 * (`createdAt`, sessions, the sealed badge token) stay on the edge. Rows are read and written
 * through {@link StateRows} (indexed; flushed by the caller).
 *
 * Rows and protocol data have the same fields (the casts below say so); every entity is checked
 * against the protocol's schema before it is written or sent.
 */

type Data = ConfigData[ConfigKind];

/** Every entity the edge holds now, as (kind, id). */
export function localEntities(s: EdgeState): { kind: ConfigKind; id: string }[] {
  const out: { kind: ConfigKind; id: string }[] = [];
  for (const kind of CONFIG_KINDS) for (const id of localIds(s, kind)) out.push({ kind, id });
  return out;
}

function localIds(s: EdgeState, kind: ConfigKind): string[] {
  switch (kind) {
    case 'resident':
      return s.residents.map((r) => r.id);
    case 'card':
      return s.cards.map((c) => c.uid);
    case 'user':
      return s.users.map((u) => u.username);
    case 'device':
      return s.devices.map((d) => d.id);
    case 'activity':
      return s.pointsCatalogue?.items.map((i) => i.id) ?? [];
    case 'goods':
      return s.pointsCatalogue?.goods.map((g) => g.id) ?? [];
    case 'points-scheme':
      return s.pointsCatalogue?.rules ? ['scheme'] : [];
    case 'duty':
      return s.duty.length > 0 ? ['roster'] : [];
    case 'contacts':
      return s.contacts.community || s.contacts.police ? ['contacts'] : [];
    case 'notice':
      return s.notices.map((n) => n.id);
  }
}

/** A contact without a name goes up named by its number (the protocol needs a name). */
function contactOut(c: { name: string; phone: string } | undefined) {
  return c ? { name: c.name.trim() || c.phone, phone: c.phone } : undefined;
}

/** A list row as the protocol's data (its key and the edge's own fields left out). */
function listData(kind: ListKind, row: RowTypes[ListKind], keys: ResidentKeys): Data {
  switch (kind) {
    case 'resident':
      return residentData(row as RowTypes['resident'], keys);
    case 'card': {
      const { uid: _uid, ...data } = row as RowTypes['card'];
      return data;
    }
    case 'user': {
      const u = row as RowTypes['user'];
      return { role: u.role, passwordHash: u.passwordHash, ...(u.disabled ? { disabled: true } : {}) };
    }
    case 'device': {
      const { id: _id, createdAt: _c, ...data } = row as RowTypes['device'];
      return data as Data;
    }
    case 'activity':
    case 'goods': {
      const { id: _id, ...data } = row as RowTypes['activity'] | RowTypes['goods'];
      return data as Data;
    }
    case 'notice': {
      const { id: _id, createdAt: _c, updatedAt: _u, ...data } = row as RowTypes['notice'];
      return data;
    }
  }
}

/** The entity's data as the edge holds it, or undefined when the edge has no such entity. */
export function readEntity(
  rows: StateRows,
  kind: ConfigKind,
  id: string,
  keys: ResidentKeys,
): Data | undefined {
  if (isListKind(kind)) {
    const row = rows.get(kind, id);
    return row ? listData(kind, row, keys) : undefined;
  }
  const s = rows.s;
  switch (kind) {
    case 'points-scheme':
      return id === SINGLETON_IDS['points-scheme'] && s.pointsCatalogue?.rules
        ? (structuredClone(s.pointsCatalogue.rules) as Data)
        : undefined;
    // The singletons always exist once asked for (an empty roster goes up as `entries: []`);
    // only non-empty ones count as made here at first contact (localEntities).
    case 'duty':
      return id === SINGLETON_IDS.duty ? { entries: structuredClone(s.duty) } : undefined;
    case 'contacts': {
      if (id !== SINGLETON_IDS.contacts) return undefined;
      const community = contactOut(s.contacts.community);
      const police = contactOut(s.contacts.police);
      return { ...(community ? { community } : {}), ...(police ? { police } : {}) } satisfies ContactsData;
    }
  }
  return undefined;
}

function catalogue(d: EdgeState): PointsCatalogueRow {
  d.pointsCatalogue ??= { items: [], goods: [] };
  return d.pointsCatalogue;
}

/** Puts the cloud's data for an entity into a draft of the state (`at`: the entity's time). */
export function writeEntity(
  rows: StateRows,
  kind: ConfigKind,
  id: string,
  data: Data,
  at: string,
  keys: ResidentKeys,
): void {
  const d = rows.s;
  switch (kind) {
    case 'resident': {
      const prev = rows.get('resident', id);
      rows.put('resident', id, residentRow(id, data as ConfigData['resident'], prev, at, keys));
      return;
    }
    case 'card':
      rows.put('card', id, { uid: id, ...(data as ConfigData['card']) });
      return;
    case 'user': {
      const u = data as ConfigData['user'];
      const prev = rows.get('user', id);
      rows.put('user', id, {
        username: id,
        role: u.role,
        passwordHash: u.passwordHash,
        createdAt: prev?.createdAt ?? at,
        ...(u.disabled ? { disabled: true } : {}),
      });
      // A disabled user, or one whose password changed elsewhere, is logged out here too.
      if (u.disabled || (prev && prev.passwordHash !== u.passwordHash)) endSessions(d, id);
      return;
    }
    case 'device': {
      const prev = rows.get('device', id);
      rows.put('device', id, {
        id,
        ...(data as Omit<RowTypes['device'], 'id' | 'createdAt'>),
        createdAt: prev?.createdAt ?? at,
      });
      return;
    }
    case 'activity':
      catalogue(d);
      rows.put('activity', id, { id, ...(data as Omit<RowTypes['activity'], 'id'>) });
      return;
    case 'goods':
      catalogue(d);
      rows.put('goods', id, { id, ...(data as ConfigData['goods']) });
      return;
    case 'points-scheme':
      catalogue(d).rules = structuredClone(data as NonNullable<PointsCatalogueRow['rules']>);
      return;
    case 'duty':
      d.duty = structuredClone((data as ConfigData['duty']).entries);
      return;
    case 'contacts':
      d.contacts = structuredClone(data as ConfigData['contacts']);
      return;
    case 'notice': {
      const prev = rows.get('notice', id);
      rows.put('notice', id, {
        id,
        ...(data as ConfigData['notice']),
        createdAt: prev?.createdAt ?? at,
        updatedAt: at,
      });
      return;
    }
  }
}

/** Removes an entity the cloud deleted; false when the edge did not have it. */
export function removeEntity(rows: StateRows, kind: ConfigKind, id: string): boolean {
  const d = rows.s;
  if (isListKind(kind)) {
    const gone = rows.remove(kind, id);
    if (gone && kind === 'user') endSessions(d, id);
    return gone;
  }
  switch (kind) {
    case 'points-scheme': {
      const had = d.pointsCatalogue?.rules !== undefined;
      if (d.pointsCatalogue) delete d.pointsCatalogue.rules;
      return had;
    }
    case 'duty': {
      const had = d.duty.length > 0;
      d.duty = [];
      return had;
    }
    case 'contacts': {
      const had = Boolean(d.contacts.community || d.contacts.police);
      d.contacts = {};
      return had;
    }
  }
  return false;
}

function endSessions(d: EdgeState, username: string): void {
  d.sessions = d.sessions.filter((s) => s.username !== username);
}
