import type { Db } from './db.js';
import { migrate } from './migrations.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface OpenDbOptions {
  /** `DATABASE_URL`: a real PostgreSQL server when set. */
  databaseUrl?: string | undefined;
  /** PGlite's data directory otherwise (in memory when absent too). */
  dataDir?: string | undefined;
}

/** Opens the cloud's database (PostgreSQL when `databaseUrl` is set, else PGlite) and migrates it. */
export async function openDb(opts: OpenDbOptions): Promise<Db> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl) : await openPglite(opts.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
