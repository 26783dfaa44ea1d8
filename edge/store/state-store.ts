import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { DurableFileAdapter } from './durable-file-adapter.js';
import { StoreError, StoreErrorCode } from './store-errors.js';

/**
 * Upgrades stored data by one schema version. `migrations[0]` turns version 1 into 2,
 * `migrations[1]` turns 2 into 3, and so on; it may mutate and return its argument.
 */
export type Migration = (data: unknown) => unknown;

/** What is on disk: the data and the schema version it follows. */
export interface StateFile<T> {
  schemaVersion: number;
  data: T;
}

/** Options of {@link openStateStore}. */
export interface StateStoreOptions {
  /** Migrations by version; the current schema version is `migrations.length + 1`. */
  migrations?: readonly Migration[];
}

/** Small state kept in one durable JSON file (devices, residents, settings …). */
export interface StateStore<T> {
  /** The current state. Read it afresh after an `update`: an update replaces it. */
  readonly data: T;
  /** The schema version of the data, `migrations.length + 1`. */
  readonly schemaVersion: number;
  readonly file: string;
  /**
   * Applies `fn` to a copy of the data and writes the result durably; resolves once it is on
   * disk. Updates are serialized. If `fn` throws, nothing changes and the error is passed on; if
   * the write fails, the update rejects and (unless a later update already built on it) is undone.
   */
  update(fn: (data: T) => void): Promise<void>;
  /**
   * Calls `listener` after each update is on disk (never for one that failed). A listener that
   * throws is ignored. Returns the function that removes it.
   */
  subscribe(listener: (data: T) => void): () => void;
}

/**
 * Opens (or creates with `defaults`) the state file `file`, migrating older data to the current
 * schema version and writing the migrated data back before it resolves. An unparseable file
 * rejects with `STORE_CORRUPT`; data from a newer schema rejects with `STORE_SCHEMA_TOO_NEW`.
 */
export async function openStateStore<T>(
  file: string,
  defaults: T,
  opts: StateStoreOptions = {},
): Promise<StateStore<T>> {
  const migrations = opts.migrations ?? [];
  const current = migrations.length + 1;
  await mkdir(dirname(file), { recursive: true });
  const db = new Low<StateFile<T>>(new DurableFileAdapter<StateFile<T>>(file), {
    schemaVersion: current,
    data: structuredClone(defaults),
  });
  const stored = await db.adapter.read();
  if (stored === null) {
    await db.write();
  } else {
    db.data = migrate(file, stored, migrations);
    if (stored.schemaVersion !== current) await db.write();
  }
  const listeners = new Set<(data: T) => void>();
  return {
    file,
    schemaVersion: current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get data() {
      return db.data.data;
    },
    async update(fn) {
      const before = db.data;
      const draft = structuredClone(before.data);
      fn(draft);
      const next = { schemaVersion: current, data: draft };
      db.data = next;
      try {
        await db.write();
      } catch (err) {
        if (db.data === next) db.data = before; // nothing newer was built on it
        throw err;
      }
      for (const listener of listeners) {
        try {
          listener(db.data.data);
        } catch {
          // A listener's fault is its own: the update is on disk either way.
        }
      }
    },
  };
}

function migrate<T>(file: string, stored: unknown, migrations: readonly Migration[]): StateFile<T> {
  if (typeof stored !== 'object' || stored === null || !('data' in stored)) {
    throw new StoreError(StoreErrorCode.Corrupt, `${file} holds no state envelope`, { file });
  }
  const envelope = stored as { schemaVersion?: unknown; data: unknown };
  const version = envelope.schemaVersion ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new StoreError(StoreErrorCode.Corrupt, `${file} has a bad schemaVersion`, { file });
  }
  if (version > migrations.length + 1) {
    throw new StoreError(
      StoreErrorCode.SchemaTooNew,
      `${file} has schema version ${version}; this software knows up to ${migrations.length + 1}`,
      { file },
    );
  }
  let data = envelope.data;
  for (let v = version; v <= migrations.length; v++) {
    const step = migrations[v - 1] as Migration;
    data = step(data);
  }
  return { schemaVersion: migrations.length + 1, data: data as T };
}
