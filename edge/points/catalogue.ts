import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';

export type PointsCategory = 'study' | 'practice' | 'service' | 'deduction';
export type CapPeriod = 'month' | 'quarter' | 'year';

export interface PointsItem {
  id: string;
  name: string;
  category: PointsCategory;
  /** Signed: deductions are negative. */
  points: number;
  /** At most `max` points from this item per member and period. */
  cap?: { per: CapPeriod; max: number };
}

const Schema = Compile(
  Type.Object({
    name: Type.Optional(Type.String()),
    items: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[a-z0-9-]{1,40}$' }),
          name: Type.String({ minLength: 1, maxLength: 60 }),
          category: Type.Union(['study', 'practice', 'service', 'deduction'].map((c) => Type.Literal(c))),
          points: Type.Integer({ minimum: -100, maximum: 100 }),
          cap: Type.Optional(
            Type.Object({
              per: Type.Union(['month', 'quarter', 'year'].map((p) => Type.Literal(p))),
              max: Type.Integer({ minimum: 1, maximum: 1000 }),
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  }),
);

/** The item catalogue (points values and caps are data, as the field's schemes differ by place). */
export function loadCatalogue(file: string): PointsItem[] {
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Schema.Check(json)) throw new Error(`${file} is not a valid points catalogue`);
  const items = (json as { items: PointsItem[] }).items;
  const ids = new Set<string>();
  for (const i of items) {
    if (ids.has(i.id)) throw new Error(`${file}: item ${i.id} appears twice`);
    ids.add(i.id);
    if ((i.category === 'deduction') !== i.points < 0)
      throw new Error(`${file}: item ${i.id}: deductions, and only they, are negative`);
  }
  return items;
}

/** The period keys of a moment in the house's time zone: `2026-11`, `2026-Q4`, `2026`. */
export function periodKeys(iso: string, tz: string): Record<CapPeriod, string> {
  const p = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(new Date(iso));
  const year = p.find((x) => x.type === 'year')?.value ?? '0000';
  const month = p.find((x) => x.type === 'month')?.value ?? '01';
  return { month: `${year}-${month}`, quarter: `${year}-Q${Math.floor((Number(month) - 1) / 3) + 1}`, year };
}
