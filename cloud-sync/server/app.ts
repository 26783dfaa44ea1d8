/**
 * `linli-cloud`'s HTTP app (DESIGN.md, "Records and sync", protocol version 1), built without
 * listening: the composition root (`main.ts`) listens and closes, tests use `inject`.
 *
 * - `POST /api/v1/houses` (cloud admin: `Authorization: Basic` user `admin`): registers a house and
 *   answers its id and secret, once.
 * - `POST /api/v1/sync/records` (`LINLI-HMAC`): raw body → signature → batch → records → ingest.
 * - `GET /healthz`.
 *
 * Every answer, errors included, carries `serverTime`. Nothing a request carries (secrets,
 * signatures, bodies) is logged or echoed, beyond a rejected record's id, stream and seq.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import type { Logger } from 'pino';
import { type Static, Type } from 'typebox';
import { serverTime, verifyRequest } from '../protocol/signing.js';
import { MAX_BATCH_BYTES, RejectReason, validateSyncBatch } from '../protocol/validate.js';
import type { Db } from './db/db.js';
import { ingest, type Rejected, type StreamAnswer } from './ingest.js';
import { nonceSeen } from './nonces.js';
import { houseSecret, registerHouse, TenancyError } from './tenancy.js';

export const SYNC_RECORDS_PATH = '/api/v1/sync/records';
export const HOUSES_PATH = '/api/v1/houses';

/**
 * The transport reads up to this much, so a body a little over the protocol's 1 MiB is refused by
 * the protocol check (`batch-too-large`, with its size); beyond it the transport refuses it with
 * the same code without reading the rest.
 */
export const RAW_BODY_LIMIT = MAX_BATCH_BYTES + 64 * 1024;

export interface CloudAppOptions {
  db: Db;
  /** 32 bytes: seals the house secrets (secret-box.ts). */
  cloudKey: Buffer;
  /** Password of the first cloud admin, user `admin` (DESIGN.md: LINLI_CLOUD_ADMIN_PASSWORD), sent as HTTP Basic. */
  adminPassword: string;
  /** The cloud's clock, ms (tests move it). */
  now?: () => number;
  /** The signing clock window, seconds (±; 300 by default). */
  clockWindowS?: number;
  /** A pino logger; silent when absent. */
  logger?: Logger;
}

/** A rejected record as answered (DESIGN.md), with a message for people. */
export interface RejectedAnswer {
  id: string | null;
  stream: string | null;
  seq: number | null;
  /** A stable code: a validate.ts `RejectReason`, or `conflict` (the id or seq is taken). */
  reason: string;
  message: string;
}

/** DESIGN.md's answer to `POST /api/v1/sync/records`. */
export interface SyncAnswer {
  serverTime: string;
  streams: Record<string, StreamAnswer>;
  stored: number;
  duplicates: number;
  rejected: RejectedAnswer[];
}

/** Every refusal: a stable code and a reason for people, never quoting the request. */
export interface CloudError {
  serverTime: string;
  statusCode: number;
  code: string;
  reason: string;
}

const HouseBody = Type.Object(
  {
    city: Type.String({ minLength: 1, maxLength: 200 }),
    district: Type.String({ minLength: 1, maxLength: 200 }),
    street: Type.String({ minLength: 1, maxLength: 200 }),
    community: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
type HouseBody = Static<typeof HouseBody>;

const REJECT_CODES = new Set<string>(Object.values(RejectReason));

export async function buildCloudApp(opts: CloudAppOptions): Promise<FastifyInstance> {
  const { db, cloudKey } = opts;
  const now = opts.now ?? Date.now;
  const windowS = opts.clockWindowS ?? 300;
  if (typeof opts.adminPassword !== 'string' || opts.adminPassword.length === 0) {
    throw new RangeError('adminPassword is required');
  }
  const adminDigest = sha256(`admin:${opts.adminPassword}`);

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

  app.post<{ Body: HouseBody }>(HOUSES_PATH, { schema: { body: HouseBody } }, async (req, reply) => {
    const credentials = basic(req.headers.authorization);
    if (credentials === undefined || !timingSafeEqual(sha256(credentials), adminDigest)) {
      reply.header('www-authenticate', 'Basic realm="linli-cloud"');
      return refuse(reply, 401, 'auth-admin', 'the cloud admin (user admin) is required');
    }
    try {
      const { id, secret } = await registerHouse(db, req.body, cloudKey);
      req.log.info({ house: id }, 'house registered');
      return reply.status(201).send({ id, secret, serverTime: serverTime(now()) });
    } catch (err) {
      if (err instanceof TenancyError) {
        return refuse(reply, err.code === 'exists' ? 409 : 400, `house-${err.code}`, err.message);
      }
      throw err;
    }
  });

  // The sync API reads raw bytes whatever the content type: the signature covers them.
  await app.register((sync, _opts, ready) => {
    sync.removeAllContentTypeParsers();
    sync.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: RAW_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    sync.post(SYNC_RECORDS_PATH, { bodyLimit: RAW_BODY_LIMIT }, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const t = now();
      const auth = await verifyRequest({
        header: req.headers.authorization,
        method: req.method,
        pathAndQuery: req.url,
        body: raw,
        now: t,
        windowMs: windowS * 1000,
        secretFor: async (house) => {
          const secret = await houseSecret(db, house, cloudKey);
          return secret === undefined ? undefined : Buffer.from(secret, 'utf8');
        },
        nonceSeen: (house, nonce, ts) => nonceSeen(db, house, nonce, ts, windowS, t),
      });
      if (!auth.ok) {
        reply.header('www-authenticate', 'LINLI-HMAC');
        return refuse(reply, 401, auth.code, auth.reason);
      }
      const house = auth.house;
      const batch = validateSyncBatch(raw, { house });
      if (!batch.ok) return refuse(reply, batch.status, batch.code, batch.message);

      // Rejections that can hold their seq go to ingest (kept, so they never block the stream);
      // the rest (no valid id, stream or seq, or another house's) are only answered.
      const messages = new Map<string, string>();
      const answered: RejectedAnswer[] = [];
      const toKeep: Rejected[] = [];
      for (const r of batch.rejected) {
        if (r.id !== null && r.stream !== null && r.seq !== null && r.house === undefined) {
          toKeep.push({ id: r.id, stream: r.stream, seq: r.seq, reason: r.reason });
          messages.set(r.id, r.message);
        } else {
          answered.push({ id: r.id, stream: r.stream, seq: r.seq, reason: r.reason, message: r.message });
        }
      }
      const result = await ingest(db, house, batch.accepted, toKeep);
      for (const r of result.rejected) {
        const known = REJECT_CODES.has(r.reason);
        answered.push({
          id: r.id,
          stream: r.stream,
          seq: Number.isSafeInteger(r.seq) ? r.seq : null,
          reason: known ? r.reason : /already/.test(r.reason) ? 'conflict' : RejectReason.Schema,
          message: known ? (messages.get(r.id) ?? r.reason) : r.reason,
        });
      }
      if (answered.length > 0) {
        req.log.info(
          { house, stored: result.stored, duplicates: result.duplicates, rejected: answered.length },
          'batch with rejections',
        );
      }
      const answer: SyncAnswer = {
        serverTime: serverTime(now()),
        streams: result.streams,
        stored: result.stored,
        duplicates: result.duplicates,
        rejected: answered,
      };
      return answer;
    });
    ready();
  });

  return app;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `user:password` of a Basic authorization header. */
function basic(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  return m?.[1] === undefined ? undefined : Buffer.from(m[1], 'base64').toString('utf8');
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
