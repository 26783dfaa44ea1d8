import { finished } from 'node:stream/promises';
import t from 'tap';
import {
  type EdgeFrame,
  encodeAck,
  encodeAlarm,
  encodeFrame,
  encodeHeartbeat,
  nextPanelSeq,
  PANEL_MAX_LINE_BYTES,
  type PanelFrame,
  PanelLineDecoder,
  type PanelLineSource,
  type PanelMalformedReason,
  panelChecksum,
  parsePanelLine,
} from './codec.js';

interface Decoded {
  frames: (PanelFrame | EdgeFrame)[];
  malformed: PanelMalformedReason[];
}

/** Decodes chunks; a string chunk is taken as bytes (latin1). */
async function decode(chunks: (string | Uint8Array)[], source: PanelLineSource = 'panel'): Promise<Decoded> {
  const decoder = new PanelLineDecoder({ source });
  const frames: (PanelFrame | EdgeFrame)[] = [];
  const malformed: PanelMalformedReason[] = [];
  decoder.on('data', (frame: PanelFrame | EdgeFrame) => frames.push(frame));
  decoder.on('malformed', (m: { reason: PanelMalformedReason }) => malformed.push(m.reason));
  for (const chunk of chunks) decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  decoder.end();
  await finished(decoder);
  return { frames, malformed };
}

// Checksums worked out by hand, byte by byte (XOR of everything between `$` and `*`):
// HB,P1,7       48^42=0A ^2C=26 ^50=76 ^31=47 ^2C=6B ^37=5C                           → 5C
// AL,B1,12,SOS  41^4C=0D ^2C=21 ^42=63 ^31=52 ^2C=7E ^31=4F ^32=7D ^2C=51 ^53=02 ^4F=4D ^53=1E → 1E
// AL,B2,13,SVC  41^4C=0D ^2C=21 ^42=63 ^32=51 ^2C=7D ^31=4C ^33=7F ^2C=53 ^53=00 ^56=56 ^43=15 → 15
// AK,12         41^4B=0A ^2C=26 ^31=17 ^32=25                                           → 25
const HB = '$HB,P1,7*5C\r\n';
const AL_SOS = '$AL,B1,12,SOS*1E\r\n';
const AL_SVC = '$AL,B2,13,SVC*15\r\n';
const AK = '$AK,12*25\r\n';
/** A line with the right checksum for `body`, built without the encoder under test. */
const withCs = (body: string) => `$${body}*${panelChecksum(body)}\r\n`;
const hb = { kind: 'hb', panelId: 'P1', seq: 7 };
const sos = { kind: 'al', buttonId: 'B1', seq: 12, key: 'sos' };
const svc = { kind: 'al', buttonId: 'B2', seq: 13, key: 'service' };

t.test('hand-computed checksums', async (t) => {
  t.equal(panelChecksum('HB,P1,7'), '5C');
  t.equal(panelChecksum('AL,B1,12,SOS'), '1E');
  t.equal(panelChecksum('AL,B2,13,SVC'), '15');
  t.equal(panelChecksum('AK,12'), '25');
  t.equal(panelChecksum(''), '00', 'two digits, zero padded');
  t.equal(panelChecksum('AK,7'), '11');
});

t.test('vectors decode; CR LF or LF alone; CS in either case', async (t) => {
  t.same(await decode([HB, AL_SOS, AL_SVC]), { frames: [hb, sos, svc], malformed: [] });
  t.same((await decode(['$HB,P1,7*5C\n'])).frames, [hb], 'LF alone');
  t.same((await decode(['$HB,P1,7*5c\r\n'])).frames, [hb], 'lower-case checksum');
  t.same((await decode([AK], 'edge')).frames, [{ kind: 'ak', seq: 12 }], 'the panel reads $AK');
  const edge = await decode(['$HB,panel-2,65535*53\r\n$AL,bed.3,0,SOS*20\n']);
  t.same(edge.frames, [
    { kind: 'hb', panelId: 'panel-2', seq: 65535 },
    { kind: 'al', buttonId: 'bed.3', seq: 0, key: 'sos' },
  ]);
  t.same((await decode([withCs('HB,P1,00007')])).frames, [hb], 'leading zeros: the value counts');
});

t.test('empty lines yield nothing and are not malformed; CR alone is no terminator', async (t) => {
  t.same(await decode(['\r\n\n\r\n', HB, '\n']), { frames: [hb], malformed: [] });
  t.same(await decode([`${HB.trimEnd()}\r${HB}`]), { frames: [], malformed: ['bad-char'] }, 'CR mid-line');
  t.same(await decode(['$HB,P1,7*5C\r\r\n']), { frames: [], malformed: ['bad-char'] }, 'two CRs');
});

t.test('split, merged and byte-by-byte chunks', async (t) => {
  const all = HB + AL_SOS + AL_SVC;
  t.same((await decode([all])).frames, [hb, sos, svc], 'merged in one chunk');
  t.same((await decode(['$HB,P1', ',7*5', 'C\r', '\n$AL,B1,12,SOS*1E\r', '\n'])).frames, [hb, sos], 'split');
  const bytes = Buffer.from(all, 'latin1');
  t.same(await decode([...bytes].map((b) => Uint8Array.of(b))), { frames: [hb, sos, svc], malformed: [] });
  const many = Array.from({ length: 500 }, (_, i) => encodeHeartbeat('P1', i));
  t.same(
    (await decode([Buffer.concat(many)])).frames.map((f) => f.seq),
    Array.from({ length: 500 }, (_, i) => i),
  );
});

t.test('every malformed reason', async (t) => {
  const cases: [string, PanelMalformedReason, string][] = [
    [`$HB,P1,${'1'.repeat(80)}*00\r\n`, 'too-long', 'over 82 bytes'],
    ['$HB,P1,7\x00*5C\r\n', 'bad-char', 'NUL'],
    ['$HB,P1,7\x7f*5C\r\n', 'bad-char', 'DEL'],
    ['$HB,P\xe91,7*5C\r\n', 'bad-char', 'a byte over 7E'],
    ['$HB,P1,7\t*5C\r\n', 'bad-char', 'TAB'],
    ['HB,P1,7*5C\r\n', 'framing', 'no $'],
    ['x$HB,P1,7*5C\r\n', 'framing', 'garbage before $'],
    ['$HB,P1,7\r\n', 'framing', 'no checksum'],
    ['$HB,P1,7*5\r\n', 'framing', 'one hex digit'],
    ['$HB,P1,7*5C0\r\n', 'framing', 'three hex digits'],
    ['$HB,P1,7*G0\r\n', 'framing', 'not hex'],
    ['$HB,P1,7*5C \r\n', 'framing', 'trailing space'],
    ['$HB,P$1,7*5C\r\n', 'framing', 'a second $'],
    ['$HB,P1*,7*5C\r\n', 'framing', 'a second *'],
    ['$HB,P1,7*5D\r\n', 'checksum', 'off by one'],
    ['$HB,P1,8*5C\r\n', 'checksum', 'body changed'],
    [withCs('hb,P1,7'), 'unknown-sentence', 'lower-case sentence'],
    [withCs('XX,P1,7'), 'unknown-sentence', 'unknown sentence'],
    [withCs('AK,12'), 'unknown-sentence', '$AK is the edge’s, not the panel’s'],
    [withCs(''), 'unknown-sentence', 'empty body'],
    [withCs('HB,P1'), 'form', 'HB: too few fields'],
    [withCs('HB,P1,7,'), 'form', 'HB: too many fields'],
    [withCs('HB,,7'), 'form', 'empty id'],
    [withCs(`HB,${'p'.repeat(33)},7`), 'form', 'id of 33 characters'],
    [withCs('HB,P 1,7'), 'form', 'space in id'],
    [withCs('HB,P/1,7'), 'form', '/ in id'],
    [withCs('HB,P1,65536'), 'form', 'seq over 65535'],
    [withCs('HB,P1,000001'), 'form', 'six digits'],
    [withCs('HB,P1,-1'), 'form', 'negative seq'],
    [withCs('HB,P1,+1'), 'form', 'signed seq'],
    [withCs('HB,P1,1.0'), 'form', 'decimal point'],
    [withCs('HB,P1,0x1'), 'form', 'hex seq'],
    [withCs('HB,P1,'), 'form', 'empty seq'],
    [withCs('AL,B1,12'), 'form', 'AL: no key'],
    [withCs('AL,B1,12,sos'), 'form', 'lower-case key'],
    [withCs('AL,B1,12,RED'), 'form', 'unknown key'],
    [withCs('AL,B1,12,SOS,1'), 'form', 'AL: too many fields'],
  ];
  for (const [line, reason, why] of cases) {
    t.same(await decode([line, HB]), { frames: [hb], malformed: [reason] }, `${why}: ${reason}`);
  }
  t.same(
    (await decode([withCs('HB,P1,7')], 'edge')).malformed,
    ['unknown-sentence'],
    'the panel ignores $HB',
  );
  t.same((await decode([withCs('AK,65536')], 'edge')).malformed, ['form'], '$AK seq over 65535');
  t.same((await decode([withCs('AK,1,2')], 'edge')).malformed, ['form'], '$AK with two fields');
});

t.test('82-byte boundary, terminator included', async (t) => {
  t.equal(PANEL_MAX_LINE_BYTES, 82);
  // Bodies that pass the length check but fail the form check (an id over 32 characters).
  const line = (total: number, terminator: '\r\n' | '\n') =>
    encodeFrame(`HB,${'a'.repeat(total - 9 - terminator.length)},1`, { terminator });
  for (const terminator of ['\r\n', '\n'] as const) {
    const name = JSON.stringify(terminator);
    t.equal(line(82, terminator).length, 82);
    t.same((await decode([line(82, terminator)])).malformed, ['form'], `82 bytes with ${name}: judged`);
    t.same((await decode([line(83, terminator)])).malformed, ['too-long'], `83 bytes with ${name}: too long`);
  }
  t.same(parsePanelLine(Buffer.alloc(81, 0x61), 'panel'), { reason: 'framing' }, '81 bytes before LF');
  t.same(parsePanelLine(Buffer.alloc(82, 0x61), 'panel'), { reason: 'too-long' }, '82 bytes before LF');
});

t.test('an endless line is skipped without buffering it; recovery after garbage', async (t) => {
  const decoder = new PanelLineDecoder();
  const frames: PanelFrame[] = [];
  const malformed: string[] = [];
  decoder.on('data', (f: PanelFrame) => frames.push(f));
  decoder.on('malformed', (m: { reason: string }) => malformed.push(m.reason));
  let maxBuffered = 0;
  const block = Buffer.from('$HB,P1,7*5C\r'.repeat(100), 'latin1'); // CR alone never ends a line
  for (let i = 0; i < 1000; i++) {
    decoder.write(block);
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
  }
  t.ok(maxBuffered <= PANEL_MAX_LINE_BYTES - 1, `buffered at most ${maxBuffered} bytes`);
  t.same(malformed, ['too-long'], 'reported once, as soon as it overflowed');
  decoder.write(Buffer.from(`tail\n${HB}`, 'latin1'));
  decoder.write(Buffer.from([0xff, 0x00, 0x24, 0x2a, 0x0d, 0x0d, 0x0a])); // binary noise, then LF
  decoder.write(Buffer.from(AL_SOS, 'latin1'));
  decoder.end();
  await finished(decoder);
  t.same(frames, [hb, sos], 'good lines decode after the long one and after noise');
  t.same(malformed, ['too-long', 'bad-char']);
});

t.test('a partial line at end of stream is discarded silently', async (t) => {
  t.same(await decode([HB, '$AL,B1,12,SOS*1E']), { frames: [hb], malformed: [] });
});

t.test('the decoder copies what it keeps: a reused chunk buffer does not corrupt lines', async (t) => {
  const decoder = new PanelLineDecoder();
  const frames: PanelFrame[] = [];
  decoder.on('data', (f: PanelFrame) => frames.push(f));
  const buf = Buffer.from('$HB,P1,7', 'latin1');
  decoder.write(buf);
  buf.write('$HB,P2,9');
  decoder.write(Buffer.from('*5C\r\n', 'latin1'));
  decoder.end();
  await finished(decoder);
  t.same(frames, [hb]);
});

t.test('encoders', async (t) => {
  const s = (b: Buffer) => b.toString('latin1');
  t.equal(s(encodeHeartbeat('P1', 7)), HB);
  t.equal(s(encodeAlarm('B1', 12, 'sos')), AL_SOS);
  t.equal(s(encodeAlarm('B2', 13, 'service')), AL_SVC);
  t.equal(s(encodeAck(12)), AK);
  t.equal(s(encodeFrame('HB,P1,7', { terminator: '\n' })), '$HB,P1,7*5C\n');
  t.equal(s(encodeFrame('HB,P1,7', { lowerCase: true })), '$HB,P1,7*5c\r\n');
  t.equal(s(encodeFrame('HB,P1,7', { badChecksum: true })), '$HB,P1,7*7D\r\n', '5C ^ 21');
  t.equal(s(encodeFrame('AK,1')), `$AK,1*${panelChecksum('AK,1')}\r\n`);
  t.throws(() => encodeFrame('HB*1'), RangeError);
  t.throws(() => encodeFrame('HB$1'), RangeError);
  t.throws(() => encodeFrame('HB,邻'), RangeError);
  t.throws(() => encodeAck(65536), RangeError);
  t.throws(() => encodeAck(-1), RangeError);
  t.throws(() => encodeAck(1.5), RangeError);
  t.throws(() => encodeHeartbeat('p'.repeat(33), 1), RangeError);
  t.throws(() => encodeAlarm('B 1', 1, 'sos'), RangeError);
  t.equal(nextPanelSeq(0), 1);
  t.equal(nextPanelSeq(65534), 65535);
  t.equal(nextPanelSeq(65535), 0, 'wraps');
});

t.test('the examples of docs/protocols.md', async (t) => {
  const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
  const d = await decode([
    hex('24 48 42 2c 50 31 2c 37 2a 35 43 0d 0a'),
    hex('24 41 4c 2c 42 31 2c 31 32 2c 53 4f 53 2a 31 45 0d 0a'),
    hex('24 41 4c 2c 42 32 2c 31 33 2c 53 56 43 2a 31 35 0a'),
    hex('24 48 42 2c 50 31 2c 37 2a 35 44 0d 0a'),
    hex('24 41 4c 2c 42 31 2c 31 32 2c 52 45 44 2a 30 32 0d 0a'),
    hex('24 48 42 2c 50 31'),
    hex('2c 37 2a 35 63 0d 0a'),
  ]);
  t.same(d.frames, [hb, sos, svc, hb]);
  t.same(d.malformed, ['checksum', 'form']);
  t.same((await decode([hex('24 41 4b 2c 31 32 2a 32 35 0d 0a')], 'edge')).frames, [{ kind: 'ak', seq: 12 }]);
});
