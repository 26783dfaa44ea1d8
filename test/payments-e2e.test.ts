/**
 * Bank-card payments through the real daemon and the bank terminal simulator on a socat pty
 * (docs/payments.md): approve, decline, a lost result recovered by `Q`, a double tap with the same
 * Idempotency-Key, a busy terminal, a void, kiosk isolation, and a SIGKILL of the edge mid-sale
 * (the payment ends final after the restart and the terminal saw exactly one sale).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { BankTerminalSimulator } from '../firmware-bridge/bank-terminal/simulator.js';
import { api, type EdgeProcess, login, startEdge, tempDir } from './helpers/edge-process.js';
import { ptyPair, skipWithoutSocat } from './helpers/pty.js';
import { SseClient } from './helpers/sse-client.js';

const skip = await skipWithoutSocat();
if (skip) {
  t.plan(0, skip);
  process.exit(0);
}

interface View {
  id: string;
  ref: string;
  state: string;
  code?: string;
  maskedPan?: string;
  receiptUrl?: string;
  history: { state: string; at: string }[];
}

const ENV = {
  LINLI_SERIAL_BACKOFF_MS: '50',
  LINLI_SERIAL_BACKOFF_MAX_MS: '200',
  LINLI_ECR_ACK_TIMEOUT_MS: '300',
  LINLI_ECR_RESULT_TIMEOUT_MS: '2000',
  LINLI_ECR_QUERY_TIMEOUT_MS: '1000',
  LINLI_PAYMENT_QUERY_BACKOFF_MS: '100',
  LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS: '500',
  LINLI_PUBLIC_URL: 'https://receipts.example.org',
  LINLI_SETTLE_AT: '',
};

const dir = await tempDir();
const pty = await ptyPair(join(dir, 'pty'));
t.teardown(() => pty.kill());
let edge: EdgeProcess = await startEdge(ENV, { dataDir: join(dir, 'data') });
t.teardown(() => edge.stop());
let token = await login(edge.httpUrl);
const sim = new BankTerminalSimulator({
  path: pty.b,
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  balanceFen: 100_000_000,
  delays: { cardMs: 150, pinMs: 0, hostMs: 0 },
  // The terminal's own link, scaled down like the edge's: a frame to a dead edge is given up soon.
  link: { ackTimeoutMs: 300, maxSends: 3, duplicateWindowMs: 900 },
});
await sim.open();
t.teardown(() => sim.close());
const salesByRef = new Map<string, number>();
sim.on('sale', (s) => salesByRef.set(s.ref, (salesByRef.get(s.ref) ?? 0) + 1));

await api(edge.httpUrl, token, 'POST', '/api/devices', {
  id: 'pos-1',
  type: 'bank-terminal',
  transport: 'serial',
  path: pty.a,
  baudRate: 9600,
});
const kioskA = (
  await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'kiosk-a',
    type: 'kiosk',
    transport: 'http',
  })
).body.token;
const kioskB = (
  await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'kiosk-b',
    type: 'kiosk',
    transport: 'http',
  })
).body.token;

async function online(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const d = await api<{ online: boolean }>(edge.httpUrl, token, 'GET', '/api/devices/pos-1');
    if (d.body.online) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('terminal never came online');
}
await online();

async function pay(kiosk: string, key: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${edge.httpUrl}/api/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `linli_kiosk=${kiosk}`, 'idempotency-key': key },
    body: JSON.stringify({ amountFen: 2500, item: 'utility-bill', deviceId: 'pos-1', ...body }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { id: string; ref: string; state: string; code?: string },
  };
}

async function final(id: string): Promise<View> {
  for (let i = 0; i < 600; i++) {
    const v = (await api<View>(edge.httpUrl, token, 'GET', `/api/payments/${id}`)).body;
    if (['approved', 'declined', 'voided'].includes(v.state)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`payment ${id} never became final`);
}

t.test('approved: the kiosk sees prompts and the approval with its receipt link', async (t) => {
  const events = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, {
    cookie: `linli_kiosk=${kioskA}`,
  });
  t.teardown(() => events.close());
  const stranger = await SseClient.connect(`${edge.httpUrl}/api/kiosk/events`, {
    cookie: `linli_kiosk=${kioskB}`,
  });
  t.teardown(() => stranger.close());
  const staffEvents = await SseClient.connect(`${edge.httpUrl}/api/events`, {
    authorization: `Bearer ${token}`,
  });
  t.teardown(() => staffEvents.close());
  const res = await pay(kioskA, randomUUID());
  t.equal(res.status, 201);
  t.match(res.body, { ref: /^[0-9A-Z]{12}$/, state: 'created' });
  const prompt = await events.next(
    (m) => m.event === 'payment.prompt' && (m.data as View).id === res.body.id,
  );
  t.match(prompt.data, { ref: res.body.ref, deviceId: 'pos-1', prompt: String });
  const approved = await events.next(
    (m) =>
      m.event === 'payment' && (m.data as View).id === res.body.id && (m.data as View).state === 'approved',
  );
  const v = approved.data as View;
  t.match(v.maskedPan, /^\d{6}\*+\d{4}$/);
  t.match(v.receiptUrl, /^https:\/\/receipts\.example\.org\/p\/receipt\/[A-Za-z0-9_-]{22,}$/);
  t.same(
    v.history.map((h) => h.state),
    ['created', 'sent', 'approved'],
  );
  const svg = await fetch(`${edge.httpUrl}/api/payments/${v.id}/receipt.svg`, {
    headers: { cookie: `linli_kiosk=${kioskA}` },
  });
  t.equal(svg.status, 200);
  t.match(await svg.text(), /<svg/);
  await staffEvents.next((m) => m.event === 'payment' && (m.data as View).state === 'approved');
  t.same(
    stranger.messages.filter((m) => m.event.startsWith('payment')),
    [],
    "another kiosk hears nothing of this kiosk's payment",
  );
  const receiptToken = (v.receiptUrl as string).split('/').at(-1) as string;
  const page = await fetch(`${edge.httpUrl}/p/receipt/${receiptToken}`);
  t.equal(page.status, 200);
  const html = await page.text();
  t.match(html, /¥25\.00/);
  t.match(html, /水电费/);
  t.match(html, /\d{6}\*+\d{4}/);
  t.match(html, /支付成功/);
  t.equal((await fetch(`${edge.httpUrl}/p/receipt/${'x'.repeat(22)}`)).status, 404);
  const other = await fetch(`${edge.httpUrl}/api/payments/${v.id}`, {
    headers: { cookie: `linli_kiosk=${kioskB}` },
  });
  t.equal(other.status, 404, 'another kiosk does not see it');
});

t.test('declined: the code of the terminal', async (t) => {
  sim.faults.decline = { count: 1, rate: 0 };
  sim.faults.declineCode = '51';
  const res = await pay(kioskA, randomUUID());
  const v = await final(res.body.id);
  t.match(v, { state: 'declined', code: '51' });
});

t.test('a lost result: unknown, recovered by a query, one sale on the terminal', async (t) => {
  sim.faults.loseResult = { count: 1, rate: 0 };
  const res = await pay(kioskA, randomUUID());
  const v = await final(res.body.id);
  t.equal(v.state, 'approved');
  t.ok(
    v.history.some((h) => h.state === 'unknown'),
    'it was unknown first',
  );
  t.equal(salesByRef.get(res.body.ref), 1);
});

t.test(
  'double tap with the same key: one payment, one sale; busy terminal; another body → 422',
  async (t) => {
    const key = randomUUID();
    const [a, b] = await Promise.all([pay(kioskA, key), pay(kioskA, key)]);
    t.same([a.status, b.status].sort(), [200, 201]);
    t.equal(a.body.id, b.body.id);
    const busy = await pay(kioskA, randomUUID());
    t.equal(busy.status, 409);
    t.equal(busy.body.code, 'TERMINAL_BUSY');
    const mismatch = await pay(kioskA, key, { amountFen: 1 });
    t.equal(mismatch.status, 422);
    t.equal(mismatch.body.code, 'IDEMPOTENCY_MISMATCH');
    await final(a.body.id);
    t.equal(salesByRef.get(a.body.ref), 1);
  },
);

t.test('void: approved → voided; again → 409 NOT_VOIDABLE', async (t) => {
  const res = await pay(kioskA, randomUUID());
  await final(res.body.id);
  const v = await api<View>(edge.httpUrl, token, 'POST', `/api/payments/${res.body.id}/void`);
  t.equal(v.status, 200);
  t.equal(v.body.state, 'voided');
  const again = await api<{ code: string }>(edge.httpUrl, token, 'POST', `/api/payments/${res.body.id}/void`);
  t.equal(again.status, 409);
  t.equal(again.body.code, 'NOT_VOIDABLE');
  const list = await api<View[]>(edge.httpUrl, token, 'GET', '/api/payments?state=voided');
  t.same(
    list.body.map((p) => p.id),
    [res.body.id],
  );
});

t.test('settlement: the report matches the terminal to the fen; CSV with a BOM', async (t) => {
  const open = sim.totals().open;
  const res = await api<{
    id: string;
    matched: boolean;
    batchNo: string;
    terminal: { count: number; totalFen: number };
    edge: { count: number; totalFen: number };
  }>(edge.httpUrl, token, 'POST', '/api/settlements', { deviceId: 'pos-1' });
  t.equal(res.status, 200, JSON.stringify(res.body));
  t.equal(res.body.matched, true);
  t.same(res.body.terminal, { count: open.count, totalFen: open.totalFen });
  t.same(res.body.edge, res.body.terminal);
  const settled = sim.totals().settled.at(-1);
  t.equal(settled?.totalFen, res.body.edge.totalFen, "the simulator's own books agree");
  const list = await api<{ id: string }[]>(edge.httpUrl, token, 'GET', '/api/reconciliations');
  t.equal(list.body[0]?.id, res.body.id);
  const csv = await fetch(`${edge.httpUrl}/api/reconciliations/${res.body.id}.csv`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(csv.status, 200);
  const bytes = Buffer.from(await csv.arrayBuffer());
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
});

t.test('the resident-card account: a top-up on the terminal, spends paid by a card tap', async (t) => {
  await api(edge.httpUrl, token, 'POST', '/api/residents', { id: 'r-1', name: '张桂兰', roles: ['elder'] });
  await api(edge.httpUrl, token, 'POST', '/api/cards', {
    uid: '04a1b2c3',
    residentId: 'r-1',
    kind: 'resident',
  });
  const reader = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
    id: 'rd-1',
    type: 'card-reader',
    transport: 'mqtt',
  });
  const c = await mqtt.connectAsync(edge.mqttUrl, {
    username: 'rd-1',
    password: reader.body.password,
    protocolVersion: 4,
  });
  t.teardown(() => c.endAsync());
  const tap = (uid: string) =>
    c.publishAsync(
      'linli/v1/dev/rd-1/evt',
      JSON.stringify({ type: 'card.tapped', ts: new Date().toISOString(), uid }),
      { qos: 1 },
    );
  const top = await pay(kioskA, randomUUID(), { amountFen: 5000, item: 'top-up', residentId: 'r-1' });
  t.equal(top.status, 201);
  t.equal((await final(top.body.id)).state, 'approved');
  const spend = async (amountFen: number) => {
    const res = await fetch(`${edge.httpUrl}/api/account-payments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: `linli_kiosk=${kioskA}`,
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ amountFen, item: 'canteen', readerId: 'rd-1' }),
    });
    const body = (await res.json()) as { id: string; state: string };
    t.equal(res.status, 201);
    t.equal(body.state, 'waiting-card');
    await tap('04A1B2C3');
    return await final(body.id);
  };
  t.match(await spend(3000), { state: 'approved', residentId: 'r-1' });
  t.match(await spend(3000), { state: 'declined', code: 'NOFUNDS' }, 'never below zero');
  const account = await api<{ balanceFen: number; entries: unknown[] }>(
    edge.httpUrl,
    token,
    'GET',
    '/api/accounts/r-1',
  );
  t.equal(account.body.balanceFen, 2000);
  t.equal(account.body.entries.length, 2);
});

t.test('SIGKILL mid-sale: after the restart the payment ends final, one sale on the terminal', async (t) => {
  sim.faults.resultDelayMs = 1500; // the result is on its way while the edge dies
  const res = await pay(kioskA, randomUUID());
  t.equal(res.status, 201);
  for (let i = 0; i < 200; i++) {
    const v = (await api<View>(edge.httpUrl, token, 'GET', `/api/payments/${res.body.id}`)).body;
    if (v.state === 'sent') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(await edge.stop('SIGKILL'), 'SIGKILL');
  sim.faults.resultDelayMs = 0;
  edge = await startEdge(ENV, { dataDir: join(dir, 'data') });
  token = await login(edge.httpUrl);
  const v = await final(res.body.id);
  t.equal(v.state, 'approved');
  t.ok(
    v.history.some((h) => h.state === 'unknown'),
    'unknown (edge-restart) before the query settled it',
  );
  t.equal(salesByRef.get(res.body.ref), 1, 'exactly one sale');
  const again = await pay(kioskA, randomUUID());
  t.equal(again.status, 201, 'the terminal takes new sales after the restart');
  await final(again.body.id);
});
