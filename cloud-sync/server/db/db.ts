/**
 * The cloud's storage seam: one small interface over embedded PGlite and a real PostgreSQL server,
 * so every query in linli-cloud is the same plain PostgreSQL on both (issue 5).
 *
 * Types come back the same from both adapters: int8 as a JS number (seqs and ids stay far below
 * 2^53), timestamptz as a Date, json/jsonb parsed, uuid as a lowercase string. Pass JSON as a
 * string and cast it with `$n::text::jsonb` (a bare `$n::jsonb` would make PGlite re-encode it).
 */
export interface Queryable {
  /** One statement with `$1…` parameters; the result rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A script of statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction (READ COMMITTED) on one connection: committed when it resolves,
   * rolled back when it throws (the error is rethrown). Use only `tx` inside `fn`.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
