/**
 * The answers of the points API as the admin pages read them (edge/http/routes/points-routes.ts;
 * the edge's own types live with node-only code, so they are restated here).
 */

export type PointsCategory = 'study' | 'practice' | 'service' | 'deduction';
export type TxKind = 'credit' | 'deduction' | 'redemption' | 'reversal';

export interface PointsItem {
  id: string;
  name: string;
  category: PointsCategory;
  points: number;
  cap?: { per: 'month' | 'quarter' | 'year'; max: number };
}

export interface GoodsView {
  id: string;
  name: string;
  points: number;
  unit?: string;
  stock: number;
}

export interface FlagRule {
  flag: string;
  label?: string;
  minPoints?: number;
  topPercent?: number;
}

/** `GET /api/points/scheme` */
export interface SchemeView {
  name?: string;
  items: PointsItem[];
  goods: GoodsView[];
  redeemable: PointsCategory[];
  balance: 'rollover' | 'reset-yearly';
  assessment: { scope: 'branch' | 'community'; rules: FlagRule[] };
}

/** `GET /api/points/sessions` rows */
export interface SessionView {
  id: string;
  itemId: string;
  item: string;
  readers: string[];
  openedAt: string;
  openedBy: string;
  closedAt?: string;
  closedBy?: string;
  credited: { residentId: string; name: string }[];
}

/** SSE `points.swipe` on `GET /api/events`. */
export interface SwipeEvent {
  deviceId: string;
  result: 'ok' | 'duplicate' | 'no-session' | 'unknown-card' | 'refused';
  residentId?: string;
  /** Full name (staff only). */
  name?: string;
  reason?: 'lost' | 'revoked' | 'not-party';
  sessionId?: string;
  credited?: number;
  capped?: boolean;
  at: string;
}

/** `GET /api/points/members` rows */
export interface MemberRow {
  id: string;
  name: string;
  branch?: string;
  community?: string;
  pointsThisMonth: number;
  balance: number;
}

export interface PointsTx {
  at: string;
  kind: TxKind;
  residentId: string;
  itemId: string;
  points: number;
  sessionId?: string;
  reason?: string;
}

export interface FlagHistoryRow {
  quarter: string;
  at: string;
  flag: string;
  label: string;
  points: number;
  rank: number;
  of: number;
  group: string;
}

/** `GET /api/points/members/:id` */
export interface MemberDetailView {
  residentId: string;
  name: string;
  month: string;
  pointsThisMonth: number;
  rank?: number;
  of?: number;
  balance: number;
  flag?: { quarter: string; flag: string; label: string };
  history: PointsTx[];
  flags: FlagHistoryRow[];
}

/** `GET /api/points/redemptions` rows */
export interface RedemptionView {
  id: string;
  residentId: string;
  name: string;
  goodsId: string;
  goods: string;
  qty: number;
  /** Negative: what it took from the balance. */
  points: number;
  at: string;
  by: string;
  reversed?: { at: string; by: string; reason: string };
}

export interface RankingRow {
  residentId: string;
  name: string;
  points: number;
  rank: number;
  of: number;
  group: string;
}

/** `GET /api/points/ranking` */
export interface RankingView {
  period: string;
  by?: 'branch' | 'community';
  rows: RankingRow[];
}

/** `GET /api/points/assessments` rows */
export interface AssessmentSummary {
  id: string;
  quarter: string;
  at: string;
  by: string;
  scope: 'branch' | 'community';
  rules: FlagRule[];
  counts: Record<string, number>;
}

export interface FlagResultRow {
  residentId: string;
  name: string;
  flag: string;
  points: number;
  rank: number;
  of: number;
  group: string;
}

/** `GET /api/points/assessments/:id` */
export interface AssessmentDetail extends AssessmentSummary {
  results: FlagResultRow[];
}

/** `GET /api/points/assessments/preview` */
export interface AssessmentPreview {
  quarter: string;
  scope: 'branch' | 'community';
  rules: FlagRule[];
  results: FlagResultRow[];
}
