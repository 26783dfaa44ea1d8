/**
 * The item catalogue of payments (docs/payments.md, `GET /api/payments/items`): what a kiosk
 * offers, how each is paid, and the memo the bank terminal shows (`S|ref|amount|memo`).
 */

export interface PaymentItem {
  id: string;
  name: { zh: string; en: string };
  kind: 'sale' | 'account' | 'both';
  /** A fixed price, when the item has one. */
  amountFen?: number;
}

export const PAYMENT_ITEMS: readonly PaymentItem[] = [
  { id: 'utility-bill', name: { zh: '水电费', en: 'Utility bill' }, kind: 'sale' },
  { id: 'property-fee', name: { zh: '物业费', en: 'Property fee' }, kind: 'sale' },
  { id: 'service-fee', name: { zh: '服务费', en: 'Service fee' }, kind: 'both' },
  { id: 'canteen', name: { zh: '长者食堂', en: 'Canteen' }, kind: 'both' },
  { id: 'top-up', name: { zh: '一卡通充值', en: 'Card account top-up' }, kind: 'sale' },
];

/** The item with this id, if any. */
export function paymentItem(id: string): PaymentItem | undefined {
  return PAYMENT_ITEMS.find((i) => i.id === id);
}

/** The memo for the terminal's screen: the item's Chinese name (no `|`, no control bytes). */
export function itemMemo(id: string): string {
  return paymentItem(id)?.name.zh ?? id;
}
