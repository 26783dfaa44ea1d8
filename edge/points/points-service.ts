import { v7 } from 'uuid';
import { LinliError } from '../errors.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { type PointsItem, periodKeys } from './catalogue.js';
import {
  emptyLedger,
  type LedgerState,
  PointsLedger,
  type PointsRecord,
  type PointsSession,
} from './points-ledger.js';

const SNAPSHOT = 'points';
const SNAPSHOT_VERSION = 1;
/** A snapshot every this many points records keeps start-up short. */
const SNAPSHOT_EVERY = 500;

export type SwipeResult =
  | { result: 'ok'; points: number; capped: boolean; sessionId: string }
  | { result: 'duplicate' | 'no-session' | 'refused'; reason?: string; sessionId?: string };

/**
 * Party-member points (issue 4): sessions opened and closed by an admin, a swipe during an open
 * session credits the member once per session (within the item's cap), deductions with a reason.
 * Every change is a `points` record first; totals and rankings are derived (a snapshot plus the
 * records after it), so a restart rebuilds them identically. Mutations run one at a time.
 */
export class PointsService {
  private chain: Promise<unknown> = Promise.resolve();
  private sinceSnapshot = 0;

  private constructor(
    private readonly records: RecordLog,
    private readonly snapshots: SnapshotStore,
    readonly items: readonly PointsItem[],
    readonly ledger: PointsLedger,
    private readonly now: () => number,
  ) {}

  /** `now` must be the record log's clock: caps are counted in the period of the record's time. */
  static async open(
    records: RecordLog,
    snapshots: SnapshotStore,
    items: readonly PointsItem[],
    tz: string,
    now: () => number = Date.now,
  ): Promise<PointsService> {
    const snap = await snapshots.load<LedgerState>(SNAPSHOT, SNAPSHOT_VERSION);
    const ledger = new PointsLedger(snap?.state ?? emptyLedger(), tz);
    for await (const { record } of records.read((snap?.lsn ?? 0) + 1)) {
      if (record.stream === 'points') ledger.apply(record as unknown as PointsRecord);
    }
    return new PointsService(records, snapshots, items, ledger, now);
  }

  item(id: string): PointsItem {
    const i = this.items.find((x) => x.id === id);
    if (!i) throw new LinliError('NOT_FOUND', `no points item ${id}`);
    return i;
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
      if (!isPartyCard) return { result: 'refused', reason: 'not a party card', sessionId: s.id };
      if (s.credited.includes(residentId)) return { result: 'duplicate', sessionId: s.id };
      const item = this.item(s.itemId);
      const points = this.ledger.allowance(residentId, item, new Date(this.now()).toISOString());
      const capped = points < item.points;
      await this.commit({
        type: 'points.credited',
        body: { residentId, itemId: item.id, points, sessionId: s.id, deviceId, capped },
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

  /** What the kiosk greets a member with: points this month, rank among `members`, recent items. */
  summary(residentId: string, members: readonly string[], nowIso: string) {
    const month = periodKeys(nowIso, this.ledger.tz).month;
    const rank = this.ledger.ranking(month, members).find((r) => r.residentId === residentId)?.rank;
    return {
      month,
      pointsThisMonth: this.ledger.total(residentId, month),
      ...(rank ? { rank, of: members.length } : {}),
      recent: this.ledger.recentFor(residentId, 5).map((tx) => ({
        at: tx.at,
        item: this.items.find((i) => i.id === tx.itemId)?.name ?? tx.itemId,
        points: tx.points,
      })),
    };
  }

  async close(): Promise<void> {
    await this.serial(() => this.snapshot());
  }

  private async commit(r: Omit<PointsRecord, 'ts'>): Promise<void> {
    const rec = await this.records.append('points', r.type, r.body);
    this.ledger.apply({ ...r, ts: rec.ts } as PointsRecord);
    if (++this.sinceSnapshot >= SNAPSHOT_EVERY) await this.snapshot();
  }

  private async snapshot(): Promise<void> {
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
