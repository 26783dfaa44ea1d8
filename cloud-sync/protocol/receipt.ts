/**
 * The receipt a payment record carries (docs/payments.md, `receipt` of `payment.approved` and
 * `payment.voided`) and what a receipt page shows of it, the same on the edge and in the cloud:
 * amount, item, time in the house's zone, masked card, state — never a resident.
 */

export interface ReceiptBody {
  /** Hex SHA-256 of the receipt token. */
  digest: string;
  item: string;
  amountFen: number;
  maskedPan: string;
  /** ISO-8601 UTC. */
  at: string;
  state: 'approved' | 'voided';
}

/** The names of the payment items (edge/payments/payment-items.ts offers them). */
export const ITEM_NAMES: Readonly<Record<string, { zh: string; en: string }>> = {
  'utility-bill': { zh: '水电费', en: 'Utility bill' },
  'property-fee': { zh: '物业费', en: 'Property fee' },
  'service-fee': { zh: '服务费', en: 'Service fee' },
  canteen: { zh: '长者食堂', en: 'Canteen' },
  'top-up': { zh: '一卡通充值', en: 'Card account top-up' },
};

export const RECEIPT_TOKEN = /^[A-Za-z0-9_-]{22,64}$/;

/** Whether `v` is a receipt as the edge writes it (cloud input is checked before it is shown). */
export function isReceiptBody(v: unknown): v is ReceiptBody {
  const r = v as ReceiptBody;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.digest === 'string' &&
    typeof r.item === 'string' &&
    Number.isSafeInteger(r.amountFen) &&
    typeof r.maskedPan === 'string' &&
    typeof r.at === 'string' &&
    (r.state === 'approved' || r.state === 'voided')
  );
}

/** What a person reads on a receipt, as plain text (the page escapes it). */
export function receiptLines(r: ReceiptBody, tz: string): { label: string; value: string }[] {
  const yuan = `¥${Math.floor(r.amountFen / 100)}.${String(r.amountFen % 100).padStart(2, '0')}`;
  const name = ITEM_NAMES[r.item];
  const time = new Intl.DateTimeFormat('zh-CN', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(new Date(r.at));
  return [
    { label: '金额 Amount', value: yuan },
    { label: '项目 Item', value: name ? `${name.zh} ${name.en}` : r.item },
    { label: '时间 Time', value: time },
    { label: '卡号 Card', value: r.maskedPan || '一卡通账户 card account' },
    { label: '状态 State', value: r.state === 'approved' ? '支付成功 Paid' : '已撤销 Voided' },
  ];
}
