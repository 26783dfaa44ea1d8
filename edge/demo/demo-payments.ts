/**
 * The demo's bank terminal: with socat, a simulated terminal (`BankTerminalSimulator`, with its
 * card, PIN and host delays) on a pty pair, registered as `pos-lobby`, so the kiosk's pay screens
 * run end to end. Nothing pays by itself: pay on the kiosk, or `POST /api/payments`.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { BankTerminalSimulator } from '../../firmware-bridge/bank-terminal/simulator.js';
import { ptyPair } from '../../firmware-bridge/sim/pty-pair.js';
import type { NewDevice, Registered } from '../devices/device-registry.js';

export const DEMO_TERMINAL = 'pos-lobby';

export async function startPaymentsDemo(
  dataDir: string,
  withPty: boolean,
  register: (d: NewDevice) => Promise<Registered>,
  log: Logger,
): Promise<() => Promise<void>> {
  if (!withPty) {
    log.warn('socat is not installed: the demo has no bank terminal (apt-get install socat)');
    return async () => undefined;
  }
  const pty = await ptyPair(join(dataDir, 'demo-tty', 'pos'));
  const line = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;
  const sim = new BankTerminalSimulator({ path: pty.b, ...line, balanceFen: 1_000_000 });
  await sim.open();
  await register({
    id: DEMO_TERMINAL,
    type: 'bank-terminal',
    transport: 'serial',
    name: '大厅银行卡终端',
    path: pty.a,
    baudRate: line.baudRate,
  });
  sim.on('fault', (what) => log.info({ what }, 'demo terminal fault'));
  return async () => {
    await sim.close().catch(() => undefined);
    await pty.kill();
  };
}
