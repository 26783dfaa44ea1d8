import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../api/types.js';
import { roleAtLeast, type Session, type UserService } from '../auth/user-service.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import { LinliError } from '../errors.js';
import type { DeviceRow } from '../state/edge-state.js';

export const SESSION_COOKIE = 'linli_session';
export const KIOSK_COOKIE = 'linli_kiosk';

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session;
    kiosk?: DeviceRow;
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** The token of a request: `Authorization: Bearer …` or the named cookie. */
export function requestToken(req: FastifyRequest, cookie: string): string | undefined {
  return bearer(req) ?? req.cookies[cookie] ?? undefined;
}

/** preHandler: a logged-in user with at least `role`, else 401 / 403. */
export function requireRole(users: UserService, role: Role) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = requestToken(req, SESSION_COOKIE);
    const session = token ? users.session(token) : undefined;
    if (!session) throw new LinliError('UNAUTHENTICATED', 'log in first');
    if (!roleAtLeast(session.role, role)) throw new LinliError('FORBIDDEN', `needs role ${role}`);
    req.session = session;
  };
}

/** preHandler: a registered kiosk screen (its token as Bearer or the `linli_kiosk` cookie). */
export function requireKiosk(registry: DeviceRegistry) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = requestToken(req, KIOSK_COOKIE);
    const kiosk = token ? registry.kioskForToken(token) : undefined;
    if (!kiosk) throw new LinliError('UNAUTHENTICATED', 'this screen is not paired');
    req.kiosk = kiosk;
  };
}

/**
 * preHandler of the routes a paired kiosk shares with staff (payments): a kiosk token (Bearer or
 * the `linli_kiosk` cookie) sets `req.kiosk`; otherwise a session of at least `role`.
 */
export function requireKioskOrRole(registry: DeviceRegistry, users: UserService, role: Role) {
  const staff = requireRole(users, role);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = requestToken(req, KIOSK_COOKIE);
    const kiosk = token ? registry.kioskForToken(token) : undefined;
    if (kiosk) {
      req.kiosk = kiosk;
      return;
    }
    await staff(req, reply);
  };
}
