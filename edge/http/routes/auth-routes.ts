import { LinliError } from '../../errors.js';
import type { AppDeps } from '../app-deps.js';
import { requestToken, requireRole, SESSION_COOKIE } from '../auth-guard.js';
import { errorResponses, LoginBodySchema, LoginResponseSchema, MeSchema } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

export async function authRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, config, metrics } = deps;
  const secure = Boolean(config.tlsCert);
  app.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        body: LoginBodySchema,
        response: { 200: LoginResponseSchema, ...errorResponses },
      },
      config: { rateLimit: { max: config.loginMaxPerMinute, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      try {
        const { token, session } = await users.login(req.body.username, req.body.password);
        reply.setCookie(SESSION_COOKIE, token, {
          httpOnly: true,
          sameSite: 'strict',
          secure,
          path: '/',
          expires: new Date(session.expiresAt),
        });
        req.log.info({ username: session.username }, 'login');
        return {
          token,
          expiresAt: session.expiresAt,
          user: { username: session.username, role: session.role },
        };
      } catch (err) {
        if (err instanceof LinliError && err.code === 'BAD_CREDENTIALS') {
          metrics.loginFailures.inc();
          req.log.warn({ ip: req.ip }, 'login refused');
        }
        throw err;
      }
    },
  );
  app.post('/api/auth/logout', { schema: { tags: ['auth'] } }, async (req, reply) => {
    const token = requestToken(req, SESSION_COOKIE);
    if (token) await users.logout(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });
  app.get(
    '/api/auth/me',
    {
      schema: { tags: ['auth'], response: { 200: MeSchema, ...errorResponses } },
      preHandler: requireRole(users, 'viewer'),
    },
    async (req) => ({ username: req.session?.username ?? '', role: req.session?.role ?? 'viewer' }),
  );
}
