import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CardRow } from '../state/edge-state.js';
import { RecordLog } from '../store/record-log.js';
import { SnapshotStore } from '../store/snapshot-store.js';
import { AccountPayments } from './account-payments.js';
import { FakeTerminal } from './fake-terminal.js';
import type { Payment } from './payment-model.js';
import { PaymentService } from './payment-service.js';

const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

const card = (uid: string, residentId: string, state: CardRow['state'] = 'active'): CardRow => ({
  uid,
  residentId,
  kind: 'resident',
  state,
  boundAt: '2026-01-01T00:00:00.000Z',
  changedAt: '2026-01-01T00:00:00.000Z',
});
const CARDS = new Map([
  ['04A1B2C3', card('04A1B2C3', 'r-1')],
  ['04LOST00', card('04LOST00', 'r-1', 'lost')],
]);

async function open(dir: string) {
  const records = await RecordLog.open({ dir: join(dir, 'records'), house: 'h1', clock: () => 'unsynced' });
  const term = new FakeTerminal();
  const svc = await PaymentService.open({
    records,
    snapshots: await SnapshotStore.open(join(dir, 'snapshots')),
    terminal: (id) => (id === 'pos-1' ? term : undefined),
    residentExists: (id) => id === 'r-1',
    tokens: { get: () => undefined, issue: async (id) => `token-${id}` },
    backoff: { initialMs: 5, maxMs: 20 },
  });
  await svc.start();
  const accounts = new AccountPayments({
    payments: svc,
    isReader: (id) => (id === 'reader-1' ? true : id === 'pos-1' ? false : undefined),
    card: (uid) => CARDS.get(uid),
    tapTimeoutMs: 300,
  });
  accounts.start();
  return { svc, accounts, records };
}

function until(svc: PaymentService, id: string, state: Payment['state']): Promise<Payment> {
  return new Promise((resolve) => {
    const check = () => {
      const p = svc.get(id);
      if (p?.state === state) {
        svc.off('change', check);
        resolve(p);
      }
    };
    svc.on('change', check);
    check();
  });
}

const tap = (uid: string) => ({ type: 'card.tapped' as const, ts: new Date().toISOString(), uid });

t.test('top-up, spend, no funds, bad cards, timeout; the balance from records', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'acct-'));
  const { svc, accounts, records } = await open(dir);
  const top = await svc.create({
    amountFen: 5000,
    item: 'top-up',
    deviceId: 'pos-1',
    residentId: 'r-1',
    idempotencyKey: 'k-top-00001',
  });
  await until(svc, top.payment.id, 'approved');
  t.equal(svc.balance('r-1'), 5000);

  t.notOk(accounts.tap('reader-1', tap('04A1B2C3')), 'a tap with nothing waiting is not taken');
  const spend = await accounts.create({
    amountFen: 3000,
    item: 'canteen',
    readerId: 'reader-1',
    idempotencyKey: 'k-spend-001',
  });
  t.equal(spend.payment.state, 'waiting-card');
  await t.rejects(
    accounts.create({ amountFen: 1, item: 'canteen', readerId: 'reader-1', idempotencyKey: 'k-spend-002' }),
    { code: 'TERMINAL_BUSY' },
  );
  t.ok(accounts.tap('reader-1', tap('04A1B2C3')));
  const paid = await until(svc, spend.payment.id, 'approved');
  t.equal(paid.residentId, 'r-1');
  t.ok(paid.receipt, 'a receipt');
  t.equal(svc.balance('r-1'), 2000);

  const tooMuch = await accounts.create({
    amountFen: 3000,
    item: 'canteen',
    readerId: 'reader-1',
    idempotencyKey: 'k-spend-003',
  });
  accounts.tap('reader-1', tap('04A1B2C3'));
  t.match(await until(svc, tooMuch.payment.id, 'declined'), { code: 'NOFUNDS' });
  t.equal(svc.balance('r-1'), 2000, 'never below zero');

  for (const [i, uid] of ['04LOST00', '04FFFFFF'].entries()) {
    const bad = await accounts.create({
      amountFen: 1,
      item: 'canteen',
      readerId: 'reader-1',
      idempotencyKey: `k-bad-00${i}`,
    });
    accounts.tap('reader-1', tap(uid));
    t.match(await until(svc, bad.payment.id, 'declined'), { code: 'CARD' }, uid);
  }
  const late = await accounts.create({
    amountFen: 1,
    item: 'canteen',
    readerId: 'reader-1',
    idempotencyKey: 'k-late-001',
  });
  t.match(await until(svc, late.payment.id, 'declined'), { code: 'TIMEOUT' });

  await t.rejects(
    accounts.create({
      amountFen: 1,
      item: 'utility-bill',
      readerId: 'reader-1',
      idempotencyKey: 'k-item-001',
    }),
    { code: 'PAYMENT_INVALID' },
  );
  await t.rejects(
    accounts.create({ amountFen: 1, item: 'canteen', readerId: 'pos-1', idempotencyKey: 'k-item-002' }),
    { code: 'PAYMENT_INVALID' },
  );
  await t.rejects(svc.void(paid.id), { code: 'NOT_VOIDABLE' }, 'an account spend is never voided');
  accounts.stop();
  await svc.close();
  await records.close();

  // The balance is derived again from the snapshot and the records after it.
  const again = await open(dir);
  t.equal(again.svc.balance('r-1'), 2000);
  t.same(
    again.svc.state.accounts['r-1']?.map((e) => e.amountFen),
    [5000, -3000],
  );
  again.accounts.stop();
  await again.svc.close();
  await again.records.close();
});
