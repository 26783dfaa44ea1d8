import type { Logger } from 'pino';
import type { EdgeBroker } from '../broker/broker.js';
import { deviceTopic } from '../broker/topics.js';
import type { DriverSink } from './device-drivers.js';
import type { DeviceHealth } from './device-health.js';

/**
 * Devices the edge drives itself (serial, later PC/SC) report through the broker exactly like
 * wireless ones: their events on `…/evt`, their link state retained on `…/status`. So one
 * intake handles every device, and an MQTT watcher sees serial devices too.
 */
export function brokerDriverSink(
  broker: EdgeBroker,
  health: DeviceHealth,
  countMalformed: (reason: string) => void,
  log: Logger,
): DriverSink {
  const publish = (deviceId: string, topic: string, payload: unknown, retain: boolean) => {
    broker
      .publish(topic, JSON.stringify(payload), { qos: 1, retain })
      .catch((err: unknown) => log.error({ err, deviceId, topic }, 'publishing a driver message failed'));
  };
  return {
    event: (deviceId, event) => publish(deviceId, deviceTopic(deviceId, 'evt'), event, false),
    link: (deviceId, s) => {
      health.reportLink(deviceId, s.online, s.reason);
      publish(
        deviceId,
        deviceTopic(deviceId, 'status'),
        { online: s.online, ts: new Date().toISOString() },
        true,
      );
      if (!s.online) log.warn({ deviceId, reason: s.reason }, 'device link down');
    },
    supervise: (deviceId, hbS) => health.supervise(deviceId, hbS),
    malformed: (deviceId, reason) => {
      health.countError(deviceId);
      countMalformed(reason);
      log.warn({ deviceId, reason }, 'malformed input from device dropped');
    },
  };
}
