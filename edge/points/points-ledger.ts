import { periodKeys } from './catalogue.js';
import type {
  Assessment,
  CapPeriod,
  FlagResult,
  FlagRule,
  Member,
  PointsCategory,
  PointsItem,
  PointsScheme,
  PointsSession,
  PointsTx,
  Redemption,
} from './points-types.js';

export type {
  Assessment,
  FlagResult,
  Member,
  PointsSession,
  PointsTx,
  Redemption,
  TxKind,
} from './points-types.js';

type Body<T extends string, B> = { type: T; ts: string; id?: string; body: B };

/** Records of stream `points` the ledger reads (card.swipe records change nothing). */
export type PointsRecord =
  | Body<'session.opened', { sessionId: string; itemId: string; readers: string[]; by: string }>
  | Body<'session.closed', { sessionId: string; by: string }>
  | Body<
      'points.credited',
      {
        residentId: string;
        itemId: string;
        category?: PointsCategory;
        points: number;
        sessionId: string;
        deviceId: string;
        capped: boolean;
        approvedBy?: string;
      }
    >
  | Body<
      'points.deducted',
      { residentId: string; itemId: string; points: number; reason: string; by: string }
    >
  | Body<'goods.restocked', { goodsId: string; qty: number; by: string; note?: string }>
  | Body<
      'points.redeemed',
      {
        redemptionId: string;
        residentId: string;
        goodsId: string;
        qty: number;
        points: number;
        by: string;
        deviceId?: string;
      }
    >
  | Body<
      'redemption.reversed',
      {
        redemptionId: string;
        residentId: string;
        goodsId: string;
        qty: number;
        points: number;
        reason: string;
        by: string;
      }
    >
  | Body<
      'assessment.made',
      {
        assessmentId: string;
        quarter: string;
        scope: 'branch' | 'community';
        rules: FlagRule[];
        members: number;
        /** The results follow in this many `assessment.results` records. */
        parts: number;
        by: string;
      }
    >
  | Body<
      'assessment.results',
      {
        assessmentId: string;
        part: number;
        /** `[residentId, points, rank, of, flag, group]` */
        results: [string, number, number, number, string, string][];
      }
    >;

/** A member's purse for one year: points earned per category, and spent on goods (net of reversals). */
type Purse = Partial<Record<PointsCategory | 'spent', number>>;

export interface LedgerState {
  sessions: PointsSession[];
  /** residentId → period key (`2026-11`, `2026-Q4`, `2026`) → points (credits and deductions). */
  totals: Record<string, Record<string, number>>;
  /** residentId → itemId/period key → points (for caps). */
  byItem: Record<string, Record<string, number>>;
  /** residentId → year → purse (for the redeemable balance). */
  purses: Record<string, Record<string, Purse>>;
  /** goodsId → units in stock. */
  stock: Record<string, number>;
  redemptions: Record<string, Redemption>;
  assessments: Assessment[];
  /** residentId → the last transactions, newest last. */
  recent: Record<string, PointsTx[]>;
}

export const emptyLedger = (): LedgerState => ({
  sessions: [],
  totals: {},
  byItem: {},
  purses: {},
  stock: {},
  redemptions: {},
  assessments: [],
  recent: {},
});

/** Transactions kept per member for the kiosk and the admin's member view. */
const RECENT = 8;
const PERIODS: readonly CapPeriod[] = ['month', 'quarter', 'year'];

/** Members ranked by points within their group; ties share a rank. */
export interface RankedRow {
  residentId: string;
  points: number;
  rank: number;
  of: number;
  group: string;
}

/** Sorts one group's rows by points (then id) and numbers them in place; ties share a rank. */
function rankWithin(rows: RankedRow[]): void {
  rows.sort(
    (a, b) => b.points - a.points || (a.residentId < b.residentId ? -1 : a.residentId > b.residentId ? 1 : 0),
  );
  let rank = 0;
  let last = Number.NaN;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as RankedRow;
    if (r.points !== last) rank = i + 1;
    last = r.points;
    r.rank = rank;
    r.of = rows.length;
  }
}

/** The flag of the first rule a member's points and rank meet (the last rule has no condition). */
export function flagFor(rules: readonly FlagRule[], points: number, rank: number, of: number): string {
  for (const r of rules) {
    if (r.minPoints !== undefined && points < r.minPoints) continue;
    if (r.topPercent !== undefined && rank > Math.ceil((of * r.topPercent) / 100)) continue;
    return r.flag;
  }
  return (rules[rules.length - 1] as FlagRule).flag;
}

/**
 * Points as state derived from the `points` records: a pure reducer in the house's time zone, so
 * the same records always give the same totals, stock and flags, whatever order of arrival
 * produced them. Items are looked up only for credits recorded before they carried their category.
 */
export class PointsLedger {
  constructor(
    readonly state: LedgerState,
    readonly tz: string,
    private items: readonly PointsItem[] = [],
  ) {}

  /** The items of a new scheme (an item gone from it is still known by the credits that name it). */
  useItems(items: readonly PointsItem[]): void {
    const ids = new Set(items.map((i) => i.id));
    this.items = [...items, ...this.items.filter((i) => !ids.has(i.id))];
  }

  apply(r: PointsRecord): void {
    switch (r.type) {
      case 'session.opened':
        if (this.session(r.body.sessionId)) return;
        this.state.sessions.push({
          id: r.body.sessionId,
          itemId: r.body.itemId,
          readers: r.body.readers,
          openedAt: r.ts,
          openedBy: r.body.by,
          credited: [],
        });
        return;
      case 'session.closed': {
        const s = this.session(r.body.sessionId);
        if (s && !s.closedAt) {
          s.closedAt = r.ts;
          s.closedBy = r.body.by;
        }
        return;
      }
      case 'points.credited': {
        const b = r.body;
        const s = this.session(b.sessionId);
        if (s && !s.credited.includes(b.residentId)) s.credited.push(b.residentId);
        const category = b.category ?? this.items.find((i) => i.id === b.itemId)?.category ?? 'study';
        this.score(r.ts, b.residentId, b.itemId, b.points);
        this.purse(b.residentId, r.ts, category, b.points);
        this.remember({
          at: r.ts,
          kind: 'credit',
          residentId: b.residentId,
          itemId: b.itemId,
          points: b.points,
          sessionId: b.sessionId,
        });
        return;
      }
      case 'points.deducted': {
        const b = r.body;
        this.score(r.ts, b.residentId, b.itemId, b.points);
        this.remember({
          at: r.ts,
          kind: 'deduction',
          residentId: b.residentId,
          itemId: b.itemId,
          points: b.points,
          reason: b.reason,
        });
        return;
      }
      case 'goods.restocked':
        this.state.stock[r.body.goodsId] = (this.state.stock[r.body.goodsId] ?? 0) + r.body.qty;
        return;
      case 'points.redeemed': {
        const b = r.body;
        if (this.state.redemptions[b.redemptionId]) return;
        this.state.redemptions[b.redemptionId] = {
          id: b.redemptionId,
          residentId: b.residentId,
          goodsId: b.goodsId,
          qty: b.qty,
          points: b.points,
          at: r.ts,
          by: b.by,
          ...(b.deviceId ? { deviceId: b.deviceId } : {}),
        };
        this.state.stock[b.goodsId] = (this.state.stock[b.goodsId] ?? 0) - b.qty;
        this.purse(b.residentId, r.ts, 'spent', -b.points);
        this.remember({
          at: r.ts,
          kind: 'redemption',
          residentId: b.residentId,
          itemId: b.goodsId,
          points: b.points,
        });
        return;
      }
      case 'redemption.reversed': {
        const b = r.body;
        const red = this.state.redemptions[b.redemptionId];
        if (!red || red.reversed) return;
        red.reversed = { at: r.ts, by: b.by, reason: b.reason };
        this.state.stock[red.goodsId] = (this.state.stock[red.goodsId] ?? 0) + red.qty;
        // The points go back to the year they were spent in (gone already if that year was reset).
        this.purse(red.residentId, red.at, 'spent', red.points);
        this.remember({
          at: r.ts,
          kind: 'reversal',
          residentId: red.residentId,
          itemId: red.goodsId,
          points: -red.points,
          reason: b.reason,
        });
        return;
      }
      case 'assessment.made': {
        const b = r.body;
        if (this.state.assessments.some((a) => a.id === b.assessmentId)) return;
        this.state.assessments.push({
          id: b.assessmentId,
          quarter: b.quarter,
          at: r.ts,
          by: b.by,
          scope: b.scope,
          rules: b.rules,
          results: {},
          members: b.members,
          received: 0,
          parts: b.parts,
        });
        return;
      }
      case 'assessment.results': {
        const a = this.state.assessments.find((x) => x.id === r.body.assessmentId);
        if (!a) return;
        for (const [id, points, rank, of, flag, group] of r.body.results)
          a.results[id] = { flag, points, rank, of, group };
        a.received++;
        return;
      }
    }
  }

  session(id: string): PointsSession | undefined {
    return this.state.sessions.find((s) => s.id === id);
  }

  /** The open session a reader's swipes count for, if any. */
  openSessionFor(deviceId: string): PointsSession | undefined {
    return this.state.sessions.find((s) => !s.closedAt && s.readers.includes(deviceId));
  }

  /** Points a credit of `item` at `at` may still give, under its cap. */
  allowance(residentId: string, item: PointsItem, at: string): number {
    if (!item.cap) return item.points;
    const key = `${item.id}/${periodKeys(at, this.tz)[item.cap.per]}`;
    const used = this.state.byItem[residentId]?.[key] ?? 0;
    return Math.max(0, Math.min(item.points, item.cap.max - used));
  }

  total(residentId: string, period: string): number {
    return this.state.totals[residentId]?.[period] ?? 0;
  }

  /** Points that can be spent on goods at `at`, under the scheme's redeemable categories and roll-over rule. */
  balance(residentId: string, at: string, scheme: Pick<PointsScheme, 'redeemable' | 'balance'>): number {
    const years = this.state.purses[residentId];
    if (!years) return 0;
    const thisYear = periodKeys(at, this.tz).year;
    let sum = 0;
    for (const [year, purse] of Object.entries(years)) {
      if (scheme.balance === 'reset-yearly' && year !== thisYear) continue;
      for (const c of scheme.redeemable) sum += purse[c] ?? 0;
      sum -= purse.spent ?? 0;
    }
    return sum;
  }

  stock(goodsId: string): number {
    return this.state.stock[goodsId] ?? 0;
  }

  /**
   * Members ranked by points in a period (`2026-11`, `2026-Q4`, `2026`), within their branch or
   * community when `by` is given (ties share a rank).
   */
  ranking(period: string, members: readonly Member[], by?: 'branch' | 'community'): RankedRow[] {
    // Built once, numbered in place: this runs for every tap (the member's branch) and for
    // rankings of thousands of members.
    const groups = new Map<string, RankedRow[]>();
    for (const m of members) {
      const group = by ? (m[by] ?? '') : '';
      let rows = groups.get(group);
      if (!rows) {
        rows = [];
        groups.set(group, rows);
      }
      rows.push({ residentId: m.id, points: this.total(m.id, period), rank: 0, of: 0, group });
    }
    const out: RankedRow[] = [];
    for (const [, rows] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      rankWithin(rows);
      for (const r of rows) out.push(r);
    }
    return out;
  }

  /** What an assessment of `quarter` gives each member under `rules` (not yet recorded). */
  assess(
    quarter: string,
    members: readonly Member[],
    scope: 'branch' | 'community',
    rules: readonly FlagRule[],
  ) {
    return this.ranking(quarter, members, scope === 'branch' ? 'branch' : undefined).map((r) => ({
      ...r,
      flag: flagFor(rules, r.points, r.rank, r.of),
    }));
  }

  /** The latest assessment of each quarter, oldest first. */
  latestAssessments(): Assessment[] {
    const byQuarter = new Map<string, Assessment>();
    for (const a of this.state.assessments) if (a.received >= a.parts) byQuarter.set(a.quarter, a);
    return [...byQuarter.values()].sort((a, b) => (a.quarter < b.quarter ? -1 : 1));
  }

  /** A member's flags, one per assessed quarter (the latest assessment of each), oldest first. */
  flagHistory(residentId: string): ({ quarter: string; at: string } & FlagResult)[] {
    return this.latestAssessments().flatMap((a) => {
      const r = a.results[residentId];
      return r ? [{ quarter: a.quarter, at: a.at, ...r }] : [];
    });
  }

  recentFor(residentId: string, n: number): PointsTx[] {
    return (this.state.recent[residentId] ?? []).slice(-n).reverse();
  }

  private score(at: string, residentId: string, itemId: string, points: number): void {
    const keys = periodKeys(at, this.tz);
    this.state.totals[residentId] ??= {};
    const totals = this.state.totals[residentId] as Record<string, number>;
    this.state.byItem[residentId] ??= {};
    const byItem = this.state.byItem[residentId] as Record<string, number>;
    for (const p of PERIODS) {
      totals[keys[p]] = (totals[keys[p]] ?? 0) + points;
      const k = `${itemId}/${keys[p]}`;
      byItem[k] = (byItem[k] ?? 0) + points;
    }
  }

  private purse(residentId: string, at: string, key: PointsCategory | 'spent', points: number): void {
    const year = periodKeys(at, this.tz).year;
    this.state.purses[residentId] ??= {};
    const years = this.state.purses[residentId] as Record<string, Purse>;
    years[year] ??= {};
    const purse = years[year] as Purse;
    purse[key] = (purse[key] ?? 0) + points;
  }

  private remember(tx: PointsTx): void {
    this.state.recent[tx.residentId] ??= [];
    const list = this.state.recent[tx.residentId] as PointsTx[];
    list.push(tx);
    if (list.length > RECENT) list.splice(0, list.length - RECENT);
  }
}
