/**
 * Public pages of the cloud (DESIGN.md "Records and sync"), reachable from any phone that scans a
 * printed QR code, served from synced config:
 *
 * - `GET /p/badge/{token}`: the resident whose active badge has this token's digest (any house):
 *   the badge code and the house's community and police numbers; a logged-in cloud user (staff
 *   and up) also sees the elder. Unknown, malformed or revoked: a 404 page.
 *
 * - `GET /p/receipt/{token}`: the receipt of the newest synced approved or voided payment whose
 *   receipt digest is the token's (docs/payments.md); unknown or malformed: a 404 page.
 *
 * HTML with a strict content-security policy, `no-store`, `no-referrer`; the token is never logged.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ContactsData, ResidentData } from '../../protocol/config.js';
import { tokenDigest } from '../../protocol/password-hash.js';
import { RECEIPT_TOKEN } from '../../protocol/receipt.js';
import { badgePage, notFoundPage, PAGE_CSP } from '../badge-page.js';
import type { CloudContext } from '../cloud-context.js';
import { roleAtLeast } from '../cloud-context.js';
import { findByBadge, loadEntities } from '../config-store.js';
import { findReceipt, receiptDigest, receiptNotFoundPage, receiptPage } from '../receipt-page.js';

/** A badge token as the edge issues it (18 random bytes, base64url), with room to grow. */
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

export function publicRoutes(ctx: CloudContext): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { token: string } }>('/p/badge/:token', async (req, reply) => {
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', PAGE_CSP)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff');
      const token = req.params.token;
      const found = TOKEN.test(token)
        ? await findByBadge(ctx.db, ctx.cloudKey, tokenDigest(token))
        : undefined;
      const badge = (found?.resident.data as ResidentData | undefined)?.badge;
      if (!found || !badge) return reply.status(404).send(notFoundPage());
      const user = await ctx.identifyUser(req);
      const staff = user !== undefined && roleAtLeast(user.role, 'staff');
      const contacts = await loadEntities(ctx.db, ctx.cloudKey, found.house, [
        { kind: 'contacts', id: 'contacts' },
      ]);
      const c = [...contacts.values()][0];
      req.log.info({ house: found.house, residentId: found.resident.id, staff }, 'badge page viewed');
      return reply.send(
        badgePage(
          badge.code,
          c && !c.deleted ? (c.data as ContactsData) : undefined,
          staff ? (found.resident.data as ResidentData) : undefined,
        ),
      );
    });
    app.get<{ Params: { token: string } }>('/p/receipt/:token', async (req, reply) => {
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', PAGE_CSP)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff');
      const token = req.params.token;
      const found = RECEIPT_TOKEN.test(token) ? await findReceipt(ctx.db, receiptDigest(token)) : undefined;
      if (!found) return reply.status(404).send(receiptNotFoundPage());
      req.log.info({ house: found.house }, 'receipt page viewed');
      return reply.send(receiptPage(found.receipt, found.houseName));
    });
  };
}
