/**
 * The daily settlement at `LINLI_SETTLE_AT` (house time, `HH:MM`; empty: never): when it comes,
 * every bank terminal is settled in turn, each failure logged, and the next day is scheduled.
 */

/** The next instant (ms) after `now` at which the house clock in `tz` shows `hhmm`. */
export function nextHouseTime(hhmm: string, tz: string, now: number): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const parts = (ms: number) => {
    const f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(ms));
    const get = (t: string) => Number(f.find((x) => x.type === t)?.value);
    return {
      y: get('year'),
      mo: get('month'),
      d: get('day'),
      h: get('hour'),
      mi: get('minute'),
      s: get('second'),
    };
  };
  for (let day = 0; day <= 2; day++) {
    const p = parts(now + day * 86_400_000);
    // The zone's offset at that moment, then the wall-clock time wanted on that house day.
    const base = now + day * 86_400_000;
    const offset = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - (base - (base % 1000));
    const at = Date.UTC(p.y, p.mo - 1, p.d, h, m) - offset;
    if (at > now) return at;
  }
  return now + 86_400_000;
}

export interface SettleSchedule {
  stop(): void;
}

/** Runs `settleAll` daily at `hhmm` house time; `hhmm` empty: never. */
export function scheduleSettlement(
  hhmm: string,
  tz: string,
  settleAll: () => Promise<void>,
  now: () => number = Date.now,
): SettleSchedule {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped || hhmm === '') return;
    // Timers hold at most ~24.8 days; a day is well within.
    timer = setTimeout(
      () => {
        void settleAll().finally(arm);
      },
      Math.max(0, nextHouseTime(hhmm, tz, now()) - now()),
    );
    timer.unref();
  };
  arm();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
