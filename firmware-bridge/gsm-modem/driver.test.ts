/**
 * The GSM modem driver against a real serial peer: a socat pty pair, the modem simulator on one
 * end and the driver on the other. Timeouts are scaled down (a prompt timeout of 300 ms stands for
 * 5 s). Killing socat is a pulled cable; restarting it plugs the modem back in.
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ptyPair, skipWithoutSocat } from '../../test/helpers/pty.js';
import type { LinkState } from '../device-events.js';
import { GsmModemDriver, type GsmModemDriverOptions, ModemError } from './driver.js';
import { GsmModemSimulator } from './simulator.js';

const LINE = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 } as const;
const TIMEOUTS = { commandMs: 300, sendMs: 3000, initRetryMs: 100 };
const NOW = Date.parse('2026-03-01T08:00:00.000Z');
const TO = '+8613800138000';
const INIT = ['AT', 'ATE0', 'AT+CMEE=1', 'AT+CMGF=0'];
/** 120 Chinese characters: two parts (67 + 53). */
const ALARM =
  '【邻里】紧急求助：3号楼2单元501室张奶奶（82岁）按下了求助按钮。请值班人员立即前往查看，并电话联系家属。'
    .repeat(3)
    .slice(0, 120);

/** Resolves with the next `event` emitted by `emitter` that satisfies `accept`; rejects after `ms`. */
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

/** Awaits a promise that must reject with a ModemError, and returns it. */
async function modemError(promise: Promise<unknown>): Promise<ModemError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!(error instanceof ModemError)) throw error;
  return error;
}

function driverFor(path: string, extra: Partial<GsmModemDriverOptions> = {}): GsmModemDriver {
  return new GsmModemDriver({
    deviceId: 'gsm-1',
    path,
    ...LINE,
    backoff: { initialMs: 50, maxMs: 400 },
    timeouts: TIMEOUTS,
    random: () => 0.5,
    now: () => NOW,
    ...extra,
  });
}

const skip = await skipWithoutSocat();

t.test('GSM modem over a socat pty pair', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-gsm-'));
  const pair = await ptyPair(dir);
  const driver = driverFor(pair.a);
  const links: LinkState[] = [];
  driver.on('link', (state) => links.push(state));
  let sim = new GsmModemSimulator({ path: pair.b, ...LINE });
  t.teardown(async () => {
    await sim.close();
    await driver.stop();
    await pair.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await sim.open();
  const online = next<LinkState>(driver, 'link', (s) => s.online);
  await driver.start();
  await online;
  t.same(links, [{ online: true }], 'online once initialised');
  t.same(sim.commands, INIT, 'init: AT, ATE0, AT+CMEE=1, AT+CMGF=0');

  t.test('a 120-character Chinese SMS arrives intact in 2 parts', async (t) => {
    const result = await driver.sendSms(TO, ALARM);
    t.same(result, { parts: 2, messageRefs: [0, 1], sentAt: '2026-03-01T08:00:00.000Z' });
    t.same(sim.sent.at(-1), { to: TO, text: ALARM, parts: 2, ref: 128, messageRefs: [0, 1] });
    t.same(sim.commands.slice(INIT.length), ['AT+CMGF=0', 'AT+CMGS=155', 'AT+CMGS=127']);
    const short = await driver.sendSms('13800138000', '求助');
    t.same(short.parts, 1);
    t.same(sim.sent.at(-1), { to: '13800138000', text: '求助', parts: 1, messageRefs: [2] });
  });

  t.test('signal quality from AT+CSQ', async (t) => {
    t.equal(await driver.signalQuality(), 20);
    sim.rssi = 99;
    t.equal(await driver.signalQuality(), 99, '99: not known');
  });

  t.test('commands run one at a time, in order', async (t) => {
    const before = sim.sent.length;
    const results = await Promise.all([
      driver.sendSms(TO, '第一条'),
      driver.signalQuality(),
      driver.sendSms(TO, ALARM),
      driver.sendSms(TO, '第三条'),
    ]);
    t.same(
      results.map((r) => (typeof r === 'number' ? r : r.parts)),
      [1, 99, 2, 1],
    );
    t.same(
      sim.sent.slice(before).map((s) => s.text),
      ['第一条', ALARM, '第三条'],
    );
  });

  t.test(
    'ERROR, +CMS ERROR: 330, +CME ERROR: 10: typed rejections, log-safe; the next send works',
    async (t) => {
      const cases = [
        [{ kind: 'error' }, 'error', undefined],
        [{ kind: 'cms-error', code: 330 }, 'cms-error', 330],
        [{ kind: 'cme-error', code: 10 }, 'cme-error', 10],
      ] as const;
      for (const [fault, code, modemCode] of cases) {
        sim.setFault(fault, 1);
        const error = await modemError(driver.sendSms(TO, ALARM));
        t.equal(error.code, code, error.message);
        t.equal(error.modemCode, modemCode);
        t.equal(error.partsSent, 0);
        t.equal(error.command, 'AT+CMGS');
        t.notMatch(error.message, /8613800138000|3800|求助|邻里/, 'no number or text in the message');
        t.same((await driver.sendSms(TO, '恢复')).parts, 1, `after ${code}: the next send works`);
      }
    },
  );

  t.test('a failed second part fails the message and says how many parts were sent', async (t) => {
    let cmgs = 0;
    const onCommand = (command: string) => {
      if (command.startsWith('AT+CMGS') && ++cmgs === 2) sim.setFault({ kind: 'cms-error', code: 500 }, 1);
    };
    sim.on('command', onCommand);
    const error = await modemError(driver.sendSms(TO, ALARM));
    sim.off('command', onCommand);
    t.equal(error.code, 'cms-error');
    t.equal(error.partsSent, 1, 'part 1 was accepted: a retry will send it again');
    t.match(error.message, /part 2 of 2/);
  });

  t.test('no prompt: timeout, the modem is initialised again, the next send works', async (t) => {
    sim.setFault({ kind: 'timeout' }, 1);
    const start = Date.now();
    const error = await modemError(driver.sendSms(TO, ALARM));
    const elapsed = Date.now() - start;
    t.equal(error.code, 'timeout', error.message);
    t.ok(elapsed >= 290 && elapsed < 1500, `rejected after ${elapsed} ms`);
    const mark = sim.commands.length;
    t.same((await driver.sendSms(TO, ALARM)).parts, 2);
    t.same(sim.commands.slice(mark, mark + INIT.length), INIT, 're-initialised before the next send');
    t.equal(driver.online, true, 'stayed online: the modem answered the re-initialisation');
  });

  t.test('a slow answer within sendMs succeeds', async (t) => {
    sim.setFault({ kind: 'slow', delayMs: 600 }, 1);
    const start = Date.now();
    t.same((await driver.sendSms(TO, '慢')).parts, 1);
    t.ok(Date.now() - start >= 600, 'waited for the slow network');
  });

  t.test('the modem drops out: timeout, then not ready with a reason; back: online again', async (t) => {
    sim.setFault({ kind: 'drop' }, 1);
    const closed = next(sim, 'close');
    const notReady = next<LinkState>(driver, 'link', (s) => !s.online);
    const error = await modemError(driver.sendSms(TO, '求助'));
    t.equal(error.code, 'timeout', error.message);
    await closed;
    t.match(
      (await notReady).reason,
      /^modem not ready: no answer to AT/,
      'the re-initialisation found nobody',
    );
    t.equal((await modemError(driver.signalQuality())).code, 'not-ready');
    const back = next<LinkState>(driver, 'link', (s) => s.online);
    await sim.open();
    t.same(await back, { online: true });
    t.same((await driver.sendSms(TO, '求助')).parts, 1);
  });

  t.test('a bad recipient rejects with a RangeError that does not quote it', async (t) => {
    const error = await driver.sendSms('138-0013-8000', '求助').catch((e: unknown) => e);
    t.type(error, RangeError);
    t.notMatch((error as Error).message, /138/);
  });

  t.test('socat killed mid-send: link-down; restarted: init runs again and sending works', async (t) => {
    sim.setFault({ kind: 'slow', delayMs: 2000 }, 1);
    const faulted = next(sim, 'fault');
    const sending = modemError(driver.sendSms(TO, ALARM));
    await faulted; // the PDU is with the "network"
    const offline = next<LinkState>(driver, 'link', (s) => !s.online);
    await pair.kill();
    const error = await sending;
    t.equal(error.code, 'link-down', error.message);
    t.match((await offline).reason, /\S/);
    t.equal(driver.online, false);
    t.equal((await modemError(driver.signalQuality())).code, 'link-down', 'while down: link-down at once');

    await sim.close();
    const back = next<LinkState>(driver, 'link', (s) => s.online, 5000);
    await pair.restart();
    sim = new GsmModemSimulator({ path: pair.b, ...LINE });
    await sim.open();
    t.same(await back, { online: true });
    t.same(sim.commands.slice(-INIT.length), INIT, 'the new modem was initialised');
    t.equal(driver.counters.reconnects, 1);
    t.same((await driver.sendSms(TO, ALARM)).parts, 2);
    t.equal(sim.sent.at(-1)?.text, ALARM);
  });

  t.test('stop: link stopped, later calls fail with link-down', async (t) => {
    const stopped = next<LinkState>(driver, 'link', (s) => !s.online);
    await driver.stop();
    t.same(await stopped, { online: false, reason: 'stopped' });
    t.equal((await modemError(driver.sendSms(TO, '求助'))).code, 'link-down');
    t.ok(driver.counters.unsolicited >= 0);
  });
});

t.test(
  'a modem that does not answer: not-ready with a reason, online once it answers',
  { skip },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'linli-gsm-'));
    const pair = await ptyPair(dir);
    const driver = driverFor(pair.a);
    const sim = new GsmModemSimulator({ path: pair.b, ...LINE });
    t.teardown(async () => {
      await sim.close();
      await driver.stop();
      await pair.kill();
      await rm(dir, { recursive: true, force: true });
    });
    const notReady = next<LinkState>(driver, 'link');
    await driver.start(); // nobody on the other end: AT goes unanswered
    const state = await notReady;
    t.equal(state.online, false);
    t.match(state.reason, /^modem not ready: no answer to AT in 300 ms/);
    const error = await modemError(driver.sendSms(TO, '求助'));
    t.equal(error.code, 'not-ready', error.message);

    const online = next<LinkState>(driver, 'link', (s) => s.online);
    await sim.open();
    t.same(await online, { online: true }, 'the init retry found the modem');
    t.same((await driver.sendSms(TO, '求助')).parts, 1);
  },
);
