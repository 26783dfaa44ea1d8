/**
 * Alarms as state derived from the `alarm` record stream: a pure reducer, so the same records
 * always give the same alarms — after a restart, from a snapshot plus the records after it.
 */

export type AlarmKind = 'sos' | 'service' | 'technical';
export type AlarmState = 'raised' | 'notified' | 'escalated' | 'acknowledged' | 'resolved';
export type AlarmOutcome =
  | 'helped'
  | 'false-alarm'
  | 'test'
  | 'transferred-120'
  | 'transferred-110'
  | 'no-answer'
  | 'other';

export const OUTCOMES: readonly AlarmOutcome[] = [
  'helped',
  'false-alarm',
  'test',
  'transferred-120',
  'transferred-110',
  'no-answer',
  'other',
];

/** One step of an alarm's log, to the second and beyond (DOMAIN.md: raised, received, acknowledged, …). */
export interface AlarmStep {
  at: string;
  action: 'raised' | 'notified' | 'escalated' | 'acknowledged' | 'resolved' | 'repeat';
  by?: string;
  level?: number;
  detail?: string;
}

export interface Alarm {
  id: string;
  kind: AlarmKind;
  state: AlarmState;
  deviceId: string;
  /** Who or where: the elder (resident id) or location the device is assigned to. */
  assignedTo?: string;
  /** The press that raised it: device time, its seq, boot and button. */
  press: { ts: string; seq: number; boot?: string | number; button?: string };
  /** Technical alarms: what is wrong (`missed heartbeats`, `battery 12%` …). */
  reason?: string;
  raisedAt: string;
  /** Escalation level reached: 0 first line of duty, 1 next … */
  level: number;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  outcome?: AlarmOutcome;
  note?: string;
  /** Re-sends of the same press seen (duplicates never make a second alarm). */
  repeats: number;
  history: AlarmStep[];
}

/** Bodies of the `alarm` stream records, by type. Records name residents by id only. */
export type AlarmRecord =
  | {
      type: 'alarm.raised';
      ts: string;
      body: Omit<Alarm, 'state' | 'level' | 'history' | 'repeats' | 'raisedAt'>;
    }
  | { type: 'alarm.notified'; ts: string; body: { id: string; level: number; channels: string[] } }
  | { type: 'alarm.escalated'; ts: string; body: { id: string; level: number } }
  | { type: 'alarm.acknowledged'; ts: string; body: { id: string; by: string } }
  | {
      type: 'alarm.resolved';
      ts: string;
      body: { id: string; by: string; outcome: AlarmOutcome; note?: string };
    };

export function isOpen(a: Alarm): boolean {
  return a.state !== 'resolved';
}

/** Applies one record to the alarm map (mutating it); unknown types and ids are ignored. */
export function applyAlarmRecord(alarms: Map<string, Alarm>, r: AlarmRecord): void {
  if (r.type === 'alarm.raised') {
    if (alarms.has(r.body.id)) return;
    alarms.set(r.body.id, {
      ...r.body,
      state: 'raised',
      level: 0,
      raisedAt: r.ts,
      repeats: 0,
      history: [{ at: r.ts, action: 'raised', ...(r.body.reason ? { detail: r.body.reason } : {}) }],
    });
    return;
  }
  const a = alarms.get(r.body.id);
  if (!a) return;
  switch (r.type) {
    case 'alarm.notified':
      if (a.state === 'raised') a.state = 'notified';
      a.history.push({
        at: r.ts,
        action: 'notified',
        level: r.body.level,
        detail: r.body.channels.join(', '),
      });
      return;
    case 'alarm.escalated':
      a.level = r.body.level;
      if (a.state === 'raised' || a.state === 'notified' || a.state === 'escalated') a.state = 'escalated';
      a.history.push({ at: r.ts, action: 'escalated', level: r.body.level });
      return;
    case 'alarm.acknowledged':
      if (a.state === 'acknowledged' || a.state === 'resolved') return;
      a.state = 'acknowledged';
      a.acknowledgedAt = r.ts;
      a.acknowledgedBy = r.body.by;
      a.history.push({ at: r.ts, action: 'acknowledged', by: r.body.by });
      return;
    case 'alarm.resolved':
      if (a.state === 'resolved') return;
      if (!a.acknowledgedAt) {
        a.acknowledgedAt = r.ts;
        a.acknowledgedBy = r.body.by;
      }
      a.state = 'resolved';
      a.resolvedAt = r.ts;
      a.resolvedBy = r.body.by;
      a.outcome = r.body.outcome;
      if (r.body.note) a.note = r.body.note;
      a.history.push({ at: r.ts, action: 'resolved', by: r.body.by, detail: r.body.outcome });
      return;
  }
}

/** What a kiosk screen in the public room may show of an alarm: no who, no where. */
export function kioskAlarmView(a: Alarm): {
  id: string;
  kind: AlarmKind;
  state: AlarmState;
  raisedAt: string;
} {
  return { id: a.id, kind: a.kind, state: a.state, raisedAt: a.raisedAt };
}
