/**
 * The item catalogue of payments (docs/payments.md, `GET /api/payments/items`): what a kiosk
 * offers, how each is paid, and the memo the bank terminal shows (`S|ref|amount|memo`).
 */

import { ITEM_NAMES } from '../../cloud-sync/protocol/receipt.js';

export interface PaymentItem {
  id: string;
  name: { zh: string; en: string };
  kind: 'sale' | 'account' | 'both';
  /** A fixed price, when the item has one. */
  amountFen?: number;
}

const KINDS: Readonly<Record<string, PaymentItem['kind']>> = {
  'utility-bill': 'sale',
  'property-fee': 'sale',
  'service-fee': 'both',
  canteen: 'both',
  'top-up': 'sale',
};

export const PAYMENT_ITEMS: readonly PaymentItem[] = Object.entries(KINDS).map(([id, kind]) => ({
  id,
  name: ITEM_NAMES[id] as PaymentItem['name'],
  kind,
}));

/** The item with this id, if any. */
export function paymentItem(id: string): PaymentItem | undefined {
  return PAYMENT_ITEMS.find((i) => i.id === id);
}

/** The memo for the terminal's screen: the item's Chinese name (no `|`, no control bytes). */
export function itemMemo(id: string): string {
  return paymentItem(id)?.name.zh ?? id;
}
