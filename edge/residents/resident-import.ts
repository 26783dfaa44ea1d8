import { normalizeUid, UID_MESSAGES, uidProblem } from '../cards/card-service.js';
import type { CardRow, EdgeState, ResidentRow } from '../state/edge-state.js';
import { followAddress, type HomeParts } from './address.js';
import { checkIdNumber, ID_NUMBER_MESSAGES, normalizeIdNumber } from './id-number.js';
import type { ImportRow } from './import-read.js';
import type { ImportField, ImportOutcome, ImportProblem, ImportProblemCode } from './import-types.js';

/**
 * Residents and their cards from a CSV or JSON file: read (encoding, CSV quoting, header names in
 * Chinese or English), checked row by row against the file and the store, and planned as one
 * change that is applied whole or not at all (edge/residents/resident-service.ts applies it).
 * Problems point at rows, lines and columns and never repeat a value of the file.
 */

/** Role words of a roster in Chinese, and the role each means (居民: everyone is one, so none). */
const ROLE_WORDS: Record<string, string | null> = {
  党员: 'party-member',
  中共党员: 'party-member',
  长者: 'elder',
  老人: 'elder',
  老年人: 'elder',
  志愿者: 'volunteer',
  居民: null,
  resident: null,
};
const ROLE = /^[a-z-]{1,32}$/;

const CARD_KINDS: Record<string, CardRow['kind']> = {
  resident: 'resident',
  居民: 'resident',
  居民卡: 'resident',
  party: 'party',
  党员: 'party',
  党员卡: 'party',
};

const MAX_LENGTH: Partial<Record<ImportField, number>> = {
  name: 64,
  community: 64,
  building: 32,
  unit: 32,
  room: 32,
  address: 200,
  branch: 64,
};
const RESIDENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PHONE = /^\+?[0-9-]{3,20}$/;

/** A row as planned: what it creates or changes, values in memory only (sealed when applied). */
export interface PlannedRow {
  row: number;
  line?: number;
  action: 'created' | 'updated' | 'unchanged';
  id: string;
  fields: string[];
  set: Partial<
    Pick<ResidentRow, 'name' | 'community' | 'building' | 'unit' | 'room' | 'address' | 'phone' | 'branch'>
  >;
  roles?: string[];
  idNumber?: { value: string; digest: string };
  card?: { uid: string; kind: CardRow['kind']; action: 'bound' | 'unchanged' };
}

export interface ImportPlan {
  problems: ImportProblem[];
  refusedRows: number;
  planned: PlannedRow[];
}

const TEXT_FIELDS = ['name', 'community', 'building', 'unit', 'room', 'address', 'branch'] as const;
const HOME = ['community', 'building', 'unit', 'room'] as const;
const homeOf = (r: HomeParts): HomeParts => ({
  community: r.community,
  building: r.building,
  unit: r.unit,
  room: r.room,
});

/**
 * Checks every row against the others and against `data`, and plans what each does. Matching an
 * existing resident: by `id` if given, else by ID number (its digest), else by name and phone.
 * Import only adds and changes: empty cells keep what is stored, roles are added to the existing.
 * A card already active for the same resident is left as is; one active for someone else, or lost
 * or revoked (re-importing an old roster must not bring a lost card back), is refused.
 */
export function planImport(
  rows: readonly ImportRow[],
  data: Readonly<EdgeState>,
  digest: (idNumber: string) => string,
  headerProblems: readonly ImportProblem[] = [],
): ImportPlan {
  const problems: ImportProblem[] = [...headerProblems];
  const byId = new Map(data.residents.map((r) => [r.id, r]));
  const byDigest = new Map<string, string>();
  const byNamePhone = new Map<string, string | null>();
  for (const r of data.residents) {
    if (r.idNumberDigest) byDigest.set(r.idNumberDigest, r.id);
    if (r.phone) {
      const k = `${r.name}\u0000${r.phone}`;
      byNamePhone.set(k, byNamePhone.has(k) ? null : r.id);
    }
  }
  const cards = new Map(data.cards.map((c) => [c.uid, c]));

  // New residents without an id get r-NNNN after the highest number in use (in the store or the file).
  const explicit = new Set(rows.map((r) => r.values.id).filter((x): x is string => !!x));
  let next = 1;
  for (const id of [...byId.keys(), ...explicit]) {
    const m = /^r-(\d{1,9})$/.exec(id);
    if (m) next = Math.max(next, Number(m[1]) + 1);
  }
  const newId = () => {
    let id: string;
    do id = `r-${String(next++).padStart(4, '0')}`;
    while (byId.has(id) || explicit.has(id));
    return id;
  };

  const seenTarget = new Map<string, ImportRow>();
  const seenDigest = new Map<string, ImportRow>();
  const seenUid = new Map<string, ImportRow>();
  const seenNamePhone = new Map<string, ImportRow>();
  const planned: PlannedRow[] = [];
  let refusedRows = 0;

  for (const row of rows) {
    const p: ImportProblem[] = [...row.problems];
    const at = { row: row.row, ...(row.line !== undefined ? { line: row.line } : {}) };
    const problem = (code: ImportProblemCode, message: string, extra: Partial<ImportProblem> = {}) =>
      p.push({ ...at, code, message, ...extra });
    const other = (r: ImportRow) => ({
      otherRow: r.row,
      ...(r.line !== undefined ? { otherLine: r.line } : {}),
    });
    const where = (r: ImportRow) => (r.line !== undefined ? `line ${r.line}` : `row ${r.row}`);
    const v = { ...row.values };
    if (p.some((x) => x.code === 'row-not-object')) {
      problems.push(...p);
      refusedRows++;
      continue;
    }

    for (const f of TEXT_FIELDS) {
      const value = v[f];
      if (value === undefined) continue;
      const clean = value.replace(/\s+/g, ' ');
      v[f] = clean;
      const max = MAX_LENGTH[f] as number;
      if ([...clean].length > max) problem('too-long', `${f}: at most ${max} characters`, { field: f });
    }
    const unwrap = (s: string) => /^="(.*)"$/.exec(s)?.[1] ?? s;

    let id: string | undefined;
    if (v.id !== undefined) {
      id = unwrap(v.id.normalize('NFKC'));
      if (!RESIDENT_ID.test(id)) {
        problem('resident-id-invalid', 'id: letters, digits, . _ - (at most 64)', { field: 'id' });
        id = undefined;
      }
    }
    let phone: string | undefined;
    if (v.phone !== undefined) {
      phone = unwrap(v.phone.normalize('NFKC')).replace(/[\s()（）]/g, '');
      if (!PHONE.test(phone)) {
        problem('phone-invalid', 'phone: digits, optionally a leading + and dashes (3 to 20)', {
          field: 'phone',
        });
        phone = undefined;
      }
    }
    let idNumber: { value: string; digest: string } | undefined;
    if (v.idNumber !== undefined) {
      const value = normalizeIdNumber(v.idNumber);
      const bad = checkIdNumber(value);
      if (bad) problem(bad, ID_NUMBER_MESSAGES[bad], { field: 'idNumber' });
      else idNumber = { value, digest: digest(value) };
    }
    const roles: string[] = [];
    const words = row.roleList ?? (v.roles !== undefined ? v.roles.split(/[;,，；、|/\s]+/) : []);
    for (const word of words.map((w) => w.normalize('NFKC').trim()).filter((w) => w)) {
      const mapped = word in ROLE_WORDS ? ROLE_WORDS[word] : ROLE.test(word) ? word : undefined;
      if (mapped === undefined) {
        problem(
          'role-invalid',
          `roles: a role is lower-case letters and - (party-member), or one of 党员, 长者, 志愿者`,
          {
            field: 'roles',
          },
        );
      } else if (mapped && !roles.includes(mapped)) roles.push(mapped);
    }
    let uid: string | undefined;
    if (v.cardUid !== undefined) {
      uid = normalizeUid(unwrap(v.cardUid));
      const bad = uidProblem(uid);
      if (bad) {
        problem(bad, UID_MESSAGES[bad], { field: 'cardUid' });
        uid = undefined;
      }
    }
    let kind: CardRow['kind'] | undefined;
    if (v.cardKind !== undefined) {
      kind = CARD_KINDS[v.cardKind.normalize('NFKC').toLowerCase()];
      if (!kind)
        problem('card-kind-invalid', 'cardKind: resident (居民卡) or party (党员卡)', { field: 'cardKind' });
      if (v.cardUid === undefined) {
        problem('card-kind-without-uid', 'cardKind is given but no card UID', { field: 'cardKind' });
      }
    }

    // Who the row is about.
    let existing: ResidentRow | undefined;
    if (id !== undefined) existing = byId.get(id);
    else if (idNumber) {
      existing = byId.get(byDigest.get(idNumber.digest) ?? '');
      // Found by the number under another name: more likely a mistyped number than a new name.
      if (existing && v.name !== undefined && v.name !== existing.name) {
        problem(
          'id-number-taken',
          `this ID number is recorded for resident ${existing.id} under another name: to rename, give the id (居民编号)`,
          { field: 'idNumber', residentId: existing.id },
        );
        existing = undefined;
        idNumber = undefined;
      }
    } else if (phone !== undefined && v.name !== undefined) {
      const match = byNamePhone.get(`${v.name}\u0000${phone}`);
      if (match) existing = byId.get(match);
    }
    if (!existing && v.name === undefined) {
      problem('name-missing', 'name (姓名) is required for a new resident', { field: 'name' });
    }
    const target = existing?.id ?? id;
    if (target !== undefined) {
      const first = seenTarget.get(target);
      if (first) problem('resident-duplicate', `the same resident as ${where(first)}`, other(first));
      else seenTarget.set(target, row);
    } else if (phone !== undefined && v.name !== undefined) {
      const k = `${v.name}\u0000${phone}`;
      const first = seenNamePhone.get(k);
      if (first) problem('resident-duplicate', `the same name and phone as ${where(first)}`, other(first));
      else seenNamePhone.set(k, row);
    }
    if (idNumber) {
      const first = seenDigest.get(idNumber.digest);
      const owner = byDigest.get(idNumber.digest);
      if (first) {
        problem('id-number-duplicate', `the same ID number as ${where(first)}`, {
          field: 'idNumber',
          ...other(first),
        });
      } else {
        seenDigest.set(idNumber.digest, row);
        if (owner !== undefined && owner !== existing?.id) {
          problem('id-number-taken', `this ID number is already recorded for resident ${owner}`, {
            field: 'idNumber',
            residentId: owner,
          });
        }
      }
    }
    const finalRoles = [...(existing?.roles ?? [])];
    for (const r of roles) if (!finalRoles.includes(r)) finalRoles.push(r);
    let card: PlannedRow['card'];
    if (uid !== undefined) {
      const cardKind = kind ?? (finalRoles.includes('party-member') ? 'party' : 'resident');
      const first = seenUid.get(uid);
      const stored = cards.get(uid);
      if (first) {
        problem('card-duplicate', `the same card UID as ${where(first)}`, {
          field: 'cardUid',
          ...other(first),
        });
      } else {
        seenUid.set(uid, row);
        if (stored && stored.state !== 'active') {
          problem(
            'card-inactive',
            `this card was reported ${stored.state}: make it active again on the resident's page, not by import`,
            { field: 'cardUid', residentId: stored.residentId },
          );
        } else if (stored && (existing === undefined || stored.residentId !== existing.id)) {
          problem('card-bound', `this card is already bound to resident ${stored.residentId}`, {
            field: 'cardUid',
            residentId: stored.residentId,
          });
        }
      }
      card = {
        uid,
        kind: cardKind,
        action: stored?.kind === cardKind && stored.state === 'active' ? 'unchanged' : 'bound',
      };
    }

    if (p.length > 0) {
      problems.push(...p);
      refusedRows++;
      continue;
    }

    // What changes.
    const set: PlannedRow['set'] = {};
    const fields: string[] = [];
    const change = <K extends keyof PlannedRow['set']>(f: K, value: PlannedRow['set'][K] | undefined) => {
      if (value === undefined || value === existing?.[f]) return;
      set[f] = value;
      fields.push(f);
    };
    change('name', v.name);
    for (const f of HOME) change(f, v[f]);
    change('phone', phone);
    change('branch', v.branch);
    if (v.address !== undefined) change('address', v.address);
    else if (HOME.some((f) => v[f] !== undefined)) {
      const before = existing ? homeOf(existing) : {};
      const after = { ...before };
      for (const f of HOME) if (v[f] !== undefined) after[f] = v[f];
      change('address', followAddress(existing?.address, before, after));
    }
    const rolesChanged = finalRoles.length !== (existing?.roles.length ?? 0);
    if (rolesChanged) fields.push('roles');
    const idChanged = idNumber !== undefined && idNumber.digest !== existing?.idNumberDigest;
    if (idChanged) fields.push('idNumber');
    planned.push({
      ...at,
      action: !existing ? 'created' : fields.length > 0 ? 'updated' : 'unchanged',
      id: existing?.id ?? id ?? newId(),
      fields,
      set,
      ...(rolesChanged || !existing ? { roles: finalRoles } : {}),
      ...(idChanged ? { idNumber } : {}),
      ...(card ? { card } : {}),
    });
  }
  return { problems, refusedRows, planned };
}

/** A planned row as the report shows it: ids and field names, never values. */
export function outcomeOf(p: PlannedRow): ImportOutcome {
  return {
    row: p.row,
    ...(p.line !== undefined ? { line: p.line } : {}),
    id: p.id,
    action: p.action,
    fields: p.fields,
    ...(p.card ? { card: p.card } : {}),
  };
}

/** A registry record an applied import leaves (edge/residents/resident-service.ts appends them). */
export interface ImportRecord {
  type: 'resident.created' | 'resident.updated' | 'card.bound';
  body: Record<string, unknown>;
}

/**
 * Applies a plan without problems to a draft of the state: new residents, changed fields, the ID
 * number sealed, cards bound. Returns the registry records to append (ids and field names only),
 * each with the sync fields `track` gives for its entity (its config edit, made in the same draft).
 */
export function applyImport(
  plan: readonly PlannedRow[],
  draft: EdgeState,
  seal: (idNumber: string) => string,
  at: string,
  by: string,
  importId: string,
  track: (kind: 'resident' | 'card', id: string) => Record<string, unknown> = () => ({}),
): ImportRecord[] {
  const records: ImportRecord[] = [];
  const byId = new Map(draft.residents.map((r) => [r.id, r]));
  const bind: CardRow[] = [];
  for (const p of plan) {
    if (p.action === 'created') {
      const row: ResidentRow = {
        id: p.id,
        name: p.set.name as string,
        roles: p.roles ?? [],
        emergencyContacts: [],
        createdAt: at,
        updatedAt: at,
      };
      draft.residents.push(row);
      byId.set(row.id, row);
    }
    const r = byId.get(p.id) as ResidentRow;
    Object.assign(r, p.set);
    if (p.roles) r.roles = p.roles;
    if (p.idNumber) {
      r.idNumberSealed = seal(p.idNumber.value);
      r.idNumberDigest = p.idNumber.digest;
    }
    if (p.action === 'updated') r.updatedAt = at;
    if (p.action !== 'unchanged') {
      records.push({
        type: p.action === 'created' ? 'resident.created' : 'resident.updated',
        body: {
          entity: 'resident',
          id: p.id,
          fields: p.fields,
          by,
          import: importId,
          ...track('resident', p.id),
        },
      });
    }
    if (p.card?.action === 'bound') {
      bind.push({
        uid: p.card.uid,
        residentId: p.id,
        kind: p.card.kind,
        state: 'active',
        boundAt: at,
        changedAt: at,
      });
      records.push({
        type: 'card.bound',
        body: {
          entity: 'card',
          uid: p.card.uid,
          residentId: p.id,
          kind: p.card.kind,
          by,
          import: importId,
          ...track('card', p.card.uid),
        },
      });
    }
  }
  if (bind.length > 0) {
    const uids = new Set(bind.map((c) => c.uid));
    draft.cards = [...draft.cards.filter((c) => !uids.has(c.uid)), ...bind];
  }
  return records;
}
