/**
 * SerialLink against serialport's mock binding (the far side of the boundary). The binding is
 * wrapped only to observe what the link asks of it and to pull the cable (a read that fails).
 */

import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPortMock } from 'serialport';
import t from 'tap';
import type { LinkState } from '../device-events.js';
import { backoffDelay, describePortError, SerialLink, type SerialLinkOptions } from './serial-link.js';

type MockPort = Awaited<ReturnType<typeof SerialPortMock.binding.open>>;
type OpenOptions = Parameters<typeof SerialPortMock.binding.open>[0];

const mock = SerialPortMock.binding;
const LINE = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
let nextPath = 0;

/** The mock binding, recording every open attempt and able to unplug the last opened port. */
function observedBinding(openDelayMs = 0) {
  const attempts: { at: number; options: OpenOptions }[] = [];
  const ports: MockPort[] = [];
  let unplug: ((error: Error) => void) | undefined;
  const binding = {
    ...mock,
    async open(options: OpenOptions): Promise<MockPort> {
      attempts.push({ at: Date.now(), options });
      if (openDelayMs > 0) await sleep(openDelayMs);
      const port = await mock.open(options);
      const read = port.read.bind(port);
      const unplugged = new Promise<never>((_, reject) => {
        unplug = reject;
      });
      unplugged.catch(() => {}); // observed through the race below
      port.read = (buffer, offset, length) => Promise.race([read(buffer, offset, length), unplugged]);
      ports.push(port);
      return port;
    },
  };
  return { binding, attempts, ports, unplug: (error: Error) => unplug?.(error) };
}

function linkFor(path: string, extra: Partial<SerialLinkOptions> = {}): SerialLink {
  return new SerialLink({ path, ...LINE, backoff: { initialMs: 20, maxMs: 80 }, ...extra });
}

async function next(emitter: EventEmitter, accept: (s: LinkState) => boolean, ms = 2000): Promise<LinkState> {
  for await (const [state] of EventEmitter.on(emitter, 'link', { signal: AbortSignal.timeout(ms) })) {
    if (accept(state as LinkState)) return state as LinkState;
  }
  throw new Error('no link event');
}

t.afterEach(() => mock.reset());

t.test('the constructor does nothing; start() opens with exactly the given line settings', async (t) => {
  const path = `/dev/mock${nextPath++}`;
  mock.createPort(path);
  const seen = observedBinding();
  const link = linkFor(path, {
    binding: seen.binding,
    baudRate: 19200,
    dataBits: 7,
    parity: 'even',
    stopBits: 2,
  });
  const states: LinkState[] = [];
  link.on('link', (s) => states.push(s));
  await sleep(30);
  t.equal(seen.attempts.length, 0, 'nothing opened by the constructor');
  t.same(states, []);
  await link.start();
  t.match(seen.attempts[0]?.options, { path, baudRate: 19200, dataBits: 7, parity: 'even', stopBits: 2 });
  t.same(states, [{ online: true }]);
  t.equal(link.online, true);
  await link.stop();
  t.same(states, [{ online: true }, { online: false, reason: 'stopped' }]);
});

t.test(
  'absent port: start() resolves offline, retries with backoff, comes online when it appears',
  async (t) => {
    const path = `/dev/mock${nextPath++}`;
    const seen = observedBinding();
    const link = linkFor(path, {
      binding: seen.binding,
      backoff: { initialMs: 20, maxMs: 80 },
      random: () => 1,
    });
    const states: LinkState[] = [];
    link.on('link', (s) => states.push(s));
    t.teardown(() => link.stop());
    await link.start();
    t.equal(states.length, 1);
    t.equal(states[0]?.online, false);
    t.match(states[0]?.reason, /Port does not exist/);
    await sleep(400);
    t.equal(states.length, 1, 'the same failure is reported once, not at every retry');
    const gaps = seen.attempts.slice(1).map((a, i) => a.at - (seen.attempts[i]?.at ?? 0));
    t.ok(seen.attempts.length >= 4, `${seen.attempts.length} attempts`);
    t.ok(gaps[0] !== undefined && gaps[0] >= 15 && gaps[0] < 200, `first retry after ~20 ms (${gaps[0]})`);
    t.ok(
      gaps.slice(3).every((g) => g >= 70),
      `later retries capped at ~80 ms: ${gaps.join(',')}`,
    );
    const online = next(link, (s) => s.online);
    mock.createPort(path);
    t.same(await online, { online: true });
    t.equal(link.reconnects, 0, 'a first connection is not a reconnection');
  },
);

t.test('bytes read are emitted; write() resolves once written', async (t) => {
  const path = `/dev/mock${nextPath++}`;
  mock.createPort(path);
  const seen = observedBinding();
  const link = linkFor(path, { binding: seen.binding });
  t.teardown(() => link.stop());
  await link.start();
  const data = new Promise<Buffer>((resolve) => link.once('data', resolve));
  seen.ports[0]?.emitData(Buffer.from('hello\r\n'));
  t.same(await data, Buffer.from('hello\r\n'));
  await link.write(Buffer.from([0x02, 0x00, 0x03]));
  t.same(seen.ports[0]?.lastWrite, Buffer.from([0x02, 0x00, 0x03]));
});

t.test('a pulled cable: offline with a reason, then reconnects and counts it', async (t) => {
  const path = `/dev/mock${nextPath++}`;
  mock.createPort(path);
  const seen = observedBinding();
  const link = linkFor(path, { binding: seen.binding });
  t.teardown(() => link.stop());
  await link.start();
  const offline = next(link, (s) => !s.online);
  seen.unplug(new Error('device reports readiness to read but returned no data'));
  const state = await offline;
  t.match(state.reason, /^disconnected: /);
  await t.rejects(link.write(Buffer.from('x')), /offline/, 'write() rejects while offline');
  const online = next(link, (s) => s.online);
  t.same(await online, { online: true });
  t.equal(link.reconnects, 1);
  const data = new Promise<Buffer>((resolve) => link.once('data', resolve));
  seen.ports[1]?.emitData('again');
  t.same(await data, Buffer.from('again'), 'data flows on the new connection');
});

t.test('stop() cancels the retries and a connection being opened', async (t) => {
  const absent = observedBinding();
  const link = linkFor(`/dev/mock${nextPath++}`, { binding: absent.binding });
  await link.start();
  await link.stop();
  const attempts = absent.attempts.length;
  await sleep(150);
  t.equal(absent.attempts.length, attempts, 'no attempt after stop()');

  const path = `/dev/mock${nextPath++}`;
  mock.createPort(path);
  const slow = observedBinding(50);
  const opening = linkFor(path, { binding: slow.binding });
  const states: LinkState[] = [];
  opening.on('link', (s) => states.push(s));
  const started = opening.start();
  await opening.stop();
  await started;
  await sleep(20);
  t.same(states, [], 'never reported online');
  t.equal(slow.ports[0]?.isOpen, false, 'the port opened late was closed');
});

t.test('backoffDelay: exponential, capped, jittered between 50% and 100%', async (t) => {
  const b = { initialMs: 100, maxMs: 1000 };
  t.same(
    [0, 1, 2, 3, 4, 50].map((n) => backoffDelay(b, n, () => 0.999999)),
    [100, 200, 400, 800, 1000, 1000],
  );
  t.same(
    [0, 1, 4].map((n) => backoffDelay(b, n, () => 0)),
    [50, 100, 500],
  );
});

t.test('describePortError gives plain reasons', async (t) => {
  const p = '/dev/ttyUSB0';
  t.equal(
    describePortError(new Error('Error: No such file or directory, cannot open /dev/ttyUSB0'), p),
    'ENOENT: no such port /dev/ttyUSB0',
  );
  t.equal(
    describePortError(new Error('Error: Permission denied, cannot open x'), p),
    'EACCES: permission denied on /dev/ttyUSB0',
  );
  t.equal(
    describePortError(new Error('Error Resource temporarily unavailable Cannot lock port'), p),
    'EBUSY: /dev/ttyUSB0 is in use',
  );
  t.equal(
    describePortError(Object.assign(new Error('bad file descriptor'), { disconnected: true }), p),
    'disconnected: bad file descriptor',
  );
  t.equal(describePortError('odd', p), 'odd');
});
