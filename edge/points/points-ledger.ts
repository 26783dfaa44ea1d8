import { type CapPeriod, type PointsItem, periodKeys } from './catalogue.js';

export interface PointsSession {
  id: string;
  itemId: string;
  /** Reader device ids whose swipes count for this session. */
  readers: string[];
  openedAt: string;
  openedBy: string;
  closedAt?: string;
  /** Residents credited in this session (once each). */
  credited: string[];
}

export interface PointsTx {
  at: string;
  residentId: string;
  itemId: string;
  points: number;
  sessionId?: string;
  reason?: string;
}

/** Records of stream `points` the ledger reads (card.swipe records change nothing). */
export type PointsRecord =
  | {
      type: 'session.opened';
      ts: string;
      body: { sessionId: string; itemId: string; readers: string[]; by: string };
    }
  | { type: 'session.closed'; ts: string; body: { sessionId: string; by: string } }
  | {
      type: 'points.credited';
      ts: string;
      body: {
        residentId: string;
        itemId: string;
        points: number;
        sessionId: string;
        deviceId: string;
        capped: boolean;
      };
    }
  | {
      type: 'points.deducted';
      ts: string;
      body: { residentId: string; itemId: string; points: number; reason: string; by: string };
    };

export interface LedgerState {
  sessions: PointsSession[];
  /** residentId → period key (`2026-11`, `2026-Q4`, `2026`) → points. */
  totals: Record<string, Record<string, number>>;
  /** residentId → itemId/period key → points (for caps). */
  byItem: Record<string, Record<string, number>>;
  /** The last transactions, newest last (for the kiosk's "recent credits"). */
  recent: PointsTx[];
}

export const emptyLedger = (): LedgerState => ({ sessions: [], totals: {}, byItem: {}, recent: [] });

const RECENT = 2000;

/**
 * Points as state derived from the `points` records: a pure reducer in the house's time zone, so
 * the same records always give the same totals, whatever order of arrival produced them.
 */
export class PointsLedger {
  constructor(
    readonly state: LedgerState,
    readonly tz: string,
  ) {}

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
        if (s && !s.closedAt) s.closedAt = r.ts;
        return;
      }
      case 'points.credited': {
        const s = this.session(r.body.sessionId);
        if (s && !s.credited.includes(r.body.residentId)) s.credited.push(r.body.residentId);
        this.add({
          at: r.ts,
          residentId: r.body.residentId,
          itemId: r.body.itemId,
          points: r.body.points,
          sessionId: r.body.sessionId,
        });
        return;
      }
      case 'points.deducted':
        this.add({
          at: r.ts,
          residentId: r.body.residentId,
          itemId: r.body.itemId,
          points: r.body.points,
          reason: r.body.reason,
        });
        return;
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

  /** Members ranked by points in a period (`2026-11`, `2026-Q4`, `2026`): ties share a rank. */
  ranking(
    period: string,
    members: readonly string[],
  ): { residentId: string; points: number; rank: number }[] {
    const rows = members.map((id) => ({ residentId: id, points: this.total(id, period) }));
    rows.sort((a, b) => b.points - a.points || a.residentId.localeCompare(b.residentId));
    let rank = 0;
    let last = Number.NaN;
    return rows.map((r, i) => {
      if (r.points !== last) rank = i + 1;
      last = r.points;
      return { ...r, rank };
    });
  }

  recentFor(residentId: string, n: number): PointsTx[] {
    const out: PointsTx[] = [];
    for (let i = this.state.recent.length - 1; i >= 0 && out.length < n; i--) {
      const tx = this.state.recent[i] as PointsTx;
      if (tx.residentId === residentId) out.push(tx);
    }
    return out;
  }

  private add(tx: PointsTx): void {
    const keys = periodKeys(tx.at, this.tz);
    this.state.totals[tx.residentId] ??= {};
    const totals = this.state.totals[tx.residentId] as Record<string, number>;
    for (const p of ['month', 'quarter', 'year'] as CapPeriod[])
      totals[keys[p]] = (totals[keys[p]] ?? 0) + tx.points;
    this.state.byItem[tx.residentId] ??= {};
    const byItem = this.state.byItem[tx.residentId] as Record<string, number>;
    for (const p of ['month', 'quarter', 'year'] as CapPeriod[]) {
      const k = `${tx.itemId}/${keys[p]}`;
      byItem[k] = (byItem[k] ?? 0) + tx.points;
    }
    this.state.recent.push(tx);
    if (this.state.recent.length > RECENT) this.state.recent.splice(0, this.state.recent.length - RECENT);
  }
}
