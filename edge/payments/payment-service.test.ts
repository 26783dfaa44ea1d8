import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RecordLog } from '../store/record-log.js';
import { SnapshotStore } from '../store/snapshot-store.js';
import { FakeTerminal } from './fake-terminal.js';
import type { Payment } from './payment-model.js';
import { PaymentService } from './payment-service.js';
import { receiptDigest } from './receipt-tokens.js';

// The service's query timers are unref'd (they never hold a daemon open): keep this process alive.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

interface Opened {
  svc: PaymentService;
  records: RecordLog;
  tokens: Map<string, string>;
}

async function open(
  dir: string,
  terminals: Record<string, FakeTerminal>,
  tokens = new Map<string, string>(),
) {
  const records = await RecordLog.open({ dir: join(dir, 'records'), house: 'h1', clock: () => 'unsynced' });
  const snapshots = await SnapshotStore.open(join(dir, 'snapshots'));
  const svc = await PaymentService.open({
    records,
    snapshots,
    terminal: (id) => (id === 'reader-1' ? null : terminals[id]),
    residentExists: (id) => id === 'r-1',
    tokens: {
      get: (id) => tokens.get(id),
      issue: async (id) => {
        const tok = tokens.get(id) ?? `tok-${id}-0123456789abcdef`;
        tokens.set(id, tok);
        return tok;
      },
    },
    backoff: { initialMs: 5, maxMs: 20 },
  });
  await svc.start();
  return { svc, records, tokens } satisfies Opened;
}

/** Resolves once payment `id` is in `state` (after its record is on disk). */
function reaches(svc: PaymentService, id: string, state: Payment['state']): Promise<Payment> {
  return new Promise((resolve) => {
    const check = (p: Payment) => {
      if (p.id === id && p.state === state) {
        svc.off('change', check);
        resolve(p);
      }
    };
    svc.on('change', check);
    const now = svc.get(id);
    if (now) check(now);
  });
}

async function types(records: RecordLog): Promise<string[]> {
  const out: string[] = [];
  for await (const { record } of records.read(1, 'payment')) out.push(record.type);
  return out;
}

const sale = (key: string, extra: Partial<{ amountFen: number; item: string; residentId: string }> = {}) => ({
  amountFen: 1234,
  item: 'utility-bill',
  deviceId: 'pos-1',
  idempotencyKey: key,
  ...extra,
});

t.test('approved: created on disk, sent at the ACK, approved with a receipt digest', async (t) => {
  const term = new FakeTerminal();
  const { svc, records, tokens } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const { payment, created } = await svc.create(sale('key-00000001'));
  t.ok(created);
  t.match(payment.ref, /^[0-9A-Z]{12}$/);
  const p = await reaches(svc, payment.id, 'approved');
  t.same(
    p.history.map((h) => h.state),
    ['created', 'sent', 'approved'],
  );
  t.equal(p.maskedPan, '621700******1234');
  t.equal(p.receipt?.digest, receiptDigest(tokens.get(p.id) as string));
  t.same(await types(records), ['payment.created', 'payment.sent', 'payment.approved']);
  t.same(term.salesTaken, [payment.ref]);
  await svc.close();
  await records.close();
});

t.test('declined: the code and text of the terminal', async (t) => {
  const term = new FakeTerminal();
  term.script.push('decline');
  const { svc, records } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const { payment } = await svc.create(sale('key-00000002'));
  const p = await reaches(svc, payment.id, 'declined');
  t.equal(p.code, '51');
  await svc.close();
  await records.close();
});

t.test('a lost result: unknown (timeout), then the query approves it; never sent twice', async (t) => {
  const term = new FakeTerminal();
  term.script.push('lose');
  const { svc, records } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const { payment } = await svc.create(sale('key-00000003'));
  const p = await reaches(svc, payment.id, 'approved');
  t.same(
    p.history.map((h) => h.state),
    ['created', 'sent', 'unknown', 'approved'],
  );
  t.equal(p.unknownReason, 'timeout');
  t.same(term.salesTaken, [payment.ref], 'one S only');
  await svc.close();
  await records.close();
});

t.test('link down before the ACK: unknown (link-down); NF from the query declines it', async (t) => {
  const term = new FakeTerminal();
  term.script.push('no-ack', 'no-ack-taken');
  const { svc, records } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const first = await svc.create(sale('key-00000004'));
  const p = await reaches(svc, first.payment.id, 'declined');
  t.equal(p.code, 'NF');
  t.equal(p.unknownReason, 'link-down');
  const second = await svc.create(sale('key-00000005'));
  const q = await reaches(svc, second.payment.id, 'approved');
  t.equal(q.history.at(-1)?.state, 'approved', 'the terminal had taken it: approved via the query');
  await svc.close();
  await records.close();
});

t.test('idempotency, busy and offline terminals', async (t) => {
  const term = new FakeTerminal();
  term.script.push('hold');
  const { svc, records } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const a = await svc.create(sale('key-00000006'));
  const again = await svc.create(sale('key-00000006'));
  t.equal(again.payment.id, a.payment.id);
  t.notOk(again.created);
  await t.rejects(svc.create(sale('key-00000006', { amountFen: 99 })), { code: 'IDEMPOTENCY_MISMATCH' });
  await t.rejects(svc.create(sale('key-00000007')), { code: 'TERMINAL_BUSY' });
  await t.rejects(svc.create({ ...sale('key-00000008'), deviceId: 'nope' }), { code: 'NOT_FOUND' });
  await t.rejects(svc.create(sale('key-00000009', { item: 'top-up' })), { code: 'PAYMENT_INVALID' });
  term.finish(a.payment.ref, '00');
  await reaches(svc, a.payment.id, 'approved');
  term.online = false;
  await t.rejects(svc.create(sale('key-00000010')), { code: 'TERMINAL_OFFLINE' });
  t.equal(svc.byKey('key-00000010'), undefined, 'nothing recorded for a refused sale');
  await svc.close();
  await records.close();
});

t.test('void: approved → voided once; a top-up credits and its void debits', async (t) => {
  const term = new FakeTerminal();
  const { svc, records } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const { payment } = await svc.create(
    sale('key-00000011', { item: 'top-up', residentId: 'r-1', amountFen: 5000 }),
  );
  await reaches(svc, payment.id, 'approved');
  t.equal(svc.balance('r-1'), 5000);
  const v = await svc.void(payment.id);
  t.equal(v.state, 'voided');
  t.equal(v.receipt?.state, 'voided');
  t.equal(svc.balance('r-1'), 0);
  await t.rejects(svc.void(payment.id), { code: 'NOT_VOIDABLE' });
  await svc.close();
  await records.close();
});

t.test('a crash while sent: at start it is unknown (edge-restart), queried, final', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pay-'));
  const term = new FakeTerminal();
  term.script.push('hold');
  const first = await open(dir, { 'pos-1': term });
  const { payment } = await first.svc.create(sale('key-00000012'));
  await reaches(first.svc, payment.id, 'sent');
  // The edge dies: no close, no snapshot; the terminal finishes the sale on its own.
  await first.records.close();
  term.finish(payment.ref, '00');
  const second = await open(dir, { 'pos-1': term }, first.tokens);
  const p = await reaches(second.svc, payment.id, 'approved');
  t.same(
    p.history.map((h) => h.state),
    ['created', 'sent', 'unknown', 'approved'],
  );
  t.equal(p.unknownReason, 'edge-restart');
  t.same(term.salesTaken, [payment.ref]);
  const again = await second.svc.create(sale('key-00000012'));
  t.equal(again.payment.id, payment.id, 'the idempotency key survived the restart');
  await second.svc.close();
  await second.records.close();
});

t.test('staff ask now: an unknown payment is queried at once; only unknown ones', async (t) => {
  const term = new FakeTerminal();
  term.script.push('lose');
  term.queriesFail = true;
  const { svc, records } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const { payment } = await svc.create(sale('key-00000013'));
  await reaches(svc, payment.id, 'unknown');
  term.queriesFail = false;
  const p = await svc.queryNow(payment.id);
  t.equal(p.state, 'approved');
  await t.rejects(svc.queryNow(payment.id), { code: 'NOT_QUERYABLE' });
  await svc.close();
  await records.close();
});

t.test('a top-up already spent is not voided', async (t) => {
  const term = new FakeTerminal();
  const { svc, records } = await open(await mkdtemp(join(tmpdir(), 'pay-')), { 'pos-1': term });
  const { payment } = await svc.create(
    sale('key-00000014', { item: 'top-up', residentId: 'r-1', amountFen: 800 }),
  );
  await reaches(svc, payment.id, 'approved');
  await svc.commit('account.debited', { residentId: 'r-1', payment: 'some-spend', amountFen: 500 });
  await t.rejects(svc.void(payment.id), { code: 'NOT_VOIDABLE' });
  t.equal(svc.balance('r-1'), 300);
  await svc.close();
  await records.close();
});
