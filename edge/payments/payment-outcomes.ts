/**
 * The records of a payment's good ends: `payment.approved` (with its receipt, and for a top-up the
 * account's credit) and `payment.voided` (with the receipt marked voided, and for a top-up the
 * debit). The receipt token is on disk before a record names its digest, and a top-up's account
 * entry before anyone hears of the payment's change.
 */
import type { TerminalResultEvent } from '../../firmware-bridge/bank-terminal/events.js';
import type { Payment, Receipt } from './payment-model.js';
import { receiptDigest } from './receipt-tokens.js';

export interface OutcomeDeps {
  /** Appends and applies a record; `quiet`: the change is announced later. */
  commit(type: string, body: Record<string, unknown>, quiet?: boolean): Promise<unknown>;
  announce(p: Payment): void;
  tokens: { issue(paymentId: string): Promise<string> };
  now: () => number;
}

const isTopUp = (p: Payment) => p.item === 'top-up' && p.residentId !== undefined;

/** The receipt of a payment in `state`, its token issued (and on disk) first. */
export async function receiptFor(
  d: OutcomeDeps,
  p: Payment,
  state: Receipt['state'],
  maskedPan: string,
): Promise<Receipt> {
  const token = await d.tokens.issue(p.id);
  const at = new Date(d.now()).toISOString();
  return { digest: receiptDigest(token), item: p.item, amountFen: p.amountFen, maskedPan, at, state };
}

export async function recordApproved(
  d: OutcomeDeps,
  p: Payment,
  r: TerminalResultEvent,
  via: 'result' | 'query',
): Promise<void> {
  const receipt = await receiptFor(d, p, 'approved', r.maskedPan);
  const { amountFen, maskedPan, authCode, traceNo, batchNo, terminalTime } = r;
  const body = { payment: p.id, ref: p.ref, amountFen, maskedPan, authCode, traceNo, batchNo };
  await d.commit('payment.approved', { ...body, terminalTime, via, receipt }, isTopUp(p));
  if (isTopUp(p)) {
    await d.commit(
      'account.credited',
      { residentId: p.residentId, payment: p.id, amountFen: p.amountFen },
      true,
    );
    d.announce(p);
  }
}

export async function recordVoided(
  d: OutcomeDeps,
  p: Payment,
  traceNo: string,
  terminalTime: string,
): Promise<void> {
  const receipt = await receiptFor(d, p, 'voided', p.maskedPan ?? '');
  await d.commit('payment.voided', { payment: p.id, ref: p.ref, traceNo, terminalTime, receipt }, isTopUp(p));
  if (isTopUp(p)) {
    await d.commit(
      'account.debited',
      { residentId: p.residentId, payment: p.id, amountFen: p.amountFen },
      true,
    );
    d.announce(p);
  }
}
