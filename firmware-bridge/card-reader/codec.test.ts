import { finished } from 'node:stream/promises';
import t from 'tap';
import {
  CARD_MAX_LINE_BYTES,
  CardLineDecoder,
  type CardMalformedReason,
  encodeCardLine,
  parseCardLine,
  type UidFormat,
  uidFromDecimal,
  uidToDecimal,
} from './codec.js';

interface Decoded {
  uids: string[];
  malformed: CardMalformedReason[];
}

/** Decodes chunks; a string chunk is taken as bytes (latin1). */
async function decode(chunks: (string | Uint8Array)[], format: UidFormat = 'hex'): Promise<Decoded> {
  const decoder = new CardLineDecoder(format);
  const uids: string[] = [];
  const malformed: CardMalformedReason[] = [];
  decoder.on('data', (uid: string) => uids.push(uid));
  decoder.on('malformed', (m: { reason: CardMalformedReason }) => malformed.push(m.reason));
  for (const chunk of chunks) decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  decoder.end();
  await finished(decoder);
  return { uids, malformed };
}

const line = (text: string) => Buffer.from(text, 'latin1');

t.test('hex: upper-cased, separators dropped, 4 to 10 bytes', async (t) => {
  t.equal(parseCardLine(line('04a1b2c3'), 'hex'), '04A1B2C3');
  t.equal(parseCardLine(line('04 A1 B2 C3'), 'hex'), '04A1B2C3', 'spaces');
  t.equal(parseCardLine(line('04:a1:b2:c3:d4:e5:f6'), 'hex'), '04A1B2C3D4E5F6', 'colons, 7 bytes');
  t.equal(parseCardLine(line('  04-A1-B2-C3\t'), 'hex'), '04A1B2C3', 'dashes, surrounding blanks');
  t.equal(parseCardLine(line('00112233445566778899'), 'hex'), '00112233445566778899', '10 bytes');
  t.equal(parseCardLine(line('   '), 'hex'), null, 'blank line: nothing');
  for (const bad of ['04A1B2', '04A1B2C', '04A1B2CG', '0011223344556677889900', '04  A1B2C3', '0x04A1B2C3']) {
    t.same(parseCardLine(line(bad), 'hex'), { reason: 'bad-hex' }, `bad: ${bad}`);
  }
});

t.test('decimal: little-endian, 4 bytes below 2^32, 7 bytes up to 2^56', async (t) => {
  t.equal(uidFromDecimal('3283263748'), '04A1B2C3', 'the 10-digit number of 04 A1 B2 C3');
  t.equal(uidFromDecimal('0000000001'), '01000000');
  t.equal(uidFromDecimal('0'), '00000000');
  t.equal(uidFromDecimal('4294967295'), 'FFFFFFFF');
  t.equal(uidFromDecimal('4294967296'), '00000000010000', '2^32: a 7-byte UID');
  t.equal(uidFromDecimal('24682604806648324'), '04B2A1C3B2B057');
  t.equal(uidFromDecimal('72057594037927935'), 'FFFFFFFFFFFFFF');
  t.equal(uidFromDecimal('72057594037927936'), null, '2^56 is too large');
  t.equal(uidFromDecimal('12a'), null);
  t.equal(uidToDecimal('04A1B2C3'), '3283263748');
  t.equal(uidToDecimal('04B2A1C3B2B057'), '24682604806648324');
  t.throws(() => uidToDecimal('0011223344'), RangeError, '5 bytes has no decimal form');
  t.equal(parseCardLine(line(' 3283263748 '), 'decimal'), '04A1B2C3');
  for (const bad of ['-1', '3283263748x', '04A1B2C3', '1e9', '123456789012345678901']) {
    t.same(parseCardLine(line(bad), 'decimal'), { reason: 'bad-decimal' }, `bad: ${bad}`);
  }
});

t.test('CR, LF and CR LF end a line; CR LF split across chunks is one terminator', async (t) => {
  t.same((await decode(['04A1B2C3\r', '04A1B2C4\n', '04A1B2C5\r\n'])).uids, [
    '04A1B2C3',
    '04A1B2C4',
    '04A1B2C5',
  ]);
  t.same(await decode(['04A1B2C3\r', '\n04A1B2C4\r', '\n']), {
    uids: ['04A1B2C3', '04A1B2C4'],
    malformed: [],
  });
  t.same(await decode(['\r\n\n\r']), { uids: [], malformed: [] }, 'empty lines are nothing');
});

t.test('split and merged chunks', async (t) => {
  const bytes = Buffer.concat([
    encodeCardLine('04A1B2C3', 'decimal'),
    encodeCardLine('04B2A1C3B2B057', 'decimal', '\r'),
    encodeCardLine('11223344', 'decimal', '\n'),
  ]);
  const whole = await decode([bytes], 'decimal');
  t.same(whole.uids, ['04A1B2C3', '04B2A1C3B2B057', '11223344'], 'merged in one chunk');
  const single = await decode(
    [...bytes].map((b) => Uint8Array.of(b)),
    'decimal',
  );
  t.same(single.uids, whole.uids, 'byte by byte');
  const many = Array.from({ length: 100 }, (_, i) =>
    (0x04000000 + i).toString(16).toUpperCase().padStart(8, '0'),
  );
  t.same((await decode([many.map((u) => `${u}\r\n`).join('')])).uids, many, '100 lines in one chunk');
});

t.test('bad lines are dropped and reported; good lines around them pass', async (t) => {
  const d = await decode(['04A1B2C3\r\nnot a card\r\n', 'E004010012345678\r\n', '04A1\r\n11223344\n']);
  t.same(d.uids, ['04A1B2C3', 'E004010012345678', '11223344']);
  t.same(d.malformed, ['bad-hex', 'bad-hex']);
  const dec = await decode(['3283263748\r\n04A1B2C3\r\n'], 'decimal');
  t.same(dec, { uids: ['04A1B2C3'], malformed: ['bad-decimal'] }, 'hex on a decimal reader is malformed');
});

t.test('a line over the limit is reported once, as soon as it overflows, and skipped', async (t) => {
  const long = '1'.repeat(CARD_MAX_LINE_BYTES + 1);
  const d = await decode([long.slice(0, 40), long.slice(40), `${'2'.repeat(200)}\r\n04A1B2C3\r\n`]);
  t.same(d, { uids: ['04A1B2C3'], malformed: ['too-long'] });
  t.same(parseCardLine(line('1'.repeat(CARD_MAX_LINE_BYTES + 1)), 'hex'), { reason: 'too-long' });
  t.same(await decode([`${'0'.repeat(CARD_MAX_LINE_BYTES)}\r\n`]), { uids: [], malformed: ['bad-hex'] });
  const partial = await decode(['04A1B2C3']);
  t.same(partial, { uids: [], malformed: [] }, 'an unterminated line is discarded at the end');
});

t.test('encodeCardLine writes what a reader sends', async (t) => {
  t.same(encodeCardLine('04a1b2c3', 'hex'), line('04A1B2C3\r\n'));
  t.same(encodeCardLine('04A1B2C3', 'decimal', '\r'), line('3283263748\r'));
  t.throws(() => encodeCardLine('04A1B2', 'hex'), RangeError);
  t.throws(() => encodeCardLine('0011223344', 'decimal'), RangeError);
});
