/**
 * `POST /api/v1/sync/status` (protocol/status.ts): the edge's sync report after each round,
 * signed with `LINLI-HMAC` over the raw body like every sync request, so this scope reads bodies
 * as bytes whatever their content type. → 200 `{serverTime}`; 400 `report-invalid` with the
 * reason (never quoting the body); 413 `report-too-large` beyond what the transport reads.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { serverTime } from '../../protocol/signing.js';
import { checkSyncReport, SYNC_STATUS_PATH } from '../../protocol/status.js';
import type { CloudContext } from '../cloud-context.js';
import { storeSyncReport, unstorableReport } from '../sync-report.js';
import { rawBody } from './sync-routes.js';

export { SYNC_STATUS_PATH };

/** The transport reads this much; the protocol's own limit (16 KiB) is checked on what it read. */
const REPORT_BODY_LIMIT = 64 * 1024;

export function syncStatusRoutes(ctx: CloudContext): FastifyPluginAsync {
  return async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: REPORT_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((err: FastifyError, _req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return ctx.refuse(reply, 413, 'report-too-large', `body is over ${REPORT_BODY_LIMIT} bytes`);
      }
      throw err; // the app's handler answers the rest
    });

    scope.post(SYNC_STATUS_PATH, { bodyLimit: REPORT_BODY_LIMIT }, async (req, reply) => {
      const raw = rawBody(req.body);
      const house = await ctx.verifyHouse(req, reply, raw);
      if (house === undefined) return reply;
      const checked = checkSyncReport(raw);
      if (!checked.ok) return ctx.refuse(reply, 400, 'report-invalid', checked.reason);
      const unstorable = unstorableReport(checked.report);
      if (unstorable) return ctx.refuse(reply, 400, 'report-invalid', unstorable);
      await storeSyncReport(ctx.db, house, checked.report, ctx.now());
      return { serverTime: serverTime(ctx.now()) };
    });
  };
}
