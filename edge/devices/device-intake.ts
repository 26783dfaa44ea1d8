import type { AedesPublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceEvent } from '../../firmware-bridge/device-events.js';
import { parseDeviceTopic } from '../broker/topics.js';
import type { EventBus } from '../events/event-bus.js';
import type { DeviceHealth } from './device-health.js';
import { type PayloadFault, parseDeviceEvent, parseStatus } from './device-payloads.js';
import type { DeviceRegistry } from './device-registry.js';

/** Does what an event means (write a record, raise an alarm…). One handler per event type. */
export type EventHandler = (deviceId: string, event: DeviceEvent) => Promise<void>;

/**
 * Takes an event before its handler when it says so (`true`): a card reader waiting for the tap
 * that pays an account payment takes that tap, and points never see it.
 */
export type EventClaim = (deviceId: string, event: DeviceEvent) => boolean;

export interface IntakeMetrics {
  accepted(type: string): void;
  rejected(reason: string): void;
}

/**
 * Every `status` and `evt` message on the broker comes through here, whether a wireless device
 * published it or the edge's own serial driver did: validated, counted, announced on the bus
 * and handed to the handler for its type. Bad payloads are counted and logged without content.
 */
export class DeviceIntake {
  private readonly handlers = new Map<string, EventHandler>();
  private readonly claims = new Map<string, EventClaim>();

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly health: DeviceHealth,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly metrics: IntakeMetrics,
  ) {}

  on(type: DeviceEvent['type'], handler: EventHandler): void {
    this.handlers.set(type, handler);
  }

  /** Lets `claim` take events of `type` before their handler (one claim per type). */
  claim(type: DeviceEvent['type'], claim: EventClaim): void {
    this.claims.set(type, claim);
  }

  /** Entry point for the broker subscription on `linli/v1/dev/+/+`. */
  onPacket(packet: AedesPublishPacket): void {
    const t = parseDeviceTopic(packet.topic);
    if (!t || t.kind === 'cmd') return;
    const device = this.registry.get(t.deviceId);
    if (!device) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (t.kind === 'status') {
      // The edge authors status for the devices it drives itself and already told health.
      if (device.transport !== 'mqtt') return;
      if (payload.length === 0) return; // a cleared retained message
      const s = parseStatus(payload);
      if (!s.ok) {
        this.reject(t.deviceId, s.reason, s.detail);
        return;
      }
      this.health.reportStatus(t.deviceId, s.value);
      return;
    }
    const e = parseDeviceEvent(payload);
    if (!e.ok) {
      this.reject(t.deviceId, e.reason, e.detail);
      return;
    }
    this.accept(t.deviceId, e.value);
  }

  private accept(deviceId: string, event: DeviceEvent): void {
    this.health.seen(deviceId);
    this.health.countEvent(deviceId);
    this.metrics.accepted(event.type);
    this.bus.emit('device.event', { deviceId, event });
    if (this.claims.get(event.type)?.(deviceId, event)) return;
    const handler = this.handlers.get(event.type);
    if (!handler) return;
    handler(deviceId, event).catch((err: unknown) => {
      this.health.countError(deviceId);
      this.log.error({ err, deviceId, type: event.type }, 'device event handler failed');
    });
  }

  private reject(deviceId: string, reason: PayloadFault, detail?: string): void {
    this.health.countError(deviceId);
    this.metrics.rejected(reason);
    this.log.warn({ deviceId, reason, detail }, 'device payload refused');
  }
}
