/**
 * Who a user request comes from (DESIGN.md, "Users and roles"): `Authorization: Bearer <token>`,
 * the `linli_session` cookie (both a session of `POST /api/auth/login`), or HTTP Basic for API
 * clients, each checked against the database. 401 `auth-required` when none proves a user, 403
 * `auth-role` when the role is too low, 429 `auth-rate-limited` for an address with too many
 * failed passwords.
 *
 * Basic sends the password with every request: a success is remembered for a few minutes (keyed
 * by an HMAC under a per-process key of the name, the password and the stored hash, so a changed
 * password or a disabled user is seen at once) to spare a ~100 ms scrypt per request. Only
 * uncached checks count against the login rate limit.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CloudContext, CloudRole, CloudUser, CloudUserAuth } from '../cloud-context.js';
import { roleAtLeast } from '../cloud-context.js';
import type { Db } from '../db/db.js';
import type { LoginLimiter } from './login-limiter.js';
import { sessionFor } from './session-store.js';
import { activeUser, checkCredentials } from './user-store.js';

export const SESSION_COOKIE = 'linli_session';

const BASIC_CACHE_MS = 5 * 60_000;
const BASIC_CACHE_MAX = 1000;

export interface UserGuardOptions {
  db: Db;
  now: () => number;
  refuse: CloudContext['refuse'];
  limiter: LoginLimiter;
}

/** The session token of a request: Bearer first, else the cookie. */
export function requestToken(req: FastifyRequest): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  if (m?.[1]) return m[1];
  const cookie = (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[
    SESSION_COOKIE
  ];
  return cookie && cookie.length > 0 ? cookie : undefined;
}

/** The 429 of an address over the login limit. */
export function refuseRateLimited(
  refuse: CloudContext['refuse'],
  reply: FastifyReply,
  retryAfterS: number,
): FastifyReply {
  reply.header('retry-after', String(retryAfterS));
  return refuse(reply, 429, 'auth-rate-limited', `too many failed logins: try again in ${retryAfterS} s`);
}

type Resolved =
  | { ok: true; user: CloudUser }
  | { ok: false; status: 401 | 429; code: string; reason: string; retryAfterS?: number; basic?: true };

/** Who the request proves to be, or why it proves no one (never sends anything). */
function userResolver(opts: UserGuardOptions): (req: FastifyRequest) => Promise<Resolved> {
  const { db, now, limiter } = opts;
  const cacheKey = randomBytes(32);
  const basicOk = new Map<string, number>();
  const digest = (user: string, password: string, hash: string) =>
    createHmac('sha256', cacheKey).update(`${user}\u0000${password}\u0000${hash}`).digest('base64url');

  const basicUser = async (req: FastifyRequest, user: string, password: string): Promise<Resolved> => {
    const t = now();
    const known = await activeUser(db, user);
    if (known) {
      const key = digest(user, password, known.hash);
      const until = basicOk.get(key);
      if (until !== undefined && until > t) return { ok: true, user: { username: user, role: known.role } };
      basicOk.delete(key);
    }
    const attempt = await limiter.begin(req.ip);
    if (!attempt.ok) {
      return {
        ok: false,
        status: 429,
        code: 'auth-rate-limited',
        reason: `too many failed logins: try again in ${attempt.retryAfterS} s`,
        retryAfterS: attempt.retryAfterS,
      };
    }
    const checked = await checkCredentials(db, user, password);
    if (!checked) {
      req.log.warn({ address: req.ip }, 'basic authentication refused');
      return {
        ok: false,
        status: 401,
        code: 'auth-required',
        reason: 'wrong user name or password',
        basic: true,
      };
    }
    await limiter.succeeded(attempt.slot);
    if (basicOk.size >= BASIC_CACHE_MAX) basicOk.delete(basicOk.keys().next().value as string);
    basicOk.set(digest(user, password, checked.hash), t + BASIC_CACHE_MS);
    return { ok: true, user: { username: checked.username, role: checked.role } };
  };

  return async (req) => {
    const basic = basicCredentials(req.headers.authorization);
    if (basic) return await basicUser(req, basic.user, basic.password);
    const token = requestToken(req);
    const session = token === undefined ? undefined : await sessionFor(db, token, now());
    if (session) return { ok: true, user: { username: session.username, role: session.role } };
    return {
      ok: false,
      status: 401,
      code: 'auth-required',
      reason: token === undefined ? 'log in first' : 'the session is unknown or has expired: log in again',
    };
  };
}

/** Both user hooks of the context, over the database (cloud-context.ts `CloudUserAuth`). */
export function userAuth(opts: UserGuardOptions): CloudUserAuth {
  const resolve = userResolver(opts);
  return {
    async requireUser(req: FastifyRequest, reply: FastifyReply, role: CloudRole) {
      const r = await resolve(req);
      if (!r.ok) {
        if (r.retryAfterS !== undefined) refuseRateLimited(opts.refuse, reply, r.retryAfterS);
        else {
          if (r.basic) reply.header('www-authenticate', 'Basic realm="linli-cloud"');
          opts.refuse(reply, r.status, r.code, r.reason);
        }
        return undefined;
      }
      if (!roleAtLeast(r.user.role, role)) {
        opts.refuse(reply, 403, 'auth-role', `role ${role} is required`);
        return undefined;
      }
      return r.user;
    },
    async identifyUser(req: FastifyRequest) {
      const r = await resolve(req);
      return r.ok ? r.user : undefined;
    },
  };
}

/** `user` and `password` of a Basic authorization header. */
function basicCredentials(header: unknown): { user: string; password: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (m?.[1] === undefined) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
