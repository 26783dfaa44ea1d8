/**
 * Cloud users' login (DESIGN.md, "Users and roles"):
 *
 * - `POST /api/auth/login` `{username, password}` → `{token, expiresAt, user: {username, role},
 *   serverTime}` and the HttpOnly cookie `linli_session` (the same token; 12 h; SameSite=Strict;
 *   Secure when the request came over HTTPS). 401 `auth-failed`; 429 `auth-rate-limited` (with
 *   `retry-after`) when the client's address has had too many failures.
 * - `POST /api/auth/logout` → ends the session of the Bearer token or cookie, clears the cookie.
 * - `GET /api/auth/me` (viewer) → `{username, role, serverTime}`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { type Static, Type } from 'typebox';
import { serverTime } from '../../protocol/signing.js';
import type { CloudContext } from '../cloud-context.js';
import type { LoginLimiter } from '../users/login-limiter.js';
import { endSession, SESSION_MS, startSession } from '../users/session-store.js';
import { refuseRateLimited, requestToken, SESSION_COOKIE } from '../users/user-guard.js';
import { checkCredentials, MAX_PASSWORD } from '../users/user-store.js';

export const LOGIN_PATH = '/api/auth/login';
export const LOGOUT_PATH = '/api/auth/logout';
export const ME_PATH = '/api/auth/me';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD }),
  },
  { additionalProperties: false },
);
type LoginBody = Static<typeof LoginBody>;

export function authRoutes(
  ctx: CloudContext,
  opts: { limiter: LoginLimiter; sessionMs?: number },
): FastifyPluginAsync {
  const sessionMs = opts.sessionMs ?? SESSION_MS;
  return async (app) => {
    app.post<{ Body: LoginBody }>(LOGIN_PATH, { schema: { body: LoginBody } }, async (req, reply) => {
      const attempt = await opts.limiter.begin(req.ip);
      if (!attempt.ok) {
        req.log.warn({ address: req.ip }, 'login rate-limited');
        return refuseRateLimited(ctx.refuse, reply, attempt.retryAfterS);
      }
      const user = await checkCredentials(ctx.db, req.body.username, req.body.password);
      if (!user) {
        req.log.warn({ address: req.ip }, 'login refused');
        return ctx.refuse(reply, 401, 'auth-failed', 'wrong user name or password');
      }
      await opts.limiter.succeeded(attempt.slot);
      const { token, expiresAt } = await startSession(ctx.db, user.username, ctx.now(), sessionMs);
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        path: '/',
        expires: new Date(expiresAt),
      });
      req.log.info({ username: user.username }, 'login');
      return {
        token,
        expiresAt,
        user: { username: user.username, role: user.role },
        serverTime: serverTime(ctx.now()),
      };
    });

    app.post(LOGOUT_PATH, async (req, reply) => {
      const token = requestToken(req);
      if (token) await endSession(ctx.db, token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { serverTime: serverTime(ctx.now()) };
    });

    app.get(ME_PATH, async (req, reply) => {
      const user = await ctx.requireUser(req, reply, 'viewer');
      if (!user) return reply;
      return { username: user.username, role: user.role, serverTime: serverTime(ctx.now()) };
    });
  };
}
