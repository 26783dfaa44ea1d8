/**
 * Who a cloud request comes from: a house (`LINLI-HMAC`, DESIGN.md "Records and sync") or a cloud
 * user. Users: for now only the first cloud admin, user `admin` with `LINLI_CLOUD_ADMIN_PASSWORD`,
 * sent as HTTP Basic.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { verifyRequest } from '../protocol/signing.js';
import type { CloudContext, CloudRole, CloudUser } from './cloud-context.js';
import { roleAtLeast } from './cloud-context.js';
import type { Db } from './db/db.js';
import { nonceSeen } from './nonces.js';
import { houseSecret } from './tenancy.js';

export function houseVerifier(opts: {
  db: Db;
  cloudKey: Buffer;
  now: () => number;
  clockWindowS: number;
  refuse: CloudContext['refuse'];
}): CloudContext['verifyHouse'] {
  const { db, cloudKey, now, clockWindowS, refuse } = opts;
  return async (req, reply, raw) => {
    const t = now();
    const auth = await verifyRequest({
      header: req.headers.authorization,
      method: req.method,
      pathAndQuery: req.url,
      body: raw,
      now: t,
      windowMs: clockWindowS * 1000,
      secretFor: async (house) => {
        const secret = await houseSecret(db, house, cloudKey);
        return secret === undefined ? undefined : Buffer.from(secret, 'utf8');
      },
      nonceSeen: (house, nonce, ts) => nonceSeen(db, house, nonce, ts, clockWindowS, t),
    });
    if (!auth.ok) {
      reply.header('www-authenticate', 'LINLI-HMAC');
      refuse(reply, 401, auth.code, auth.reason);
      return undefined;
    }
    return auth.house;
  };
}

/** The first cloud admin over HTTP Basic (user `admin`). */
export function userGuard(opts: {
  adminPassword: string;
  refuse: CloudContext['refuse'];
}): CloudContext['requireUser'] {
  if (typeof opts.adminPassword !== 'string' || opts.adminPassword.length === 0) {
    throw new RangeError('adminPassword is required');
  }
  const adminDigest = sha256(`admin:${opts.adminPassword}`);
  return async (req: FastifyRequest, reply: FastifyReply, role: CloudRole) => {
    const credentials = basic(req.headers.authorization);
    if (credentials === undefined || !timingSafeEqual(sha256(credentials), adminDigest)) {
      reply.header('www-authenticate', 'Basic realm="linli-cloud"');
      opts.refuse(reply, 401, 'auth-admin', 'the cloud admin (user admin) is required');
      return undefined;
    }
    const user: CloudUser = { username: 'admin', role: 'admin' };
    if (!roleAtLeast(user.role, role)) {
      opts.refuse(reply, 403, 'auth-role', `role ${role} is required`);
      return undefined;
    }
    return user;
  };
}

/** The first cloud admin over HTTP Basic, when the request carries their credentials; never refuses. */
export function userIdentifier(opts: { adminPassword: string }): CloudContext['identifyUser'] {
  const adminDigest = sha256(`admin:${opts.adminPassword}`);
  return async (req: FastifyRequest) => {
    const credentials = basic(req.headers.authorization);
    if (credentials === undefined || !timingSafeEqual(sha256(credentials), adminDigest)) return undefined;
    return { username: 'admin', role: 'admin' };
  };
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
