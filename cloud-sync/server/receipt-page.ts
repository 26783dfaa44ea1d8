/**
 * The cloud's public receipt page (`/p/receipt/{token}`): the receipt of the newest synced
 * `payment.approved` or `payment.voided` record whose `receipt.digest` is the token's hex SHA-256,
 * with the house's name. Amount, item, house time, masked card, state — never a resident.
 */
import { createHash } from 'node:crypto';
import { isReceiptBody, type ReceiptBody, receiptLines } from '../protocol/receipt.js';
import { esc, page } from './badge-page.js';
import { CITY_TZ } from './city-time.js';
import type { Queryable } from './db/db.js';

/** Hex SHA-256 of a receipt token, as the edge writes it into `receipt.digest`. */
export const receiptDigest = (token: string) => createHash('sha256').update(token).digest('hex');

/** The receipt with this digest and its house's name, from the newest matching record. */
export async function findReceipt(
  db: Queryable,
  digest: string,
): Promise<{ receipt: ReceiptBody; house: string; houseName: string } | undefined> {
  const rows = await db.query<{ receipt: unknown; house: string; name: string | null }>(
    `SELECT r.body -> 'receipt' AS receipt, r.house, h.name
       FROM records r LEFT JOIN houses h ON h.id = r.house
      WHERE r.stream = 'payment' AND r.type IN ('payment.approved', 'payment.voided')
        AND (r.body #>> '{receipt,digest}') = $1
      ORDER BY r.ts DESC, r.seq DESC LIMIT 1`,
    [digest],
  );
  const row = rows[0];
  if (!row) return undefined;
  const receipt = typeof row.receipt === 'string' ? (JSON.parse(row.receipt) as unknown) : row.receipt;
  if (!isReceiptBody(receipt)) return undefined;
  return { receipt, house: row.house, houseName: row.name ?? row.house };
}

export function receiptPage(receipt: ReceiptBody, houseName: string): string {
  const rows = receiptLines(receipt, CITY_TZ)
    .map((l) => `<p>${esc(l.label)}：<b>${esc(l.value)}</b></p>`)
    .join('');
  return page(
    '电子回单 Receipt',
    `<h1>电子回单 · 邻里</h1><section>${rows}</section><p class="muted">${esc(houseName)}</p>`,
  );
}

export function receiptNotFoundPage(): string {
  return page('无效的回单', '<h1>此回单无效</h1><section><p>This receipt is not known (yet).</p></section>');
}
