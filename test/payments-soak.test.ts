/**
 * Payments soak (issue 6): the real daemon and four bank terminal simulators on socat ptys, timings
 * scaled down. 1,000 sales spread over the terminals, with 10% of the terminals' frames corrupted,
 * 5% of results lost, a terminal power cycle, two SIGKILLs of the edge (restarted on the same data
 * dir; clients re-send with the same Idempotency-Key) and a double tap. At the end every payment
 * is final, no terminal took a ref twice, and each terminal's settlement matches its own books
 * to the fen.
 */
import { join } from 'node:path';
import t from 'tap';
import { BankTerminalSimulator } from '../firmware-bridge/bank-terminal/simulator.js';
import { api, type EdgeProcess, login, startEdge, tempDir } from './helpers/edge-process.js';
import { type PtyPair, ptyPair, skipWithoutSocat } from './helpers/pty.js';
import { seededRandom } from './helpers/seeded-random.js';

const skip = await skipWithoutSocat();
if (skip) {
  t.plan(0, skip);
  process.exit(0);
}

const SALES = 1000;
const TERMINALS = 4;
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const KILL_AT = [300, 650];
const POWER_CYCLE_AT = 480;
const DOUBLE_TAP_AT = 120;
const FINAL = new Set(['approved', 'declined', 'voided']);
const ENV = {
  LINLI_SERIAL_BACKOFF_MS: '20',
  LINLI_SERIAL_BACKOFF_MAX_MS: '100',
  LINLI_ECR_ACK_TIMEOUT_MS: '200',
  LINLI_ECR_RESULT_TIMEOUT_MS: '800',
  LINLI_ECR_QUERY_TIMEOUT_MS: '500',
  LINLI_PAYMENT_QUERY_BACKOFF_MS: '50',
  LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS: '400',
  LINLI_SETTLE_AT: '',
  LINLI_LOG_LEVEL: 'error',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = await tempDir('linli-soak-');
const dataDir = join(dir, 'data');
const rnd = seededRandom(SEED);

const ptys: PtyPair[] = [];
const sims: BankTerminalSimulator[] = [];
const salesByRef = new Map<string, number>();
const faults = { corrupted: 0, lostResults: 0 };
for (let i = 0; i < TERMINALS; i++) {
  const pty = await ptyPair(join(dir, `pty-${i}`));
  ptys.push(pty);
  const sim = new BankTerminalSimulator({
    path: pty.b,
    baudRate: 115200,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    balanceFen: 1_000_000_000,
    delays: { cardMs: 0, pinMs: 0, hostMs: 0 },
    link: { ackTimeoutMs: 200, maxSends: 3, duplicateWindowMs: 600 },
    faults: { corrupt: { count: 0, rate: 0.1 }, loseResult: { count: 0, rate: 0.05 } },
    random: seededRandom(SEED + i).random,
  });
  sim.on('sale', (s) => salesByRef.set(s.ref, (salesByRef.get(s.ref) ?? 0) + 1));
  sim.on('fault', (what) => {
    if (what.startsWith('corrupted')) faults.corrupted++;
    else if (what.startsWith('lost the result')) faults.lostResults++;
  });
  await sim.open();
  sims.push(sim);
}
t.teardown(async () => {
  for (const s of sims) await s.close().catch(() => undefined);
  for (const p of ptys) await p.kill();
});

let edge: EdgeProcess = await startEdge(ENV, { dataDir });
let token = await login(edge.httpUrl);
/** Set while the edge is down: clients wait for it. */
let restarting: Promise<void> | undefined;
t.teardown(() => edge.stop());

for (let i = 0; i < TERMINALS; i++) {
  const r = await api(edge.httpUrl, token, 'POST', '/api/devices', {
    id: `pos-${i}`,
    type: 'bank-terminal',
    transport: 'serial',
    path: ptys[i]?.a,
    baudRate: 115200,
  });
  if (r.status !== 201) throw new Error(`register: ${r.status}`);
}

/** One HTTP call that outlives a SIGKILL: network errors wait for the edge to be back. */
async function call(method: string, path: string, body?: unknown, key?: string) {
  for (;;) {
    if (restarting !== undefined) await restarting;
    try {
      const res = await fetch(`${edge.httpUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(key ? { 'idempotency-key': key } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
    } catch {
      await sleep(50);
    }
  }
}

let started = 0;
const doubleTaps: { a: number; b: number; same: boolean }[] = [];
const stats = { busy: 0, offline: 0, approved: 0, declined: 0 };
/** Milliseconds from the first POST of a sale to seeing it final. */
const durations: number[] = [];

async function kill(): Promise<void> {
  let done!: () => void;
  restarting = new Promise((r) => {
    done = r;
  });
  await edge.stop('SIGKILL');
  edge = await startEdge(ENV, { dataDir });
  token = await login(edge.httpUrl);
  restarting = undefined;
  done();
}

/** One sale, to the end: re-sent with the same key until the edge has it, then followed until final. */
async function sale(n: number, deviceId: string): Promise<void> {
  const key = `soak-${SEED}-${n}`;
  const t0 = Date.now();
  const body = { amountFen: 1 + rnd.int(50_000), item: 'utility-bill', deviceId };
  let id: string | undefined;
  if (n === DOUBLE_TAP_AT) {
    const [a, b] = await Promise.all([
      call('POST', '/api/payments', body, key),
      call('POST', '/api/payments', body, key),
    ]);
    doubleTaps.push({ a: a.status, b: b.status, same: a.body.id === b.body.id });
  }
  while (id === undefined) {
    const r = await call('POST', '/api/payments', body, key);
    if (r.status === 200 || r.status === 201) id = r.body.id as string;
    else if (r.status === 409) stats.busy++;
    else if (r.status === 503) stats.offline++;
    else throw new Error(`pay: ${r.status} ${JSON.stringify(r.body)}`);
    if (id === undefined) await sleep(20);
  }
  for (;;) {
    const v = await call('GET', `/api/payments/${id}`);
    if (FINAL.has(v.body.state as string)) {
      if (v.body.state === 'approved') stats.approved++;
      else stats.declined++;
      durations.push(Date.now() - t0);
      return;
    }
    await sleep(15);
  }
}

async function terminalClient(i: number): Promise<void> {
  for (;;) {
    const n = started++;
    if (n >= SALES) return;
    if (KILL_AT.includes(n)) await kill();
    if (n === POWER_CYCLE_AT) void sims[0]?.powerCycle(300);
    await sale(n, `pos-${i}`);
  }
}

t.test(`soak: ${SALES} sales on ${TERMINALS} terminals (seed ${SEED})`, async (t) => {
  const t0 = Date.now();
  await Promise.all(Array.from({ length: TERMINALS }, (_, i) => terminalClient(i)));
  t.comment(`sales done in ${Date.now() - t0} ms: ${JSON.stringify({ ...stats, ...faults })}`);
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  t.comment(`sale to final (ms): p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${at(1)}`);
  t.ok(faults.corrupted > 50, `frames corrupted: ${faults.corrupted}`);
  t.ok(faults.lostResults > 20, `results lost: ${faults.lostResults}`);
  t.same(
    doubleTaps,
    [{ a: doubleTaps[0]?.a, b: doubleTaps[0]?.b, same: true }],
    'the double tap is one payment',
  );
  t.same(doubleTaps.flatMap((d) => [d.a, d.b]).sort(), [200, 201]);

  const list = await call('GET', '/api/payments?limit=10000');
  const payments = list.body as unknown as { id: string; ref: string; state: string; deviceId: string }[];
  t.equal(payments.length, SALES, 'one payment per sale');
  t.same(
    payments.filter((p) => !FINAL.has(p.state)),
    [],
    'every payment final',
  );
  t.same(
    [...salesByRef].filter(([, n]) => n > 1),
    [],
    'no terminal took a ref twice',
  );
  t.equal(new Set(payments.map((p) => p.ref)).size, SALES, 'refs are unique');
  t.ok(sims.reduce((s, x) => s + x.stats.powerCycles, 0) === 1, 'one power cycle');

  for (let i = 0; i < TERMINALS; i++) {
    const books = sims[i]?.totals().open;
    const r = await call('POST', '/api/settlements', { deviceId: `pos-${i}` });
    t.equal(r.status, 200, `settlement of pos-${i}: ${JSON.stringify(r.body).slice(0, 300)}`);
    t.equal(r.body.matched, true, `pos-${i} reconciled`);
    t.same(
      r.body.terminal,
      { count: books?.count, totalFen: books?.totalFen },
      `pos-${i}: the terminal's own books`,
    );
    t.same(r.body.edge, r.body.terminal, `pos-${i}: the edge agrees to the fen`);
  }
  t.comment(`soak done in ${Date.now() - t0} ms`);
});
