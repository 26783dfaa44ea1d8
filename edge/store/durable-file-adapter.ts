import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import { writeFileDurable } from './durable-fs.js';
import { StoreError, StoreErrorCode } from './store-errors.js';

/** How a {@link DurableFileAdapter} turns data into text and back; JSON by default. */
export interface DurableFileAdapterOptions<T> {
  parse?: (text: string) => T;
  stringify?: (data: T) => string;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A lowdb adapter that keeps one JSON file and writes it durably: a temp file in the same
 * directory, fsync, rename over the target, fsync of the directory. It never falls back to memory.
 *
 * Writes are serialized. The data is serialized when `write` is called; writes that arrive while
 * one is on its way to disk are coalesced into the next one (the last state wins), and each
 * `write` resolves once a state at least as new as its own is durable.
 */
export class DurableFileAdapter<T> implements Adapter<T> {
  readonly file: string;
  readonly #parse: (text: string) => T;
  readonly #stringify: (data: T) => string;
  #next: { text: string; waiters: Waiter[] } | undefined;
  #running: Promise<void> | undefined;

  constructor(file: string, opts: DurableFileAdapterOptions<T> = {}) {
    this.file = file;
    this.#parse = opts.parse ?? ((text) => JSON.parse(text) as T);
    this.#stringify = opts.stringify ?? ((data) => JSON.stringify(data, null, 2));
  }

  /**
   * Reads and parses the file. A missing file gives `null`; an unparseable one throws a
   * {@link StoreError} with code `STORE_CORRUPT` naming the file (the caller decides what to do).
   */
  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return this.#parse(text);
    } catch (err) {
      throw new StoreError(StoreErrorCode.Corrupt, `cannot parse ${this.file}: ${(err as Error).message}`, {
        file: this.file,
        cause: err,
      });
    }
  }

  /** Writes `data` durably; resolves when it (or a newer state) is on disk. */
  write(data: T): Promise<void> {
    const text = this.#stringify(data);
    return new Promise<void>((resolve, reject) => {
      if (this.#next) {
        this.#next.text = text;
        this.#next.waiters.push({ resolve, reject });
      } else {
        this.#next = { text, waiters: [{ resolve, reject }] };
      }
      this.#running ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#next) {
      const { text, waiters } = this.#next;
      this.#next = undefined;
      try {
        await writeFileDurable(this.file, text);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.#running = undefined;
  }
}
