/**
 * Payments as state derived from records (docs/payments.md): the types of the `payment` stream's
 * records and {@link applyPaymentRecord}, which folds one record into the state. Used at start-up
 * (snapshot + the records after it) and after each append, so the state on disk and in memory
 * never differ. No I/O here.
 */
import type { ReceiptBody } from '../../cloud-sync/protocol/receipt.js';

export type PaymentKind = 'sale' | 'account';
export type PaymentState =
  | 'created'
  | 'sent'
  | 'unknown'
  | 'approved'
  | 'declined'
  | 'voided'
  | 'waiting-card';
export type UnknownReason = 'timeout' | 'link-down' | 'edge-restart';

/** What a receipt shows: the same body the cloud's receipt page reads (cloud-sync/protocol/receipt.ts). */
export type Receipt = ReceiptBody;

export interface Payment {
  id: string;
  ref: string;
  kind: PaymentKind;
  state: PaymentState;
  item: string;
  amountFen: number;
  deviceId: string;
  residentId?: string;
  /** The kiosk that started it (its events go only to that kiosk). */
  kioskId?: string;
  idempotencyKey?: string;
  maskedPan?: string;
  authCode?: string;
  traceNo?: string;
  batchNo?: string;
  terminalTime?: string;
  code?: string;
  text?: string;
  unknownReason?: UnknownReason;
  receipt?: Receipt;
  /** Its terminal's batch was closed since (a void is no longer possible). */
  settled?: boolean;
  createdAt: string;
  updatedAt: string;
  history: { state: PaymentState; at: string }[];
}

export interface AccountEntry {
  payment: string;
  /** Positive: credited; negative: debited. */
  amountFen: number;
  at: string;
}

export type MismatchKind = 'unknown-at-settlement' | 'count' | 'total';

export interface ReconciliationReport {
  id: string;
  deviceId: string;
  batchNo: string;
  at: string;
  trigger: 'schedule' | 'admin';
  edge: { count: number; totalFen: number };
  terminal: { count: number; totalFen: number };
  matched: boolean;
  payments: { id: string; ref: string; item: string; amountFen: number; state: PaymentState }[];
  mismatches: { kind: MismatchKind; paymentId?: string; ref?: string; amountFen?: number; detail: string }[];
}

/** Everything derived from the `payment` stream. */
export interface PaymentsState {
  payments: Record<string, Payment>;
  accounts: Record<string, AccountEntry[]>;
  reconciliations: ReconciliationReport[];
}

export const emptyPaymentsState = (): PaymentsState => ({ payments: {}, accounts: {}, reconciliations: [] });

/** A record of the `payment` stream as applied: its type, body and time. */
export interface PaymentRecord {
  type: string;
  ts: string;
  body: Record<string, unknown>;
}

export const FINAL: ReadonlySet<PaymentState> = new Set(['approved', 'declined', 'voided']);

/** Whether a sale still holds its terminal (docs/payments.md: one sale at a time). */
export function holdsTerminal(p: Payment): boolean {
  return p.state === 'created' || p.state === 'sent' || p.state === 'unknown' || p.state === 'waiting-card';
}

function move(p: Payment, state: PaymentState, at: string): void {
  p.state = state;
  p.updatedAt = at;
  p.history.push({ state, at });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Folds one `payment`-stream record into the state; unknown types are ignored. */
export function applyPaymentRecord(s: PaymentsState, r: PaymentRecord): void {
  const b = r.body;
  const p = typeof b.payment === 'string' ? s.payments[b.payment] : undefined;
  switch (r.type) {
    case 'payment.created': {
      const kind = b.kind as PaymentKind;
      const created: Payment = {
        id: b.payment as string,
        ref: b.ref as string,
        kind,
        state: kind === 'account' ? 'waiting-card' : 'created',
        item: b.item as string,
        amountFen: b.amountFen as number,
        deviceId: b.deviceId as string,
        createdAt: r.ts,
        updatedAt: r.ts,
        history: [{ state: kind === 'account' ? 'waiting-card' : 'created', at: r.ts }],
      };
      for (const k of ['residentId', 'kioskId', 'idempotencyKey'] as const) {
        const v = str(b[k]);
        if (v !== undefined) created[k] = v;
      }
      s.payments[created.id] = created;
      return;
    }
    case 'payment.sent':
      if (p) move(p, 'sent', r.ts);
      return;
    case 'payment.unknown':
      if (p) {
        p.unknownReason = b.reason as UnknownReason;
        move(p, 'unknown', r.ts);
      }
      return;
    case 'payment.approved':
      if (p) {
        for (const k of ['maskedPan', 'authCode', 'traceNo', 'batchNo', 'terminalTime'] as const) {
          const v = str(b[k]);
          if (v) p[k] = v;
        }
        p.code = '00';
        if (b.receipt) p.receipt = b.receipt as Receipt;
        move(p, 'approved', r.ts);
      }
      return;
    case 'payment.declined':
      if (p) {
        p.code = str(b.code) ?? '';
        p.text = str(b.text) ?? '';
        move(p, 'declined', r.ts);
      }
      return;
    case 'payment.voided':
      if (p) {
        if (b.receipt) p.receipt = b.receipt as Receipt;
        move(p, 'voided', r.ts);
      }
      return;
    case 'account.credited':
    case 'account.debited': {
      const residentId = b.residentId as string;
      const sign = r.type === 'account.credited' ? 1 : -1;
      const entries = s.accounts[residentId] ?? [];
      entries.push({ payment: b.payment as string, amountFen: sign * (b.amountFen as number), at: r.ts });
      s.accounts[residentId] = entries;
      if (p && p.residentId === undefined) p.residentId = residentId;
      return;
    }
    case 'settlement.closed':
      // The terminal's batch is closed: every sale on it so far belongs to a closed batch.
      for (const x of Object.values(s.payments)) {
        if (x.kind === 'sale' && x.deviceId === b.deviceId && x.createdAt <= r.ts) x.settled = true;
      }
      return;
    case 'reconciliation.made':
      s.reconciliations.push(b as unknown as ReconciliationReport);
      return;
  }
}

/** The balance of a resident's account in fen. */
export function balanceOf(s: PaymentsState, residentId: string): number {
  return (s.accounts[residentId] ?? []).reduce((sum, e) => sum + e.amountFen, 0);
}
