/**
 * The cloud's receipt page from synced payment records (docs/payments.md): found by the token's
 * digest, the newest record wins (a void after the approval), nothing of the resident shown,
 * unknown and malformed tokens get a 404 page. On PGlite and PostgreSQL alike.
 */
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { rec, TestCloud, targets } from './test-cloud.js';

await requirePostgres();
const databases = new TestDatabases('receipt');
t.teardown(() => databases.dropAll());

const token = randomBytes(16).toString('base64url');
const digest = createHash('sha256').update(token).digest('hex');
const receipt = {
  digest,
  item: 'utility-bill',
  amountFen: 12345,
  maskedPan: '621700******1234',
  at: '2026-12-02T02:30:00.000Z',
  state: 'approved',
};

for (const target of targets(databases)) {
  t.test(target.name, async (t) => {
    const { db } = await target.open();
    t.teardown(() => db.close());
    const cloud = await TestCloud.start(db);
    t.teardown(() => cloud.close());
    const get = async (url: string) => {
      const r = await cloud.app.inject({ method: 'GET', url });
      return { status: r.statusCode, raw: r.body, headers: r.headers };
    };
    const edge = await cloud.register({ name: `幸福里 ${randomBytes(2).toString('hex')}` });
    const payment = '01900000-0000-7000-8000-000000000001';
    await cloud.sync(edge, [
      rec(edge, 'payment', 1, 'payment.created', {
        payment,
        ref: 'A1B2C3D4E5F6',
        kind: 'sale',
        item: 'top-up',
        amountFen: 12345,
        deviceId: 'pos-1',
        residentId: 'r-secret-17',
        idempotencyKey: 'k-12345678',
      }),
      rec(edge, 'payment', 2, 'payment.approved', {
        payment,
        ref: 'A1B2C3D4E5F6',
        amountFen: 12345,
        maskedPan: '621700******1234',
        authCode: 'A1',
        traceNo: '000001',
        batchNo: '000001',
        terminalTime: '20261202103000',
        via: 'result',
        receipt,
      }),
    ]);
    const page = await get(`/p/receipt/${token}`);
    t.equal(page.status, 200);
    t.match(page.raw, /¥123\.45/);
    t.match(page.raw, /水电费/);
    t.match(page.raw, /621700\*\*\*\*\*\*1234/);
    t.match(page.raw, /2026\/12\/02 10:30:00/, 'house time (UTC+8)');
    t.match(page.raw, /支付成功/);
    t.match(page.raw, /幸福里/);
    t.notMatch(page.raw, /r-secret-17/, 'no resident id');
    t.match(String(page.headers['content-security-policy']), /default-src 'none'/);

    await cloud.sync(edge, [
      rec(edge, 'payment', 3, 'payment.voided', {
        payment,
        ref: 'A1B2C3D4E5F6',
        traceNo: '000002',
        terminalTime: '20261202104000',
        receipt: { ...receipt, state: 'voided', at: '2026-12-02T02:40:00.000Z' },
      }),
    ]);
    const voided = await get(`/p/receipt/${token}`);
    t.match(voided.raw, /已撤销/, 'the newest record wins');

    const unknown = await get(`/p/receipt/${randomBytes(16).toString('base64url')}`);
    t.equal(unknown.status, 404);
    const malformed = await get('/p/receipt/%3Cscript%3E');
    t.equal(malformed.status, 404);
  });
}
