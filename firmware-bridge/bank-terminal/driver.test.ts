/**
 * The bank terminal driver against its simulator over a real socat pty pair. Timings are scaled
 * down by configuration: an ACK timeout of 300 ms stands for 2 s, a result timeout of 2.5 s for
 * 90 s, prompts take 20 ms instead of seconds. Every fault of the simulator is met here.
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import type { LinkState } from '../device-events.js';
import { BankTerminalDriver, type BankTerminalDriverOptions, EcrError } from './driver.js';
import type { BankTerminalEvent } from './events.js';
import { BankTerminalSimulator, type BankTerminalSimulatorOptions } from './simulator.js';

const LINE = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
const LINK = { ackTimeoutMs: 300, maxSends: 3, duplicateWindowMs: 900 };
const TIMINGS = { ...LINK, resultTimeoutMs: 2500, queryTimeoutMs: 1500 };
const NOW = Date.parse('2026-03-01T08:00:00.000Z');
const TS = '2026-03-01T08:00:00.000Z';
const LOCAL = '20260301160000'; // NOW in the house's zone, UTC+8
const PAN = '621700*********1234';

let refs = 0;
const newRef = () => `RF${String(++refs).padStart(10, '0')}`;

async function next<T>(
  emitter: EventEmitter,
  event: string,
  accept: (v: T) => boolean = () => true,
  ms = 3000,
) {
  for await (const [value] of EventEmitter.on(emitter, event, {
    signal: AbortSignal.timeout(ms),
  }) as AsyncIterable<[T]>) {
    if (accept(value)) return value;
  }
  throw new Error(`no ${event}`);
}

async function errorOf(promise: Promise<unknown>): Promise<EcrError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!(error instanceof EcrError)) throw error;
  return error;
}

function driverFor(path: string, extra: Partial<BankTerminalDriverOptions> = {}): BankTerminalDriver {
  return new BankTerminalDriver({
    ...{ deviceId: 'bank-1', path, ...LINE, backoff: { initialMs: 50, maxMs: 400 } },
    ...{ timings: TIMINGS, now: () => NOW, ...extra },
  });
}

function simFor(path: string, extra: Partial<BankTerminalSimulatorOptions> = {}): BankTerminalSimulator {
  return new BankTerminalSimulator({
    ...{ path, ...LINE, balanceFen: 100_000, cardNumber: '6217000000000001234' },
    ...{ delays: { cardMs: 20, pinMs: 20, hostMs: 20 }, link: LINK, now: () => NOW, utcOffsetMinutes: 480 },
    ...extra,
  });
}

const skip = await skipWithoutSocat();

t.test('bank terminal over a socat pty pair', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-bank-'));
  const pair = await ptyPair(dir);
  const driver = driverFor(pair.a);
  const sim = simFor(pair.b);
  const events: BankTerminalEvent[] = [];
  const links: LinkState[] = [];
  driver.on('event', (e) => events.push(e));
  driver.on('link', (s) => links.push(s));
  t.teardown(async () => {
    await sim.close();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await driver.start();
  await sim.open();
  const ofRef = (ref: string) => events.filter((e) => 'ref' in e && e.ref === ref);

  t.test('an approved sale: the prompts in order, then the result', async (t) => {
    const ref = newRef();
    const result = await driver.sale(ref, 12_345, '水费 2026年3月');
    t.same(result, {
      ...{ type: 'terminal.result', ts: TS, ref, code: '00', amountFen: 12_345, maskedPan: PAN },
      ...{ authCode: result.authCode, traceNo: '000001', batchNo: '000001', text: '交易成功' },
      ...{ outcome: 'approved', terminalTime: LOCAL },
    });
    t.match(result.authCode, /^\d{6}$/);
    t.same(
      ofRef(ref).map((e) => (e.type === 'terminal.prompt' ? e.prompt : e.type)),
      ['请刷卡或插卡', '请输入密码', '交易处理中，请稍候', 'terminal.result'],
      'prompts passed through, in order, before the result',
    );
    t.equal(sim.ledger.balanceFen, 100_000 - 12_345);
    t.same(links, [{ online: true }]);
  });

  t.test('declines: insufficient funds, any code by fault, cancelled without a card', async (t) => {
    sim.ledger.balanceFen = 500;
    const short = await driver.sale(newRef(), 501, '');
    t.match(short, { code: '51', outcome: 'declined', maskedPan: PAN, authCode: '' });
    t.equal(sim.ledger.balanceFen, 500, 'nothing taken');
    sim.faults.decline.count = 1;
    sim.faults.declineCode = '55';
    t.match(await driver.sale(newRef(), 100, ''), { code: '55', outcome: 'declined', text: '密码错误' });
    sim.faults.decline.count = 1;
    sim.faults.declineCode = 'C';
    const ref = newRef();
    t.match(await driver.sale(ref, 100, ''), { code: 'C', outcome: 'cancelled', maskedPan: '', traceNo: '' });
    t.equal(ofRef(ref).filter((e) => e.type === 'terminal.prompt').length, 1, 'only the card prompt');
    sim.faults.decline.count = 1;
    sim.faults.declineCode = 'Q7';
    t.match(await driver.sale(newRef(), 100, ''), { code: 'Q7', outcome: 'declined', text: '交易被拒绝' });
    sim.ledger.balanceFen = 100_000;
  });

  t.test('a repeated S with a known ref: the same result, never a second sale', async (t) => {
    const ref = newRef();
    const first = await driver.sale(ref, 2000, '');
    const { salesStarted, repeatedSales } = sim.stats;
    const balance = sim.ledger.balanceFen;
    const again = await driver.sale(ref, 2000, '');
    t.same({ ...again, ts: first.ts }, first, 'the same result');
    t.equal(sim.stats.salesStarted, salesStarted, 'no second sale');
    t.equal(sim.stats.repeatedSales, repeatedSales + 1);
    t.equal(sim.ledger.balanceFen, balance, 'no second charge');
  });

  t.test('a corrupted frame from the terminal: NAK, resent, nothing lost or doubled', async (t) => {
    const ref = newRef();
    const naks = driver.counters.naksSent;
    sim.faults.corrupt.count = 2; // the first prompt, and its first resend
    const result = await driver.sale(ref, 300, '');
    t.equal(result.code, '00');
    t.equal(driver.counters.naksSent, naks + 2, 'NAK for each corrupted frame');
    t.equal(sim.stats.resends >= 2, true, `the terminal resent (${sim.stats.resends})`);
    t.equal(ofRef(ref).filter((e) => e.type === 'terminal.prompt').length, 3, 'each prompt once');
  });

  t.test("the terminal's ACK lost: the edge resends S, the terminal takes it once", async (t) => {
    const ref = newRef();
    const resends = driver.counters.resends;
    const { salesStarted, duplicates } = sim.stats;
    sim.faults.dropAck.count = 1;
    t.equal((await driver.sale(ref, 400, '')).code, '00');
    t.equal(driver.counters.resends, resends + 1, 'S sent twice');
    t.equal(sim.stats.salesStarted, salesStarted + 1, 'one sale');
    t.equal(sim.stats.duplicates, duplicates + 1, 'the resend recognised');
    t.equal(ofRef(ref).filter((e) => e.type === 'terminal.result').length, 1, 'one result');
  });

  t.test('no ACK at all: no-ack after 3 sends, the link down, up again at the next answer', async (t) => {
    const ref = newRef();
    sim.faults.dropIn.count = 3;
    const down = next<LinkState>(driver, 'link', (s) => !s.online);
    const error = await errorOf(driver.sale(ref, 100, ''));
    t.equal(error.code, 'no-ack');
    t.equal(error.reachedTerminal, 'maybe');
    t.match(await down, { online: false, reason: /no ACK after 3 sends/ });
    t.equal(driver.online, false);
    const up = next<LinkState>(driver, 'link', (s) => s.online);
    t.match(await driver.query(ref), { code: 'NF', outcome: 'not-found' }, 'the terminal never saw the sale');
    t.same(await up, { online: true });
  });

  t.test('a lost result: no result event, the call times out, a query finds it approved', async (t) => {
    const ref = newRef();
    sim.faults.loseResult.count = 1;
    const balance = sim.ledger.balanceFen;
    const error = await errorOf(driver.sale(ref, 700, ''));
    t.equal(error.code, 'timeout');
    t.equal(error.reachedTerminal, 'yes');
    t.same(
      ofRef(ref).filter((e) => e.type === 'terminal.result'),
      [],
      'no result event',
    );
    t.equal(sim.ledger.balanceFen, balance - 700, 'yet the card was charged');
    const found = await driver.query(ref);
    t.match(found, { ref, code: '00', outcome: 'approved', amountFen: 700, maskedPan: PAN });
  });

  t.test('a result delayed past the timeout still arrives as an event', async (t) => {
    const ref = newRef();
    sim.faults.resultDelayMs = TIMINGS.resultTimeoutMs + 300;
    const error = await errorOf(driver.sale(ref, 100, ''));
    t.equal(error.code, 'timeout');
    const late = await next<BankTerminalEvent>(driver, 'event', (e) => e.type === 'terminal.result', 5000);
    t.match(late, { ref, code: '00' });
    sim.faults.resultDelayMs = 0;
  });

  t.test('a hung sale: PD to a query; after a power cycle NF, and the card never charged', async (t) => {
    const ref = newRef();
    sim.faults.noResult.count = 1;
    const balance = sim.ledger.balanceFen;
    t.equal((await errorOf(driver.sale(ref, 900, ''))).code, 'timeout');
    t.match(await driver.query(ref), { code: 'PD', outcome: 'in-progress', amountFen: 900 });
    const busy = await driver.sale(newRef(), 100, '');
    t.match(busy, { code: 'TB', outcome: 'declined' }, 'a hung terminal refuses another sale');
    await sim.powerCycle(50);
    t.match(await driver.query(ref), { code: 'NF' }, 'forgotten');
    t.equal(sim.ledger.balanceFen, balance);
  });

  t.test('power cycle mid-sale: forgotten; power cycle after a lost approval: still approved', async (t) => {
    const approved = newRef();
    await driver.sale(approved, 1000, '');
    const cut = newRef();
    const sale = errorOf(driver.sale(cut, 2000, ''));
    await next<BankTerminalEvent>(driver, 'event', (e) => e.type === 'terminal.prompt' && e.ref === cut);
    await sim.powerCycle(300);
    t.equal((await sale).code, 'timeout', 'the sale in progress never answers');
    t.match(await driver.query(cut), { code: 'NF' }, 'the sale in progress is forgotten');
    t.match(await driver.query(approved), { code: '00' }, 'the approved sale is kept');

    const lost = newRef();
    sim.faults.loseResult.count = 1;
    t.equal((await errorOf(driver.sale(lost, 3000, ''))).code, 'timeout');
    await sim.powerCycle(50);
    t.match(await driver.query(lost), { code: '00', amountFen: 3000 }, 'approved, then power cycled: kept');
  });

  t.test('a query while the terminal is off: no-ack; the link comes back with it', async (t) => {
    const off = sim.powerCycle(3 * LINK.ackTimeoutMs + 500);
    const error = await errorOf(driver.query(newRef()));
    t.equal(error.code, 'no-ack');
    await off;
    t.match(await driver.query(newRef()), { code: 'NF' });
    t.equal(driver.online, true);
  });

  t.test('void, then settlement totals that match the terminal to the fen', async (t) => {
    const voided = newRef();
    await driver.sale(voided, 555, '');
    const balance = sim.ledger.balanceFen;
    const vr = await driver.void(voided);
    t.match(vr, { type: 'terminal.void', ref: voided, code: '00', traceNo: /^\d{6}$/, terminalTime: LOCAL });
    t.equal(sim.ledger.balanceFen, balance + 555, 'credited back');
    t.same(await driver.void(voided), { ...vr, ts: TS }, 'a repeated void: the same answer');
    t.match(await driver.query(voided), { code: 'VD', outcome: 'voided' });
    t.match(await driver.void(newRef()), { code: 'NF' });

    const expected = sim.totals().open;
    const approved = sim.ledger.sales().filter((s) => s.state === 'approved');
    t.equal(expected.count, approved.length);
    t.equal(
      expected.totalFen,
      approved.reduce((sum, s) => sum + s.amountFen, 0),
    );
    const tr = await driver.settle();
    t.same(tr, { type: 'terminal.settlement', ts: TS, ...expected });
    t.same(sim.totals().settled, [expected]);
    t.match(await driver.void(approved[0]?.ref ?? ''), { code: '12' }, 'no void after settlement');
    const second = await driver.settle();
    t.same(second, { type: 'terminal.settlement', ts: TS, batchNo: '000002', count: 0, totalFen: 0 });
    t.equal(sim.totals().settled.length, 2, 'a second T on purpose is a second settlement, not a resend');
  });

  t.test('bad arguments and a request already waiting are refused before anything is sent', async (t) => {
    const sent = driver.counters.framesSent;
    const cases: [Promise<unknown>, string][] = [
      [driver.sale('short', 100, ''), 'invalid'],
      [driver.sale(newRef(), 0, ''), 'invalid'],
      [driver.sale(newRef(), 1.5, ''), 'invalid'],
      [driver.sale(newRef(), 100, 'a|b'), 'invalid'],
      [driver.query('lower-case12'), 'invalid'],
    ];
    for (const [promise, code] of cases) {
      const error = await errorOf(promise);
      t.equal(error.code, code, error.message);
      t.equal(error.reachedTerminal, 'no');
    }
    const ref = newRef();
    const first = driver.sale(ref, 100, '');
    t.equal((await errorOf(driver.sale(ref, 100, ''))).code, 'busy');
    await first;
    t.equal(driver.counters.framesSent, sent + 1);
    const settle = driver.settle();
    t.equal((await errorOf(driver.settle())).code, 'busy');
    await settle;
  });

  t.test('killing socat: the sale waiting fails link-lost; back online, the books are intact', async (t) => {
    const ref = newRef();
    sim.faults.resultDelayMs = 5000;
    const sale = errorOf(driver.sale(ref, 100, ''));
    await next<BankTerminalEvent>(
      driver,
      'event',
      (e) => e.type === 'terminal.prompt' && e.prompt === '交易处理中，请稍候',
    );
    // Pull the cable while the line is idle: a read that starts just after socat dies gets 0
    // bytes from the hung-up pty, forever, and serialport then never reports the close.
    await sleep(100);
    const offline = next<LinkState>(driver, 'link', (s) => !s.online);
    await pair.kill();
    t.equal((await sale).code, 'link-lost');
    t.match(await offline, { online: false });
    t.equal((await errorOf(driver.query(ref))).code, 'offline');
    sim.faults.resultDelayMs = 0;
    const online = next<LinkState>(driver, 'link', (s) => s.online);
    await pair.restart();
    await online;
    await sim.open();
    await sleep(50);
    t.match(await driver.query(ref), { code: '00' }, 'approved while the cable was out');
    t.equal(driver.counters.reconnects, 1);
  });
});

t.test('start() with no port: offline, and a sale is refused as never sent', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-bank-'));
  const driver = driverFor(join(dir, 'ttyA'));
  t.teardown(async () => {
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const first = next<LinkState>(driver, 'link');
  await driver.start();
  t.match(await first, { online: false, reason: /^ENOENT/ });
  const error = await errorOf(driver.sale(newRef(), 100, ''));
  t.equal(error.code, 'offline');
  t.equal(error.reachedTerminal, 'no');
});
