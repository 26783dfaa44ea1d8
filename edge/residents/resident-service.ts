import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { auditOf, type TrackedEdit, trackEdit } from '../config-sync/track-edit.js';
import type { SealedBox } from '../crypto/sealed-box.js';
import { LinliError } from '../errors.js';
import type { EdgeState, ResidentRow } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { StateStore } from '../store/state-store.js';
import { followAddress, formatAddress, type HomeParts } from './address.js';
import {
  checkIdNumber,
  ID_NUMBER_MESSAGES,
  idNumberDigest,
  maskIdNumber,
  normalizeIdNumber,
} from './id-number.js';
import { readImport } from './import-read.js';
import type { ImportReport } from './import-types.js';
import { applyImport, type ImportPlan, type ImportRecord, outcomeOf, planImport } from './resident-import.js';
import { SEALED } from './sealed-fields.js';

export interface ResidentInput {
  id: string;
  name: string;
  /** Free text; made from community, building, unit and room when left out. */
  address?: string;
  community?: string;
  building?: string;
  unit?: string;
  room?: string;
  phone?: string;
  roles?: string[];
  branch?: string;
  emergencyContacts?: ResidentRow['emergencyContacts'];
  /** Plain text in, sealed at rest. */
  healthNotes?: string;
  /** 居民身份证号, 18 characters: checked, sealed at rest, answered masked only (`''` deletes it). */
  idNumber?: string;
}

/**
 * What staff see of a resident: the notes opened (single resident only), the ID number masked
 * (`2101**********1234`), never the sealed fields, the digest or the badge token.
 */
export type ResidentView = Omit<
  ResidentRow,
  'healthNotesSealed' | 'badge' | 'idNumberSealed' | 'idNumberDigest'
> & {
  healthNotes?: string;
  idNumberMasked?: string;
  badge?: { code: string; issuedAt: string };
};

const NOTES = SEALED.notes;
const BADGE = SEALED.badge;
const ID_NUMBER = SEALED.idNumber;
/** Thrown out of a state update to leave the state unwritten (an import refused or changing nothing). */
const NO_WRITE = Symbol('no write');
const HOME = ['community', 'building', 'unit', 'room'] as const;
/** Fields set as given, `''` clearing them. */
const PLAIN = ['address', ...HOME, 'phone', 'branch'] as const;

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
 * Residents: profile and home, party branch, the ID number (sealed, masked, found by a keyed
 * digest), emergency contacts, sealed health notes, the QR badge whose opaque token is the only
 * thing printed on it, and imports from CSV or JSON. Every edit is a `registry` record naming the
 * resident by id and the fields changed — never their values — and a pending config edit for the
 * cloud, written with the row (edge/config-sync/track-edit.ts).
 */
export class ResidentService {
  /** Masked ID numbers by resident, for the sealed value they were opened from. */
  private readonly masked = new Map<string, { sealed: string; masked: string }>();

  /** `idKey`: the key of the ID number digests (`idDigestKey(dataKey)`, edge/residents/id-number.ts). */
  constructor(
    private readonly state: StateStore<EdgeState>,
    private readonly box: SealedBox,
    private readonly records: RecordLog,
    private readonly idKey: Buffer,
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
    const idNumber = input.idNumber ? this.checkedIdNumber(input.idNumber, input.id) : undefined;
    const at = new Date(this.now()).toISOString();
    const address = input.address || formatAddress(input);
    const row: ResidentRow = {
      id: input.id,
      name: input.name,
      roles: input.roles ?? [],
      emergencyContacts: input.emergencyContacts ?? [],
      ...(address ? { address } : {}),
      ...Object.fromEntries(PLAIN.filter((f) => f !== 'address' && input[f]).map((f) => [f, input[f]])),
      ...(input.healthNotes ? { healthNotesSealed: this.box.seal(input.healthNotes, NOTES) } : {}),
      ...(idNumber
        ? { idNumberSealed: this.box.seal(idNumber.value, ID_NUMBER), idNumberDigest: idNumber.digest }
        : {}),
      createdAt: at,
      updatedAt: at,
    };
    let tracked: TrackedEdit | undefined;
    await this.state.update((d) => {
      // Checked again on the state being written: nothing else may have taken the number meanwhile.
      if (idNumber) this.checkedIdNumber(idNumber.value, input.id, d);
      d.residents.push(row);
      tracked = trackEdit(d, 'resident', row.id, 'put', by, at);
    });
    const fields = Object.keys(input).filter((k) => input[k as keyof ResidentInput] !== '');
    if (address && !input.address) fields.push('address');
    await this.audit('resident.created', row.id, fields, by, tracked);
    return this.view(row, true);
  }

  /**
   * Changes the fields given; `''` clears an optional one (the address then goes back to the one
   * made from the home parts). A made address follows the parts; a hand-written one stays.
   */
  async update(id: string, patch: Partial<Omit<ResidentInput, 'id'>>, by: string): Promise<ResidentView> {
    this.row(id);
    const idNumber = patch.idNumber ? this.checkedIdNumber(patch.idNumber, id) : undefined;
    const fields = new Set(Object.keys(patch));
    let tracked: TrackedEdit | undefined;
    await this.state.update((d) => {
      const r = d.residents.find((x) => x.id === id) as ResidentRow;
      if (idNumber) this.checkedIdNumber(idNumber.value, id, d);
      const before: HomeParts = { community: r.community, building: r.building, unit: r.unit, room: r.room };
      if (patch.name !== undefined) r.name = patch.name;
      for (const f of PLAIN) {
        const value = patch[f];
        if (value === undefined) continue;
        if (value === '') delete r[f];
        else r[f] = value;
      }
      if (patch.address === '') {
        // Clearing the hand-written line goes back to the one made from the parts.
        const made = formatAddress(r);
        if (made) r.address = made;
      } else if (patch.address === undefined && HOME.some((f) => patch[f] !== undefined)) {
        const address = followAddress(r.address, before, r);
        if (address !== r.address) fields.add('address');
        if (address) r.address = address;
        else delete r.address;
      }
      if (patch.roles !== undefined) r.roles = patch.roles;
      if (patch.emergencyContacts !== undefined) r.emergencyContacts = patch.emergencyContacts;
      if (patch.healthNotes !== undefined) {
        if (patch.healthNotes === '') delete r.healthNotesSealed;
        else r.healthNotesSealed = this.box.seal(patch.healthNotes, NOTES);
      }
      if (patch.idNumber !== undefined) {
        if (idNumber ? idNumber.digest === r.idNumberDigest : !r.idNumberSealed) fields.delete('idNumber');
        else if (idNumber) {
          r.idNumberSealed = this.box.seal(idNumber.value, ID_NUMBER);
          r.idNumberDigest = idNumber.digest;
        } else {
          delete r.idNumberSealed;
          delete r.idNumberDigest;
        }
      }
      r.updatedAt = new Date(this.now()).toISOString();
      tracked = trackEdit(d, 'resident', id, 'put', by, r.updatedAt);
    });
    await this.audit('resident.updated', id, [...fields], by, tracked);
    return this.get(id, true);
  }

  /**
   * Imports residents and cards from a CSV or JSON file (edge/residents/resident-import.ts): all
   * rows or none. With `dryRun`, or when any row is refused, nothing is written and the report
   * says why; otherwise one state write, then the registry records.
   */
  async import(
    bytes: Uint8Array,
    contentType: string | undefined,
    opts: { dryRun: boolean; by: string },
  ): Promise<ImportReport> {
    const read = readImport(bytes, contentType);
    const digest = (v: string) => idNumberDigest(this.idKey, v);
    const report = (plan: ImportPlan, applied: boolean): ImportReport => ({
      format: read.format,
      encoding: read.encoding,
      bom: read.bom,
      dryRun: opts.dryRun,
      applied,
      rows: read.rows.length,
      refusedRows: plan.refusedRows,
      created: plan.planned.filter((p) => p.action === 'created').length,
      updated: plan.planned.filter((p) => p.action === 'updated').length,
      unchanged: plan.planned.filter((p) => p.action === 'unchanged').length,
      cardsBound: plan.planned.filter((p) => p.card?.action === 'bound').length,
      problems: plan.problems,
      outcomes: plan.planned.map(outcomeOf),
    });
    if (opts.dryRun) return report(planImport(read.rows, this.state.data, digest, read.problems), false);

    const importId = uuidv7();
    const at = new Date(this.now()).toISOString();
    // Planned on the very data the update starts from (it runs at once, after any earlier update):
    // nothing can come in between the check and the write. Refused or unchanged: no write at all.
    const planned: { plan?: ImportPlan; records: ImportRecord[] } = { records: [] };
    try {
      await this.state.update((d) => {
        const plan = planImport(read.rows, d, digest, read.problems);
        planned.plan = plan;
        if (
          plan.problems.length > 0 ||
          plan.planned.every((p) => p.action === 'unchanged' && p.card?.action !== 'bound')
        ) {
          throw NO_WRITE;
        }
        planned.records = applyImport(
          plan.planned,
          d,
          (v) => this.box.seal(v, ID_NUMBER),
          at,
          opts.by,
          importId,
          (kind, entityId) => auditOf(trackEdit(d, kind, entityId, 'put', opts.by, at)),
        );
      });
    } catch (err) {
      if (err !== NO_WRITE) throw err;
      return report(planned.plan as ImportPlan, false);
    }
    const done = planned.plan as ImportPlan;
    const records = planned.records;
    await Promise.all(records.map((r) => this.records.append('registry', r.type, r.body)));
    const result = report(done, true);
    await this.records.append('registry', 'residents.imported', {
      import: importId,
      format: result.format,
      rows: result.rows,
      created: result.created,
      updated: result.updated,
      cardsBound: result.cardsBound,
      by: opts.by,
    });
    return result;
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
    let tracked: TrackedEdit | undefined;
    await this.state.update((s) => {
      (s.residents.find((x) => x.id === id) as ResidentRow).badge = badge;
      tracked = trackEdit(s, 'resident', id, 'put', by, badge.issuedAt);
    });
    await this.audit('resident.badge-issued', id, ['badge'], by, tracked);
    return { token, code: badge.code };
  }

  async revokeBadge(id: string, by: string): Promise<void> {
    if (!this.row(id).badge) throw new LinliError('NOT_FOUND', `resident ${id} has no badge`);
    let tracked: TrackedEdit | undefined;
    await this.state.update((s) => {
      delete (s.residents.find((x) => x.id === id) as ResidentRow).badge;
      tracked = trackEdit(s, 'resident', id, 'put', by, new Date(this.now()).toISOString());
    });
    await this.audit('resident.badge-revoked', id, ['badge'], by, tracked);
  }

  /** The active badge's token (to print the QR again). */
  badgeToken(id: string): string {
    const b = this.row(id).badge;
    if (!b) throw new LinliError('NOT_FOUND', `resident ${id} has no badge`);
    if (!b.tokenSealed) {
      throw new LinliError(
        'NOT_FOUND',
        `the badge of resident ${id} was issued on the cloud: issue a new one here to print it`,
      );
    }
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

  /**
   * A valid, normalised ID number and its digest, or the reason it is refused (never repeating
   * it). `data`: the state to check for another resident holding it (the stored one by default).
   */
  private checkedIdNumber(
    raw: string,
    residentId: string,
    data: EdgeState = this.state.data,
  ): { value: string; digest: string } {
    const value = normalizeIdNumber(raw);
    const bad = checkIdNumber(value);
    if (bad) throw new LinliError('ID_NUMBER_INVALID', ID_NUMBER_MESSAGES[bad]);
    const digest = idNumberDigest(this.idKey, value);
    const owner = data.residents.find((r) => r.idNumberDigest === digest && r.id !== residentId);
    if (owner) {
      throw new LinliError('ID_NUMBER_TAKEN', `this ID number is already recorded for resident ${owner.id}`);
    }
    return { value, digest };
  }

  /** `2101**********1234`, opened once per sealed value and kept in memory (never the number). */
  private maskedIdNumber(r: ResidentRow): string | undefined {
    const sealed = r.idNumberSealed;
    if (!sealed) return undefined;
    const hit = this.masked.get(r.id);
    if (hit?.sealed === sealed) return hit.masked;
    const masked = maskIdNumber(this.box.open(sealed, ID_NUMBER));
    this.masked.set(r.id, { sealed, masked });
    return masked;
  }

  private view(r: ResidentRow, withNotes: boolean): ResidentView {
    const { healthNotesSealed, badge, idNumberSealed: _sealed, idNumberDigest: _digest, ...rest } = r;
    const idNumberMasked = this.maskedIdNumber(r);
    return {
      ...rest,
      ...(withNotes && healthNotesSealed ? { healthNotes: this.box.open(healthNotesSealed, NOTES) } : {}),
      ...(idNumberMasked ? { idNumberMasked } : {}),
      ...(badge ? { badge: { code: badge.code, issuedAt: badge.issuedAt } } : {}),
    };
  }

  private async audit(
    type: string,
    id: string,
    fields: string[],
    by: string,
    tracked: TrackedEdit | undefined,
  ): Promise<void> {
    await this.records.append('registry', type, {
      entity: 'resident',
      id,
      fields: fields.filter((f) => f !== 'id'),
      by,
      ...(tracked ? auditOf(tracked) : {}),
    });
  }
}
