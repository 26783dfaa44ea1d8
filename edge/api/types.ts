/**
 * Types of the edge's HTTP API as the browser app sees them. `kiosk-ui/` imports only this file
 * from `edge/` (DESIGN.md: imports flow kiosk-ui → edge(api types)). No runtime code here.
 */

export type Role = 'admin' | 'staff' | 'viewer';

export type DeviceType =
  | 'qr-scanner'
  | 'card-reader'
  | 'help-button'
  | 'help-panel'
  | 'bank-terminal'
  | 'gsm-modem'
  | 'kiosk';

export type Transport = 'mqtt' | 'serial' | 'pcsc' | 'http';

/** `POST /api/auth/login` answer. The same token is also set as the HttpOnly cookie `linli_session`. */
export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: { username: string; role: Role };
}

/** `GET /api/auth/me`. */
export interface MeResponse {
  username: string;
  role: Role;
}

export interface DeviceCounters {
  /** Device events accepted (scans, taps, presses, heartbeats). */
  events: number;
  /** Malformed frames/payloads and refused publishes. */
  errors: number;
  /** Times the link came back after a loss. */
  reconnects: number;
}

/** One device in `GET /api/devices`. */
export interface DeviceView {
  id: string;
  type: DeviceType;
  transport: Transport;
  name?: string;
  online: boolean;
  /** ISO time of the last sign of life (event, heartbeat, status), or null if never seen. */
  lastSeen: string | null;
  /** Why it is offline, in plain words, when known. */
  offlineReason?: string;
  counters: DeviceCounters;
  /** Heartbeat interval in seconds the device announced (default 60). */
  hb?: number;
  fw?: string;
  battery?: number;
  path?: string;
  baudRate?: number;
  createdAt: string;
}

/** `POST /api/devices` answer: the device plus, once, its credential. */
export type DeviceCreated = DeviceView & { password?: string; token?: string };

/** SSE `device.status` data. */
export interface DeviceStatusEvent {
  deviceId: string;
  online: boolean;
  lastSeen: string | null;
  offlineReason?: string;
}

/** SSE `qr.scanned` data (also what the kiosk's attract screen receives). */
export interface QrScannedView {
  deviceId: string;
  ts: string;
  text: string;
  symbology?: string;
  /** What the edge made of the text: a link, or plain text. Later issues add badges, grid cells… */
  kind: 'url' | 'text' | 'badge';
  /** An elder's QR badge: its public code and the numbers to call — never who it is. */
  badge?: {
    code: string;
    community?: { name: string; phone: string };
    police?: { name: string; phone: string };
  };
  /** Journal record id of the scan. */
  recordId: string;
}

/** `POST /api/kiosk/session` answer. */
export interface KioskSessionResponse {
  deviceId: string;
  house: string;
}

/** `GET /healthz`. */
export interface HealthResponse {
  status: 'ok';
  house: string;
  version: string;
  uptimeS: number;
}

/** Error body of every non-2xx answer. */
export interface ApiError {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

export type { AlarmKind, AlarmOutcome, AlarmState, AlarmStep } from '../alarms/alarm-model.js';

/** `GET /api/alarms` item and SSE `alarm` data (staff): the alarm, and the elder behind it by name. */
export type Alarm = import('../alarms/alarm-model.js').Alarm & {
  who?: { residentId: string; name: string; address?: string };
};

/** Someone on the alarm duty roster: level 0 answers first, level 1 if nobody does, and so on. */
export interface DutyEntry {
  name: string;
  phone?: string;
  level: number;
  /** Local hours on duty (LINLI_TZ), `HH:MM`; absent: around the clock. `to` < `from` spans midnight. */
  from?: string;
  to?: string;
}

/** Where alarm notifications are posted (a staff group robot or any JSON receiver). */
export interface WebhookTarget {
  name: string;
  url: string;
  format: 'wecom' | 'dingtalk' | 'json';
  /** Duty levels this target hears about; absent: all. */
  levels?: number[];
}

/** SSE `kiosk.alarm` data: what a screen in the public room may know of an alarm (no who, no where). */
export interface KioskAlarmView {
  id: string;
  kind: import('../alarms/alarm-model.js').AlarmKind;
  state: import('../alarms/alarm-model.js').AlarmState;
  raisedAt: string;
}

/** `POST /api/kiosk/help` answer: sent only once the alarm is on disk. */
export interface KioskHelpAnswer {
  alarmId: string;
  state: import('../alarms/alarm-model.js').AlarmState;
}

/** One of an elder's emergency contacts. */
export interface EmergencyContact {
  name: string;
  relation?: string;
  phone: string;
}

/**
 * `GET /api/residents` item and `GET /api/residents/{id}` (staff). Only the single resident
 * carries `healthNotes` (sealed at rest, opened for staff); the list never does. The ID number
 * is never answered whole: `idNumberMasked` is `2101**********1234`.
 */
export interface ResidentView {
  id: string;
  name: string;
  /** One line for people; made from community, building, unit and room unless written by hand. */
  address?: string;
  community?: string;
  building?: string;
  unit?: string;
  room?: string;
  phone?: string;
  roles: string[];
  /** Party branch (党支部). */
  branch?: string;
  emergencyContacts: EmergencyContact[];
  healthNotes?: string;
  idNumberMasked?: string;
  /** The active QR badge: its public code only, never the token. */
  badge?: { code: string; issuedAt: string };
  createdAt: string;
  updatedAt: string;
}

/**
 * `POST /api/residents` body (admin); `PATCH` takes any of it but `id` (`''` clears an optional
 * text: `healthNotes`, `idNumber`, `phone`, the home parts, `branch`).
 */
export interface ResidentInput {
  id: string;
  name: string;
  address?: string;
  community?: string;
  building?: string;
  unit?: string;
  room?: string;
  phone?: string;
  roles?: string[];
  branch?: string;
  emergencyContacts?: EmergencyContact[];
  healthNotes?: string;
  /** 居民身份证号, 18 characters; checked (GB 11643), sealed, never answered back. */
  idNumber?: string;
}

/** A card bound to a resident (`GET /api/cards`, `GET /api/residents/{id}/cards`). */
export interface CardView {
  /** Upper-case hex, bytes as read. */
  uid: string;
  residentId: string;
  kind: 'resident' | 'party';
  state: 'active' | 'lost' | 'revoked';
  boundAt: string;
  changedAt: string;
}

export type {
  ImportField,
  ImportOutcome,
  ImportProblem,
  ImportProblemCode,
  ImportReport,
} from '../residents/import-types.js';

/** `POST /api/residents/{id}/badge` answer: the new badge; the one before it is dead. */
export interface BadgeIssued {
  code: string;
  url: string;
}

/** A public number a badge shows. */
export interface ContactNumber {
  name: string;
  phone: string;
}

/** `GET /api/settings/contacts` (anyone) / `PUT` (admin): the numbers every badge shows. */
export interface PublicContacts {
  community?: ContactNumber;
  police?: ContactNumber;
}

// Party-member points (issue 4): edge/http/routes/points-routes.ts answers with these.
export type {
  AssessmentScheme,
  FlagResult,
  FlagRule,
  Goods,
  KioskGreeting,
  PointsCategory,
  PointsItem,
  PointsScheme,
  PointsSummary,
  PointsTx,
  Redemption,
  SwipeView,
  TapReason,
  TapResult,
  TxKind,
} from '../points/points-types.js';

type Scheme = import('../points/points-types.js').PointsScheme;
type Rule = import('../points/points-types.js').FlagRule;
type Result = import('../points/points-types.js').FlagResult;

/** Goods with what is in stock. */
export type GoodsView = import('../points/points-types.js').Goods & { stock: number };

/** `GET /api/points/scheme` */
export type SchemeView = Omit<Scheme, 'goods'> & { goods: GoodsView[] };

/** `GET /api/points/sessions` rows: who was credited, by name (staff). */
export type SessionView = Omit<import('../points/points-types.js').PointsSession, 'credited'> & {
  item: string;
  credited: { residentId: string; name: string }[];
};

/** `GET /api/points/members` rows */
export interface MemberRow {
  id: string;
  name: string;
  branch?: string;
  community?: string;
  pointsThisMonth: number;
  balance: number;
}

/** A member's flag in one assessed quarter. */
export type FlagHistoryRow = Result & { quarter: string; at: string; label: string };

/** `GET /api/points/members/{id}` */
export type MemberDetailView = import('../points/points-types.js').PointsSummary & {
  residentId: string;
  name: string;
  history: import('../points/points-types.js').PointsTx[];
  flags: FlagHistoryRow[];
};

/** `GET /api/points/redemptions` rows */
export type RedemptionView = import('../points/points-types.js').Redemption & { name: string; goods: string };

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
  rules: Rule[];
  counts: Record<string, number>;
}

export type FlagResultRow = Result & { residentId: string; name: string };

/** `GET /api/points/assessments/{id}` */
export interface AssessmentDetail extends AssessmentSummary {
  results: FlagResultRow[];
}

/** `GET /api/points/assessments/preview` */
export interface AssessmentPreview {
  quarter: string;
  scope: 'branch' | 'community';
  rules: Rule[];
  results: FlagResultRow[];
}

/** A record the cloud rejected (`GET /api/sync` `deadLetters`); re-sent with the same id and seq once fixed. */
export interface DeadLetterView {
  id: string;
  stream: string;
  seq: number;
  /** The cloud's code: `unknown-type`, `schema`, `too-large`, `conflict` … */
  reason: string;
  /** For people; never quotes the record. */
  message: string;
  firstSeen: string;
  lastSeen: string;
  attempts: number;
}

/** `GET /api/sync` per stream. */
export interface SyncStreamView {
  /** Seq of the stream's last durable record. */
  lastSeq: number;
  /** Every seq up to here is held by the cloud. */
  cursor: number;
  backlog: number;
  /** Age of the oldest record the cloud does not hold yet (ms), null when none. */
  oldestUnsyncedAgeMs: number | null;
}

/** `GET /api/sync`: the house's sync with the city's cloud (DESIGN.md, "Edge HTTP API"). */
export interface SyncView {
  /** False when LINLI_CLOUD_URL is unset: the edge works alone and nothing is synced. */
  enabled: boolean;
  /** Scheme, host and path only. */
  cloudUrl?: string;
  /** `synced` once the cloud answered (or the system clock is NTP-synced); the offset followed. */
  clock: { state: 'synced' | 'unsynced'; offsetMs: number };
  streams: Record<string, SyncStreamView>;
  backlog: number;
  lastSuccessAt: string | null;
  lastError: { code: string; status?: number; message: string; at: string } | null;
  consecutiveFailures: number;
  running: boolean;
  deadLetters: DeadLetterView[];
  journal: { firstLsn: number; lastLsn: number; segments: number; bytes: number };
  retention: {
    days: number;
    minFreeBytes: number;
    lastRun: {
      at: string;
      deleted: number;
      dropped: number;
      droppedRecords: number;
      freeBytes: number | null;
    } | null;
    lastError: string | null;
    /** Records dropped by the disk-full policy whose stand-ins the cloud does not hold yet. */
    droppedPending: number;
  };
}

// Config sync with the cloud (issue 5): edge/http/routes/config-sync-routes.ts, notice-routes.ts.

/** The kinds of config entity the cloud and the edge share (cloud-sync/protocol/config.ts). */
export type ConfigKind =
  | 'resident'
  | 'card'
  | 'user'
  | 'device'
  | 'activity'
  | 'goods'
  | 'points-scheme'
  | 'duty'
  | 'notice'
  | 'contacts';

/** `GET /api/config-sync` (viewer). */
export interface ConfigSyncStatusView {
  /** LINLI_CLOUD_URL and LINLI_HOUSE_SECRET are set: the edge syncs its config. */
  enabled: boolean;
  /** The bundle version the edge holds (0: none yet). */
  version: number;
  /** When a bundle was last applied, and when the cloud last answered a pull (200 or 304). */
  appliedAt: string | null;
  lastPullAt: string | null;
  /** When the cloud last answered local edits. */
  lastPushAt: string | null;
  lastError: { code: string; message: string; at: string } | null;
  /** Local edits not yet settled by the cloud. */
  pendingEdits: number;
  openConflicts: number;
  rejected: number;
  running: boolean;
  /** The scheme the cloud's activities, goods and rules make cannot be used (the previous one holds). */
  pointsProblem?: string;
}

/** `GET /api/config-sync/conflicts` item: an edge edit the cloud's version won over. */
export interface ConfigConflictView {
  edit: string;
  kind: ConfigKind;
  id: string;
  /** The version the edge edit was made on, and the cloud's version that won. */
  base: number;
  cloudVersion: number;
  /** When and by whom the edge edit was made, and when the conflict was found. */
  at: string;
  by: string;
  detectedAt: string;
  /** Fields the lost edit had different from the winner (names only). */
  fields: string[];
}

/** `GET /api/config-sync/rejected` item: an edge edit the cloud refused; the edge keeps its value. */
export interface RejectedEditView {
  edit: string;
  kind: ConfigKind;
  id: string;
  base: number;
  at: string;
  by: string;
  reason: string;
  detectedAt: string;
}

/** `GET /api/notices` item (viewer); what the kiosk shows. */
export interface NoticeView {
  id: string;
  title: string;
  body: string;
  /** Shown from / until (ISO-8601 UTC); absent: at once / until removed. */
  from?: string;
  until?: string;
  pinned?: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `POST /api/notices`, `PUT /api/notices/{id}` body (staff). */
export interface NoticeInput {
  title: string;
  body: string;
  from?: string;
  until?: string;
  pinned?: boolean;
}

/** `GET /api/kiosk/notices` item: a notice current now. */
export interface KioskNoticeView {
  id: string;
  title: string;
  body: string;
  pinned?: boolean;
  until?: string;
}

export type { PaymentItem } from '../payments/payment-items.js';
export type {
  AccountEntry,
  MismatchKind,
  PaymentKind,
  PaymentState,
  ReconciliationReport,
} from '../payments/payment-model.js';
// Payments (issue 6, docs/payments.md): what the kiosk's and the admin's pay screens read.
export type { PaymentView } from '../payments/payment-view.js';

/** `POST /api/payments` and `POST /api/account-payments`: 201 new, 200 the same key again. */
export interface PaymentCreated {
  id: string;
  ref: string;
  state: import('../payments/payment-model.js').PaymentState;
}

/** SSE `payment.prompt`: the terminal's progress text for a sale in progress. */
export interface PaymentPromptEvent {
  id: string;
  ref: string;
  deviceId: string;
  prompt: string;
}

/** `GET /api/accounts/{residentId}`: entries are positive (credited) or negative (debited). */
export interface AccountView {
  residentId: string;
  balanceFen: number;
  entries: import('../payments/payment-model.js').AccountEntry[];
}
