/**
 * The payment view of the HTTP API and the `payment` event (docs/payments.md): the payment's
 * state and history, its prompt while in progress, and the receipt link once approved. Never more
 * of a card number than the masked one.
 */
import type { Payment } from './payment-model.js';

export interface PaymentView {
  id: string;
  ref: string;
  kind: Payment['kind'];
  state: Payment['state'];
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
  /** The resident's account balance now, on an approved account spend or top-up. */
  balanceFen?: number;
  history: { state: Payment['state']; at: string }[];
}

/** `LINLI_PUBLIC_URL` (else the cloud's, else the edge's) + `/p/receipt/{token}`. */
export function receiptUrl(publicBase: string, token: string): string {
  return `${publicBase.replace(/\/+$/, '')}/p/receipt/${token}`;
}

export function paymentView(
  p: Payment,
  extra: {
    prompt?: string | undefined;
    receiptToken?: string | undefined;
    publicBase: string;
    balance?: (residentId: string) => number;
  },
): PaymentView {
  const touchesAccount = p.state === 'approved' && (p.kind === 'account' || p.item === 'top-up');
  const showReceipt = (p.state === 'approved' || p.state === 'voided') && extra.receiptToken;
  return {
    id: p.id,
    ref: p.ref,
    kind: p.kind,
    state: p.state,
    item: p.item,
    amountFen: p.amountFen,
    deviceId: p.deviceId,
    ...(p.residentId ? { residentId: p.residentId } : {}),
    ...(p.maskedPan ? { maskedPan: p.maskedPan } : {}),
    ...(p.code !== undefined ? { code: p.code } : {}),
    ...(p.text !== undefined ? { text: p.text } : {}),
    ...(extra.prompt ? { prompt: extra.prompt } : {}),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    ...(showReceipt ? { receiptUrl: receiptUrl(extra.publicBase, extra.receiptToken as string) } : {}),
    ...(touchesAccount && p.residentId && extra.balance ? { balanceFen: extra.balance(p.residentId) } : {}),
    history: p.history.map((h) => ({ ...h })),
  };
}
