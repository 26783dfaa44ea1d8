/**
 * Alarm, duty-roster and kiosk-help shapes of the edge's API, as the browser sees them: the
 * edge's own types (`edge/api/types.ts`), plus the order in which the resolve form offers outcomes.
 */
import type { AlarmOutcome } from '../../edge/api/types';

export type {
  Alarm,
  AlarmKind,
  AlarmOutcome,
  AlarmState,
  AlarmStep,
  DutyEntry,
  KioskAlarmView,
  KioskHelpAnswer,
} from '../../edge/api/types';

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
