/**
 * Who a cloud request comes from: a house (`LINLI-HMAC`, DESIGN.md "Records and sync") or a cloud
 * user (DESIGN.md "Users and roles": a session token as Bearer or cookie, or HTTP Basic).
 *
 * Every verified house request also stamps the house's last contact (`houses.last_contact_at`),
 * at most one write per house every {@link CONTACT_RESOLUTION_S} seconds.
 */
import { verifyRequest } from '../protocol/signing.js';
import type { CloudContext } from './cloud-context.js';
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
    await touchHouse(db, auth.house, t);
    return auth.house;
  };
}

/** Last contact is kept to this many seconds: a busy house costs one write per interval. */
export const CONTACT_RESOLUTION_S = 5;

/** Stamps the house's last contact at `nowMs`, unless the stored one is less than 5 s older. */
export async function touchHouse(db: Db, house: string, nowMs: number): Promise<void> {
  await db.query(
    `UPDATE houses SET last_contact_at = $2::timestamptz
      WHERE id = $1 AND (last_contact_at IS NULL
         OR last_contact_at < $2::timestamptz - make_interval(secs => $3))`,
    [house, new Date(nowMs).toISOString(), CONTACT_RESOLUTION_S],
  );
}

/** Cloud users: Bearer, the session cookie or HTTP Basic, against the database (users/user-guard.ts). */
export { userAuth } from './users/user-guard.js';
