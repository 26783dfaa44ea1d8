import { finished } from 'node:stream/promises';
import t from 'tap';
import {
  createTextDecoder,
  encodeScan,
  parseQrLine,
  type QrEncoding,
  QrLineDecoder,
  type QrMalformedReason,
  type QrScan,
} from './codec.js';

interface Decoded {
  scans: QrScan[];
  malformed: QrMalformedReason[];
}

/** Decodes chunks; a string chunk is taken as bytes (latin1), so `'\x1d'` is the byte 0x1D. */
async function decode(chunks: (string | Uint8Array)[], encoding?: QrEncoding): Promise<Decoded> {
  const decoder = new QrLineDecoder(encoding === undefined ? {} : { encoding });
  const scans: QrScan[] = [];
  const malformed: QrMalformedReason[] = [];
  decoder.on('data', (scan: QrScan) => scans.push(scan));
  decoder.on('malformed', (m: { reason: QrMalformedReason }) => malformed.push(m.reason));
  for (const chunk of chunks) {
    decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  }
  decoder.end();
  await finished(decoder);
  return { scans, malformed };
}

const texts = (d: Decoded): string[] => d.scans.map((s) => s.text);

t.test('each terminator ends a line; CR LF is one terminator', async (t) => {
  t.same(texts(await decode(['a\r'])), ['a'], 'CR');
  t.same(texts(await decode(['a\n'])), ['a'], 'LF');
  t.same(texts(await decode(['a\r\nb\r\n'])), ['a', 'b'], 'CR LF');
  t.same(texts(await decode(['a\rb\nc\r\nd\n\re\r\r\n'])), ['a', 'b', 'c', 'd', 'e'], 'mixed, empty lines');
  const empty = await decode(['\r\n\r\n\n\r\r']);
  t.same(empty, { scans: [], malformed: [] }, 'empty lines yield nothing and are not malformed');
});

t.test('CR LF split across chunks is one terminator', async (t) => {
  t.same(texts(await decode(['abc\r', '\ndef\r', '\n'])), ['abc', 'def']);
  t.same(texts(await decode(['abc\r', '\n', '\n'])), ['abc'], 'LF after a split CR LF ends an empty line');
  t.same(texts(await decode(['abc\r', 'def\n'])), ['abc', 'def'], 'CR then text: CR alone ended the line');
});

t.test('many lines merged in one chunk', async (t) => {
  const lines = Array.from({ length: 200 }, (_, i) => `line-${i}`);
  const d = await decode([lines.map((l) => `${l}\r\n`).join('')]);
  t.same(texts(d), lines);
});

t.test('byte-by-byte feeding', async (t) => {
  const bytes = Buffer.concat([
    encodeScan('https://x.cn/a', { aim: 'Q1' }),
    encodeScan('邻里 ✓', { terminator: '\r' }),
    encodeScan('plain', { terminator: '\n' }),
  ]);
  const d = await decode([...bytes].map((b) => Uint8Array.of(b)));
  t.same(d.scans, [{ text: 'https://x.cn/a', symbology: 'Q1' }, { text: '邻里 ✓' }, { text: 'plain' }]);
  t.same(d.malformed, []);
});

t.test('AIM prefix is stripped and kept as symbology', async (t) => {
  const d = await decode([']Q1https://x.cn/a\r\n]E0690123456789\r\n]C1\x1d0101234567890128\r\n']);
  t.same(d.scans, [
    { text: 'https://x.cn/a', symbology: 'Q1' },
    { text: '690123456789', symbology: 'E0' },
    { text: '\x1d0101234567890128', symbology: 'C1' },
  ]);
  t.same((await decode([']Q1\r\n'])).scans, [], 'a prefix alone carries no text');
  t.same((await decode(['] x\r\n'])).scans, [{ text: '] x' }], 'not an AIM identifier: kept as text');
  t.same((await decode([']Q\r\n'])).scans, [{ text: ']Q' }], 'too short for a prefix');
});

t.test('GS (0x1D) is kept; other control bytes drop the line and are counted', async (t) => {
  const gs1 = '0109501101530003\x1d10ABC123\x1d17250101';
  t.same((await decode([`${gs1}\r\n`])).scans, [{ text: gs1 }], 'GS1 separators kept');
  for (const byte of [0x00, 0x01, 0x09, 0x1b, 0x1c, 0x1e, 0x1f, 0x7f]) {
    const d = await decode([Buffer.from([0x61, byte, 0x62, 0x0d, 0x0a]), 'good\r\n']);
    t.same(d.malformed, ['control-byte'], `0x${byte.toString(16)} dropped`);
    t.same(texts(d), ['good'], `0x${byte.toString(16)}: next line still decodes`);
  }
});

t.test('4096-byte limit: exact boundary', async (t) => {
  const ok = await decode([`${'a'.repeat(4096)}\r\n`]);
  t.equal(ok.scans[0]?.text.length, 4096, '4096 bytes accepted');
  t.same(ok.malformed, []);
  const tooLong = await decode([`${'a'.repeat(4097)}\r\n`]);
  t.same(tooLong, { scans: [], malformed: ['too-long'] }, '4097 bytes dropped');
  const withAim = await decode([`]Q1${'a'.repeat(4093)}\r\n]Q1${'a'.repeat(4094)}\r\n`]);
  t.same(withAim.scans.length, 1, 'the AIM prefix counts toward the limit');
  t.same(withAim.malformed, ['too-long']);
  const multiByte = await decode([Buffer.from(`${'邻'.repeat(1365)}a\r\n${'邻'.repeat(1366)}\r\n`, 'utf8')]);
  t.same(multiByte.scans.length, 1, 'the limit counts bytes, not characters');
  t.same(multiByte.malformed, ['too-long']);
});

t.test('a long line is skipped without buffering it; the next good line decodes', async (t) => {
  const decoder = new QrLineDecoder();
  const scans: QrScan[] = [];
  const malformed: string[] = [];
  decoder.on('data', (s: QrScan) => scans.push(s));
  decoder.on('malformed', (m: { reason: string }) => malformed.push(m.reason));
  const block = Buffer.alloc(1000, 0x61);
  let maxBuffered = 0;
  for (let i = 0; i < 1000; i++) {
    decoder.write(block); // one megabyte without a terminator
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
  }
  t.ok(maxBuffered <= 4096, `buffered at most ${maxBuffered} bytes`);
  t.same(malformed, ['too-long'], 'reported once, as soon as it overflowed');
  decoder.write(Buffer.from('tail\r\nnext\r\n'));
  decoder.end();
  await finished(decoder);
  t.same(scans, [{ text: 'next' }], 'the rest of the long line is discarded up to its terminator');
  t.same(malformed, ['too-long']);
});

t.test('GBK', async (t) => {
  const bytes = encodeScan('邻里社区 A1', { encoding: 'gbk', aim: 'Q1' });
  t.same([...bytes.subarray(3, 7)], [0xc1, 0xda, 0xc0, 0xef], '邻里 in GBK');
  t.same((await decode([bytes], 'gbk')).scans, [{ text: '邻里社区 A1', symbology: 'Q1' }]);
  const asUtf8 = await decode([bytes], 'utf-8');
  t.same(asUtf8.malformed, ['bad-encoding'], 'GBK bytes are not UTF-8');
  t.throws(() => encodeScan('😀', { encoding: 'gbk' }), RangeError, 'GBK cannot encode an emoji');
  const badGbk = await decode(
    [Buffer.from([0x41, 0xc1, 0x20, 0x0d, 0x0a, 0xc1, 0x0d, 0x0a]), 'ok\r\n'],
    'gbk',
  );
  t.same(
    badGbk,
    { scans: [{ text: 'ok' }], malformed: ['bad-encoding', 'bad-encoding'] },
    'invalid GBK dropped',
  );
});

t.test('invalid UTF-8 is dropped and counted', async (t) => {
  const cases = [
    [0xc3, 0x28], // bad continuation
    [0xe2, 0x82], // truncated sequence
    [0xed, 0xa0, 0x80], // surrogate
    [0xc0, 0xaf], // overlong
    [0xff],
  ];
  for (const bad of cases) {
    const d = await decode([Buffer.from([0x61, ...bad, 0x0a]), 'ok\n']);
    t.same(d.malformed, ['bad-encoding'], Buffer.from(bad).toString('hex'));
    t.same(texts(d), ['ok']);
  }
});

t.test('a partial line at end of stream is discarded silently', async (t) => {
  t.same(await decode(['done\r\npartial']), { scans: [{ text: 'done' }], malformed: [] });
});

t.test('the decoder copies what it keeps: a reused chunk buffer does not corrupt lines', async (t) => {
  const decoder = new QrLineDecoder();
  const scans: QrScan[] = [];
  decoder.on('data', (s: QrScan) => scans.push(s));
  const buf = Buffer.from('abc');
  decoder.write(buf);
  buf.write('xyz');
  decoder.write(Buffer.from('\n'));
  decoder.end();
  await finished(decoder);
  t.same(scans, [{ text: 'abc' }]);
});

t.test('parseQrLine and encodeScan', async (t) => {
  const utf8 = createTextDecoder('utf-8');
  t.same(parseQrLine(Buffer.from(']Q1hi'), utf8), { text: 'hi', symbology: 'Q1' });
  t.same(parseQrLine(Buffer.alloc(0), utf8), null);
  t.same(parseQrLine(Buffer.alloc(4097, 0x61), utf8), { reason: 'too-long' });
  t.same(parseQrLine(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), utf8), { text: 'a' }, 'a UTF-8 BOM is dropped');
  t.equal(encodeScan('https://x.cn/a', { aim: 'Q1' }).toString('latin1'), ']Q1https://x.cn/a\r\n');
  t.equal(encodeScan('a', { terminator: '\r' }).toString('latin1'), 'a\r');
  t.equal(encodeScan('a', { terminator: '\n' }).toString('latin1'), 'a\n');
  t.throws(() => encodeScan('a', { aim: 'Q' }), RangeError);
  t.throws(() => encodeScan('a', { aim: ']Q1' }), RangeError);
});

t.test('the examples of docs/protocols.md', async (t) => {
  const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
  const d = await decode([
    hex('5d 51 31 68 74 74 70 73 3a 2f 2f 78 2e 63 6e 2f 61 0d 0a'),
    hex(
      '5d 43 31 30 31 30 36 39 30 31 32 33 34 35 36 37 38 39 32 31 30 41 31 42 32 43 33 1d 31 37 32 36 31 32 33 31 0d',
    ),
    hex('e9 82 bb e9 87 8c 20 41 31 0a'),
    hex('41 42 43 07 44 45 46 0d 0a'),
    hex('61 c3 28 0d 0a'),
    hex('31 32 33 34 0d'),
    hex('0a 35 36 37 38 0d 0a'),
  ]);
  t.same(d.scans, [
    { text: 'https://x.cn/a', symbology: 'Q1' },
    { text: '010690123456789210A1B2C3\x1d17261231', symbology: 'C1' },
    { text: '邻里 A1' },
    { text: '1234' },
    { text: '5678' },
  ]);
  t.same(d.malformed, ['control-byte', 'bad-encoding']);
  const gbk = await decode([hex('c1 da c0 ef 20 41 31 0d 0a')], 'gbk');
  t.same(gbk.scans, [{ text: '邻里 A1' }]);
});
