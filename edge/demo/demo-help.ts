import { join } from 'node:path';
import type { Logger } from 'pino';
import { GsmModemSimulator } from '../../firmware-bridge/gsm-modem/simulator.js';
import { HelpButtonSimulator } from '../../firmware-bridge/help-button/simulator.js';
import { HelpPanelSimulator } from '../../firmware-bridge/help-panel/simulator.js';
import { ptyPair } from '../../firmware-bridge/sim/pty-pair.js';
import type { NewDevice, Registered } from '../devices/device-registry.js';
import type { RunningEdge } from '../edge.js';

const LINE = { dataBits: 8, parity: 'none', stopBits: 1 } as const;

/**
 * The demo's elder help: an elder with a QR badge, a duty roster, the community's numbers, a
 * wireless help button and — with socat — a wired panel and a GSM modem whose SMS are printed.
 * Nothing presses by itself: press the kiosk's red button, or run `linli-sim button`.
 */
export async function startHelpDemo(
  edge: RunningEdge,
  dataDir: string,
  withPty: boolean,
  register: (d: NewDevice) => Promise<Registered>,
  log: Logger,
): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  await edge.state.update((d) => {
    if (d.duty.length === 0) {
      d.duty = [
        { name: '王丽（网格员）', phone: '13800138000', level: 0, from: '08:00', to: '20:00' },
        { name: '赵强（夜班）', phone: '13700137000', level: 0, from: '20:00', to: '08:00' },
        { name: '李主任', phone: '13900139000', level: 1 },
      ];
    }
    if (!d.contacts.community) {
      d.contacts = {
        community: { name: '幸福里社区居委会', phone: '024-88886666' },
        police: { name: '幸福里派出所', phone: '024-87654321' },
      };
    }
  });
  if (!edge.state.data.residents.some((r) => r.id === 'r-demo-01')) {
    await edge.residents.create(
      {
        id: 'r-demo-01',
        name: '张桂兰',
        address: '幸福里 3栋2单元401',
        roles: ['elder'],
        emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13600136000' }],
        healthNotes: '高血压，每日服用硝苯地平；对青霉素过敏（演示数据）',
      },
      'demo',
    );
  }
  const badge = await edge.residents.issueBadge('r-demo-01', 'demo');
  process.stderr.write(
    `linli-edge demo: elder badge:  ${edge.httpUrl}/p/badge/${badge.token} (${badge.code})\n`,
  );

  const button = await register({
    id: 'btn-401',
    type: 'help-button',
    transport: 'mqtt',
    name: '401 张桂兰 一键通',
    assignedTo: 'r-demo-01',
  });
  const sim = new HelpButtonSimulator({
    url: edge.mqttUrl,
    deviceId: 'btn-401',
    password: button.password as string,
    hbMs: 30_000,
    battery: 86,
    fw: 'demo-1.0',
  });
  await sim.open();
  stops.push(() => sim.close());

  if (withPty) {
    const panelPty = await ptyPair(join(dataDir, 'demo-tty', 'panel'));
    await register({
      id: 'panel-hall',
      type: 'help-panel',
      transport: 'serial',
      name: '活动室呼叫面板',
      path: panelPty.a,
      baudRate: 9600,
      assignedTo: '幸福里 活动室',
    });
    const panel = new HelpPanelSimulator({ path: panelPty.b, baudRate: 9600, ...LINE, panelId: 'P1' });
    await panel.open();
    stops.push(async () => {
      await panel.close().catch(() => undefined);
      await panelPty.kill();
    });
    const modemPty = await ptyPair(join(dataDir, 'demo-tty', 'modem'));
    await register({
      id: 'modem-1',
      type: 'gsm-modem',
      transport: 'serial',
      name: '短信猫',
      path: modemPty.a,
      baudRate: 115200,
    });
    const modem = new GsmModemSimulator({ path: modemPty.b, baudRate: 115200, ...LINE });
    modem.on('sms', (m) =>
      log.info({ parts: m.parts, to: `***${m.to.slice(-4)}` }, 'demo modem sent an SMS'),
    );
    await modem.open();
    stops.push(async () => {
      await modem.close().catch(() => undefined);
      await modemPty.kill();
    });
  }
  return async () => {
    for (const s of stops) await s().catch(() => undefined);
  };
}
