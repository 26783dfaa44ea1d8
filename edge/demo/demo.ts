import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { QrScannerSimulator } from '../../firmware-bridge/qr-scanner/simulator.js';
import { hasSocat, type PtyPair, ptyPair } from '../../firmware-bridge/sim/pty-pair.js';
import { deviceTopic } from '../broker/topics.js';
import type { EdgeConfig } from '../config/config.js';
import type { NewDevice } from '../devices/device-registry.js';
import type { RunningEdge } from '../edge.js';
import { startHelpDemo } from './demo-help.js';
import { DEMO_TERMINAL, startPaymentsDemo } from './demo-payments.js';
import { startPointsDemo } from './demo-points.js';

/** What the demo's scanners read, in turn: a badge link, a grid-cell code, a service code, a barcode. */
const DEMO_SCANS: { text: string; aim?: string }[] = [
  { text: 'https://linli.example/p/badge/demo-0001', aim: 'Q1' },
  { text: '网格 GRID-0417 幸福里小区 3栋2单元', aim: 'Q1' },
  { text: 'LINLI:SERVICE:canteen-lunch', aim: 'Q1' },
  { text: '6901234567892', aim: 'E0' },
];

const SCAN_EVERY_MS = 15_000;
const FIRST_SCAN_MS = 3_000;
const HEARTBEAT_S = 30;

/**
 * Demo mode (LINLI_DEMO=1): registers a kiosk screen, two QR scanners (and the help, points and
 * payment devices of demo-*.ts) and drives them with the real simulators — a serial scanner on a socat pty pair (when socat is installed) and a wireless
 * MQTT scanner with heartbeats — so the pages show live devices. Returns the stop function.
 */
export async function startDemo(
  edge: RunningEdge,
  config: Readonly<EdgeConfig>,
  log: Logger,
): Promise<() => Promise<void>> {
  const dlog = log.child({ part: 'demo' });
  const register = async (d: NewDevice) => {
    // Credentials are shown only at registration, so the demo registers its devices afresh.
    if (edge.registry.get(d.id)) await edge.registry.remove(d.id);
    return edge.registry.register(d);
  };
  const timers: NodeJS.Timeout[] = [];
  const stops: (() => Promise<void>)[] = [];

  const kiosk = await register({ id: 'kiosk-lobby', type: 'kiosk', transport: 'http', name: '大厅自助终端' });
  // The kiosk is told its bank terminal in its link (kiosk-ui/src/kiosk/pay-devices.ts); the demo
  // has one when socat can make its pty pair.
  const socat = await hasSocat();
  const pos = socat ? `?pos=${DEMO_TERMINAL}` : '';
  process.stderr.write(`linli-edge demo: kiosk screen: ${edge.httpUrl}/kiosk/${pos}#token=${kiosk.token}\n`);
  process.stderr.write(`linli-edge demo: admin page:   ${edge.httpUrl}/admin/ (user admin)\n`);

  let pty: PtyPair | undefined;
  if (socat) {
    pty = await ptyPair(join(config.dataDir, 'demo-tty', 'qr'));
    const p = pty;
    await register({
      id: 'qr-lobby',
      type: 'qr-scanner',
      transport: 'serial',
      name: '大厅扫码枪',
      path: p.a,
      baudRate: 9600,
    });
    const sim = new QrScannerSimulator({
      path: p.b,
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
    });
    await sim.open();
    let i = 0;
    const scanNext = () => {
      const s = DEMO_SCANS[i++ % DEMO_SCANS.length] as (typeof DEMO_SCANS)[number];
      sim
        .scan(s.text, s.aim ? { aim: s.aim } : {})
        .catch((err: unknown) => dlog.warn({ err }, 'demo serial scan failed'));
    };
    timers.push(setTimeout(scanNext, FIRST_SCAN_MS), setInterval(scanNext, SCAN_EVERY_MS));
    stops.push(async () => {
      await sim.close().catch(() => undefined);
      await p.kill();
    });
  } else {
    dlog.warn('socat is not installed: the demo has no serial scanner (apt-get install socat)');
  }

  const wifi = await register({ id: 'qr-wifi', type: 'qr-scanner', transport: 'mqtt', name: '无线扫码器' });
  const url = edge.mqttUrl;
  const client: MqttClient = await mqtt.connectAsync(url, {
    username: 'qr-wifi',
    password: wifi.password as string,
    clientId: 'qr-wifi',
    protocolVersion: 4,
    will: {
      topic: deviceTopic('qr-wifi', 'status'),
      payload: Buffer.from('{"online":false}'),
      retain: true,
      qos: 1,
    },
  });
  const now = () => new Date().toISOString();
  await client.publishAsync(
    deviceTopic('qr-wifi', 'status'),
    JSON.stringify({ online: true, ts: now(), fw: 'demo-1.0', hb: HEARTBEAT_S }),
    {
      retain: true,
      qos: 1,
    },
  );
  let hbSeq = 0;
  let j = 1;
  timers.push(
    setInterval(() => {
      client
        .publishAsync(
          deviceTopic('qr-wifi', 'evt'),
          JSON.stringify({ type: 'heartbeat', ts: now(), seq: hbSeq++ }),
          { qos: 1 },
        )
        .catch(() => undefined);
    }, HEARTBEAT_S * 1000),
    setInterval(() => {
      const s = DEMO_SCANS[j++ % DEMO_SCANS.length] as (typeof DEMO_SCANS)[number];
      const evt = { type: 'qr.scanned', ts: now(), text: s.text, ...(s.aim ? { symbology: s.aim } : {}) };
      client
        .publishAsync(deviceTopic('qr-wifi', 'evt'), JSON.stringify(evt), { qos: 1 })
        .catch(() => undefined);
    }, SCAN_EVERY_MS * 2),
  );
  stops.push(async () => {
    await client.endAsync().catch(() => undefined);
  });
  stops.push(await startHelpDemo(edge, config.dataDir, pty !== undefined, register, dlog));
  stops.push(await startPointsDemo(edge, config.dataDir, pty !== undefined, register, dlog));
  stops.push(await startPaymentsDemo(config.dataDir, pty !== undefined, register, dlog));
  for (const t of timers) t.unref();
  dlog.info(
    {
      devices: [
        'kiosk-lobby',
        pty ? 'qr-lobby' : undefined,
        'qr-wifi',
        pty ? DEMO_TERMINAL : undefined,
      ].filter(Boolean),
    },
    'demo devices running',
  );

  return async () => {
    for (const t of timers) clearTimeout(t);
    for (const s of stops) await s();
  };
}
