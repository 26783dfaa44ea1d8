/**
 * The points and card-tap types that cross the API (edge/api/types.ts re-exports them for
 * kiosk-ui): plain data, no imports, so the browser build can check against the edge's own.
 */

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

/** Goods of the points supermarket (积分超市): what one unit costs in points. */
export interface Goods {
  id: string;
  name: string;
  points: number;
  unit?: string;
}

/**
 * One rule of the quarterly assessment, tried in order: the first whose conditions a member meets
 * gives the flag. `minPoints` on the quarter's points; `topPercent` on the rank within the scope.
 * The last rule has no condition, so every member gets a flag.
 */
export interface FlagRule {
  flag: string;
  label?: string;
  minPoints?: number;
  topPercent?: number;
}

export interface AssessmentScheme {
  /** Members are ranked and flagged within their party branch or the whole community. */
  scope: 'branch' | 'community';
  rules: FlagRule[];
}

/** A place's points scheme: items, goods and the rules that differ by place (DOMAIN.md). */
export interface PointsScheme {
  name?: string;
  items: PointsItem[];
  goods: Goods[];
  /** Categories whose points can be spent on goods. */
  redeemable: PointsCategory[];
  /** Unspent points carry over forever, or the balance starts from zero each year. */
  balance: 'rollover' | 'reset-yearly';
  assessment: AssessmentScheme;
}

export interface PointsSession {
  id: string;
  itemId: string;
  /** Reader device ids whose swipes count for this session. */
  readers: string[];
  openedAt: string;
  openedBy: string;
  closedAt?: string;
  closedBy?: string;
  /** Residents credited in this session (once each). */
  credited: string[];
}

export type TxKind = 'credit' | 'deduction' | 'redemption' | 'reversal';

/** One line of a member's history: a credit, deduction, redemption or its reversal. */
export interface PointsTx {
  at: string;
  kind: TxKind;
  residentId: string;
  /** Points item or goods id. */
  itemId: string;
  points: number;
  sessionId?: string;
  reason?: string;
}

export interface Redemption {
  id: string;
  residentId: string;
  goodsId: string;
  qty: number;
  /** Negative: what it took from the balance. */
  points: number;
  at: string;
  by: string;
  deviceId?: string;
  reversed?: { at: string; by: string; reason: string };
}

/** A member's result in one assessment. */
export interface FlagResult {
  flag: string;
  points: number;
  rank: number;
  of: number;
  group: string;
}

export interface Assessment {
  id: string;
  quarter: string;
  at: string;
  by: string;
  scope: 'branch' | 'community';
  rules: FlagRule[];
  /** residentId → result. */
  results: Record<string, FlagResult>;
  /** Members assessed; the results arrive in parts, and an assessment counts once all are in. */
  members: number;
  /** Parts of the results received so far (of `parts`). */
  received: number;
  parts: number;
}

/** Who is ranked and assessed: party members with their branch and community. */
export interface Member {
  id: string;
  branch?: string;
  community?: string;
}

/** What the kiosk greets a party member with (`PointsService.summary`). */
export interface PointsSummary {
  month: string;
  pointsThisMonth: number;
  /** Within the member's branch (`rankIn`), or among all members when the member has none. */
  rank?: number;
  of?: number;
  rankIn?: string;
  /** Redeemable points left to spend. */
  balance: number;
  /** The latest assessed quarter's flag. */
  flag?: { quarter: string; flag: string; label: string };
  recent: { at: string; kind: TxKind; item: string; points: number }[];
  /** Goods in stock; `affordable` when the balance covers one. */
  goods: { id: string; name: string; points: number; affordable: boolean }[];
}

/** The answer a reader shows (beep pattern / display) and the kiosk reads (DESIGN.md `feedback`). */
export type TapResult = 'ok' | 'duplicate' | 'no-session' | 'unknown-card' | 'refused';
/** Why a tap was refused: the card is reported lost, revoked, or not a party card in a session. */
export type TapReason = 'lost' | 'revoked' | 'not-party';

/** What a kiosk screen shows for a tap: the resident's name partly masked, never the card UID. */
export interface KioskGreeting {
  deviceId: string;
  result: TapResult;
  /** `张*兰` */
  name?: string;
  kind?: 'resident' | 'party';
  reason?: TapReason;
  /** Points credited by this tap. */
  credited?: number;
  /** The credit was cut by the item's cap for the period. */
  capped?: boolean;
  /** A party member's month: points, rank, balance, flag, recent items, goods. */
  points?: PointsSummary;
}

/** What staff watching a session see of a swipe (the admin event stream: full name, no UID). */
export interface SwipeView {
  deviceId: string;
  result: TapResult;
  residentId?: string;
  /** Full name: this goes to logged-in staff only. */
  name?: string;
  reason?: TapReason;
  sessionId?: string;
  credited?: number;
  capped?: boolean;
  at: string;
}
