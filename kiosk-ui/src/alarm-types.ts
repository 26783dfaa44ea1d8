/**
 * Alarm, duty-roster and kiosk-help shapes of the edge's API (DESIGN.md "Edge HTTP API"), as the
 * browser sees them. They mirror `edge/alarms/alarm-model.ts` and the routes in
 * `edge/http/routes/` (alarm, duty, kiosk); they belong in `edge/api/types.ts` once that file
 * carries them. Types only: no runtime code except the list of outcomes the form offers.
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

/** In the order the resolve form offers them: the usual answer first. */
export const OUTCOMES: readonly AlarmOutcome[] = [
  'helped',
  'false-alarm',
  'test',
  'transferred-120',
  'transferred-110',
  'no-answer',
  'other',
];

export interface AlarmStep {
  at: string;
  action: 'raised' | 'notified' | 'escalated' | 'acknowledged' | 'resolved' | 'repeat';
  by?: string;
  level?: number;
  detail?: string;
}

/** `GET /api/alarms` item, SSE `alarm` data (staff and admin). */
export interface Alarm {
  id: string;
  kind: AlarmKind;
  state: AlarmState;
  deviceId: string;
  /** Who or where: the elder (resident id) or the place the device is assigned to. */
  assignedTo?: string;
  press: { ts: string; seq: number; boot?: string | number; button?: string };
  /** Technical alarms: what is wrong. */
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
  repeats: number;
  history: AlarmStep[];
}

/** SSE `kiosk.alarm` data: what a screen in the public room may know (no who, no where). */
export interface KioskAlarmView {
  id: string;
  kind: AlarmKind;
  state: AlarmState;
  raisedAt: string;
}

/** `POST /api/kiosk/help` answer: sent only once the alarm is on disk. */
export interface KioskHelpAnswer {
  alarmId: string;
  state: AlarmState;
}

/** One row of the duty roster (`GET`/`PUT /api/duty`). */
export interface DutyEntry {
  name: string;
  phone?: string;
  /** 0 is alerted first; an unacknowledged alarm escalates to the next level. */
  level: number;
  /** Local time of day `HH:MM`; absent = all day. */
  from?: string;
  to?: string;
}
