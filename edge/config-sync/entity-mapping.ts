import {
  CONFIG_KINDS,
  type ConfigData,
  type ConfigKind,
  type ContactsData,
  SINGLETON_IDS,
} from '../../cloud-sync/protocol/config.js';
import type { EdgeState, PointsCatalogueRow } from '../state/edge-state.js';
import { type ResidentKeys, residentData, residentRow } from './resident-mapping.js';

/**
 * The edge's rows as the protocol's entities and back, for every kind (protocol/config.ts):
 * resident (id), card (uid), user (username), device (id), activity (points item id), goods
 * (goods id), and the singletons points-scheme, duty and contacts. Local-only fields (`createdAt`,
 * sessions, the sealed badge token) stay on the edge.
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

/** The entity's data as the edge holds it, or undefined when the edge has no such entity. */
export function readEntity(s: EdgeState, kind: ConfigKind, id: string, keys: ResidentKeys): Data | undefined {
  switch (kind) {
    case 'resident': {
      const r = s.residents.find((x) => x.id === id);
      return r ? residentData(r, keys) : undefined;
    }
    case 'card': {
      const c = s.cards.find((x) => x.uid === id);
      if (!c) return undefined;
      const { uid: _uid, ...data } = c;
      return data;
    }
    case 'user': {
      const u = s.users.find((x) => x.username === id);
      if (!u) return undefined;
      return { role: u.role, passwordHash: u.passwordHash, ...(u.disabled ? { disabled: true } : {}) };
    }
    case 'device': {
      const d = s.devices.find((x) => x.id === id);
      if (!d) return undefined;
      const { id: _id, createdAt: _c, ...data } = d;
      return data as unknown as Data;
    }
    case 'activity': {
      const i = s.pointsCatalogue?.items.find((x) => x.id === id);
      if (!i) return undefined;
      const { id: _id, ...data } = i;
      return data as unknown as Data;
    }
    case 'goods': {
      const g = s.pointsCatalogue?.goods.find((x) => x.id === id);
      if (!g) return undefined;
      const { id: _id, ...data } = g;
      return data;
    }
    case 'points-scheme':
      // (`as unknown`: the protocol's mapped literal unions type as never; the checks are right.)
      return id === SINGLETON_IDS['points-scheme'] && s.pointsCatalogue?.rules
        ? (structuredClone(s.pointsCatalogue.rules) as unknown as Data)
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
    case 'notice': {
      const n = s.notices.find((x) => x.id === id);
      if (!n) return undefined;
      const { id: _id, createdAt: _c, updatedAt: _u, ...data } = n;
      return data;
    }
  }
}

function catalogue(d: EdgeState): PointsCatalogueRow {
  d.pointsCatalogue ??= { items: [], goods: [] };
  return d.pointsCatalogue;
}

function upsert<T>(list: T[], match: (x: T) => boolean, row: T): T | undefined {
  const i = list.findIndex(match);
  const prev = i >= 0 ? list[i] : undefined;
  if (i >= 0) list[i] = row;
  else list.push(row);
  return prev;
}

/** Puts the cloud's data for an entity into a draft of the state (`at`: the entity's time). */
export function writeEntity(
  d: EdgeState,
  kind: ConfigKind,
  id: string,
  data: Data,
  at: string,
  keys: ResidentKeys,
): void {
  switch (kind) {
    case 'resident': {
      const prev = d.residents.find((x) => x.id === id);
      upsert(
        d.residents,
        (x) => x.id === id,
        residentRow(id, data as ConfigData['resident'], prev, at, keys),
      );
      return;
    }
    case 'card':
      upsert(d.cards, (x) => x.uid === id, { uid: id, ...(data as ConfigData['card']) });
      return;
    case 'user': {
      const u = data as ConfigData['user'];
      const prev = d.users.find((x) => x.username === id);
      upsert(d.users, (x) => x.username === id, {
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
      const prev = d.devices.find((x) => x.id === id);
      upsert(d.devices, (x) => x.id === id, {
        id,
        ...(data as unknown as Omit<EdgeState['devices'][number], 'id' | 'createdAt'>),
        createdAt: prev?.createdAt ?? at,
      } as EdgeState['devices'][number]);
      return;
    }
    case 'activity':
      upsert(catalogue(d).items, (x) => x.id === id, {
        id,
        ...(data as unknown as Omit<PointsCatalogueRow['items'][number], 'id'>),
      });
      return;
    case 'goods':
      upsert(catalogue(d).goods, (x) => x.id === id, { id, ...(data as ConfigData['goods']) });
      return;
    case 'points-scheme':
      catalogue(d).rules = structuredClone(data as unknown as NonNullable<PointsCatalogueRow['rules']>);
      return;
    case 'duty':
      d.duty = structuredClone((data as ConfigData['duty']).entries);
      return;
    case 'contacts':
      d.contacts = structuredClone(data as ConfigData['contacts']);
      return;
    case 'notice': {
      const prev = d.notices.find((x) => x.id === id);
      upsert(d.notices, (x) => x.id === id, {
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
export function removeEntity(d: EdgeState, kind: ConfigKind, id: string): boolean {
  const drop = <T>(list: T[], match: (x: T) => boolean): T[] | undefined =>
    list.some(match) ? list.filter((x) => !match(x)) : undefined;
  switch (kind) {
    case 'resident': {
      const next = drop(d.residents, (x) => x.id === id);
      if (next) d.residents = next;
      return next !== undefined;
    }
    case 'card': {
      const next = drop(d.cards, (x) => x.uid === id);
      if (next) d.cards = next;
      return next !== undefined;
    }
    case 'user': {
      const next = drop(d.users, (x) => x.username === id);
      if (next) {
        d.users = next;
        endSessions(d, id);
      }
      return next !== undefined;
    }
    case 'device': {
      const next = drop(d.devices, (x) => x.id === id);
      if (next) d.devices = next;
      return next !== undefined;
    }
    case 'activity': {
      const next = d.pointsCatalogue && drop(d.pointsCatalogue.items, (x) => x.id === id);
      if (next && d.pointsCatalogue) d.pointsCatalogue.items = next;
      return next !== undefined;
    }
    case 'goods': {
      const next = d.pointsCatalogue && drop(d.pointsCatalogue.goods, (x) => x.id === id);
      if (next && d.pointsCatalogue) d.pointsCatalogue.goods = next;
      return next !== undefined;
    }
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
    case 'notice': {
      const next = drop(d.notices, (x) => x.id === id);
      if (next) d.notices = next;
      return next !== undefined;
    }
  }
}

function endSessions(d: EdgeState, username: string): void {
  d.sessions = d.sessions.filter((s) => s.username !== username);
}
