import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import {
  checkIdNumber,
  ID_NUMBER_MESSAGES,
  idCheckChar,
  idDigestKey,
  idNumberDigest,
  maskIdNumber,
  normalizeIdNumber,
} from './id-number.js';

// GB 11643-1999's own example, and numbers made valid with the standard's weights.
const STANDARD = '11010519491231002X';
const VALID = ['210102199003071233', '440304198501010013', '320583197808154411', STANDARD];
const TODAY = new Date('2026-11-22T00:00:00Z');

t.test('the check character (ISO 7064 MOD 11-2) of valid numbers', async (t) => {
  for (const id of VALID) {
    t.equal(idCheckChar(id.slice(0, 17)), id[17], id);
    t.equal(checkIdNumber(id, TODAY), undefined, `${id} is valid`);
  }
});

t.test('one mistyped character or two swapped are caught by the check digit', async (t) => {
  const id = '210102199003071233';
  t.equal(checkIdNumber('210102199003071234', TODAY), 'id-check-digit', 'last character wrong');
  t.equal(checkIdNumber('210102199003071833', TODAY), 'id-check-digit', 'a sequence digit wrong');
  t.equal(checkIdNumber('120102199003071233', TODAY), 'id-check-digit', 'two digits swapped');
  t.equal(checkIdNumber(`${id.slice(0, 17)}X`, TODAY), 'id-check-digit', 'X where a digit belongs');
});

t.test('form, length, 15-digit numbers, birth dates, Excel numbers', async (t) => {
  t.equal(checkIdNumber('', TODAY), 'id-empty');
  t.equal(checkIdNumber('210102900307123', TODAY), 'id-old-15', 'first-generation 15 digits');
  t.equal(checkIdNumber('21010219900307123', TODAY), 'id-length', '17 characters');
  t.equal(checkIdNumber('2101021990030712330', TODAY), 'id-length', '19 characters');
  t.equal(checkIdNumber('21010219900307123A', TODAY), 'id-format');
  t.equal(checkIdNumber('2101021990030712X3', TODAY), 'id-format', 'X only at the end');
  const withDate = (d: string) => {
    const first = `210102${d}123`;
    return first + idCheckChar(first);
  };
  t.equal(checkIdNumber(withDate('19900230'), TODAY), 'id-birthdate', '30 February');
  t.equal(checkIdNumber(withDate('19901301'), TODAY), 'id-birthdate', 'month 13');
  t.equal(checkIdNumber(withDate('18991231'), TODAY), 'id-birthdate', 'before 1900');
  t.equal(checkIdNumber(withDate('20270101'), TODAY), 'id-birthdate', 'born in the future');
  t.equal(checkIdNumber(withDate('20000229'), TODAY), undefined, '29 February of a leap year');
  t.equal(checkIdNumber('2.10102E+17', TODAY), 'id-excel-number');
  t.equal(checkIdNumber('2.10102199003071E+17', TODAY), 'id-excel-number');
});

t.test('normalising: spaces, lower-case x, full-width characters, Excel text forms', async (t) => {
  t.equal(normalizeIdNumber(' 110105 19491231 002x '), STANDARD);
  t.equal(
    normalizeIdNumber('１１０１０５１９４９１２３１００２Ｘ'),
    STANDARD,
    'full-width from a Chinese IME',
  );
  t.equal(normalizeIdNumber('="11010519491231002X"'), STANDARD);
  t.equal(normalizeIdNumber("'11010519491231002X"), STANDARD);
});

t.test('masked: the first 4 and the last 4 characters only', async (t) => {
  t.equal(maskIdNumber('210102199003071234'), '2101**********1234');
  t.equal(maskIdNumber(STANDARD), '1101**********002X');
  t.equal(maskIdNumber('1234567'), '*******', 'too short to show anything');
});

t.test('messages never hold the number', async (t) => {
  for (const [code, message] of Object.entries(ID_NUMBER_MESSAGES)) {
    t.notMatch(message, /\d{6}/, code);
  }
});

t.test('the digest is keyed: stable under one key, different under another, not a plain hash', async (t) => {
  const dataKey = randomBytes(32);
  const key = idDigestKey(dataKey);
  t.equal(key.length, 32);
  t.same(idDigestKey(dataKey), key, 'derived, not random: the same after a restart');
  t.notSame(key, dataKey, 'not the data key itself');
  const d = idNumberDigest(key, STANDARD);
  t.equal(idNumberDigest(key, STANDARD), d);
  t.not(idNumberDigest(key, VALID[0] as string), d);
  t.not(idNumberDigest(idDigestKey(randomBytes(32)), STANDARD), d, 'another key, another digest');
  t.not(d, createHash('sha256').update(STANDARD).digest('base64url'), 'not SHA-256 of the number');
  t.notMatch(d, /11010519491231002X/);
});
