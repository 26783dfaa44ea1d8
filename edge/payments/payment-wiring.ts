/**
 * Starts the payments and connects them to the world: the bank terminal drivers the device
 * registry runs (edge/devices/device-drivers.ts), the receipt tokens on disk, and the screens
 * (SSE `payment` with the view on every change, `payment.prompt` as the terminal's text arrives).
 */
import type { Logger } from 'pino';
import { EcrError } from '../../firmware-bridge/bank-terminal/ecr-error.js';
import type { DeviceDrivers } from '../devices/device-drivers.js';
import type { DeviceIntake } from '../devices/device-intake.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { SseHub } from '../events/sse-hub.js';
import type { CardRow } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { AccountPayments } from './account-payments.js';
import type { Payment } from './payment-model.js';
import { PaymentService } from './payment-service.js';
import { type PaymentView, paymentView } from './payment-view.js';
import { ReceiptTokens } from './receipt-tokens.js';
import { scheduleSettlement } from './settle-schedule.js';
import { SettlementService } from './settlement-service.js';
import type { TerminalPort } from './terminal-port.js';

export interface PaymentWiring {
  dataDir: string;
  records: RecordLog;
  snapshots: SnapshotStore;
  registry: DeviceRegistry;
  drivers: DeviceDrivers;
  residentExists: (id: string) => boolean;
  /** The bound card with this UID (account spends). */
  card: (uid: string) => CardRow | undefined;
  /** Card taps come through here; a reader waiting for an account payment takes its tap. */
  intake: DeviceIntake;
  tapTimeoutMs: number;
  sse: SseHub;
  publicBase: () => string;
  backoff: { initialMs: number; maxMs: number };
  /** Daily settlement at this house time (`HH:MM`), in `tz`; '' never. */
  settleAt: string;
  tz: string;
  now?: () => number;
  log: Logger;
}

export interface Payments {
  service: PaymentService;
  tokens: ReceiptTokens;
  settlements: SettlementService;
  accounts: AccountPayments;
  view(p: Payment): PaymentView;
  stop(): Promise<void>;
}

/** A registered terminal whose driver is not running: offline, every call fails before the wire. */
const NOT_RUNNING: TerminalPort = {
  online: false,
  sale: () => Promise.reject(new EcrError('offline', 'terminal driver is not running')),
  query: () => Promise.reject(new EcrError('offline', 'terminal driver is not running')),
  void: () => Promise.reject(new EcrError('offline', 'terminal driver is not running')),
  settle: () => Promise.reject(new EcrError('offline', 'terminal driver is not running')),
  on: () => undefined,
};

export async function startPayments(w: PaymentWiring): Promise<Payments> {
  const log = w.log.child({ part: 'payments' });
  const tokens = await ReceiptTokens.open(w.dataDir);
  const service = await PaymentService.open({
    records: w.records,
    snapshots: w.snapshots,
    terminal: (id) => {
      const d = w.registry.get(id);
      if (!d) return undefined;
      if (d.type !== 'bank-terminal') return null;
      return w.drivers.get(id)?.terminal ?? NOT_RUNNING;
    },
    residentExists: w.residentExists,
    tokens,
    backoff: w.backoff,
    ...(w.now ? { now: w.now } : {}),
  });
  const view = (p: Payment): PaymentView =>
    paymentView(p, {
      prompt: service.prompt(p.id),
      receiptToken: tokens.get(p.id),
      publicBase: w.publicBase(),
      balance: (residentId) => service.balance(residentId),
    });
  service.on('change', (p) => {
    w.sse.publish('payment', view(p));
    // Ids, states and codes only: never a card number, never a resident's name.
    log.info({ paymentId: p.id, ref: p.ref, deviceId: p.deviceId, state: p.state, code: p.code }, 'payment');
  });
  service.on('prompt', (e) => w.sse.publish('payment.prompt', e));
  service.on('failure', ({ id, err }) => log.error({ err, paymentId: id }, 'payment step failed'));
  await service.start();
  const settlements = new SettlementService(service, w.now);
  const accounts = new AccountPayments({
    payments: service,
    isReader: (id) => {
      const d = w.registry.get(id);
      return d === undefined ? undefined : d.type === 'card-reader';
    },
    card: w.card,
    tapTimeoutMs: w.tapTimeoutMs,
    ...(w.now ? { now: w.now } : {}),
  });
  accounts.start();
  // A terminal that stopped acknowledging is asked now and then, so its link comes back by itself.
  const prober = setInterval(
    () => {
      for (const d of w.registry.list()) if (d.type === 'bank-terminal') service.probe(d.id);
    },
    Math.max(w.backoff.initialMs, 200),
  );
  prober.unref();
  w.intake.claim('card.tapped', (deviceId, e) => e.type === 'card.tapped' && accounts.tap(deviceId, e));
  const schedule = scheduleSettlement(
    w.settleAt,
    w.tz,
    async () => {
      for (const d of w.registry.list()) {
        if (d.type !== 'bank-terminal') continue;
        await settlements
          .settle(d.id, 'schedule')
          .then((r) => log.info({ deviceId: d.id, batchNo: r.batchNo, matched: r.matched }, 'settled'))
          .catch((err: unknown) => log.error({ err, deviceId: d.id }, 'daily settlement failed'));
      }
    },
    w.now,
  );
  return {
    service,
    tokens,
    settlements,
    accounts,
    view,
    stop: async () => {
      schedule.stop();
      clearInterval(prober);
      accounts.stop();
      await service.close().catch((err: unknown) => log.error({ err }, 'payments snapshot failed'));
      await tokens.close().catch((err: unknown) => log.error({ err }, 'closing the receipt tokens failed'));
    },
  };
}
