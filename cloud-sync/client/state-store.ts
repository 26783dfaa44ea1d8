/**
 * The sync client's durable state: per-stream cursors and the dead-letter list, saved whole as one
 * small JSON document. The store is an interface so the edge can put it wherever its data lives;
 * {@link FileSyncStateStore} writes atomically (temp file → fsync → rename → fsync of the directory),
 * so a crash leaves either the old state or the new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A record the cloud rejected; kept until a retry is accepted. */
export interface DeadLetter {
  id: string;
  stream: string;
  seq: number;
  /** The cloud's stable code (`unknown-type`, `schema`, `conflict`…). */
  reason: string;
  /** For people; the cloud never quotes the body in it. */
  message: string;
  /** ISO-8601 times the cloud first and last rejected it. */
  firstSeen: string;
  lastSeen: string;
  /** How many times it was rejected. */
  attempts: number;
}

export interface SyncState {
  v: 1;
  /** Per stream: every seq up to here is held by the cloud (as a record or a rejection). */
  cursors: Record<string, number>;
  deadLetters: DeadLetter[];
}

export interface SyncStateStore {
  /** The saved state, or `undefined` when none was ever saved. */
  load(): Promise<SyncState | undefined>;
  /** Durable when it resolves. */
  save(state: SyncState): Promise<void>;
}

export function emptyState(): SyncState {
  return { v: 1, cursors: {}, deadLetters: [] };
}

/** Keeps the state in memory (tests, or an edge that persists it some other way). */
export class MemorySyncStateStore implements SyncStateStore {
  #json: string | undefined;
  async load(): Promise<SyncState | undefined> {
    return this.#json === undefined ? undefined : (JSON.parse(this.#json) as SyncState);
  }
  async save(state: SyncState): Promise<void> {
    this.#json = JSON.stringify(state);
  }
}

/** One JSON file, replaced atomically on each save; saves are serialized. */
export class FileSyncStateStore implements SyncStateStore {
  #chain: Promise<void> = Promise.resolve();
  constructor(readonly path: string) {}

  async load(): Promise<SyncState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<SyncState>;
    if (parsed?.v !== 1 || typeof parsed.cursors !== 'object' || !Array.isArray(parsed.deadLetters)) {
      throw new Error(`sync state ${this.path} is not a version 1 state`);
    }
    return parsed as SyncState;
  }

  save(state: SyncState): Promise<void> {
    const text = `${JSON.stringify(state)}\n`;
    const run = this.#chain.then(() => this.#write(text));
    this.#chain = run.catch(() => {});
    return run;
  }

  async #write(text: string): Promise<void> {
    const dir = dirname(this.path);
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await fh.close();
    try {
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
