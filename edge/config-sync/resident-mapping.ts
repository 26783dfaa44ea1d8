import type { ResidentData } from '../../cloud-sync/protocol/config.js';
import type { SealedBox } from '../crypto/sealed-box.js';
import { idNumberDigest } from '../residents/id-number.js';
import { SEALED } from '../residents/sealed-fields.js';
import type { ResidentRow } from '../state/edge-state.js';

/** What mapping a resident needs: the data key's box and the key of the ID number digests. */
export interface ResidentKeys {
  box: SealedBox;
  idKey: Buffer;
}

const OPTIONAL = ['community', 'building', 'unit', 'room', 'address', 'phone', 'branch'] as const;

/**
 * A resident row as the protocol's data: the sealed health notes and ID number opened (they go
 * up in a signed body, never into a record or a log), the badge as its digest and code only.
 */
export function residentData(r: ResidentRow, keys: ResidentKeys): ResidentData {
  const data: ResidentData = {
    name: r.name,
    roles: [...r.roles],
    emergencyContacts: r.emergencyContacts.map((c) => ({ ...c })),
  };
  for (const f of OPTIONAL) {
    const v = r[f];
    if (v !== undefined && v !== '') data[f] = v;
  }
  if (r.healthNotesSealed) data.healthNotes = keys.box.open(r.healthNotesSealed, SEALED.notes);
  if (r.idNumberSealed) data.idNumber = keys.box.open(r.idNumberSealed, SEALED.idNumber);
  if (r.badge) data.badge = { digest: r.badge.digest, code: r.badge.code, issuedAt: r.badge.issuedAt };
  return data;
}

/**
 * The row for data that came from the cloud: sensitive fields sealed again (a value unchanged keeps
 * its sealed form), the ID number's digest made, the badge's sealed token kept while its digest is
 * the same (a badge issued on the cloud has none here).
 */
export function residentRow(
  id: string,
  data: ResidentData,
  prev: ResidentRow | undefined,
  at: string,
  keys: ResidentKeys,
): ResidentRow {
  const row: ResidentRow = {
    id,
    name: data.name,
    roles: [...data.roles],
    emergencyContacts: data.emergencyContacts.map((c) => ({ ...c })),
    createdAt: prev?.createdAt ?? at,
    updatedAt: at,
  };
  for (const f of OPTIONAL) {
    const v = data[f];
    if (v !== undefined && v !== '') row[f] = v;
  }
  if (data.healthNotes) {
    row.healthNotesSealed = sameSealed(keys, prev?.healthNotesSealed, data.healthNotes, SEALED.notes);
  }
  if (data.idNumber) {
    row.idNumberSealed = sameSealed(keys, prev?.idNumberSealed, data.idNumber, SEALED.idNumber);
    row.idNumberDigest = idNumberDigest(keys.idKey, data.idNumber);
  }
  if (data.badge) {
    const token = prev?.badge?.digest === data.badge.digest ? prev.badge.tokenSealed : undefined;
    row.badge = { ...data.badge, ...(token ? { tokenSealed: token } : {}) };
  }
  return row;
}

function sameSealed(keys: ResidentKeys, prev: string | undefined, value: string, field: string): string {
  if (prev) {
    try {
      if (keys.box.open(prev, field) === value) return prev;
    } catch {
      // Sealed under another key (a restored backup): sealed afresh below.
    }
  }
  return keys.box.seal(value, field);
}
