/**
 * Test targets for the cloud's storage: the same suite runs on PGlite and on the machine's
 * PostgreSQL (TESTBED.md). Each PostgreSQL database made here is uniquely named and dropped by
 * `dropAll`. PostgreSQL is a required peer (it runs on every dev machine and in CI): an unreachable
 * server fails the file with the reason, never a skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.LINLI_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Resolves once PostgreSQL answers; rejects with the reason (and how to point elsewhere) when not. */
export async function requirePostgres(): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL unreachable at ${PG_ADMIN_URL} (set LINLI_TEST_PG_URL to use another): ${(err as Error).message}`,
    );
  } finally {
    await c.end().catch(() => {});
  }
}

export class TestDatabases {
  private readonly made: string[] = [];
  constructor(private readonly prefix: string) {}

  /** Creates an empty, uniquely named database; returns its URL. */
  async create(): Promise<string> {
    const name = `linli_${this.prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin(`CREATE DATABASE "${name}"`);
    this.made.push(name);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async dropAll(): Promise<void> {
    for (const name of this.made.splice(0)) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
