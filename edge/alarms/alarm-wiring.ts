import type { Logger } from 'pino';
import type { EdgeBroker } from '../broker/broker.js';
import { alarmTopic, deviceTopic } from '../broker/topics.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { SseHub } from '../events/sse-hub.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { Alarm } from './alarm-model.js';
import { AlarmService } from './alarm-service.js';

export interface AlarmWiring {
  records: RecordLog;
  snapshots: SnapshotStore;
  broker: EdgeBroker;
  sse: SseHub;
  registry: DeviceRegistry;
  escalateMs: number;
  dedupeMs: number;
  maxLevel: () => number;
  log: Logger;
}

/** What a kiosk screen in the public room may show of an alarm: no who, no where. */
export function kioskAlarmView(a: Alarm) {
  return { id: a.id, kind: a.kind, state: a.state, raisedAt: a.raisedAt };
}

/**
 * Opens the alarm service and connects it to the world: the retained topic
 * `linli/v1/edge/alarm/{id}` (cleared when resolved), the screens (SSE `alarm`), and the
 * device's `help.ack` on its command topic once the alarm is on disk.
 */
export async function startAlarms(w: AlarmWiring): Promise<AlarmService> {
  const alarms = await AlarmService.open({
    records: w.records,
    snapshots: w.snapshots,
    escalateMs: w.escalateMs,
    dedupeMs: w.dedupeMs,
    maxLevel: w.maxLevel,
    assignedTo: (id) => w.registry.get(id)?.assignedTo,
  });
  const log = w.log.child({ part: 'alarms' });
  const publish = (topic: string, payload: string, retain: boolean) =>
    w.broker
      .publish(topic, payload, { qos: 1, retain })
      .catch((err: unknown) => log.error({ err, topic }, 'alarm publish failed'));
  alarms.on('change', (a) => {
    void publish(alarmTopic(a.id), a.state === 'resolved' ? '' : JSON.stringify(a), true);
    w.sse.publish('alarm', a);
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
  alarms.start();
  return alarms;
}
