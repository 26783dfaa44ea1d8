import type { DeviceStatusEvent } from '../api/types.js';
import type { DeviceRow } from '../state/edge-state.js';
import type { Alarm } from './alarm-model.js';

/** Device types whose health is itself a safety matter: an elder relies on them. */
export const HELP_DEVICE_TYPES = new Set<DeviceRow['type']>(['help-button', 'help-panel']);

export interface SupervisionOptions {
  devices: () => readonly DeviceRow[];
  alarms: () => readonly Alarm[];
  raise: (deviceId: string, reason: string) => Promise<unknown>;
  /** Battery percentage at or below which a technical alarm is raised. */
  lowBatteryPct: number;
  /** A help device not test-pressed for this long raises a technical alarm (weekly checks). */
  testEveryMs: number;
  now?: () => number;
}

/**
 * Supervision of help devices (the elderly-care standard's weekly check, telecare practice):
 * a button or panel that misses its heartbeats, whose battery is low, or that has not been
 * test-pressed for a week raises a technical alarm — lower priority than an SOS, same console.
 */
export class Supervision {
  private readonly now: () => number;

  constructor(private readonly opts: SupervisionOptions) {
    this.now = opts.now ?? Date.now;
  }

  private isHelpDevice(id: string): DeviceRow | undefined {
    const d = this.opts.devices().find((x) => x.id === id);
    return d && HELP_DEVICE_TYPES.has(d.type) ? d : undefined;
  }

  /**
   * A device's online state changed. A wired panel's lost port is a fault at once; a wireless
   * button may drop and rejoin the network, so for it only silence past its missed heartbeats is.
   */
  onStatus(s: DeviceStatusEvent): Promise<unknown> | undefined {
    const d = this.isHelpDevice(s.deviceId);
    if (s.online || !d || !s.offlineReason || s.offlineReason === 'stopped') return undefined;
    const fault = d.transport === 'serial' || /missed \d+ heartbeats/.test(s.offlineReason);
    return fault ? this.opts.raise(s.deviceId, `offline: ${s.offlineReason}`) : undefined;
  }

  onBattery(deviceId: string, pct: number): Promise<unknown> | undefined {
    if (pct > this.opts.lowBatteryPct || !this.isHelpDevice(deviceId)) return undefined;
    return this.opts.raise(deviceId, 'battery low');
  }

  /** Help devices whose last test press (an alarm resolved as `test`) is older than the period. */
  untested(): DeviceRow[] {
    const since = this.now() - this.opts.testEveryMs;
    const lastTest = new Map<string, number>();
    for (const a of this.opts.alarms()) {
      if (a.outcome !== 'test') continue;
      const t = Date.parse(a.raisedAt);
      if (t > (lastTest.get(a.deviceId) ?? 0)) lastTest.set(a.deviceId, t);
    }
    return this.opts
      .devices()
      .filter((d) => HELP_DEVICE_TYPES.has(d.type))
      .filter((d) => Math.max(lastTest.get(d.id) ?? 0, Date.parse(d.createdAt)) < since);
  }

  async checkTests(): Promise<void> {
    const days = Math.round(this.opts.testEveryMs / 86_400_000);
    for (const d of this.untested()) await this.opts.raise(d.id, `no test press for ${days} days`);
  }
}
