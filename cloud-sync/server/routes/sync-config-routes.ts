/**
 * The houses' config sync API (DESIGN.md "Records and sync"; docs/config-sync.md), signed with
 * `LINLI-HMAC` over the raw body like the records API, so this scope reads every body as bytes:
 *
 * - `GET /api/v1/sync/config?since=<n>` (empty body): 304 when the house is still at `since`,
 *   else 200 {@link ConfigBundle}; 400 `config-bad-since`, `config-since-ahead`.
 * - `POST /api/v1/sync/config/edits`: {@link ConfigEditsBody} → 200 {@link ConfigEditsAnswer}.
 *
 * Every answer carries the cloud's time in the `x-linli-server-time` header as well (a 304 has no
 * body for `serverTime`), and `cache-control: no-store`.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import {
  CONFIG_EDITS_PATH,
  CONFIG_PATH,
  type ConfigBundle,
  type ConfigEditsAnswer,
  ConfigRefusalCode,
  MAX_EDITS_BYTES,
  SERVER_TIME_HEADER,
} from '../../protocol/config.js';
import { serverTime } from '../../protocol/signing.js';
import type { CloudContext } from '../cloud-context.js';
import { applyEdits } from '../config-edits.js';
import { parseEditsBody } from '../config-edits-body.js';
import { readBundle, toConfigEntity } from '../config-store.js';
import { rawBody } from './sync-routes.js';

/** Read this much, so a body a little over the protocol's limit gets `edits-too-large` with its size. */
export const EDITS_RAW_LIMIT = MAX_EDITS_BYTES + 64 * 1024;

const SINCE = /^(0|[1-9][0-9]{0,15})$/;

export function syncConfigRoutes(ctx: CloudContext): FastifyPluginAsync {
  return async (sync) => {
    sync.removeAllContentTypeParsers();
    sync.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: EDITS_RAW_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    sync.addHook('onRequest', async (_req, reply) => {
      reply.header(SERVER_TIME_HEADER, serverTime(ctx.now())).header('cache-control', 'no-store');
    });
    // The transport's refusal of a body far over the limit gets the protocol's code; the rest goes
    // to the app's error handler.
    sync.setErrorHandler((err: FastifyError, _req, reply) => {
      if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      return ctx.refuse(reply, 413, ConfigRefusalCode.EditsTooLarge, `body is over ${MAX_EDITS_BYTES} bytes`);
    });

    sync.get<{ Querystring: Record<string, unknown> }>(CONFIG_PATH, async (req, reply) => {
      const house = await ctx.verifyHouse(req, reply, rawBody(req.body));
      if (house === undefined) return reply;
      const raw = req.query.since;
      if (typeof raw !== 'string' || !SINCE.test(raw) || !Number.isSafeInteger(Number(raw))) {
        return ctx.refuse(reply, 400, ConfigRefusalCode.BadSince, 'since must be one integer ≥ 0');
      }
      const since = Number(raw);
      const { version, entities } = await readBundle(ctx.db, ctx.cloudKey, house, since);
      if (since > version) {
        return ctx.refuse(
          reply,
          400,
          ConfigRefusalCode.SinceAhead,
          `since ${since} is ahead of the house's config version ${version}: pull from 0`,
        );
      }
      if (since === version) return reply.status(304).send();
      const bundle: ConfigBundle = {
        serverTime: serverTime(ctx.now()),
        version,
        since,
        entities: entities.map(toConfigEntity),
      };
      return bundle;
    });

    sync.post(CONFIG_EDITS_PATH, { bodyLimit: EDITS_RAW_LIMIT }, async (req, reply) => {
      const raw = rawBody(req.body);
      const house = await ctx.verifyHouse(req, reply, raw);
      if (house === undefined) return reply;
      const body = parseEditsBody(raw);
      if (!body.ok) return ctx.refuse(reply, body.status, body.code, body.reason);
      const { version, results } = await applyEdits(ctx.db, ctx.cloudKey, house, body.edits, ctx.now());
      const counts = { applied: 0, conflict: 0, rejected: 0 };
      for (const r of results) counts[r.outcome]++;
      req.log.info({ house, version, ...counts }, 'config edits');
      const answer: ConfigEditsAnswer = { serverTime: serverTime(ctx.now()), version, results };
      return answer;
    });
  };
}
