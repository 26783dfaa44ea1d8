import { Type } from 'typebox';
import { RECEIPT_TOKEN, receiptLines } from '../../../cloud-sync/protocol/receipt.js';
import { receiptDigest } from '../../payments/receipt-tokens.js';
import type { AppDeps } from '../app-deps.js';
import type { TypedApp } from '../typed-app.js';
import { esc, page } from './public-routes.js';

/** A receipt page's HTML: the receipt's lines and the house, nothing of the resident. */
export function receiptHtml(lines: { label: string; value: string }[], house: string): string {
  const rows = lines.map((l) => `<p>${esc(l.label)}：<b>${esc(l.value)}</b></p>`).join('');
  return page(
    '电子回单 Receipt',
    `<h1>电子回单 · 邻里</h1><section>${rows}</section><p class="muted">${esc(house)}</p>`,
  );
}

/**
 * `GET /p/receipt/{token}` (public): the receipt of an approved (or since voided) payment, found by
 * the token's digest. The token is never logged; an unknown one gets a 404 page.
 */
export async function receiptRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  app.get(
    '/p/receipt/:token',
    {
      schema: { tags: ['public'], params: Type.Object({ token: Type.String({ maxLength: 100 }) }) },
      config: { rateLimit: { max: 60, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer');
      const { token } = req.params;
      const p = RECEIPT_TOKEN.test(token) ? deps.payments?.service.byDigest(receiptDigest(token)) : undefined;
      if (!p?.receipt) {
        return reply
          .status(404)
          .send(page('无效的回单', '<h1>此回单无效</h1><p>This receipt is not known.</p>'));
      }
      return reply.send(receiptHtml(receiptLines(p.receipt, deps.config.tz), deps.config.houseId));
    },
  );
}
