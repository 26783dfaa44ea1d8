import type { Logger } from 'pino';
import type { EdgeBroker } from '../broker/broker.js';
import { alarmTopic, deviceTopic } from '../broker/topics.js';
import type { DeviceHealth } from '../devices/device-health.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { SseHub } from '../events/sse-hub.js';
import type { EdgeState } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { StateStore } from '../store/state-store.js';
import { type Alarm, kioskAlarmView } from './alarm-model.js';
import { AlarmService, systemClock } from './alarm-service.js';
import { NotificationDispatcher } from './notify/dispatcher.js';
import { alarmText, type Notifier, onDuty } from './notify/notifier.js';
import { SmsNotifier, type SmsSender } from './notify/sms-notifier.js';
import { WebhookNotifier } from './notify/webhook-notifier.js';
import { Supervision } from './supervision.js';

/** A help device reporting this battery level or less raises a technical alarm. */
const LOW_BATTERY_PCT = 20;

export interface AlarmWiring {
  /** The house's GSM modems that can send now. */
  smsModems: () => { id: string; send: SmsSender }[];
  health: DeviceHealth;
  /** A help device not test-pressed for this long raises a technical alarm. */
  testEveryMs: number;
  state: StateStore<EdgeState>;
  tz: string;
  /** First retry of a failed notification after this long; later ones wait longer. */
  notifyRetryMs: number;
  records: RecordLog;
  snapshots: SnapshotStore;
  broker: EdgeBroker;
  sse: SseHub;
  registry: DeviceRegistry;
  escalateMs: number;
  dedupeMs: number;
  /** The record log's clock: alarm times come from records, so due times are reckoned on it. */
  now?: () => number;
  log: Logger;
}

/** Staff's view of an alarm: the elder behind `assignedTo` by name and address (never health notes). */
export function staffAlarmView(
  a: Alarm,
  state: StateStore<EdgeState>,
): Alarm & { who?: { residentId: string; name: string; address?: string } } {
  const r = a.assignedTo ? state.data.residents.find((x) => x.id === a.assignedTo) : undefined;
  return r
    ? { ...a, who: { residentId: r.id, name: r.name, ...(r.address ? { address: r.address } : {}) } }
    : { ...a };
}

/**
 * Opens the alarm service and connects it to the world: the retained topic
 * `linli/v1/edge/alarm/{id}` (cleared when resolved), the screens (SSE `alarm`), and the
 * device's `help.ack` on its command topic once the alarm is on disk.
 */
export async function startAlarms(w: AlarmWiring): Promise<{ alarms: AlarmService; stop(): Promise<void> }> {
  const alarms = await AlarmService.open({
    records: w.records,
    snapshots: w.snapshots,
    escalateMs: w.escalateMs,
    dedupeMs: w.dedupeMs,
    maxLevel: () => Math.max(0, ...w.state.data.duty.map((d) => d.level)),
    assignedTo: (id) => w.registry.get(id)?.assignedTo,
    ...(w.now ? { clock: { ...systemClock, now: w.now } } : {}),
  });
  const log = w.log.child({ part: 'alarms' });
  const publish = (topic: string, payload: string, retain: boolean) =>
    w.broker
      .publish(topic, payload, { qos: 1, retain })
      .catch((err: unknown) => log.error({ err, topic }, 'alarm publish failed'));
  alarms.on('change', (a) => {
    void publish(alarmTopic(a.id), a.state === 'resolved' ? '' : JSON.stringify(a), true);
    // A copy: the replay ring must keep the state as it was at this change.
    w.sse.publish('alarm', structuredClone(staffAlarmView(a, w.state)));
    w.sse.publish('kiosk.alarm', kioskAlarmView(a));
    log.info({ alarmId: a.id, deviceId: a.deviceId, kind: a.kind, state: a.state, level: a.level }, 'alarm');
  });
  alarms.on('ackDevice', ({ deviceId, seq, boot }) => {
    void publish(
      deviceTopic(deviceId, 'cmd'),
      JSON.stringify({ type: 'help.ack', seq, ...(boot !== undefined ? { boot } : {}) }),
      false,
    );
  });
  alarms.on('failure', ({ id, err }) => log.error({ err, alarmId: id }, 'alarm step failed'));

  const webhooks = new Map<string, WebhookNotifier>();
  const channels = (): Notifier[] => [
    ...w.state.data.webhooks.map((t) => {
      const key = JSON.stringify(t);
      const known = webhooks.get(key);
      if (known) return known;
      const n = new WebhookNotifier(t);
      webhooks.set(key, n);
      return n;
    }),
    // One modem is enough to reach the duty phones; the first that can send does.
    ...w
      .smsModems()
      .slice(0, 1)
      .map((m) => new SmsNotifier(m.id, m.send)),
  ];
  const base = w.notifyRetryMs;
  const dispatcher = new NotificationDispatcher(
    channels,
    (alarm, level) => ({
      alarm,
      level,
      recipients: onDuty(w.state.data.duty, level, new Date(), w.tz),
      text: alarmText(staffAlarmView(alarm, w.state), level, w.tz),
    }),
    async (d) => {
      if (d.ok)
        log.info(
          { alarmId: d.id, channel: d.channel, level: d.level, attempts: d.attempts },
          'alarm delivered',
        );
      else
        log.error(
          { alarmId: d.id, channel: d.channel, level: d.level, attempts: d.attempts, error: d.error },
          'alarm delivery failed',
        );
      await alarms.delivery(d);
    },
    [base, base * 2.5, base * 7.5, base * 30],
  );
  alarms.on('notify', ({ alarm, level }) => dispatcher.dispatch(alarm, level));
  alarms.start();

  const supervision = new Supervision({
    devices: () => w.registry.list(),
    alarms: () => alarms.list(),
    raise: (id, reason) => alarms.technical(id, reason),
    lowBatteryPct: LOW_BATTERY_PCT,
    testEveryMs: w.testEveryMs,
    ...(w.now ? { now: w.now } : {}),
  });
  const fault = (err: unknown) => log.error({ err }, 'raising a technical alarm failed');
  w.health.on('status', (s) => supervision.onStatus(s)?.catch(fault));
  w.health.on('battery', ({ deviceId, pct }) => supervision.onBattery(deviceId, pct)?.catch(fault));
  const check = () => supervision.checkTests().catch(fault);
  const testTimer = setInterval(check, Math.min(3600_000, w.testEveryMs));
  testTimer.unref();
  void check();
  return {
    alarms,
    stop: async () => {
      clearInterval(testTimer);
      await alarms.close().catch((err: unknown) => w.log.error({ err }, 'alarm snapshot failed'));
      await dispatcher.stop();
    },
  };
}
