/**
 * ECR framing: vectors worked out by hand (bytes and LRC arithmetic written out below, not
 * produced by the encoder under test), split and merged chunks, every fault, re-synchronisation.
 */

import t from 'tap';
import { bcdLength, EcrFrameParser, type EcrItem, ecrLrc, encodeEcrFrame, NAK_FAULTS } from './codec.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// `T` (settle). DATA 54, LEN 00 01.
// LRC = 00 ^ 01 = 01;  01 ^ 54 = 55;  55 ^ 03 (ETX) = 56.
const T_FRAME = hex('02 0001 54 03 56');

// `Q|0A1B2C3D4E5F`: 14 bytes, LEN 00 14 (BCD: 14 is 0x14, not 0x0E).
// DATA 51 7C 30 41 31 42 32 43 33 44 34 45 35 46
// LRC: 00^14=14  ^51=45  ^7C=39  ^30=09  ^41=48  ^31=79  ^42=3B  ^32=09  ^43=4A  ^33=79
//      ^44=3D  ^34=09  ^45=4C  ^35=79  ^46=3F  ^03=3C
const Q_FRAME = hex('02 0014 517c304131423243334434453546 03 3c');
const Q_DATA = 'Q|0A1B2C3D4E5F';

// `S|0A1B2C3D4E5F|12345|水费`: 水 = E6 B0 B4, 费 = E8 B4 B9 (UTF-8); 21 + 6 = 27 bytes, LEN 00 27.
// LRC: 00^27=27  ^53=74  ^7C=08  ^30=38  ^41=79  ^31=48  ^42=0A  ^32=38  ^43=7B  ^33=48  ^44=0C
//      ^34=38  ^45=7D  ^35=48  ^46=0E  ^7C=72  ^31=43  ^32=71  ^33=42  ^34=76  ^35=43  ^7C=3F
//      ^E6=D9  ^B0=69  ^B4=DD  ^E8=35  ^B4=81  ^B9=38  ^03=3B
const S_FRAME = hex('02 0027 537c304131423243334434453546 7c3132333435 7c e6b0b4 e8b4b9 03 3b');
const S_DATA = 'S|0A1B2C3D4E5F|12345|水费';

// `TR|000001|3|37020`: 17 bytes, LEN 00 17.
// LRC: 00^17=17  ^54=43  ^52=11  ^7C=6D  ^30=5D  ^30=6D  ^30=5D  ^30=6D  ^30=5D  ^31=6C  ^7C=10
//      ^33=23  ^7C=5F  ^33=6C  ^37=5B  ^30=6B  ^32=59  ^30=69  ^03=6A
const TR_FRAME = hex('02 0017 5452 7c303030303031 7c33 7c3337303230 03 6a');

// An `R` of 123 bytes, to show both LEN bytes at work: LEN 01 23. The DATA is `R|`, the ref, and
// then filler text; its LRC is checked against ecrLrc in "LEN is BCD" below.
const ACK = hex('06');
const NAK = hex('15');

function parse(...chunks: (Buffer | string)[]): EcrItem[] {
  const parser = new EcrFrameParser();
  return chunks.flatMap((chunk) => parser.feed(typeof chunk === 'string' ? hex(chunk) : chunk));
}

const frame = (data: string) => ({ kind: 'frame', data: Buffer.from(data, 'utf8') });
const bad = (reason: string) => ({ kind: 'malformed', reason });

t.test('hand-made vectors decode, and encode to the same bytes', async (t) => {
  t.same(parse(T_FRAME), [frame('T')]);
  t.same(parse(Q_FRAME), [frame(Q_DATA)]);
  t.same(parse(S_FRAME), [frame(S_DATA)]);
  t.same(parse(TR_FRAME), [frame('TR|000001|3|37020')]);
  t.same(encodeEcrFrame(Buffer.from('T')), T_FRAME);
  t.same(encodeEcrFrame(Buffer.from(Q_DATA)), Q_FRAME);
  t.same(encodeEcrFrame(Buffer.from(S_DATA)), S_FRAME);
  t.same(encodeEcrFrame(Buffer.from('TR|000001|3|37020')), TR_FRAME);
  t.equal(ecrLrc(hex('0001'), Buffer.from('T')), 0x56);
  t.equal(ecrLrc(hex('0014'), Buffer.from(Q_DATA)), 0x3c);
});

t.test('LEN is BCD: four decimal digits in two bytes', async (t) => {
  t.same(bcdLength(0), hex('0000'));
  t.same(bcdLength(14), hex('0014'));
  t.same(bcdLength(123), hex('0123'));
  t.same(bcdLength(9999), hex('9999'));
  t.throws(() => bcdLength(10_000), RangeError);
  t.throws(() => encodeEcrFrame(Buffer.alloc(10_000, 0x41)), RangeError);
  const data = Buffer.from(`R|0A1B2C3D4E5F|${'x'.repeat(108)}`);
  t.equal(data.length, 123);
  const encoded = encodeEcrFrame(data);
  t.same(encoded.subarray(0, 3), hex('02 01 23'), 'LEN 01 23, not 00 7B');
  t.same(parse(encoded), [{ kind: 'frame', data }]);
  const longest = encodeEcrFrame(Buffer.alloc(9999, 0x41));
  t.same(longest.subarray(1, 3), hex('9999'));
  t.same(parse(longest), [{ kind: 'frame', data: Buffer.alloc(9999, 0x41) }], 'the largest frame');
  // An empty DATA: LRC = 00 ^ 00 ^ 03 = 03.
  t.same(parse('02 0000 03 03'), [frame('')], 'LEN 0 is a frame (whose message is refused later)');
});

t.test('ACK and NAK between frames, in wire order', async (t) => {
  t.same(parse(Buffer.concat([ACK, T_FRAME, NAK, Q_FRAME, ACK])), [
    { kind: 'ack' },
    frame('T'),
    { kind: 'nak' },
    frame(Q_DATA),
    { kind: 'ack' },
  ]);
});

t.test('split, merged and byte-by-byte chunks', async (t) => {
  const all = Buffer.concat([S_FRAME, ACK, Q_FRAME, T_FRAME]);
  const expected = [frame(S_DATA), { kind: 'ack' }, frame(Q_DATA), frame('T')];
  t.same(parse(all), expected, 'merged in one chunk');
  t.same(parse(...[...all].map((b) => Buffer.of(b))), expected, 'byte by byte');
  for (let cut = 1; cut < all.length; cut++) {
    t.same(parse(all.subarray(0, cut), all.subarray(cut)), expected, `split at ${cut}`);
  }
  // Split inside a UTF-8 character (between E6 and B0 of 水): bytes are bytes to the framing.
  const at = S_FRAME.indexOf(0xe6) + 1;
  t.same(parse(S_FRAME.subarray(0, at), S_FRAME.subarray(at)), [frame(S_DATA)]);
  const parser = new EcrFrameParser();
  parser.feed(S_FRAME.subarray(0, 10));
  t.equal(parser.bufferedBytes, 10, 'holds the partial frame');
  parser.reset();
  t.equal(parser.bufferedBytes, 0, 'reset drops it');
  t.same(parser.feed(S_FRAME.subarray(10)), [bad('noise')], 'the rest alone is noise');
  t.same(parser.feed(T_FRAME), [frame('T')]);
});

t.test('every fault, and which are answered by NAK', async (t) => {
  // The bytes of a bad frame after its STX are re-scanned; noise among them is not reported again.
  t.same(parse('02 000a 54 03 56'), [bad('bcd')], 'LEN nibble A');
  t.same(parse('02 f001'), [bad('bcd')], 'LEN nibble F in the first byte');
  t.same(parse('02 0001 54 04 56'), [bad('etx')], 'no ETX after DATA');
  t.same(parse('02 0001 54 03 57'), [bad('lrc')], 'LRC 57, should be 56');
  t.same(parse('02 0003 54 01 55 03 00'), [bad('cut')], 'a control byte inside DATA');
  t.same(parse('02 0001 54 03 57 41'), [bad('lrc')], 'noise right after a bad frame is part of it');
  t.same(parse('02 0001 54 03 57 06 41'), [bad('lrc'), { kind: 'ack' }, bad('noise')], 'until a known byte');
  t.same(parse('41 42 43'), [bad('noise')], 'noise is reported once per run');
  t.same(parse('41', '42 06 43'), [bad('noise'), { kind: 'ack' }, bad('noise')]);
  t.same([...NAK_FAULTS].sort(), ['bcd', 'etx', 'lrc'], 'DESIGN.md: LRC, ETX, BCD answered by NAK');
});

t.test('re-synchronisation: the first STX that starts a good frame is found', async (t) => {
  t.same(parse(Buffer.concat([hex('ff 00 7e'), T_FRAME])), [bad('noise'), frame('T')], 'noise before');
  // A stray STX right before a frame: 02 | 02 00 01 54 03 56. The stray STX takes 02 00 as LEN
  // (200), then 01 inside DATA cuts it; re-scanned from its second byte, the real frame follows.
  t.same(parse(Buffer.concat([hex('02'), T_FRAME])), [bad('cut'), frame('T')], 'stray STX');
  // A frame cut short by the next one (its last 3 bytes lost): the next STX cuts it.
  t.same(parse(Buffer.concat([Q_FRAME.subarray(0, -3), S_FRAME])), [bad('cut'), frame(S_DATA)]);
  // A LEN that claims more than follows (00 99): the next frame's STX cuts it, not 99 bytes later.
  t.same(parse(Buffer.concat([hex('02 0099 41 42'), ACK, T_FRAME])), [
    bad('cut'),
    { kind: 'ack' },
    frame('T'),
  ]);
  // A bad LRC whose byte is an STX: re-scanning from after the bad frame's STX finds it.
  t.same(parse(Buffer.concat([hex('02 0001 54 03'), T_FRAME])), [bad('lrc'), frame('T')]);
  // A stray STX before an ACK: 02 06 → LEN byte 06 is valid BCD; 06 is then recovered as an ACK.
  t.same(parse(Buffer.concat([hex('02 06'), T_FRAME])), [bad('cut'), { kind: 'ack' }, frame('T')]);
  // Garbage with many STX and BCD-valid bytes, then a frame.
  t.same(parse(Buffer.concat([hex('02 02 02 00 02 99 02 12 02'), Q_FRAME])).at(-1), frame(Q_DATA));
});
