import { LinliError } from '../errors.js';
import type { CardRow, EdgeState } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { StateStore } from '../store/state-store.js';

const UID = /^[0-9A-F]{8}([0-9A-F]{6})?([0-9A-F]{6})?$/;

/**
 * Cards bound to residents (resident cards, party-member IC cards), by UID. A 4-byte UID that
 * starts with 08 is a random UID, new at every read (ISO 14443-3): such a card cannot be bound.
 * Every change is a `registry` record naming the resident by id.
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

  async bind(
    input: { uid: string; residentId: string; kind: CardRow['kind'] },
    by: string,
  ): Promise<CardRow> {
    const uid = input.uid.toUpperCase();
    if (!UID.test(uid)) throw new LinliError('CARD_INVALID', 'a UID is 4, 7 or 10 bytes of hex');
    if (uid.length === 8 && uid.startsWith('08')) {
      throw new LinliError(
        'CARD_INVALID',
        'this card shows a random UID at every read (starts with 08): it cannot be bound',
      );
    }
    if (!this.state.data.residents.some((r) => r.id === input.residentId)) {
      throw new LinliError('NOT_FOUND', `no resident ${input.residentId}`);
    }
    const existing = this.get(uid);
    if (existing && existing.state === 'active')
      throw new LinliError('CARD_BOUND', 'this card is already bound');
    const at = new Date(this.now()).toISOString();
    const row: CardRow = {
      uid,
      residentId: input.residentId,
      kind: input.kind,
      state: 'active',
      boundAt: at,
      changedAt: at,
    };
    await this.state.update((d) => {
      d.cards = d.cards.filter((c) => c.uid !== uid);
      d.cards.push(row);
    });
    await this.records.append('registry', 'card.bound', {
      entity: 'card',
      uid,
      residentId: row.residentId,
      kind: row.kind,
      by,
    });
    return row;
  }

  /** Reports a card lost or revokes it: it stops working at once. */
  async setState(uid: string, state: 'lost' | 'revoked' | 'active', by: string): Promise<CardRow> {
    const card = this.get(uid.toUpperCase());
    if (!card) throw new LinliError('NOT_FOUND', 'no such card');
    await this.state.update((d) => {
      const c = d.cards.find((x) => x.uid === card.uid) as CardRow;
      c.state = state;
      c.changedAt = new Date(this.now()).toISOString();
    });
    await this.records.append('registry', `card.${state}`, {
      entity: 'card',
      uid: card.uid,
      residentId: card.residentId,
      by,
    });
    return this.get(card.uid) as CardRow;
  }
}
