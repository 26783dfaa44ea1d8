import { createHash, randomBytes } from 'node:crypto';
import type { SealedBox } from '../crypto/sealed-box.js';
import { LinliError } from '../errors.js';
import type { EdgeState, ResidentRow } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { StateStore } from '../store/state-store.js';

export interface ResidentInput {
  id: string;
  name: string;
  address?: string;
  phone?: string;
  roles?: string[];
  emergencyContacts?: ResidentRow['emergencyContacts'];
  /** Plain text in, sealed at rest. */
  healthNotes?: string;
}

/** What staff see of a resident: the notes opened, never the sealed fields or the badge token. */
export type ResidentView = Omit<ResidentRow, 'healthNotesSealed' | 'badge'> & {
  healthNotes?: string;
  badge?: { code: string; issuedAt: string };
};

const NOTES = 'healthNotes';
const BADGE = 'badgeToken';

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A badge's public code: short, readable aloud, derived from the token's digest (not the token). */
function badgeCode(d: string): string {
  const n = Buffer.from(d, 'base64url');
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  let code = '';
  for (let i = 0; i < 6; i++) code += alphabet[(n[i] as number) % alphabet.length];
  return `LL-${code}`;
}

/**
 * Residents as elder help needs them: profile, emergency contacts, sealed health notes, and the
 * QR badge whose opaque token is the only thing printed on it. Every edit is a `registry` record
 * naming the resident by id and the fields changed — never their values.
 */
export class ResidentService {
  constructor(
    private readonly state: StateStore<EdgeState>,
    private readonly box: SealedBox,
    private readonly records: RecordLog,
    private readonly now: () => number = Date.now,
  ) {}

  list(): ResidentView[] {
    return this.state.data.residents.map((r) => this.view(r, false));
  }

  get(id: string, withNotes: boolean): ResidentView {
    return this.view(this.row(id), withNotes);
  }

  async create(input: ResidentInput, by: string): Promise<ResidentView> {
    if (this.state.data.residents.some((r) => r.id === input.id))
      throw new LinliError('RESIDENT_EXISTS', `resident ${input.id} exists`);
    const at = new Date(this.now()).toISOString();
    const row: ResidentRow = {
      id: input.id,
      name: input.name,
      roles: input.roles ?? [],
      emergencyContacts: input.emergencyContacts ?? [],
      ...(input.address ? { address: input.address } : {}),
      ...(input.phone ? { phone: input.phone } : {}),
      ...(input.healthNotes ? { healthNotesSealed: this.box.seal(input.healthNotes, NOTES) } : {}),
      createdAt: at,
      updatedAt: at,
    };
    await this.state.update((d) => {
      d.residents.push(row);
    });
    await this.audit('resident.created', row.id, Object.keys(input), by);
    return this.view(row, true);
  }

  async update(id: string, patch: Partial<Omit<ResidentInput, 'id'>>, by: string): Promise<ResidentView> {
    this.row(id);
    await this.state.update((d) => {
      const r = d.residents.find((x) => x.id === id) as ResidentRow;
      if (patch.name !== undefined) r.name = patch.name;
      if (patch.address !== undefined) r.address = patch.address;
      if (patch.phone !== undefined) r.phone = patch.phone;
      if (patch.roles !== undefined) r.roles = patch.roles;
      if (patch.emergencyContacts !== undefined) r.emergencyContacts = patch.emergencyContacts;
      if (patch.healthNotes !== undefined) {
        if (patch.healthNotes === '') delete r.healthNotesSealed;
        else r.healthNotesSealed = this.box.seal(patch.healthNotes, NOTES);
      }
      r.updatedAt = new Date(this.now()).toISOString();
    });
    await this.audit('resident.updated', id, Object.keys(patch), by);
    return this.get(id, true);
  }

  /** Issues a new badge (the old one, if any, is dead from now on); returns its token once. */
  async issueBadge(id: string, by: string): Promise<{ token: string; code: string }> {
    this.row(id);
    const token = randomBytes(18).toString('base64url');
    const d = digest(token);
    const badge = {
      tokenSealed: this.box.seal(token, BADGE),
      digest: d,
      code: badgeCode(d),
      issuedAt: new Date(this.now()).toISOString(),
    };
    await this.state.update((s) => {
      (s.residents.find((x) => x.id === id) as ResidentRow).badge = badge;
    });
    await this.audit('resident.badge-issued', id, ['badge'], by);
    return { token, code: badge.code };
  }

  async revokeBadge(id: string, by: string): Promise<void> {
    if (!this.row(id).badge) throw new LinliError('NOT_FOUND', `resident ${id} has no badge`);
    await this.state.update((s) => {
      delete (s.residents.find((x) => x.id === id) as ResidentRow).badge;
    });
    await this.audit('resident.badge-revoked', id, ['badge'], by);
  }

  /** The active badge's token (to print the QR again). */
  badgeToken(id: string): string {
    const b = this.row(id).badge;
    if (!b) throw new LinliError('NOT_FOUND', `resident ${id} has no badge`);
    return this.box.open(b.tokenSealed, BADGE);
  }

  /** The resident a badge token belongs to, while the badge is active. */
  byBadge(token: string): ResidentRow | undefined {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return undefined;
    const d = digest(token);
    return this.state.data.residents.find((r) => r.badge?.digest === d);
  }

  private row(id: string): ResidentRow {
    const r = this.state.data.residents.find((x) => x.id === id);
    if (!r) throw new LinliError('NOT_FOUND', `no resident ${id}`);
    return r;
  }

  private view(r: ResidentRow, withNotes: boolean): ResidentView {
    const { healthNotesSealed, badge, ...rest } = r;
    return {
      ...rest,
      ...(withNotes && healthNotesSealed ? { healthNotes: this.box.open(healthNotesSealed, NOTES) } : {}),
      ...(badge ? { badge: { code: badge.code, issuedAt: badge.issuedAt } } : {}),
    };
  }

  private async audit(type: string, id: string, fields: string[], by: string): Promise<void> {
    await this.records.append('registry', type, {
      entity: 'resident',
      id,
      fields: fields.filter((f) => f !== 'id'),
      by,
    });
  }
}
