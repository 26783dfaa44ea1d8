import { randomBytes } from 'node:crypto';
import { v7 } from 'uuid';
import type { Db, Queryable } from './db/db.js';
import { open, seal } from './secret-box.js';

export interface HousePlace {
  city: string;
  district: string;
  street: string;
  community: string;
  /** The house's name inside its community (unique there). */
  name: string;
}

export class TenancyError extends Error {
  constructor(
    readonly code: 'invalid' | 'exists',
    message: string,
  ) {
    super(message);
    this.name = 'TenancyError';
  }
}

const PARTS = ['city', 'district', 'street', 'community', 'name'] as const;

/**
 * Registers a house under city → district → street → community (each created on first use) and
 * returns its id and secret. The secret (32 random bytes, hex) is returned only here; the table
 * keeps it sealed under `cloudKey`, since verifying a request's HMAC needs the secret itself.
 */
export async function registerHouse(
  db: Db,
  place: HousePlace,
  cloudKey: Buffer,
): Promise<{ id: string; secret: string }> {
  const p = {} as Record<(typeof PARTS)[number], string>;
  for (const k of PARTS) {
    const v = typeof place?.[k] === 'string' ? place[k].trim() : '';
    if (v.length === 0 || v.length > 200) throw new TenancyError('invalid', `${k} must be 1–200 characters`);
    p[k] = v;
  }
  const id = v7();
  const secret = randomBytes(32).toString('hex');
  const sealed = seal(cloudKey, secret, id);
  return await db.transaction((tx) => insertHouse(tx, p, id, sealed)).then(() => ({ id, secret }));
}

async function insertHouse(
  db: Queryable,
  p: Record<(typeof PARTS)[number], string>,
  id: string,
  sealed: string,
): Promise<void> {
  // Each level: insert or find, in one statement (DO UPDATE so RETURNING yields the existing row).
  const [city] = await db.query<{ id: number }>(
    `INSERT INTO cities (name) VALUES ($1)
     ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [p.city],
  );
  const [district] = await db.query<{ id: number }>(
    `INSERT INTO districts (city_id, name) VALUES ($1, $2)
     ON CONFLICT (city_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [city?.id, p.district],
  );
  const [street] = await db.query<{ id: number }>(
    `INSERT INTO streets (district_id, name) VALUES ($1, $2)
     ON CONFLICT (district_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [district?.id, p.street],
  );
  const [community] = await db.query<{ id: number }>(
    `INSERT INTO communities (street_id, name) VALUES ($1, $2)
     ON CONFLICT (street_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [street?.id, p.community],
  );
  const inserted = await db.query(
    `INSERT INTO houses (id, community_id, name, secret_enc) VALUES ($1, $2, $3, $4)
     ON CONFLICT (community_id, name) DO NOTHING RETURNING id`,
    [id, community?.id, p.name, sealed],
  );
  if (inserted.length === 0) {
    throw new TenancyError('exists', `community ${p.community} already has a house named ${p.name}`);
  }
}

/** The house's secret for verifying its requests, or `undefined` for an unknown house. */
export async function houseSecret(db: Queryable, id: string, cloudKey: Buffer): Promise<string | undefined> {
  const [row] = await db.query<{ secret_enc: string }>('SELECT secret_enc FROM houses WHERE id = $1', [id]);
  return row ? open(cloudKey, row.secret_enc, id) : undefined;
}
