/**
 * The houses' sync API (DESIGN.md, "Records and sync"): signed with `LINLI-HMAC` over the raw
 * body, so this scope reads every body as bytes whatever its content type.
 *
 * `POST /api/v1/sync/records`: raw body → signature → batch → records → ingest.
 */
import type { FastifyPluginAsync } from 'fastify';
import { serverTime } from '../../protocol/signing.js';
import { MAX_BATCH_BYTES, RejectReason, validateSyncBatch } from '../../protocol/validate.js';
import type { CloudContext } from '../cloud-context.js';
import { ingest, type Rejected, type StreamAnswer } from '../ingest.js';

export const SYNC_RECORDS_PATH = '/api/v1/sync/records';

/**
 * The transport reads up to this much, so a body a little over the protocol's 1 MiB is refused by
 * the protocol check (`batch-too-large`, with its size); beyond it the transport refuses it with
 * the same code without reading the rest.
 */
export const RAW_BODY_LIMIT = MAX_BATCH_BYTES + 64 * 1024;

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

const REJECT_CODES = new Set<string>(Object.values(RejectReason));

/** The raw body of a request in the sync scope. */
export function rawBody(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

export function syncRoutes(ctx: CloudContext): FastifyPluginAsync {
  return async (sync) => {
    sync.removeAllContentTypeParsers();
    sync.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: RAW_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    sync.post(SYNC_RECORDS_PATH, { bodyLimit: RAW_BODY_LIMIT }, async (req, reply) => {
      const raw = rawBody(req.body);
      const house = await ctx.verifyHouse(req, reply, raw);
      if (house === undefined) return reply;
      const batch = validateSyncBatch(raw, {
        house,
        ...(ctx.isKnownType ? { isKnownType: ctx.isKnownType } : {}),
      });
      if (!batch.ok) return ctx.refuse(reply, batch.status, batch.code, batch.message);

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
      const result = await ingest(ctx.db, house, batch.accepted, toKeep);
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
        serverTime: serverTime(ctx.now()),
        streams: result.streams,
        stored: result.stored,
        duplicates: result.duplicates,
        rejected: answered,
      };
      return answer;
    });
  };
}
