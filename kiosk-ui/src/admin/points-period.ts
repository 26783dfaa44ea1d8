import { HOUSE_TZ } from '../time';

/** Today's month, quarter and year in the house's time zone (the points periods are counted there). */
export function housePeriod(now = new Date()): { year: number; month: number; quarter: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: HOUSE_TZ,
    year: 'numeric',
    month: 'numeric',
  }).formatToParts(now);
  const year = Number(parts.find((p) => p.type === 'year')?.value);
  const month = Number(parts.find((p) => p.type === 'month')?.value);
  return { year, month, quarter: Math.floor((month - 1) / 3) + 1 };
}

/** The last `n` quarters that are over, newest first: `2026-Q3`, `2026-Q2`, … */
export function finishedQuarters(n: number, now = new Date()): string[] {
  let { year, quarter } = housePeriod(now);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    quarter -= 1;
    if (quarter === 0) {
      quarter = 4;
      year -= 1;
    }
    out.push(`${year}-Q${quarter}`);
  }
  return out;
}
