import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { AssessmentScheme, CapPeriod, FlagRule, PointsItem, PointsScheme } from './points-types.js';

export type {
  AssessmentScheme,
  CapPeriod,
  FlagRule,
  Goods,
  PointsCategory,
  PointsItem,
  PointsScheme,
} from './points-types.js';

const Category = Type.Union(['study', 'practice', 'service', 'deduction'].map((c) => Type.Literal(c)));
const Id = Type.String({ pattern: '^[a-z0-9-]{1,40}$' });
const Rule = Type.Object(
  {
    flag: Type.String({ pattern: '^[a-z0-9-]{1,20}$' }),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 30 })),
    minPoints: Type.Optional(Type.Integer({ minimum: -1000, maximum: 10000 })),
    topPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);
export const AssessmentSchema = Type.Object(
  {
    scope: Type.Union([Type.Literal('branch'), Type.Literal('community')]),
    rules: Type.Array(Rule, { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false },
);
const Schema = Compile(
  Type.Object(
    {
      name: Type.Optional(Type.String()),
      items: Type.Array(
        Type.Object(
          {
            id: Id,
            name: Type.String({ minLength: 1, maxLength: 60 }),
            category: Category,
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
      goods: Type.Optional(
        Type.Array(
          Type.Object(
            {
              id: Id,
              name: Type.String({ minLength: 1, maxLength: 60 }),
              points: Type.Integer({ minimum: 1, maximum: 10000 }),
              unit: Type.Optional(Type.String({ maxLength: 8 })),
            },
            { additionalProperties: false },
          ),
          { maxItems: 500 },
        ),
      ),
      redeemable: Type.Optional(Type.Array(Category, { minItems: 1, maxItems: 3 })),
      balance: Type.Optional(Type.Union([Type.Literal('rollover'), Type.Literal('reset-yearly')])),
      assessment: Type.Optional(AssessmentSchema),
    },
    { additionalProperties: false },
  ),
);

/** Every member gets a flag: 20 points in a quarter or more is red, 10 yellow, the rest grey. */
const DEFAULT_ASSESSMENT: AssessmentScheme = {
  scope: 'branch',
  rules: [{ flag: 'red', minPoints: 20 }, { flag: 'yellow', minPoints: 10 }, { flag: 'grey' }],
};

/** Why a set of flag rules is unusable, or undefined (the schema has checked the shapes). */
export function flagRulesProblem(rules: readonly FlagRule[]): string | undefined {
  const flags = new Set<string>();
  for (const [i, r] of rules.entries()) {
    if (flags.has(r.flag)) return `flag ${r.flag} appears twice`;
    flags.add(r.flag);
    const last = i === rules.length - 1;
    const conditional = r.minPoints !== undefined || r.topPercent !== undefined;
    if (last && conditional) return 'the last flag rule must have no condition, so every member gets a flag';
    if (!last && !conditional) return `flag ${r.flag} has no condition but is not the last rule`;
  }
  return undefined;
}

/**
 * Why a scheme is unusable though each part has the right shape (a file's, or one made of the
 * cloud's config entities), or undefined.
 */
export function schemeProblem(
  s: Pick<PointsScheme, 'items' | 'goods' | 'redeemable' | 'assessment'>,
): string | undefined {
  const ids = new Set<string>();
  for (const i of s.items) {
    if (ids.has(i.id)) return `item ${i.id} appears twice`;
    ids.add(i.id);
    if ((i.category === 'deduction') !== i.points < 0)
      return `item ${i.id}: deductions, and only they, are negative`;
  }
  const goodsIds = new Set<string>();
  for (const g of s.goods) {
    if (goodsIds.has(g.id)) return `goods ${g.id} appear twice`;
    goodsIds.add(g.id);
  }
  const problem = flagRulesProblem(s.assessment.rules);
  if (problem) return `assessment: ${problem}`;
  if (s.redeemable.includes('deduction')) return 'deductions cannot be redeemable';
  return undefined;
}

/**
 * The points scheme file (LINLI_POINTS_CATALOGUE): points values, caps, goods, what is redeemable,
 * roll-over or yearly reset and the assessment's flags are data, as the field's schemes differ by place.
 */
export function loadScheme(file: string): PointsScheme {
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Schema.Check(json)) {
    const first = Schema.Errors(json)[0];
    throw new Error(
      `${file} is not a valid points scheme${first ? ` (${first.instancePath || '/'}: ${first.message})` : ''}`,
    );
  }
  const raw = json as Partial<PointsScheme> & { items: PointsItem[] };
  const assessment = raw.assessment ?? DEFAULT_ASSESSMENT;
  const problem = schemeProblem({
    ...raw,
    goods: raw.goods ?? [],
    redeemable: raw.redeemable ?? [],
    assessment,
  });
  if (problem) throw new Error(`${file}: ${problem}`);
  return {
    ...(raw.name ? { name: raw.name } : {}),
    items: raw.items,
    goods: raw.goods ?? [],
    redeemable: raw.redeemable ?? ['practice'],
    balance: raw.balance ?? 'rollover',
    assessment,
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** `tz|YYYY-MM-DDTHH:MM` → keys: every UTC offset in use is whole minutes, so a minute has one answer. */
const keyCache = new Map<string, Record<CapPeriod, string>>();

/** The period keys of a moment in the house's time zone: `2026-11`, `2026-Q4`, `2026`. */
export function periodKeys(iso: string, tz: string): Record<CapPeriod, string> {
  const cacheKey = `${tz}|${iso.slice(0, 16)}`;
  const hit = keyCache.get(cacheKey);
  if (hit && iso.length === 24 && iso.endsWith('Z')) return hit;
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit' });
    formatters.set(tz, f);
  }
  const p = f.formatToParts(new Date(iso));
  const year = p.find((x) => x.type === 'year')?.value ?? '0000';
  const month = p.find((x) => x.type === 'month')?.value ?? '01';
  const keys = {
    month: `${year}-${month}`,
    quarter: `${year}-Q${Math.floor((Number(month) - 1) / 3) + 1}`,
    year,
  };
  if (iso.length === 24 && iso.endsWith('Z')) {
    if (keyCache.size >= 4096) keyCache.clear();
    keyCache.set(cacheKey, keys);
  }
  return keys;
}

/** The quarter before `quarter` (`2027-Q1` → `2026-Q4`). */
export function previousQuarter(quarter: string): string {
  const [y, q] = quarter.split('-Q').map(Number) as [number, number];
  return q === 1 ? `${y - 1}-Q4` : `${y}-Q${q - 1}`;
}
