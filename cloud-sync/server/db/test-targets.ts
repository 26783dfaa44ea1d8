/**
 * Test targets for the cloud's storage: the same suite runs on PGlite and on the machine's
 * PostgreSQL (TESTBED.md). Each PostgreSQL database made here is uniquely named and dropped by
 * `dropAll`. Under `CI` an unreachable server fails loudly; elsewhere the tests skip with a reason.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.LINLI_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why PostgreSQL tests cannot run here, or `false` when they can. Throws under CI. */
export async function postgresMissing(): Promise<string | false> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return false;
  } catch (err) {
    const reason = `PostgreSQL unreachable at ${PG_ADMIN_URL}: ${(err as Error).message}`;
    if (process.env.CI) throw new Error(`${reason} (required under CI)`);
    return reason;
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
