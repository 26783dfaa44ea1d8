import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RecordLog } from '../store/record-log.js';
import { SnapshotStore } from '../store/snapshot-store.js';
import { FakeTerminal } from './fake-terminal.js';
import type { Payment } from './payment-model.js';
import { PaymentService } from './payment-service.js';
import { reconciliationCsv } from './reconciliation-csv.js';
import { nextHouseTime } from './settle-schedule.js';
import { SettlementService } from './settlement-service.js';

const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

async function open(term: FakeTerminal) {
  const dir = await mkdtemp(join(tmpdir(), 'settle-'));
  const records = await RecordLog.open({ dir: join(dir, 'records'), house: 'h1', clock: () => 'unsynced' });
  const svc = await PaymentService.open({
    records,
    snapshots: await SnapshotStore.open(join(dir, 'snapshots')),
    terminal: (id) => (id === 'pos-1' ? term : undefined),
    residentExists: () => true,
    tokens: { get: () => undefined, issue: async (id) => `token-${id}` },
    backoff: { initialMs: 5, maxMs: 20 },
  });
  await svc.start();
  t.teardown(async () => {
    await svc.close();
    await records.close();
  });
  return { svc, settlements: new SettlementService(svc) };
}

function until(svc: PaymentService, id: string, pred: (p: Payment) => boolean): Promise<Payment> {
  return new Promise((resolve) => {
    const check = () => {
      const p = svc.get(id);
      if (p && pred(p)) {
        svc.off('change', check);
        resolve(p);
      }
    };
    svc.on('change', check);
    check();
  });
}

let n = 0;
async function paid(svc: PaymentService, amountFen: number, state: Payment['state'] = 'approved') {
  const { payment } = await svc.create({
    amountFen,
    item: 'canteen',
    deviceId: 'pos-1',
    idempotencyKey: `k-${++n}-abcdefgh`,
  });
  return await until(svc, payment.id, (p) => p.state === state);
}

t.test('a batch that matches: approved minus voided on both sides', async (t) => {
  const term = new FakeTerminal();
  const { svc, settlements } = await open(term);
  await paid(svc, 1000);
  const voided = await paid(svc, 2000);
  await svc.void(voided.id);
  await paid(svc, 300);
  const r = await settlements.settle('pos-1', 'admin');
  t.match(r, { matched: true, edge: { count: 2, totalFen: 1300 }, terminal: { count: 2, totalFen: 1300 } });
  t.equal(r.payments.length, 3, 'the voided sale is a line of the batch');
  t.same(settlements.list()[0]?.id, r.id);
  await t.rejects(svc.void(voided.id), { code: 'NOT_VOIDABLE' });
  const next = await settlements.settle('pos-1', 'schedule');
  t.match(
    next,
    { matched: true, edge: { count: 0, totalFen: 0 }, payments: [] },
    'the next batch starts empty',
  );
  const csv = reconciliationCsv(r);
  t.ok(csv.startsWith('\uFEFFline,'), 'UTF-8 BOM and a header');
  t.equal(csv.trim().split('\r\n').length, 2 + 3, 'header, summary, one line per payment');
});

t.test('mismatches: a sale the edge never knew, and a payment still unknown', async (t) => {
  const term = new FakeTerminal();
  const { svc, settlements } = await open(term);
  await paid(svc, 1000);
  // The terminal has an approved sale the edge has no record of.
  term.log.set('ZZZZZZZZZZZZ', term.result('ZZZZZZZZZZZZ', 777, '00'));
  term.script.push('lose');
  term.queriesFail = true;
  const lost = await paid(svc, 500, 'unknown');
  const r = await settlements.settle('pos-1', 'admin');
  t.equal(r.matched, false);
  t.same(r.mismatches.map((m) => m.kind).sort(), ['count', 'total', 'unknown-at-settlement']);
  t.match(
    r.mismatches.find((m) => m.kind === 'unknown-at-settlement'),
    { paymentId: lost.id, amountFen: 500 },
  );
  t.match(r, { edge: { count: 1, totalFen: 1000 }, terminal: { count: 3, totalFen: 2277 } });
  t.equal(reconciliationCsv(r).trim().split('\r\n').length, 2 + 2 + 3);
});

t.test('no sale while settling; busy and unknown terminals refused', async (t) => {
  const term = new FakeTerminal();
  const { svc, settlements } = await open(term);
  term.script.push('hold');
  const { payment } = await svc.create({
    amountFen: 1,
    item: 'canteen',
    deviceId: 'pos-1',
    idempotencyKey: 'k-hold-0001',
  });
  await until(svc, payment.id, (p) => p.state === 'sent');
  await t.rejects(settlements.settle('pos-1', 'admin'), { code: 'TERMINAL_BUSY' });
  await t.rejects(settlements.settle('nope', 'admin'), { code: 'NOT_FOUND' });
  term.finish(payment.ref, '00');
  await until(svc, payment.id, (p) => p.state === 'approved');
});

t.test('the daily time is house time', async (t) => {
  const now = Date.parse('2026-12-02T10:00:00.000Z'); // 18:00 in Shanghai
  t.equal(new Date(nextHouseTime('23:30', 'Asia/Shanghai', now)).toISOString(), '2026-12-02T15:30:00.000Z');
  t.equal(new Date(nextHouseTime('08:00', 'Asia/Shanghai', now)).toISOString(), '2026-12-03T00:00:00.000Z');
  t.equal(new Date(nextHouseTime('10:00', 'UTC', now)).toISOString(), '2026-12-03T10:00:00.000Z');
});
