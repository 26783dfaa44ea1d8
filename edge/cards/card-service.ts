import { auditOf, type TrackedEdit, trackEdit } from '../config-sync/track-edit.js';
import { LinliError } from '../errors.js';
import type { CardRow, EdgeState } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { StateStore } from '../store/state-store.js';

const UID = /^[0-9A-F]{8}([0-9A-F]{6})?([0-9A-F]{6})?$/;

/** Why a UID cannot be bound: not 4, 7 or 10 bytes of hex, or a random UID (4 bytes from 08). */
export type UidProblem = 'card-uid-invalid' | 'card-uid-random';

export const UID_MESSAGES: Record<UidProblem, string> = {
  'card-uid-invalid': 'a UID is 4, 7 or 10 bytes of hex',
  'card-uid-random': 'this card shows a random UID at every read (starts with 08): it cannot be bound',
};

/** A UID as typed or exported (`04:a1:b2:c3`, `04 A1 B2 C3`, full-width) → `04A1B2C3`. */
export function normalizeUid(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\s:-]/g, '')
    .toUpperCase();
}

/** The reason a normalised UID cannot be bound, or undefined when it can. */
export function uidProblem(uid: string): UidProblem | undefined {
  if (!UID.test(uid)) return 'card-uid-invalid';
  if (uid.length === 8 && uid.startsWith('08')) return 'card-uid-random';
  return undefined;
}

/**
 * Cards bound to residents (resident cards, party-member IC cards), by UID. A 4-byte UID that
 * starts with 08 is a random UID, new at every read (ISO 14443-3): such a card cannot be bound.
 * Every change is a `registry` record naming the resident by id, and a pending config edit.
 */
export class CardService {
  constructor(
    private readonly state: StateStore<EdgeState>,
    private readonly records: RecordLog,
    private readonly now: () => number = Date.now,
  ) {}

  list(): readonly CardRow[] {
    return this.state.data.cards;
  }

  get(uid: string): CardRow | undefined {
    return this.state.data.cards.find((c) => c.uid === uid);
  }

  /** The cards of one resident, whatever their state, the newest binding first. */
  forResident(residentId: string): CardRow[] {
    if (!this.state.data.residents.some((r) => r.id === residentId)) {
      throw new LinliError('NOT_FOUND', `no resident ${residentId}`);
    }
    return this.state.data.cards
      .filter((c) => c.residentId === residentId)
      .sort((a, b) => b.boundAt.localeCompare(a.boundAt));
  }

  async bind(
    input: { uid: string; residentId: string; kind: CardRow['kind'] },
    by: string,
  ): Promise<CardRow> {
    const uid = normalizeUid(input.uid);
    const problem = uidProblem(uid);
    if (problem) throw new LinliError('CARD_INVALID', UID_MESSAGES[problem]);
    if (!this.state.data.residents.some((r) => r.id === input.residentId)) {
      throw new LinliError('NOT_FOUND', `no resident ${input.residentId}`);
    }
    const existing = this.get(uid);
    if (existing && existing.state === 'active') {
      throw new LinliError(
        'CARD_BOUND',
        existing.residentId === input.residentId
          ? 'this card is already bound to this resident'
          : `this card is already bound to resident ${existing.residentId}: report it lost or revoke it first`,
      );
    }
    const at = new Date(this.now()).toISOString();
    const row: CardRow = {
      uid,
      residentId: input.residentId,
      kind: input.kind,
      state: 'active',
      boundAt: at,
      changedAt: at,
    };
    let tracked: TrackedEdit | undefined;
    await this.state.update((d) => {
      d.cards = d.cards.filter((c) => c.uid !== uid);
      d.cards.push(row);
      tracked = trackEdit(d, 'card', uid, 'put', by, at);
    });
    await this.records.append('registry', 'card.bound', {
      entity: 'card',
      uid,
      residentId: row.residentId,
      kind: row.kind,
      by,
      ...(tracked ? auditOf(tracked) : {}),
    });
    return row;
  }

  /**
   * Reports a card lost or revokes it (it stops working at once), or makes it active again. Setting
   * the state it already has changes nothing and records nothing.
   */
  async setState(uid: string, state: 'lost' | 'revoked' | 'active', by: string): Promise<CardRow> {
    const card = this.get(normalizeUid(uid));
    if (!card) throw new LinliError('NOT_FOUND', 'no such card');
    if (card.state === state) return card;
    let tracked: TrackedEdit | undefined;
    await this.state.update((d) => {
      const c = d.cards.find((x) => x.uid === card.uid) as CardRow;
      c.state = state;
      c.changedAt = new Date(this.now()).toISOString();
      tracked = trackEdit(d, 'card', card.uid, 'put', by, c.changedAt);
    });
    await this.records.append('registry', `card.${state}`, {
      entity: 'card',
      uid: card.uid,
      residentId: card.residentId,
      by,
      ...(tracked ? auditOf(tracked) : {}),
    });
    return this.get(card.uid) as CardRow;
  }
}
