/** The simulator's books: approvals and declines, the answers from the log, voids, batches, power cycles. */

import t from 'tap';
import { TerminalLedger } from './terminal-ledger.js';

const TIME = '20260301160000';
const ledgerOf = (balanceFen = 10_000) =>
  new TerminalLedger({ balanceFen, cardNumber: '6217001234567890123', clock: () => TIME });

t.test('a sale: in progress, then approved and debited, or declined', async (t) => {
  const ledger = ledgerOf();
  ledger.begin('A00000000001', 3000);
  t.match(ledger.resultOf('A00000000001'), {
    code: 'PD',
    amountFen: 3000,
    maskedPan: '',
    text: '交易处理中',
  });
  t.match(ledger.complete('A00000000001'), {
    ...{ state: 'approved', code: '00', traceNo: '000001', batchNo: '000001' },
    ...{ maskedPan: '621700*********0123', authCode: /^\d{6}$/, text: '交易成功' },
  });
  t.equal(ledger.balanceFen, 7000);
  ledger.begin('A00000000002', 8000);
  t.match(ledger.complete('A00000000002'), { state: 'declined', code: '51', traceNo: '000002' });
  t.equal(ledger.balanceFen, 7000, 'a decline takes nothing');
  ledger.begin('A00000000003', 10);
  t.match(ledger.complete('A00000000003', '55'), { code: '55', text: '密码错误', authCode: '' });
  ledger.begin('A00000000004', 10);
  t.match(
    ledger.complete('A00000000004', 'C'),
    { code: 'C', maskedPan: '', traceNo: '' },
    'cancelled: no card',
  );
  t.throws(() => ledger.begin('A00000000001', 1), /one sale/, 'a ref is one sale');
  t.same(ledger.resultOf('A00000000001'), {
    type: 'R',
    ...{ ref: 'A00000000001', code: '00', amountFen: 3000, maskedPan: '621700*********0123' },
    ...{ authCode: ledger.get('A00000000001')?.authCode, traceNo: '000001', batchNo: '000001', time: TIME },
    text: '交易成功',
  });
  t.match(ledger.resultOf('ZZZZZZZZZZZZ'), { code: 'NF', amountFen: 0, maskedPan: '', traceNo: '' });
  t.notMatch(JSON.stringify(ledger.sales()), /1234567890/, 'the full card number is nowhere');
});

t.test('voids: once, idempotent, never after settlement or of a decline', async (t) => {
  const ledger = ledgerOf();
  ledger.begin('V00000000001', 1000);
  ledger.complete('V00000000001');
  const first = ledger.void('V00000000001');
  t.same(first, { type: 'VR', ref: 'V00000000001', code: '00', traceNo: '000002', time: TIME });
  t.equal(ledger.balanceFen, 10_000, 'credited back');
  t.same(ledger.void('V00000000001'), first, 'a repeated void gets the same answer');
  t.equal(ledger.balanceFen, 10_000, 'and credits nothing again');
  t.match(ledger.resultOf('V00000000001'), { code: 'VD' });
  t.match(ledger.void('NOSUCHREF000'), { code: 'NF', traceNo: '' });
  ledger.begin('V00000000002', 99_999);
  ledger.complete('V00000000002');
  t.match(ledger.void('V00000000002'), { code: '12' }, 'a declined sale cannot be voided');
  ledger.begin('V00000000003', 500);
  ledger.complete('V00000000003');
  ledger.settle();
  t.match(ledger.void('V00000000003'), { code: '12' }, 'nor a settled one');
});

t.test('settlement: approved sales not voided of the open batch; the next batch opens', async (t) => {
  const ledger = ledgerOf(1_000_000);
  for (const [ref, fen] of [
    ['S00000000001', 1234],
    ['S00000000002', 4321],
    ['S00000000003', 999],
  ] as const) {
    ledger.begin(ref, fen);
    ledger.complete(ref);
  }
  ledger.begin('S00000000004', 50);
  ledger.complete('S00000000004', '05');
  ledger.void('S00000000002');
  t.same(ledger.openBatch(), { batchNo: '000001', count: 2, totalFen: 2233 });
  t.same(ledger.settle(), { type: 'TR', batchNo: '000001', count: 2, totalFen: 2233 });
  t.same(ledger.openBatch(), { batchNo: '000002', count: 0, totalFen: 0 });
  t.same(ledger.settle(), { type: 'TR', batchNo: '000002', count: 0, totalFen: 0 });
  t.same(ledger.settlements(), [
    { batchNo: '000001', count: 2, totalFen: 2233 },
    { batchNo: '000002', count: 0, totalFen: 0 },
  ]);
});

t.test('power cycle: forgets what is unsettled except approved sales (voids kept with them)', async (t) => {
  const ledger = ledgerOf(1_000_000);
  const sale = (ref: string, code?: string) => {
    ledger.begin(ref, 100);
    return ledger.complete(ref, code);
  };
  sale('P00000000001');
  ledger.settle();
  sale('P00000000002', '51');
  ledger.settle(); // a decline in a settled batch is settled too, and kept
  sale('P00000000003');
  sale('P00000000004');
  ledger.void('P00000000004');
  sale('P00000000005', '55');
  ledger.begin('P00000000006', 100);
  const balance = ledger.balanceFen;
  ledger.powerCycle();
  t.same(
    ledger.sales().map((s) => [s.ref, s.state]),
    [
      ['P00000000001', 'approved'],
      ['P00000000002', 'declined'],
      ['P00000000003', 'approved'],
      ['P00000000004', 'voided'],
    ],
  );
  t.match(ledger.resultOf('P00000000005'), { code: 'NF' }, 'an unsettled decline is forgotten');
  t.match(ledger.resultOf('P00000000006'), { code: 'NF' }, 'the sale in progress is gone');
  t.equal(ledger.balanceFen, balance, 'and never charged');
  t.same(ledger.openBatch(), { batchNo: '000003', count: 1, totalFen: 100 });
  t.equal(ledger.inProgress(), undefined);
});

t.test('bad settings are refused', async (t) => {
  t.throws(() => new TerminalLedger({ balanceFen: 1, cardNumber: '1234', clock: () => TIME }), RangeError);
  t.throws(() => ledgerOf(-1), RangeError);
  const ledger = ledgerOf();
  t.throws(() => {
    ledger.balanceFen = 1.5;
  }, RangeError);
  t.throws(() => ledger.complete('NOSUCHREF000'), /no sale in progress/);
});
