import { EventEmitter } from 'node:events';
import { v7 } from 'uuid';
import type { HelpPressedEvent } from '../../firmware-bridge/device-events.js';
import { LinliError } from '../errors.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { type Alarm, type AlarmOutcome, type AlarmRecord, applyAlarmRecord, isOpen } from './alarm-model.js';

const SNAPSHOT = 'alarms';
const SNAPSHOT_VERSION = 1;

/** Timers and time, injected so escalation rules run on a fake clock in unit tests. */
export interface AlarmClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: AlarmClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface AlarmServiceOptions {
  records: RecordLog;
  snapshots: SnapshotStore;
  clock?: AlarmClock;
  /** An unacknowledged alarm escalates to the next level after this long (default 60 s). */
  escalateMs: number;
  /** Highest duty level; an alarm at it keeps being re-notified every `escalateMs`. */
  maxLevel: () => number;
  /** Repeats of one press (same device, boot, seq) within this window are the same alarm. */
  dedupeMs: number;
  /** Who or where a device is assigned to. */
  assignedTo: (deviceId: string) => string | undefined;
}

export interface AlarmEvents {
  /** Every change, after its record is on disk. */
  change: [Alarm];
  /** Tell the device its press is safe: after the alarm is on disk, and again for every repeat. */
  ackDevice: [{ deviceId: string; seq: number; boot?: string | number }];
  /** Alert the people at `level` (a new alarm, an escalation). */
  notify: [{ alarm: Alarm; level: number }];
  /** A timer-driven step (escalation) failed; the caller logs it. */
  failure: [{ id: string; err: unknown }];
}

/**
 * The alarm lifecycle (raised → notified → escalated → acknowledged → resolved): every change is
 * a record in stream `alarm` first, then state, then the world hears of it. Mutations run one at
 * a time, so a press and its repeats never race into two alarms. Open alarms survive restarts
 * with their escalation timers (state = snapshot + the records after it).
 */
/** Records read past at start-up beyond which the state is snapshotted at once. */
const RESCAN_SNAPSHOT = 10_000;

export class AlarmService extends EventEmitter<AlarmEvents> {
  private readonly alarms = new Map<string, Alarm>();
  private readonly timers = new Map<string, unknown>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly clock: AlarmClock;
  private stopped = false;

  private constructor(private readonly opts: AlarmServiceOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
  }

  /** Loads the latest snapshot and applies the `alarm` records after it. */
  static async open(opts: AlarmServiceOptions): Promise<AlarmService> {
    const s = new AlarmService(opts);
    const snap = await opts.snapshots.load<Alarm[]>(SNAPSHOT, SNAPSHOT_VERSION);
    for (const a of snap?.state ?? []) s.alarms.set(a.id, a);
    const from = (snap?.lsn ?? 0) + 1;
    for await (const { record } of opts.records.read(from, 'alarm')) {
      applyAlarmRecord(s.alarms, record as unknown as AlarmRecord);
    }
    // A long scan (first start after an upgrade or a crash, or a quiet year): not again next time.
    if (opts.records.lastLsn - from >= RESCAN_SNAPSHOT) await s.snapshot(opts.records.lastLsn);
    return s;
  }

  /** Announces open alarms again (retained topics, screens) and re-arms their escalation timers. */
  start(): void {
    for (const a of this.alarms.values()) {
      if (!isOpen(a)) continue;
      this.emit('change', a);
      this.arm(a);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  /** The journal LSN up to which the saved snapshot covers this state (retention reads it). */
  snapshotCovers(): Promise<number> {
    return this.opts.snapshots.coveredLsn(SNAPSHOT);
  }

  /**
   * Snapshots the state up to the journal's end (retention deletes journal segments only once a
   * snapshot covers them); resolves with the LSN the snapshot covers.
   */
  async checkpoint(): Promise<number> {
    return await this.serial(async () => {
      const lsn = this.opts.records.lastLsn;
      await this.snapshot(lsn);
      return lsn;
    });
  }

  /** Stops, and snapshots up to the journal's end: the next start reads only what comes after. */
  async close(): Promise<void> {
    this.stop();
    await this.serial(() => this.snapshot(this.opts.records.lastLsn));
  }

  /** Resolves once every step queued so far (including timer-driven ones already fired) is done. */
  async idle(): Promise<void> {
    let seen: Promise<unknown> | undefined;
    while (seen !== this.chain) {
      seen = this.chain;
      await seen;
    }
  }

  list(): Alarm[] {
    return [...this.alarms.values()].sort((a, b) => (a.raisedAt < b.raisedAt ? 1 : -1));
  }

  get(id: string): Alarm | undefined {
    return this.alarms.get(id);
  }

  /** A help press (or one of its repeats): exactly one alarm per press, acked once on disk. */
  press(deviceId: string, e: HelpPressedEvent): Promise<Alarm> {
    return this.serial(async () => {
      const dup = this.findPress(deviceId, e);
      if (dup) {
        dup.repeats++;
        this.emit('ackDevice', { deviceId, seq: e.seq, ...(e.boot !== undefined ? { boot: e.boot } : {}) });
        return dup;
      }
      const assignedTo = this.opts.assignedTo(deviceId);
      const press = {
        ts: e.ts,
        seq: e.seq,
        ...(e.boot !== undefined ? { boot: e.boot } : {}),
        ...(e.button ? { button: e.button } : {}),
      };
      const a = await this.commit(
        {
          type: 'alarm.raised',
          body: {
            id: v7(),
            kind: e.key === 'sos' ? 'sos' : 'service',
            deviceId,
            ...(assignedTo ? { assignedTo } : {}),
            press,
          },
        },
        // The press is safe once its record is on disk: ack the device at once.
        () =>
          this.emit('ackDevice', { deviceId, seq: e.seq, ...(e.boot !== undefined ? { boot: e.boot } : {}) }),
      );
      await this.notifyLevel(a, 0);
      this.arm(a);
      return a;
    });
  }

  /** A technical alarm (missed heartbeats, low battery, no test press): one open per device and reason. */
  technical(deviceId: string, reason: string): Promise<Alarm> {
    return this.serial(async () => {
      const open = [...this.alarms.values()].find(
        (a) => isOpen(a) && a.kind === 'technical' && a.deviceId === deviceId && a.reason === reason,
      );
      if (open) return open;
      const assignedTo = this.opts.assignedTo(deviceId);
      const now = new Date(this.clock.now()).toISOString();
      const a = await this.commit({
        type: 'alarm.raised',
        body: {
          id: v7(),
          kind: 'technical',
          deviceId,
          reason,
          ...(assignedTo ? { assignedTo } : {}),
          press: { ts: now, seq: -1 },
        },
      });
      await this.notifyLevel(a, 0);
      return a;
    });
  }

  acknowledge(id: string, by: string): Promise<Alarm> {
    return this.serial(async () => {
      const a = this.mustGet(id);
      if (a.state === 'acknowledged' || a.state === 'resolved') return a;
      this.disarm(id);
      return this.commit({ type: 'alarm.acknowledged', body: { id, by } });
    });
  }

  resolve(id: string, by: string, outcome: AlarmOutcome, note?: string): Promise<Alarm> {
    return this.serial(async () => {
      const a = this.mustGet(id);
      if (a.state === 'resolved') throw new LinliError('ALARM_RESOLVED', `alarm ${id} is already resolved`);
      this.disarm(id);
      return this.commit({ type: 'alarm.resolved', body: { id, by, outcome, ...(note ? { note } : {}) } });
    });
  }

  /** Records a delivery attempt's outcome (a notifier's log), in the alarm stream for the audit. */
  async delivery(body: {
    id: string;
    channel: string;
    level: number;
    ok: boolean;
    attempts: number;
    error?: string;
  }): Promise<void> {
    await this.opts.records.append('alarm', 'alarm.delivery', body);
  }

  private async notifyLevel(a: Alarm, level: number): Promise<void> {
    await this.commit({ type: 'alarm.notified', body: { id: a.id, level, channels: ['duty'] } }, () =>
      this.emit('notify', { alarm: a, level }),
    );
  }

  /** Escalation: due `escalateMs` after the alarm was raised or last escalated. */
  private arm(a: Alarm): void {
    if (this.stopped || a.state === 'acknowledged' || a.state === 'resolved' || a.kind === 'technical')
      return;
    this.disarm(a.id);
    const last = [...a.history].reverse().find((s) => s.action === 'escalated' || s.action === 'raised');
    const due = Date.parse(last?.at ?? a.raisedAt) + this.opts.escalateMs;
    const handle = this.clock.setTimeout(
      () => {
        this.timers.delete(a.id);
        this.escalate(a.id).catch((err: unknown) => this.emit('failure', { id: a.id, err }));
      },
      // Never longer than one period: a clock stepped back (the edge learned the cloud's time)
      // must not hold an escalation back.
      Math.min(this.opts.escalateMs, Math.max(0, due - this.clock.now())),
    );
    this.timers.set(a.id, handle);
  }

  private disarm(id: string): void {
    const t = this.timers.get(id);
    if (t !== undefined) this.clock.clearTimeout(t);
    this.timers.delete(id);
  }

  private escalate(id: string): Promise<unknown> {
    return this.serial(async () => {
      const a = this.alarms.get(id);
      if (!a || this.stopped || a.state === 'acknowledged' || a.state === 'resolved') return;
      const level = Math.min(a.level + 1, Math.max(0, this.opts.maxLevel()));
      await this.commit({ type: 'alarm.escalated', body: { id, level } }, () =>
        this.emit('notify', { alarm: a, level }),
      );
      this.arm(a);
    });
  }

  private findPress(deviceId: string, e: HelpPressedEvent): Alarm | undefined {
    const since = this.clock.now() - this.opts.dedupeMs;
    for (const a of this.alarms.values()) {
      if (a.deviceId !== deviceId || a.press.seq !== e.seq || a.kind === 'technical') continue;
      if ((a.press.boot ?? null) !== (e.boot ?? null)) continue;
      // (device, boot, seq) names one press for good; without a boot (a wired panel, whose seq
      // wraps at 65535) only within the dedupe window.
      if (e.boot !== undefined || Date.parse(a.raisedAt) >= since) return a;
    }
    return undefined;
  }

  private mustGet(id: string): Alarm {
    const a = this.alarms.get(id);
    if (!a) throw new LinliError('NOT_FOUND', `no alarm ${id}`);
    return a;
  }

  /**
   * Writes the record and applies it; `durable` runs as soon as the record is on disk (acks and
   * notifications go out then), and the snapshot follows — it only shortens the next start-up.
   */
  private async commit(r: Omit<AlarmRecord, 'ts'>, durable?: (a: Alarm) => void): Promise<Alarm> {
    const rec = await this.opts.records.append('alarm', r.type, r.body);
    const lsn = this.opts.records.lastLsn;
    applyAlarmRecord(this.alarms, { ...r, ts: rec.ts } as AlarmRecord);
    const a = this.alarms.get(r.body.id) as Alarm;
    durable?.(a);
    this.emit('change', a);
    await this.snapshot(lsn);
    return a;
  }

  private async snapshot(lsn: number): Promise<void> {
    await this.opts.snapshots.save(SNAPSHOT, {
      version: SNAPSHOT_VERSION,
      lsn,
      state: [...this.alarms.values()].filter(keep(this.clock.now())),
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Snapshots keep open alarms and those resolved in the last 30 days (the console's history). */
function keep(now: number) {
  const since = new Date(now - 30 * 24 * 3600_000).toISOString();
  return (a: Alarm) => isOpen(a) || (a.resolvedAt ?? '') >= since;
}
