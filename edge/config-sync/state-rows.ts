import type { Goods, PointsItem } from '../points/points-types.js';
import type { CardRow, DeviceRow, EdgeState, NoticeRow, ResidentRow, UserRow } from '../state/edge-state.js';

/** The kinds kept as lists of rows in the state (the others are singletons). */
export type ListKind = 'resident' | 'card' | 'user' | 'device' | 'activity' | 'goods' | 'notice';

export interface RowTypes {
  resident: ResidentRow;
  card: CardRow;
  user: UserRow;
  device: DeviceRow;
  activity: PointsItem;
  goods: Goods;
  notice: NoticeRow;
}

const LIST_KINDS: readonly ListKind[] = ['resident', 'card', 'user', 'device', 'activity', 'goods', 'notice'];

export function isListKind(kind: string): kind is ListKind {
  return (LIST_KINDS as readonly string[]).includes(kind);
}

function list(s: EdgeState, kind: ListKind): readonly unknown[] {
  switch (kind) {
    case 'resident':
      return s.residents;
    case 'card':
      return s.cards;
    case 'user':
      return s.users;
    case 'device':
      return s.devices;
    case 'activity':
      return s.pointsCatalogue?.items ?? [];
    case 'goods':
      return s.pointsCatalogue?.goods ?? [];
    case 'notice':
      return s.notices;
  }
}

function keyOf(kind: ListKind, row: unknown): string {
  const r = row as { id?: string; uid?: string; username?: string };
  return (kind === 'card' ? r.uid : kind === 'user' ? r.username : r.id) ?? '';
}

/**
 * The state's lists of rows by id, for reading and changing many entities at once without a scan
 * per entity (a bundle of 10,000 residents would otherwise cost 10,000 scans of 10,000). Each list
 * is indexed on first use; changes go to the index and {@link StateRows.flush} writes the changed
 * lists back into the state (a draft), rows in their order, new ones at the end.
 */
export class StateRows {
  readonly #maps = new Map<ListKind, Map<string, unknown>>();
  readonly #dirty = new Set<ListKind>();

  constructor(readonly s: EdgeState) {}

  #map(kind: ListKind): Map<string, unknown> {
    let m = this.#maps.get(kind);
    if (!m) {
      m = new Map(list(this.s, kind).map((r) => [keyOf(kind, r), r]));
      this.#maps.set(kind, m);
    }
    return m;
  }

  get<K extends ListKind>(kind: K, id: string): RowTypes[K] | undefined {
    return this.#map(kind).get(id) as RowTypes[K] | undefined;
  }

  /** Puts a row (replacing the one with its id in place); returns the one it replaced. */
  put<K extends ListKind>(kind: K, id: string, row: RowTypes[K]): RowTypes[K] | undefined {
    const m = this.#map(kind);
    const prev = m.get(id) as RowTypes[K] | undefined;
    m.set(id, row);
    this.#dirty.add(kind);
    return prev;
  }

  remove(kind: ListKind, id: string): boolean {
    const gone = this.#map(kind).delete(id);
    if (gone) this.#dirty.add(kind);
    return gone;
  }

  /** Writes the changed lists back into the state. */
  flush(): void {
    for (const kind of this.#dirty) {
      const rows = [...(this.#maps.get(kind)?.values() ?? [])];
      switch (kind) {
        case 'resident':
          this.s.residents = rows as ResidentRow[];
          break;
        case 'card':
          this.s.cards = rows as CardRow[];
          break;
        case 'user':
          this.s.users = rows as UserRow[];
          break;
        case 'device':
          this.s.devices = rows as DeviceRow[];
          break;
        case 'activity':
          this.s.pointsCatalogue ??= { items: [], goods: [] };
          this.s.pointsCatalogue.items = rows as PointsItem[];
          break;
        case 'goods':
          this.s.pointsCatalogue ??= { items: [], goods: [] };
          this.s.pointsCatalogue.goods = rows as Goods[];
          break;
        case 'notice':
          this.s.notices = rows as NoticeRow[];
          break;
      }
    }
    this.#dirty.clear();
  }
}
