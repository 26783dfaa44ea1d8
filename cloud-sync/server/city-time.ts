/**
 * The city's calendar: days and months of the city views and projections are those of the houses'
 * time zone (DESIGN.md `LINLI_TZ`, Asia/Shanghai for Shenyang), as the edge counts its months.
 */
export const CITY_TZ = 'Asia/Shanghai';

const dayFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: CITY_TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** `YYYY-MM-DD` of the instant `ms` in the city's time zone. */
export function cityDay(ms: number): string {
  const p = dayFormat.formatToParts(new Date(ms));
  const get = (t: string) => p.find((x) => x.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** `YYYY-MM` of the instant `ms` in the city's time zone. */
export function cityMonth(ms: number): string {
  return cityDay(ms).slice(0, 7);
}

/** The day `n` days before `day` (`YYYY-MM-DD`, calendar arithmetic). */
export function daysBefore(day: string, n: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) - n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
