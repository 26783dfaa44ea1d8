import { v7 } from 'uuid';
import { LinliError } from '../errors.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import {
  type FlagRule,
  flagRulesProblem,
  type Goods,
  type PointsItem,
  type PointsScheme,
  periodKeys,
} from './catalogue.js';
import {
  type Assessment,
  emptyLedger,
  type LedgerState,
  type Member,
  PointsLedger,
  type PointsRecord,
  type PointsSession,
  type Redemption,
} from './points-ledger.js';
import type { PointsSummary } from './points-types.js';

const SNAPSHOT = 'points';
const SNAPSHOT_VERSION = 2;
/**
 * Snapshots keep start-up short, but writing one stringifies the whole ledger on the event loop
 * (megabytes for thousands of members): so one is taken once this many records have gathered and
 * the points have then been quiet for {@link SNAPSHOT_QUIET_MS}, or at once past {@link SNAPSHOT_CEILING}.
 */
const SNAPSHOT_EVERY = 500;
const SNAPSHOT_QUIET_MS = 5000;
const SNAPSHOT_CEILING = 20_000;
/** Records read past at start-up beyond which the state is snapshotted at once. */
const RESCAN_SNAPSHOT = 10_000;
/** Members per `assessment.results` record: ~60 bytes each, so a part stays near 30 KiB. */
const ASSESSMENT_PART = 500;

export type SwipeResult =
  | { result: 'ok'; points: number; capped: boolean; sessionId: string }
  | { result: 'duplicate' | 'no-session' | 'refused'; reason?: string; sessionId?: string };

type Input<R> = R extends PointsRecord ? Omit<R, 'ts' | 'id'> : never;

/**
 * Party-member points (issue 4): sessions opened and closed by staff; a swipe during an open
 * session credits the member once per session (within the item's cap); deductions with a reason;
 * the points supermarket (stock, redemptions that never take a balance or stock below zero,
 * reversals with a reason); quarterly assessments that award flags. Every change is a `points`
 * record first; everything shown is derived (a snapshot plus the records after it), so a restart
 * rebuilds it identically. Mutations run one at a time, so every check sees the state it changes.
 */
export class PointsService {
  private chain: Promise<unknown> = Promise.resolve();
  private sinceSnapshot = 0;
  private quietTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly records: RecordLog,
    private readonly snapshots: SnapshotStore,
    private current: PointsScheme,
    readonly ledger: PointsLedger,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** `now` must be the record log's clock: caps are counted in the period of the record's time. */
  static async open(
    records: RecordLog,
    snapshots: SnapshotStore,
    scheme: PointsScheme,
    tz: string,
    now: () => number = Date.now,
    /** A background snapshot failed (the records are safe; start-up will read more of them). */
    onError: (err: unknown) => void = () => undefined,
  ): Promise<PointsService> {
    const snap = await snapshots.load<LedgerState>(SNAPSHOT, SNAPSHOT_VERSION);
    const ledger = new PointsLedger(snap?.state ?? emptyLedger(), tz, scheme.items);
    const from = (snap?.lsn ?? 0) + 1;
    for await (const { record } of records.read(from, 'points')) {
      ledger.apply(record as unknown as PointsRecord);
    }
    const service = new PointsService(records, snapshots, scheme, ledger, now, onError);
    // A long scan (first start after an upgrade or a crash): not again next time.
    if (records.lastLsn - from >= RESCAN_SNAPSHOT) await service.snapshot();
    return service;
  }

  /** The scheme in use: the file's, or the one the cloud's config makes ({@link useScheme}). */
  get scheme(): PointsScheme {
    return this.current;
  }

  /**
   * Takes a new scheme (the cloud changed activities, goods or rules). Between two operations, so
   * none sees half of each; what was recorded stays as it was (points already credited keep their value).
   */
  useScheme(scheme: PointsScheme): Promise<void> {
    return this.serial(async () => {
      this.current = scheme;
      this.ledger.useItems(scheme.items);
    });
  }

  get items(): readonly PointsItem[] {
    return this.scheme.items;
  }

  item(id: string): PointsItem {
    const i = this.scheme.items.find((x) => x.id === id);
    if (!i) throw new LinliError('NOT_FOUND', `no points item ${id}`);
    return i;
  }

  goods(id: string): Goods {
    const g = this.scheme.goods.find((x) => x.id === id);
    if (!g) throw new LinliError('NOT_FOUND', `no goods ${id}`);
    return g;
  }

  sessions(): readonly PointsSession[] {
    return this.ledger.state.sessions;
  }

  openSession(itemId: string, readers: string[], by: string): Promise<PointsSession> {
    return this.serial(async () => {
      const item = this.item(itemId);
      if (item.category === 'deduction')
        throw new LinliError('POINTS_INVALID', 'a deduction is entered by an admin, not swiped');
      const busy = readers.find((r) => this.ledger.openSessionFor(r));
      if (busy) throw new LinliError('POINTS_INVALID', `reader ${busy} is already in an open session`);
      const sessionId = v7();
      await this.commit({ type: 'session.opened', body: { sessionId, itemId, readers, by } });
      return this.ledger.session(sessionId) as PointsSession;
    });
  }

  closeSession(sessionId: string, by: string): Promise<PointsSession> {
    return this.serial(async () => {
      const s = this.ledger.session(sessionId);
      if (!s) throw new LinliError('NOT_FOUND', `no session ${sessionId}`);
      if (!s.closedAt) await this.commit({ type: 'session.closed', body: { sessionId, by } });
      await this.snapshot();
      return s;
    });
  }

  /** A party member's card on a reader: credited once per open session, within the item's cap. */
  swipe(deviceId: string, residentId: string, isPartyCard: boolean): Promise<SwipeResult> {
    return this.serial(async (): Promise<SwipeResult> => {
      const s = this.ledger.openSessionFor(deviceId);
      if (!s) return { result: 'no-session' };
      if (!isPartyCard) return { result: 'refused', reason: 'not-party', sessionId: s.id };
      if (s.credited.includes(residentId)) return { result: 'duplicate', sessionId: s.id };
      const item = this.item(s.itemId);
      const points = this.ledger.allowance(residentId, item, this.nowIso());
      const capped = points < item.points;
      await this.commit({
        type: 'points.credited',
        body: {
          residentId,
          itemId: item.id,
          category: item.category,
          points,
          sessionId: s.id,
          deviceId,
          capped,
          approvedBy: s.openedBy,
        },
      });
      return { result: 'ok', points, capped, sessionId: s.id };
    });
  }

  deduct(residentId: string, itemId: string, reason: string, by: string): Promise<void> {
    return this.serial(async () => {
      const item = this.item(itemId);
      if (item.category !== 'deduction')
        throw new LinliError('POINTS_INVALID', `${itemId} is not a deduction`);
      await this.commit({
        type: 'points.deducted',
        body: { residentId, itemId, points: item.points, reason, by },
      });
    });
  }

  /** Goods received (or, negative, written off): stock never goes below zero. */
  restock(goodsId: string, qty: number, by: string, note?: string): Promise<number> {
    return this.serial(async () => {
      this.goods(goodsId);
      if (!Number.isInteger(qty) || qty === 0)
        throw new LinliError('POINTS_INVALID', 'a quantity is a whole number, not 0');
      if (this.ledger.stock(goodsId) + qty < 0)
        throw new LinliError('POINTS_STOCK', `only ${this.ledger.stock(goodsId)} in stock`);
      await this.commit({ type: 'goods.restocked', body: { goodsId, qty, by, ...(note ? { note } : {}) } });
      return this.ledger.stock(goodsId);
    });
  }

  /** Spends a member's redeemable points on goods in stock: neither the balance nor the stock goes below zero. */
  redeem(
    residentId: string,
    goodsId: string,
    qty: number,
    by: string,
    deviceId?: string,
  ): Promise<Redemption> {
    return this.serial(async () => {
      const goods = this.goods(goodsId);
      if (!Number.isInteger(qty) || qty < 1 || qty > 100)
        throw new LinliError('POINTS_INVALID', 'a quantity is a whole number from 1 to 100');
      const stock = this.ledger.stock(goodsId);
      if (stock < qty) throw new LinliError('POINTS_STOCK', `only ${stock} in stock`);
      const cost = goods.points * qty;
      const balance = this.balance(residentId);
      if (balance < cost)
        throw new LinliError('POINTS_BALANCE', `${cost} points needed, the balance is ${balance}`);
      const redemptionId = v7();
      await this.commit({
        type: 'points.redeemed',
        body: {
          redemptionId,
          residentId,
          goodsId,
          qty,
          points: -cost,
          by,
          ...(deviceId ? { deviceId } : {}),
        },
      });
      return this.ledger.state.redemptions[redemptionId] as Redemption;
    });
  }

  /** Undoes a redemption (goods returned, entered in error): points and stock come back. */
  reverse(redemptionId: string, reason: string, by: string): Promise<Redemption> {
    return this.serial(async () => {
      const r = this.ledger.state.redemptions[redemptionId];
      if (!r) throw new LinliError('NOT_FOUND', `no redemption ${redemptionId}`);
      if (r.reversed) throw new LinliError('POINTS_INVALID', 'this redemption is already reversed');
      await this.commit({
        type: 'redemption.reversed',
        body: {
          redemptionId,
          residentId: r.residentId,
          goodsId: r.goodsId,
          qty: r.qty,
          points: -r.points,
          reason,
          by,
        },
      });
      return r;
    });
  }

  balance(residentId: string, at = this.nowIso()): number {
    return this.ledger.balance(residentId, at, this.scheme);
  }

  /** A quarter's flags under the scheme's rules (or `rules`), without recording them. */
  preview(quarter: string, members: readonly Member[], rules?: FlagRule[]) {
    const r = this.rules(rules);
    return {
      quarter,
      scope: this.scheme.assessment.scope,
      rules: r,
      results: this.ledger.assess(quarter, members, this.scheme.assessment.scope, r),
    };
  }

  /**
   * Records a quarter's assessment once the quarter is over (the house's time zone); a later one
   * for the same quarter supersedes it, and both stay in the history.
   */
  assess(quarter: string, members: readonly Member[], by: string, rules?: FlagRule[]): Promise<Assessment> {
    return this.serial(async () => {
      if (!/^\d{4}-Q[1-4]$/.test(quarter))
        throw new LinliError('POINTS_INVALID', 'a quarter is like 2026-Q3');
      if (quarter >= periodKeys(this.nowIso(), this.ledger.tz).quarter)
        throw new LinliError('POINTS_INVALID', `${quarter} is not over yet`);
      const p = this.preview(quarter, members, rules);
      const assessmentId = v7();
      const rows = p.results.map(
        (x) =>
          [x.residentId, x.points, x.rank, x.of, x.flag, x.group] as [
            string,
            number,
            number,
            number,
            string,
            string,
          ],
      );
      // In parts, so that every record stays well inside what the sync protocol takes (64 KiB).
      const parts = Math.max(1, Math.ceil(rows.length / ASSESSMENT_PART));
      await this.commit({
        type: 'assessment.made',
        body: { assessmentId, quarter, scope: p.scope, rules: p.rules, members: rows.length, parts, by },
      });
      for (let part = 0; part < parts; part++) {
        const results = rows.slice(part * ASSESSMENT_PART, (part + 1) * ASSESSMENT_PART);
        await this.commit({ type: 'assessment.results', body: { assessmentId, part, results } });
      }
      await this.snapshot();
      return this.ledger.state.assessments.find((a) => a.id === assessmentId) as Assessment;
    });
  }

  /** What the kiosk greets a member with: month's points and rank, balance, flag, recent lines, goods within reach. */
  summary(residentId: string, members: readonly Member[], nowIso = this.nowIso()): PointsSummary {
    const month = periodKeys(nowIso, this.ledger.tz).month;
    const me = members.find((m) => m.id === residentId);
    const scope = me?.branch ? 'branch' : undefined;
    const rank = me
      ? this.ledger
          .ranking(month, scope ? members.filter((m) => m.branch === me.branch) : members)
          .find((r) => r.residentId === residentId)
      : undefined;
    const balance = this.balance(residentId, nowIso);
    const flags = this.ledger.flagHistory(residentId);
    const flag = flags[flags.length - 1];
    return {
      month,
      pointsThisMonth: this.ledger.total(residentId, month),
      ...(rank
        ? { rank: rank.rank, of: rank.of, ...(scope && me?.branch ? { rankIn: me.branch } : {}) }
        : {}),
      balance,
      ...(flag ? { flag: { quarter: flag.quarter, flag: flag.flag, label: this.flagLabel(flag.flag) } } : {}),
      recent: this.ledger.recentFor(residentId, 5).map((tx) => ({
        at: tx.at,
        kind: tx.kind,
        item: this.nameOf(tx.itemId),
        points: tx.points,
      })),
      goods: this.scheme.goods
        .filter((g) => this.ledger.stock(g.id) > 0)
        .map((g) => ({ id: g.id, name: g.name, points: g.points, affordable: g.points <= balance })),
    };
  }

  flagLabel(flag: string): string {
    return this.scheme.assessment.rules.find((r) => r.flag === flag)?.label ?? flag;
  }

  /** The journal LSN up to which the saved snapshot covers this state (retention reads it). */
  snapshotCovers(): Promise<number> {
    return this.snapshots.coveredLsn(SNAPSHOT);
  }

  /** Snapshots the ledger up to the journal's end (for retention); resolves with the LSN covered. */
  async checkpoint(): Promise<number> {
    return await this.serial(async () => {
      const lsn = this.records.lastLsn;
      await this.snapshot();
      return lsn;
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.quietTimer);
    await this.serial(() => this.snapshot());
  }

  private nameOf(id: string): string {
    return (
      this.scheme.items.find((i) => i.id === id)?.name ??
      this.scheme.goods.find((g) => g.id === id)?.name ??
      id
    );
  }

  private rules(rules?: FlagRule[]): FlagRule[] {
    if (!rules) return this.scheme.assessment.rules;
    const problem = flagRulesProblem(rules);
    if (problem) throw new LinliError('POINTS_INVALID', problem);
    return rules;
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  private async commit(r: Input<PointsRecord>): Promise<void> {
    const rec = await this.records.append('points', r.type, r.body);
    this.ledger.apply({ ...r, ts: rec.ts } as PointsRecord);
    if (++this.sinceSnapshot >= SNAPSHOT_CEILING) await this.snapshot();
    else if (this.sinceSnapshot >= SNAPSHOT_EVERY) {
      clearTimeout(this.quietTimer);
      this.quietTimer = setTimeout(() => {
        this.serial(() => this.snapshot()).catch(this.onError);
      }, SNAPSHOT_QUIET_MS).unref();
    }
  }

  private async snapshot(): Promise<void> {
    clearTimeout(this.quietTimer);
    this.sinceSnapshot = 0;
    await this.snapshots.save(SNAPSHOT, {
      version: SNAPSHOT_VERSION,
      lsn: this.records.lastLsn,
      state: this.ledger.state,
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
