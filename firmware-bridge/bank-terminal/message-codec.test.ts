/**
 * ECR messages: each type both ways, every refusal with its reason or field, card numbers masked,
 * and the encoder refusing what it must never send.
 */

import t from 'tap';
import {
  type EcrEdgeMessage,
  type EcrTerminalMessage,
  ecrOutcome,
  encodeEcrMessage,
  formatTerminalTime,
  isTerminalTime,
  maskPan,
  parseEcrMessage,
} from './message-codec.js';

const REF = '0A1B2C3D4E5F';
const terminal = (text: string | Buffer) =>
  parseEcrMessage(typeof text === 'string' ? Buffer.from(text) : text, 'terminal');
const edge = (text: string | Buffer) =>
  parseEcrMessage(typeof text === 'string' ? Buffer.from(text) : text, 'edge');

const RESULT = `R|${REF}|00|12345|621700*********1234|123456|000042|000001|20260301160000|交易成功`;

t.test('every message type parses from the side that sends it', async (t) => {
  const edgeMessages: [string, EcrEdgeMessage][] = [
    [`S|${REF}|12345|水费 3月`, { type: 'S', ref: REF, amountFen: 12345, memo: '水费 3月' }],
    [`S|${REF}|1|`, { type: 'S', ref: REF, amountFen: 1, memo: '' }],
    [`Q|${REF}`, { type: 'Q', ref: REF }],
    [`V|${REF}`, { type: 'V', ref: REF }],
    ['T', { type: 'T' }],
  ];
  for (const [text, message] of edgeMessages) {
    t.same(edge(text), { ok: true, message }, text);
    t.equal(encodeEcrMessage(message).toString('utf8'), text, `encodes back: ${text}`);
  }
  const terminalMessages: [string, EcrTerminalMessage][] = [
    [`P|${REF}|请刷卡或插卡`, { type: 'P', ref: REF, prompt: '请刷卡或插卡' }],
    [
      RESULT,
      {
        ...{ type: 'R', ref: REF, code: '00', amountFen: 12345, maskedPan: '621700*********1234' },
        ...{
          authCode: '123456',
          traceNo: '000042',
          batchNo: '000001',
          time: '20260301160000',
          text: '交易成功',
        },
      },
    ],
    [
      `R|${REF}|NF|0|||||20260301160000|无此交易`,
      {
        ...{ type: 'R', ref: REF, code: 'NF', amountFen: 0, maskedPan: '', authCode: '' },
        ...{ traceNo: '', batchNo: '', time: '20260301160000', text: '无此交易' },
      },
    ],
    [
      `VR|${REF}|00|000043|20260301161000`,
      { type: 'VR', ref: REF, code: '00', traceNo: '000043', time: '20260301161000' },
    ],
    ['TR|000001|3|37020', { type: 'TR', batchNo: '000001', count: 3, totalFen: 37020 }],
    ['TR|2|0|0', { type: 'TR', batchNo: '2', count: 0, totalFen: 0 }],
  ];
  for (const [text, message] of terminalMessages) {
    t.same(terminal(text), { ok: true, message }, text);
    t.equal(encodeEcrMessage(message).toString('utf8'), text, `encodes back: ${text.slice(0, 20)}`);
  }
  t.same(edge(RESULT), { ok: false, fault: { reason: 'unknown-type' } }, 'the terminal does not take R');
  t.same(
    terminal(`S|${REF}|1|x`),
    { ok: false, fault: { reason: 'unknown-type' } },
    'the edge does not take S',
  );
});

t.test('refusals name the rule or the field, never the value', async (t) => {
  const cases: [string | Buffer, 'edge' | 'terminal', object][] = [
    [Buffer.from([0x54, 0xff]), 'edge', { reason: 'utf8' }],
    [Buffer.from([0x51, 0x7c, 0xe6, 0xb0]), 'edge', { reason: 'utf8' }], // 水 cut after two bytes
    ['Q|0A1B2C3D4E5\x7f', 'edge', { reason: 'control' }],
    ['', 'edge', { reason: 'unknown-type' }],
    ['s|0A1B2C3D4E5F|1|x', 'edge', { reason: 'unknown-type' }],
    ['T|', 'edge', { reason: 'field-count' }],
    [`Q|${REF}|`, 'edge', { reason: 'field-count' }],
    [`S|${REF}|1|a|b`, 'edge', { reason: 'field-count' }],
    ['Q|0a1b2c3d4e5f', 'edge', { reason: 'form', field: 'ref' }],
    ['Q|0A1B2C3D4E5', 'edge', { reason: 'form', field: 'ref' }],
    [`S|${REF}|0|x`, 'edge', { reason: 'form', field: 'amountFen' }],
    [`S|${REF}|0100|x`, 'edge', { reason: 'form', field: 'amountFen' }],
    [`S|${REF}|-5|x`, 'edge', { reason: 'form', field: 'amountFen' }],
    [`S|${REF}|1000000000000|x`, 'edge', { reason: 'form', field: 'amountFen' }],
    [`S|${REF}|1|${'长'.repeat(65)}`, 'edge', { reason: 'form', field: 'memo' }],
    [`P|${REF}|${'x'.repeat(65)}`, 'terminal', { reason: 'form', field: 'prompt' }],
    [RESULT.replace('|00|', '|000|'), 'terminal', { reason: 'form', field: 'code' }],
    [RESULT.replace('|00|', '|0a|'), 'terminal', { reason: 'form', field: 'code' }],
    [RESULT.replace('621700*********1234', '6217-0000'), 'terminal', { reason: 'form', field: 'maskedPan' }],
    [RESULT.replace('621700*********1234', '62170*1234'), 'terminal', { reason: 'form', field: 'maskedPan' }],
    [RESULT.replace('|123456|', '|1234567|'), 'terminal', { reason: 'form', field: 'authCode' }],
    [RESULT.replace('|000042|', '|42a|'), 'terminal', { reason: 'form', field: 'traceNo' }],
    [RESULT.replace('20260301160000', '20260230160000'), 'terminal', { reason: 'form', field: 'time' }],
    [RESULT.replace('20260301160000', '20260301240000'), 'terminal', { reason: 'form', field: 'time' }],
    [`VR|${REF}|00|1|2026030116000`, 'terminal', { reason: 'form', field: 'time' }],
    ['TR||0|0', 'terminal', { reason: 'form', field: 'batchNo' }],
    ['TR|1|01|0', 'terminal', { reason: 'form', field: 'count' }],
    ['TR|1|0|1.5', 'terminal', { reason: 'form', field: 'totalFen' }],
  ];
  for (const [data, sender, fault] of cases) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const parsed = sender === 'edge' ? edge(bytes) : terminal(bytes);
    t.same(
      parsed,
      { ok: false, fault },
      `${JSON.stringify(String(data).slice(0, 40))} → ${JSON.stringify(fault)}`,
    );
  }
  t.same(edge(`S|${REF}|1|${'长'.repeat(64)}`).ok, true, '64 characters (192 bytes) is the longest memo');
});

t.test('a card number showing more than 6 + 4 digits is masked on arrival', async (t) => {
  t.equal(maskPan('6217001234567890123'), '621700*********0123');
  t.equal(maskPan('621700123456'), '621700**3456');
  const full = terminal(RESULT.replace('621700*********1234', '6217001234567890123'));
  t.ok(full.ok);
  if (full.ok && full.message.type === 'R') t.equal(full.message.maskedPan, '621700*********0123');
  const less = terminal(RESULT.replace('621700*********1234', '******123456***1234'));
  if (less.ok && less.message.type === 'R') t.equal(less.message.maskedPan, '***************1234');
  t.notMatch(JSON.stringify(full), /1234567890/, 'the middle digits are gone');
});

t.test('the encoder refuses what must not be sent', async (t) => {
  const result = terminal(RESULT);
  if (!result.ok || result.message.type !== 'R') throw new Error('vector');
  const r = result.message;
  const refusals: [EcrEdgeMessage | EcrTerminalMessage, RegExp][] = [
    [{ type: 'S', ref: 'short', amountFen: 1, memo: '' }, /S: ref/],
    [{ type: 'S', ref: REF, amountFen: 0, memo: '' }, /S: amountFen/],
    [{ type: 'S', ref: REF, amountFen: 1.5, memo: '' }, /S: amountFen/],
    [{ type: 'S', ref: REF, amountFen: 1, memo: 'a|b' }, /S: memo/],
    [{ type: 'S', ref: REF, amountFen: 1, memo: 'a\nb' }, /S: memo/],
    [{ ...r, maskedPan: '6217001234567890123' }, /R: maskedPan/],
    [{ ...r, text: 'x'.repeat(65) }, /R: text/],
    [{ type: 'P', ref: REF, prompt: '请\t输入' }, /P: prompt/],
  ];
  for (const [message, error] of refusals) {
    t.throws(() => encodeEcrMessage(message), { name: 'RangeError', message: error }, String(error));
  }
  try {
    encodeEcrMessage({ ...r, maskedPan: '6217001234567890123' });
  } catch (error) {
    t.notMatch((error as Error).message, /1234567890/, 'the error does not hold the number');
  }
});

t.test('codes, outcomes and terminal time', async (t) => {
  t.same(['00', '51', '55', 'C', 'PD', 'NF', 'VD', '05', 'TB'].map(ecrOutcome), [
    'approved',
    'declined',
    'declined',
    'cancelled',
    'in-progress',
    'not-found',
    'voided',
    'declined',
    'declined',
  ]);
  t.equal(formatTerminalTime(Date.parse('2026-03-01T08:00:00.000Z'), 480), '20260301160000', 'UTC+8');
  t.equal(formatTerminalTime(Date.parse('2026-02-28T23:59:59.999Z'), 0), '20260228235959');
  t.ok(isTerminalTime('20240229120000'), 'a leap day');
  t.notOk(isTerminalTime('20250229120000'), 'no leap day in 2025');
  t.notOk(isTerminalTime('20251301000000'));
  t.notOk(isTerminalTime('20250100000000'));
  t.notOk(isTerminalTime('2025010100000a'));
});
