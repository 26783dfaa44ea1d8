/**
 * How the cloud's admin API shows an entity: never a secret (a user's password hash, a device's
 * credential hash), a resident's ID number masked, and to a `viewer` none of the sensitive fields
 * (names, phones, addresses, health notes, the duty roster's people) — `redacted: true` says so.
 */
import { type ConfigEntity, SENSITIVE_FIELDS } from '../protocol/config.js';
import type { CloudRole } from './cloud-context.js';
import { roleAtLeast } from './cloud-context.js';
import { SECRET_FIELDS } from './config-admin.js';
import type { StoredEntity } from './config-store.js';

export interface AdminEntity extends Omit<ConfigEntity, 'data'> {
  data?: Record<string, unknown>;
  /** Who made this version: `cloud:<user>` or `edge:<edge user>`. */
  updatedBy: string | null;
  /** Sensitive fields were left out for this user's role. */
  redacted?: true;
}

/** `2101**********1234`, as the edge answers it. */
export function maskIdNumber(id: string): string {
  if (id.length <= 8) return '*'.repeat(id.length);
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

export function adminView(e: StoredEntity, role: CloudRole): AdminEntity {
  const view: AdminEntity = {
    kind: e.kind,
    id: e.id,
    version: e.version,
    ...(e.deleted ? { deleted: true as const } : {}),
    ...(e.edit ? { edit: e.edit } : {}),
    updatedAt: e.updatedAt,
    updatedBy: e.updatedBy,
  };
  if (e.deleted || !e.data) return view;
  const data: Record<string, unknown> = { ...e.data };
  for (const f of SECRET_FIELDS[e.kind] ?? []) delete data[f];
  if (!roleAtLeast(role, 'staff')) {
    let redacted = false;
    for (const f of SENSITIVE_FIELDS[e.kind]) {
      if (f in data) redacted = true;
      delete data[f];
    }
    if (redacted) view.redacted = true;
  } else if (e.kind === 'resident' && typeof data.idNumber === 'string') {
    data.idNumberMasked = maskIdNumber(data.idNumber);
    delete data.idNumber;
  }
  view.data = data;
  return view;
}
