import type { Translate } from './i18n';

/** The smart house's time zone (DESIGN.md `LINLI_TZ` default). */
export const HOUSE_TZ = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: HOUSE_TZ, ...options });
    formatters.set(key, f);
  }
  return f;
}

/** Wall-clock time as people read it: "14:05". */
export function formatClockTime(date: Date, locale: string): string {
  return formatter(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

/** The date with its weekday: "2025年3月4日星期二" / "Tuesday 4 March 2025". */
export function formatClockDate(date: Date, locale: string): string {
  return formatter(locale, { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }).format(date);
}

/** A full local date and time for tooltips and lists: "2025/03/04 14:05:06". */
export function formatDateTime(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatter(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

/** Local time of day with seconds: "14:05:06". */
export function formatTimeOfDay(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatter(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

/** "3 秒前" / "3 s ago"; a future time (clock skew) reads as "just now". */
export function formatRelative(iso: string | null, nowMs: number, t: Translate): string {
  if (iso === null) return t('never');
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const s = Math.floor((nowMs - then) / 1000);
  if (s < 1) return t('justNow');
  if (s < 60) return t('secondsAgo', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('minutesAgo', { n: m });
  const h = Math.floor(m / 60);
  if (h < 24) return t('hoursAgo', { n: h });
  return t('daysAgo', { n: Math.floor(h / 24) });
}

/** A span as a ticking clock reads it: "0:07", "12:05", "1:02:03". Negative spans read as "0:00". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
