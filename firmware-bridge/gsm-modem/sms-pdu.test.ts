/**
 * SMS-SUBMIT PDUs: vectors worked out by hand from TS 23.040, number formats, GSM 7-bit, and
 * concatenation (UDH, part sizes, emoji and grapheme clusters never split, exact reassembly).
 */

import t from 'tap';
import { GSM7_BASIC, packSeptets, unpackSeptets } from './gsm7.js';
import { decodeSmsSubmitPdu, encodeAddress, encodeSmsSubmitPdus, splitSmsText } from './sms-pdu.js';

const hex = (spaced: string) => spaced.replace(/\s+/g, '');
const octets = (pdu: string) => [...Buffer.from(pdu, 'hex')];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

t.test('「求助」 to +8613800138000: every octet by hand', async (t) => {
  const fields: [octets: string, meaning: string][] = [
    ['00', "SMSC address length 0: the SIM's SMSC (not part of the TPDU)"],
    ['11', 'first octet: TP-MTI 01 SMS-SUBMIT, TP-VPF 10 relative, no UDHI'],
    ['00', 'TP-MR: 0, the modem fills it in'],
    ['0D 91', 'TP-DA: 13 digits, TON international / NPI ISDN'],
    ['68 31 08 10 83 00 F0', '86 13 80 01 38 00 0 as swapped semi-octets, F fills the odd last'],
    ['00', 'TP-PID'],
    ['08', 'TP-DCS: UCS2'],
    ['A7', 'TP-VP: (0xA7 - 143) x 30 min + 12 h = 24 h'],
    ['04', 'TP-UDL: 4 octets'],
    ['6C 42 52 A9', '求 U+6C42, 助 U+52A9, big-endian'],
  ];
  const expected = hex(fields.map(([field]) => field).join(''));
  t.same(encodeSmsSubmitPdus('+8613800138000', '求助', 0), [{ pdu: expected, tpduLength: 19 }]);
  t.equal(expected, '0011000D91683108108300F00008A7046C4252A9');
  const bytes = octets(expected);
  t.equal(bytes.length - 1, 19, 'tpduLength counts the octets after the SMSC address');
  t.same(bytes.slice(1, 3), [0x11, 0x00], 'first octet, TP-MR');
  t.same(bytes.slice(3, 12), [0x0d, 0x91, 0x68, 0x31, 0x08, 0x10, 0x83, 0x00, 0xf0], 'TP-DA');
  t.same(bytes.slice(12, 16), [0x00, 0x08, 0xa7, 0x04], 'PID, DCS 08, VP, UDL');
  t.same(decodeSmsSubmitPdu(expected), {
    to: '+8613800138000',
    text: '求助',
    dcs: 8,
    messageReference: 0,
    tpduLength: 19,
  });
});

t.test('number formats (TP-DA)', async (t) => {
  t.equal(encodeAddress('+8613800138000').toString('hex'), '0d91683108108300f0', 'international');
  t.equal(encodeAddress('13800138000').toString('hex'), '0b813108108300f0', 'national: TON unknown');
  t.equal(encodeAddress('+861380013800').toString('hex'), '0c91683108108300', 'even digit count: no F');
  t.equal(encodeAddress('10086').toString('hex'), '05810180f6', 'a short service number');
  t.equal(decodeSmsSubmitPdu(encodeSmsSubmitPdus('13800138000', '测试', 1)[0]?.pdu ?? '')?.to, '13800138000');
  for (const bad of [
    '',
    '+',
    '138-0013-8000',
    '+86 138 0013 8000',
    '１３８００１３８０００',
    '1'.repeat(21),
    '+x1',
  ]) {
    const error = t.throws(() => encodeSmsSubmitPdus(bad, 'x', 0), RangeError, JSON.stringify(bad)) as Error;
    t.notOk(bad.length > 1 && error.message.includes(bad), 'the message never quotes the number');
  }
});

t.test('GSM 7-bit: the classic "hellohello" vector', async (t) => {
  t.equal(GSM7_BASIC.length, 128);
  const [part] = encodeSmsSubmitPdus('13800138000', 'hellohello', 0);
  t.same(part, { pdu: '0011000B813108108300F00000A70AE8329BFD4697D9EC37', tpduLength: 23 });
  const text = '@£$¥ Hello {€} [~] ^|\\ Ää';
  t.equal(
    decodeSmsSubmitPdu(encodeSmsSubmitPdus('+1', text, 0)[0]?.pdu ?? '')?.text,
    text,
    'extension table',
  );
  const septets = Array.from({ length: 50 }, (_, i) => (i * 37) % 128);
  for (const fill of [0, 1, 6])
    t.same(unpackSeptets(packSeptets(septets, fill), 50, fill), septets, `fill ${fill}`);
});

t.test('a 150-character Chinese text: 3 parts with a UDH, reassembled exactly', async (t) => {
  const text = '社区紧急求助：3号楼2单元501室张奶奶按下求助按钮，请值班人员立即前往查看并回电家属。'
    .repeat(4)
    .slice(0, 150);
  t.equal(text.length, 150);
  const pdus = encodeSmsSubmitPdus('+8613800138000', text, 0x2a);
  t.equal(pdus.length, 3);
  const decoded = pdus.map((p) => decodeSmsSubmitPdu(p.pdu));
  t.same(
    decoded.map((d) => d?.text.length),
    [67, 67, 16],
    'parts of at most 67 characters',
  );
  for (const [index, { pdu, tpduLength }] of pdus.entries()) {
    const bytes = octets(pdu);
    t.equal(tpduLength, bytes.length - 1, `part ${index + 1}: tpduLength`);
    t.equal(bytes[1], 0x51, 'first octet: SMS-SUBMIT, VPF relative, UDHI set');
    t.same(bytes.slice(12, 15), [0x00, 0x08, 0xa7], 'PID, DCS 08, VP');
    const units = index < 2 ? 67 : 16;
    t.equal(bytes[15], 6 + units * 2, 'UDL: UDH and text octets');
    t.same(bytes.slice(16, 22), [0x05, 0x00, 0x03, 0x2a, 0x03, index + 1], 'UDH: IEI 00, ref, total, seq');
    t.same(decoded[index]?.concat, { ref: 0x2a, total: 3, seq: index + 1 });
  }
  t.equal(decoded.map((d) => d?.text).join(''), text, 'reassembles exactly');
});

t.test('part boundaries: 70 fits one SMS, 71 needs two; GSM 7-bit 160 and 161', async (t) => {
  t.equal(encodeSmsSubmitPdus('+1', '中'.repeat(70), 0).length, 1);
  t.same(
    splitSmsText('中'.repeat(71)).map((p) => p.length),
    [67, 4],
  );
  t.equal(encodeSmsSubmitPdus('+1', 'a'.repeat(160), 0).length, 1);
  t.same(
    splitSmsText('a'.repeat(161)).map((p) => p.length),
    [153, 8],
  );
  const withEuro = `${'a'.repeat(152)}€${'b'.repeat(10)}`; // € is two septets: it cannot end part 1
  t.same(
    splitSmsText(withEuro).map((p) => p.length),
    [152, 11],
  );
  const pdus = encodeSmsSubmitPdus('+1', withEuro, 9);
  t.equal(pdus.map((p) => decodeSmsSubmitPdu(p.pdu)?.text).join(''), withEuro, 'GSM 7-bit parts reassemble');
  t.equal(octets(pdus[0]?.pdu ?? '')[9], 159, 'UDL in septets: 7 for the UDH and its fill bit, 152 text');
  t.same(encodeSmsSubmitPdus('+1', '', 0).length, 1, 'an empty text is one empty SMS');
});

t.test('an emoji on a part boundary stays whole, and so does a grapheme cluster', async (t) => {
  const emoji = `${'中'.repeat(66)}😀${'文'.repeat(10)}`; // 😀 would take units 67 and 68
  const parts = splitSmsText(emoji);
  t.same(parts, ['中'.repeat(66), `😀${'文'.repeat(10)}`], 'the surrogate pair moves to part 2');
  const family = `${'中'.repeat(65)}👨‍👩‍👧${'文'.repeat(10)}`; // eight code units joined by ZWJ
  t.equal(splitSmsText(family)[1]?.startsWith('👨‍👩‍👧'), true, 'a ZWJ family moves whole');
  const zalgo = `e${'\u0301'.repeat(100)}`; // one cluster longer than a part: cut between code points
  t.same(
    splitSmsText(zalgo).map((p) => p.length),
    [67, 34],
  );
  const emojis = '🚨😀🏠👵🏻'.repeat(40);
  const pdus = encodeSmsSubmitPdus('+8613800138000', emojis, 200);
  const texts = pdus.map((p) => decodeSmsSubmitPdu(p.pdu)?.text ?? '');
  t.notOk(
    texts.some((text) => LONE_SURROGATE.test(text)),
    'no part holds half a surrogate pair',
  );
  t.ok(texts.every((text) => text.length <= 67));
  t.equal(texts.join(''), emojis);
});

t.test('bad arguments throw RangeError; bad PDUs decode to null', async (t) => {
  for (const ref of [-1, 256, 1.5, Number.NaN])
    t.throws(() => encodeSmsSubmitPdus('+1', 'x', ref), RangeError);
  t.throws(() => encodeSmsSubmitPdus('+1', '中'.repeat(67 * 255 + 1), 0), RangeError, 'over 255 parts');
  t.equal(encodeSmsSubmitPdus('+1', '中'.repeat(67 * 255), 0).length, 255);
  const good = '0011000D91683108108300F00008A7046C4252A9';
  for (const bad of ['', 'zz', '001', `${good}00`, good.slice(0, -2), `00${'04'}${good.slice(4)}`]) {
    t.equal(decodeSmsSubmitPdu(bad), null, JSON.stringify(bad));
  }
  const smsc = `0891683108200005F0${good.slice(2)}`;
  t.equal(decodeSmsSubmitPdu(smsc)?.text, '求助', 'an explicit SMSC address is skipped');
  const badSeq = encodeSmsSubmitPdus('+1', '中'.repeat(80), 1)[0]?.pdu.replace(
    /050003010201/,
    '050003010200',
  );
  t.equal(decodeSmsSubmitPdu(badSeq ?? ''), null, 'part number 0');
});
