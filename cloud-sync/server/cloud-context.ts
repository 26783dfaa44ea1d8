/**
 * What every route module of `linli-cloud` is built from (the composition root, `app.ts`, makes
 * it once): the database, the cloud key, the clock and the two ways a request proves who sends it
 * — a house's `LINLI-HMAC` signature ({@link CloudContext.verifyHouse}) and a cloud user
 * ({@link CloudContext.requireUser}).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from './db/db.js';

export type CloudRole = 'admin' | 'staff' | 'viewer';

/** Every refusal: a stable code and a reason for people, never quoting the request. */
export interface CloudError {
  serverTime: string;
  statusCode: number;
  code: string;
  reason: string;
}

export interface CloudUser {
  username: string;
  role: CloudRole;
}

export interface CloudContext {
  db: Db;
  /** 32 bytes: seals house secrets and sensitive fields at rest (secret-box.ts). */
  cloudKey: Buffer;
  /** The cloud's clock, ms. */
  now: () => number;
  /** The signing clock window, seconds. */
  clockWindowS: number;
  /** Sends a coded refusal (with `serverTime`). */
  refuse(reply: FastifyReply, statusCode: number, code: string, reason: string): FastifyReply;
  /**
   * Checks the request's `LINLI-HMAC` header over the raw body (a Buffer; empty for a GET): the
   * signing house, or `undefined` once a 401 has been sent.
   */
  verifyHouse(req: FastifyRequest, reply: FastifyReply, raw: Buffer): Promise<string | undefined>;
  /**
   * The cloud user making the request, if their role is at least `role`; otherwise `undefined`
   * once a 401 (not logged in) or 403 (role too low) has been sent.
   */
  requireUser(req: FastifyRequest, reply: FastifyReply, role: CloudRole): Promise<CloudUser | undefined>;
  /**
   * The cloud user making the request, if the request proves one; never refuses (for public pages
   * that show more to a logged-in user).
   */
  identifyUser(req: FastifyRequest): Promise<CloudUser | undefined>;
}

/** How a request proves a cloud user: the two hooks of {@link CloudContext}. */
export type CloudUserAuth = Pick<CloudContext, 'requireUser' | 'identifyUser'>;

const RANK: Record<CloudRole, number> = { viewer: 0, staff: 1, admin: 2 };

/** Whether `have` is at least `need`. */
export function roleAtLeast(have: CloudRole, need: CloudRole): boolean {
  return RANK[have] >= RANK[need];
}
