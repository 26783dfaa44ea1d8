/**
 * The pay screens' view of the edge's payments API (`docs/payments.md`): the shapes come from
 * `edge/api/types.ts`, so the screens and the edge cannot drift apart; the two rules below are the
 * screens' own. Money is integer fen everywhere.
 */
import type { PaymentState, PaymentView } from '../../edge/api/types.js';

export type {
  AccountEntry,
  AccountView,
  MismatchKind,
  PaymentCreated,
  PaymentItem,
  PaymentKind,
  PaymentPromptEvent as PaymentPrompt,
  PaymentState,
  PaymentView,
  ReconciliationReport,
} from '../../edge/api/types.js';

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
