import type { MessageKey } from '../i18n';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** As the edge stores it: no spaces, ASCII (a Chinese input method types full-width), X upper case. */
export function normalizeIdNumber(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

/**
 * A first look in the browser, so a typo is said at once in the admin's language: 15-digit old
 * numbers, length and form, the GB 11643 check digit. The edge checks everything again (birth
 * date included) and is the one that decides.
 */
export function idNumberProblem(id: string): MessageKey | undefined {
  if (/^\d{15}$/.test(id)) return 'idNumberOld15';
  if (id.length !== 18) return 'idNumberLength';
  if (!/^\d{17}[0-9X]$/.test(id)) return 'idNumberInvalid';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * (WEIGHTS[i] as number);
  return '10X98765432'[sum % 11] === id[17] ? undefined : 'idNumberCheck';
}

/** Card UIDs as typed (`04:a1:b2:c3`) → `04A1B2C3`, and why one cannot be bound. */
export function normalizeUid(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\s:-]/g, '')
    .toUpperCase();
}

export function uidProblem(uid: string): MessageKey | undefined {
  if (!/^[0-9A-F]{8}([0-9A-F]{6})?([0-9A-F]{6})?$/.test(uid)) return 'cardInvalidUid';
  if (uid.length === 8 && uid.startsWith('08')) return 'cardRandomUid';
  return undefined;
}
