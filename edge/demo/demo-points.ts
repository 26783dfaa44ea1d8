import { join } from 'node:path';
import type { Logger } from 'pino';
import { SerialCardReaderSimulator } from '../../firmware-bridge/card-reader/serial-simulator.js';
import { ptyPair } from '../../firmware-bridge/sim/pty-pair.js';
import type { NewDevice, Registered } from '../devices/device-registry.js';
import type { RunningEdge } from '../edge.js';

/** Demo party members: id, name, branch, party card UID. */
const MEMBERS = [
  ['m-demo-01', '王建国', '第一党支部', '04A1B2C3'],
  ['m-demo-02', '李秀英', '第一党支部', '04A1B2C4'],
  ['m-demo-03', '刘志强', '第一党支部', '04A1B2C5'],
  ['m-demo-04', '陈海燕', '第二党支部', '04A1B2C6'],
  ['m-demo-05', '杨德胜', '第二党支部', '04A1B2C7'],
] as const;
/** The demo elder's resident card (she is greeted, not credited). */
const ELDER_CARD = '04E1D2C3';
const TAP_EVERY_MS = 20_000;
const FIRST_TAP_MS = 6_000;

/**
 * The demo's party-member points: five members in two branches with party cards, the elder's
 * resident card, goods in the points supermarket, an open 主题党日 session on a serial card reader
 * (socat pty) where members tap in turn — a first tap is credited, a second one is a duplicate —
 * and the elder's card now and then. `linli-sim card --port …/reader.b` taps by hand.
 */
export async function startPointsDemo(
  edge: RunningEdge,
  dataDir: string,
  withPty: boolean,
  register: (d: NewDevice) => Promise<Registered>,
  log: Logger,
): Promise<() => Promise<void>> {
  for (const [id, name, branch] of MEMBERS) {
    if (edge.state.data.residents.some((r) => r.id === id)) continue;
    await edge.residents.create(
      { id, name, roles: ['party-member'], branch, community: '幸福里社区' },
      'demo',
    );
  }
  for (const [id, , , uid] of MEMBERS) {
    if (!edge.cards.get(uid)) await edge.cards.bind({ uid, residentId: id, kind: 'party' }, 'demo');
  }
  if (!edge.cards.get(ELDER_CARD) && edge.state.data.residents.some((r) => r.id === 'r-demo-01'))
    await edge.cards.bind({ uid: ELDER_CARD, residentId: 'r-demo-01', kind: 'resident' }, 'demo');
  for (const g of edge.points.scheme.goods) {
    if (edge.points.ledger.stock(g.id) === 0) await edge.points.restock(g.id, 20, 'demo', '演示进货');
  }
  if (!withPty) return async () => undefined;

  const pty = await ptyPair(join(dataDir, 'demo-tty', 'reader'));
  await register({
    id: 'reader-hall',
    type: 'card-reader',
    transport: 'serial',
    name: '活动室刷卡器',
    path: pty.a,
    baudRate: 9600,
    uidFormat: 'hex',
  });
  if (!edge.points.sessions().some((s) => !s.closedAt && s.readers.includes('reader-hall')))
    await edge.points.openSession('theme-day', ['reader-hall'], 'demo');
  const sim = new SerialCardReaderSimulator({
    path: pty.b,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    uidFormat: 'hex',
  });
  await sim.open();
  const cards = [...MEMBERS.map((m) => m[3] as string), ELDER_CARD];
  let i = 0;
  const tap = () => {
    const uid = cards[i++ % cards.length] as string;
    sim.tap(uid).catch((err: unknown) => log.warn({ err }, 'demo card tap failed'));
  };
  const timers = [setTimeout(tap, FIRST_TAP_MS), setInterval(tap, TAP_EVERY_MS)];
  for (const t of timers) t.unref();
  process.stderr.write(`linli-edge demo: card reader:  npx linli-sim card --uid 04A1B2C3 --port ${pty.b}\n`);
  return async () => {
    for (const t of timers) clearTimeout(t);
    await sim.close().catch(() => undefined);
    await pty.kill();
  };
}
