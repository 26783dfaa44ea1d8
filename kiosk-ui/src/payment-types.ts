/**
 * Payment, account and reconciliation shapes of the edge's API as `docs/payments.md` defines them,
 * mirrored here until `edge/api/types.ts` carries them (the payments backend is written beside
 * these screens). Money is integer fen everywhere.
 */

export type PaymentKind = 'sale' | 'account';

export type PaymentState =
  | 'created'
  | 'sent'
  | 'unknown'
  | 'approved'
  | 'declined'
  | 'voided'
  | 'waiting-card';

/** `GET /api/payments/items`. */
export interface PaymentItem {
  id: string;
  name: { zh: string; en: string };
  kind: 'sale' | 'account' | 'both';
  amountFen?: number;
}

/** `POST /api/payments` and `POST /api/account-payments`. */
export interface PaymentCreated {
  id: string;
  ref: string;
  state: PaymentState;
}

/** `GET /api/payments/{id}`, and the SSE `payment` event. */
export interface PaymentView {
  id: string;
  ref: string;
  kind: PaymentKind;
  state: PaymentState;
  item: string;
  amountFen: number;
  deviceId: string;
  residentId?: string;
  maskedPan?: string;
  code?: string;
  text?: string;
  prompt?: string;
  createdAt: string;
  updatedAt: string;
  receiptUrl?: string;
  /** An account spend's balance after it, when the edge tells it. */
  balanceFen?: number;
  history: { state: PaymentState; at: string }[];
}

/** SSE `payment.prompt`: the terminal's progress text, as it arrives. */
export interface PaymentPrompt {
  id: string;
  ref: string;
  deviceId: string;
  prompt: string;
}

/** `GET /api/accounts/{residentId}`. */
export interface AccountView {
  residentId: string;
  balanceFen: number;
  entries: { payment: string; amountFen: number; at: string }[];
}

export type MismatchKind = 'unknown-at-settlement' | 'count' | 'total';

/** `POST /api/settlements`, `GET /api/reconciliations[/{id}]`. */
export interface ReconciliationReport {
  id: string;
  deviceId: string;
  batchNo: string | number;
  at: string;
  trigger: 'schedule' | 'admin';
  edge: { count: number; totalFen: number };
  terminal: { count: number; totalFen: number };
  matched: boolean;
  payments: { id: string; ref: string; item: string; amountFen: number; state: PaymentState }[];
  mismatches: { kind: MismatchKind; paymentId?: string; ref?: string; amountFen?: number; detail: string }[];
}

/** States a payment never leaves (except an approved sale, which a void may still end). */
export function isFinal(state: PaymentState): boolean {
  return state === 'approved' || state === 'declined' || state === 'voided';
}

/** Whether `next` may replace `current`: a payment's history only grows, and a final state stays final. */
export function isNewer(current: PaymentView | null, next: PaymentView): boolean {
  if (!current) return true;
  if (isFinal(current.state) && !isFinal(next.state)) return false;
  return next.history.length >= current.history.length;
}
