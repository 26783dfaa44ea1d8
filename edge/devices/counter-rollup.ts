import type { DeviceCounters } from '../api/types.js';
import type { DeviceHealth } from './device-health.js';

export interface CounterRecord {
  deviceId: string;
  /** Start and end of the window, ISO UTC. */
  from: string;
  to: string;
  /** What happened in the window (not since start). */
  events: number;
  errors: number;
  reconnects: number;
}

/**
 * Rolls each device's counters up into one `device.counters` record per window (an hour in the
 * field) instead of a record per heartbeat (DESIGN.md: the `device` stream holds state changes
 * and hourly counters). Windows are aligned to multiples of the period since the epoch, so
 * hourly windows start on the hour; a quiet device writes nothing.
 */
export class CounterRollup {
  private readonly last = new Map<string, DeviceCounters>();
  private timer: NodeJS.Timeout | undefined;
  private windowStart: number;

  constructor(
    private readonly health: DeviceHealth,
    private readonly deviceIds: () => readonly string[],
    private readonly write: (r: CounterRecord) => Promise<unknown>,
    private readonly periodMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  start(): void {
    const schedule = () => {
      const t = this.now();
      const next = Math.floor(t / this.periodMs) * this.periodMs + this.periodMs;
      this.timer = setTimeout(() => {
        this.flush()
          .catch((err: unknown) => this.onError(err))
          .finally(schedule);
      }, next - t);
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes one record per device whose counters moved since the last window. */
  async flush(): Promise<void> {
    const from = new Date(this.windowStart).toISOString();
    this.windowStart = this.now();
    const to = new Date(this.windowStart).toISOString();
    const writes: Promise<unknown>[] = [];
    for (const id of this.deviceIds()) {
      const c = this.health.get(id)?.counters;
      if (!c) continue;
      const prev = this.last.get(id) ?? { events: 0, errors: 0, reconnects: 0 };
      const delta = {
        events: c.events - prev.events,
        errors: c.errors - prev.errors,
        reconnects: c.reconnects - prev.reconnects,
      };
      this.last.set(id, { ...c });
      if (delta.events === 0 && delta.errors === 0 && delta.reconnects === 0) continue;
      writes.push(this.write({ deviceId: id, from, to, ...delta }));
    }
    await Promise.all(writes);
  }
}
