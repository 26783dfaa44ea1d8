/**
 * `linli-cloud`'s HTTP app (DESIGN.md, "Records and sync", protocol version 1), built without
 * listening: the composition root (`main.ts`) listens and closes, tests use `inject`. Routes live
 * one area to a file in `routes/`, each built from the {@link CloudContext}:
 *
 * - `routes/house-routes.ts`: `POST /api/v1/houses` (cloud admin).
 * - `routes/config-routes.ts`, `config-conflict-routes.ts`: a house's config and its conflicts,
 *   `/api/v1/houses/{house}/config…` (cloud users; docs/config-sync.md).
 * - `routes/sync-routes.ts`: `POST /api/v1/sync/records` (`LINLI-HMAC`).
 * - `routes/sync-config-routes.ts`: `GET /api/v1/sync/config`, `POST /api/v1/sync/config/edits`
 *   (`LINLI-HMAC`; docs/config-sync.md).
 * - `routes/public-routes.ts`: `GET /p/badge/{token}` (public; more for staff).
 * - `GET /healthz` here.
 *
 * Every answer, errors included, carries `serverTime`. Nothing a request carries (secrets,
 * signatures, bodies) is logged or echoed, beyond a rejected record's id, stream and seq.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import type { Logger } from 'pino';
import { serverTime } from '../protocol/signing.js';
import { houseVerifier, userGuard, userIdentifier } from './cloud-auth.js';
import type { CloudContext, CloudError, CloudUserAuth } from './cloud-context.js';
import type { Db } from './db/db.js';
import { configRoutes } from './routes/config-routes.js';
import { houseRoutes } from './routes/house-routes.js';
import { publicRoutes } from './routes/public-routes.js';
import { syncConfigRoutes } from './routes/sync-config-routes.js';
import { RAW_BODY_LIMIT, syncRoutes } from './routes/sync-routes.js';

export type { CloudError } from './cloud-context.js';
export { HOUSES_PATH } from './routes/house-routes.js';
export {
  RAW_BODY_LIMIT,
  type RejectedAnswer,
  SYNC_RECORDS_PATH,
  type SyncAnswer,
} from './routes/sync-routes.js';

export interface CloudAppOptions {
  db: Db;
  /** 32 bytes: seals the house secrets (secret-box.ts). */
  cloudKey: Buffer;
  /** Password of the first cloud admin, user `admin` (DESIGN.md: LINLI_CLOUD_ADMIN_PASSWORD). */
  adminPassword: string;
  /** The cloud's clock, ms (tests move it). */
  now?: () => number;
  /** The signing clock window, seconds (±; 300 by default). */
  clockWindowS?: number;
  /** A pino logger; silent when absent. */
  logger?: Logger;
  /** How requests prove cloud users; the first cloud admin over HTTP Basic when absent. */
  userAuth?: CloudUserAuth;
}

export async function buildCloudApp(opts: CloudAppOptions): Promise<FastifyInstance> {
  const { db, cloudKey } = opts;
  const now = opts.now ?? Date.now;
  const clockWindowS = opts.clockWindowS ?? 300;

  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger.child({ part: 'http' }) } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    trustProxy: false,
  }) as unknown as FastifyInstance;

  const refuse = (reply: FastifyReply, statusCode: number, code: string, reason: string) => {
    const body: CloudError = { serverTime: serverTime(now()), statusCode, code, reason };
    return reply.status(statusCode).send(body);
  };
  const ctx: CloudContext = {
    db,
    cloudKey,
    now,
    clockWindowS,
    refuse,
    verifyHouse: houseVerifier({ db, cloudKey, now, clockWindowS, refuse }),
    requireUser: opts.userAuth?.requireUser ?? userGuard({ adminPassword: opts.adminPassword, refuse }),
    identifyUser: opts.userAuth?.identifyUser ?? userIdentifier({ adminPassword: opts.adminPassword }),
  };

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return refuse(reply, 413, 'batch-too-large', `body is over ${RAW_BODY_LIMIT} bytes`);
    }
    if (err.validation) {
      // Ajv's message names the field and the rule, never the value.
      return refuse(reply, 400, 'bad-request', err.message);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return refuse(reply, err.statusCode, 'bad-request', safeClientReason(err));
    }
    // Name and database code only: a driver's message may quote a value from the body.
    req.log.error(
      { errName: err.name, errCode: (err as { code?: unknown }).code, route: req.routeOptions.url },
      'request failed',
    );
    return refuse(reply, 500, 'internal', 'internal error');
  });
  app.setNotFoundHandler((req, reply) =>
    refuse(reply, 404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]?.slice(0, 200)}`),
  );

  app.get('/healthz', async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { ok: true, db: db.kind, serverTime: serverTime(now()) };
    } catch {
      return refuse(reply, 503, 'db-unavailable', 'the database does not answer');
    }
  });

  await app.register(houseRoutes(ctx));
  await app.register(configRoutes(ctx));
  await app.register(publicRoutes(ctx));
  // The sync API reads raw bytes whatever the content type: the signature covers them.
  await app.register(syncRoutes(ctx));
  await app.register(syncConfigRoutes(ctx));

  return app;
}

/** Fastify's client-error messages that never quote the body; anything else gets a generic one. */
function safeClientReason(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body is empty';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'content-length does not match the body';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'body is not JSON';
    default:
      return err.statusCode === 400 ? 'bad request' : 'request refused';
  }
}
