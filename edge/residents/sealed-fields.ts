/**
 * The associated data a resident's sealed fields are sealed under (edge/crypto/sealed-box.ts): a
 * sealed value moved to another field does not open. Shared by the resident service and the
 * config sync's mapping, which must agree.
 */
export const SEALED = {
  notes: 'healthNotes',
  idNumber: 'idNumber',
  badge: 'badgeToken',
} as const;
