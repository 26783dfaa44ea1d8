import pg from 'pg';
import type { Db, Queryable } from './db.js';

const INT8_OID = 20;

export interface PostgresOptions {
  /** Pool size (default 10). */
  max?: number;
  /** An idle pooled connection failed (server restart, network): the pool replaces it. */
  onError?: (err: Error) => void;
}

/**
 * A real PostgreSQL server through a `pg` Pool (`DATABASE_URL`). int8 is parsed to a number, as
 * PGlite does, so both adapters return the same rows.
 */
export async function openPostgres(connectionString: string, opts: PostgresOptions = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', (err) => opts.onError?.(err));
  // Fail at start, not on the first request, when the server is unreachable.
  (await pool.connect()).release();
  const onClient = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await c.query(sql, params ? [...params] : undefined);
      return res.rows as R[];
    },
    async exec(sql: string) {
      await c.query(sql);
    },
  });
  const base = onClient(pool);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const out = await fn(onClient(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (e) {
          broken = e as Error; // the connection is unusable: destroy it rather than pool it
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
