import { EventEmitter } from 'node:events';
import type { DeviceStatusEvent, DeviceView } from '../api/types.js';
import type { DeviceRow } from '../state/edge-state.js';

/**
 * Runtime health of one device, as the API shows it (in memory; status changes also become
 * `device` records). A set `hb` means the device is supervised by heartbeat.
 */
export type DeviceHealthState = Pick<
  DeviceView,
  'online' | 'lastSeen' | 'offlineReason' | 'counters' | 'hb' | 'fw' | 'battery'
>;

export interface HealthOptions {
  /** Intervals a device may miss before it is marked offline (default 3). */
  misses: number;
  /** Milliseconds per heartbeat second: 1000 in the field, less in tests. */
  scaleMs: number;
  now?: () => number;
}

export const DEFAULT_HEARTBEAT_S = 60;

/**
 * Online/offline and counters for every registered device. MQTT devices are online from their
 * status birth until their will, a disconnect or missed heartbeats; serial and PC/SC devices
 * follow their link; a kiosk follows its event stream. Emits `status` on every change.
 */
export class DeviceHealth extends EventEmitter<{
  status: [DeviceStatusEvent];
  battery: [{ deviceId: string; pct: number }];
}> {
  private readonly states = new Map<string, DeviceHealthState>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: HealthOptions) {
    super();
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    const every = Math.max(20, Math.floor(this.opts.scaleMs / 2));
    this.timer = setInterval(() => this.checkHeartbeats(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  track(device: DeviceRow): void {
    if (!this.states.has(device.id)) {
      this.states.set(device.id, {
        online: false,
        lastSeen: null,
        offlineReason: 'never seen',
        counters: { events: 0, errors: 0, reconnects: 0 },
      });
    }
  }

  forget(deviceId: string): void {
    this.states.delete(deviceId);
  }

  get(deviceId: string): DeviceHealthState | undefined {
    return this.states.get(deviceId);
  }

  onlineCount(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.online) n++;
    return n;
  }

  /** A `status` message from an MQTT device (birth, or its will with online false). */
  reportStatus(
    deviceId: string,
    status: { online: boolean; fw?: string; battery?: number; hb?: number },
  ): void {
    const s = this.states.get(deviceId);
    if (!s) return;
    if (status.fw !== undefined) s.fw = status.fw;
    if (status.battery !== undefined) {
      s.battery = status.battery;
      this.emit('battery', { deviceId, pct: status.battery });
    }
    if (status.online) {
      s.hb = status.hb ?? s.hb ?? DEFAULT_HEARTBEAT_S;
      this.seen(deviceId);
    } else {
      this.setOffline(deviceId, 'device reported offline');
    }
  }

  /** Link state of a device the edge drives itself (serial, PC/SC) or a kiosk's stream. */
  reportLink(deviceId: string, online: boolean, reason?: string): void {
    const s = this.states.get(deviceId);
    if (!s) return;
    if (online) {
      if (s.lastSeen !== null && !s.online) s.counters.reconnects++;
      this.seen(deviceId);
    } else {
      this.setOffline(deviceId, reason ?? 'link down');
    }
  }

  /** Holds a device to a heartbeat every `hbS` seconds (a serial panel announces none: its protocol fixes it). */
  supervise(deviceId: string, hbS: number): void {
    const s = this.states.get(deviceId);
    if (s) s.hb = hbS;
  }

  /** An MQTT device's connection closed. */
  disconnected(deviceId: string): void {
    this.setOffline(deviceId, 'disconnected');
  }

  /** Any sign of life: an event, a heartbeat, a birth. Brings a device back online. */
  seen(deviceId: string): void {
    const s = this.states.get(deviceId);
    if (!s) return;
    s.lastSeen = new Date(this.now()).toISOString();
    if (!s.online) {
      s.online = true;
      delete s.offlineReason;
      this.announce(deviceId, s);
    }
  }

  countEvent(deviceId: string): void {
    const s = this.states.get(deviceId);
    if (s) s.counters.events++;
  }

  countError(deviceId: string): void {
    const s = this.states.get(deviceId);
    if (s) s.counters.errors++;
  }

  private setOffline(deviceId: string, reason: string): void {
    const s = this.states.get(deviceId);
    if (!s) return;
    const changed = s.online || s.offlineReason !== reason;
    s.online = false;
    s.offlineReason = reason;
    if (changed) this.announce(deviceId, s);
  }

  private checkHeartbeats(): void {
    const now = this.now();
    const missed = `missed ${this.opts.misses} heartbeats`;
    for (const [id, s] of this.states) {
      if (s.hb === undefined || s.lastSeen === null || s.offlineReason === missed) continue;
      const deadline = Date.parse(s.lastSeen) + s.hb * this.opts.misses * this.opts.scaleMs;
      // Also a device already offline (disconnected, its will): staying silent is the fault.
      if (now > deadline) this.setOffline(id, missed);
    }
  }

  private announce(deviceId: string, s: DeviceHealthState): void {
    this.emit('status', {
      deviceId,
      online: s.online,
      lastSeen: s.lastSeen,
      ...(s.offlineReason ? { offlineReason: s.offlineReason } : {}),
    });
  }
}
