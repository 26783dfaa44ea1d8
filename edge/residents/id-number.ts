import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The resident identity card number (居民身份证号, GB 11643-1999): 6 digits of region, 8 of birth
 * date (YYYYMMDD), 3 of sequence and a check character (0–9 or X). Sensitive personal information
 * (DOMAIN.md, "Personal information"): sealed at rest, shown masked, never logged, never in records.
 * Nothing in this file ever puts the number itself into a message.
 */

/** Why a number is refused; the messages below say it without the number. */
export type IdNumberProblem =
  | 'id-empty'
  | 'id-old-15'
  | 'id-length'
  | 'id-format'
  | 'id-birthdate'
  | 'id-check-digit'
  | 'id-excel-number';

export const ID_NUMBER_MESSAGES: Record<IdNumberProblem, string> = {
  'id-empty': 'the ID number is empty',
  'id-old-15':
    'a 15-digit ID number (first-generation card, before 1999) is not accepted: enter the 18-digit number',
  'id-length': 'an ID number has 18 characters',
  'id-format': 'an ID number is 17 digits followed by a digit or X',
  'id-birthdate': 'the birth date inside the ID number (characters 7–14) is not a real past date',
  'id-check-digit': 'the check digit (last character) does not match: a character was mistyped',
  'id-excel-number':
    'the ID number was turned into a number in scientific notation (Excel) and lost its last digits: format the column as text and enter it again',
};

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The check character of the first 17 digits (GB 11643-1999, ISO 7064 MOD 11-2). */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] as number);
  return CHECK[sum % 11] as string;
}

/**
 * Full-width digits and letters (typed with a Chinese input method) become ASCII, spaces go, a
 * lower-case x becomes X. Excel's text-forcing forms `'…` and `="…"` are unwrapped.
 */
export function normalizeIdNumber(raw: string): string {
  let s = raw.normalize('NFKC').replace(/\s+/g, '');
  const formula = /^="(.*)"$/.exec(s);
  if (formula) s = formula[1] as string;
  if (s.startsWith("'")) s = s.slice(1);
  return s.toUpperCase();
}

/**
 * Checks a normalised number: 18 characters, 17 digits and a check character that matches, a
 * birth date that is a real date between 1900 and `today`. The region code is not checked
 * (codes change, and residence permits of Hong Kong, Macao and Taiwan residents and foreigners'
 * permanent residence cards use the same form). Old 15-digit numbers are refused with a reason.
 */
export function checkIdNumber(id: string, today: Date = new Date()): IdNumberProblem | undefined {
  if (id === '') return 'id-empty';
  if (/^\d(\.\d+)?E\+?\d+$/i.test(id)) return 'id-excel-number';
  if (/^\d{15}$/.test(id)) return 'id-old-15';
  if (id.length !== 18) return 'id-length';
  if (!/^\d{17}[0-9X]$/.test(id)) return 'id-format';
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const born = new Date(Date.UTC(y, m - 1, d));
  if (
    y < 1900 ||
    born.getUTCFullYear() !== y ||
    born.getUTCMonth() !== m - 1 ||
    born.getUTCDate() !== d ||
    born.getTime() > today.getTime()
  ) {
    return 'id-birthdate';
  }
  if (idCheckChar(id) !== id[17]) return 'id-check-digit';
  return undefined;
}

/** `210102199003071234` → `2101**********1234`: the first 4 and the last 4 characters. */
export function maskIdNumber(id: string): string {
  if (id.length <= 8) return '*'.repeat(id.length);
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

/**
 * The key of the ID number digests, derived (HKDF-SHA256) from the data key of LINLI_KEY_FILE, so
 * it is never stored anywhere and a copy of the data dir alone cannot test guessed numbers.
 */
export function idDigestKey(dataKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'linli/resident-id-number-digest/v1', 32));
}

/**
 * Keyed digest (HMAC-SHA256) of a normalised ID number: equal numbers give equal digests, which
 * finds a duplicate without opening every sealed number. An ID number has little entropy (region,
 * birth date, sequence): a plain hash could be reversed by trying them all; without the key it cannot.
 */
export function idNumberDigest(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(id).digest('base64url');
}
