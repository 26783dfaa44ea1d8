import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir, writeFileDurable } from './durable-fs.js';

/** A snapshot of state derived from records: the state after every record up to `lsn`. */
export interface Snapshot<S> {
  /** Schema version of `state`; a snapshot of another version is not loaded. */
  version: number;
  /** The last record LSN whose effect is in `state`. */
  lsn: number;
  state: S;
}

interface Header {
  format: 1;
  name: string;
  version: number;
  lsn: number;
  bytes: number;
  crc: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Durable, versioned snapshots of derived state (balances, open alarms, payments …): state =
 * snapshot + the records after its `lsn`. Each save is a new generation file
 * (`<name>.<generation>.snap`: a JSON header line with a CRC, then the state as JSON), written
 * through temp file, fsync, rename and directory fsync; the previous generation is kept as a
 * fallback, older ones are removed once the new one is durable.
 */
export class SnapshotStore {
  readonly dir: string;
  readonly #saving = new Map<string, Promise<void>>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (creating if needed) the snapshot directory `dir`. */
  static async open(dir: string): Promise<SnapshotStore> {
    await mkdir(dir, { recursive: true });
    return new SnapshotStore(dir);
  }

  /** Saves a new generation of snapshot `name`; resolves once it is durable. Saves of one name are serialized. */
  async save<S>(name: string, snapshot: Snapshot<S>): Promise<void> {
    checkName(name);
    if (!Number.isSafeInteger(snapshot.version) || !Number.isSafeInteger(snapshot.lsn) || snapshot.lsn < 0) {
      throw new RangeError('snapshot version and lsn must be integers, lsn ≥ 0');
    }
    const body = Buffer.from(JSON.stringify(snapshot.state));
    const previous = this.#saving.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#write(name, snapshot, body));
    this.#saving.set(name, next);
    await next;
  }

  /**
   * Loads the newest valid generation of `name`; a generation that fails its checks is skipped
   * for the one before it. Null when there is none, or when the newest valid one has another
   * schema `version` than asked for (the caller rebuilds from the records).
   */
  async load<S>(name: string, version: number): Promise<Snapshot<S> | null> {
    checkName(name);
    for (const gen of (await this.#generations(name)).reverse()) {
      const snap = await readSnapshot<S>(join(this.dir, fileName(name, gen)), name);
      if (snap === undefined) continue;
      return snap.version === version ? snap : null;
    }
    return null;
  }

  /**
   * The LSN every kept generation of `name` covers (the lowest of them, since `load` may fall
   * back to the older one), reading only their header lines; 0 when there is none.
   */
  async coveredLsn(name: string): Promise<number> {
    checkName(name);
    const gens = await this.#generations(name);
    if (gens.length === 0) return 0;
    let lsn = Number.POSITIVE_INFINITY;
    for (const gen of gens) {
      const header = await readHeader(join(this.dir, fileName(name, gen)));
      lsn = Math.min(lsn, header?.name === name ? header.lsn : 0);
    }
    return lsn;
  }

  async #write<S>(name: string, snapshot: Snapshot<S>, body: Buffer): Promise<void> {
    const gens = await this.#generations(name);
    const gen = (gens[gens.length - 1] ?? 0) + 1;
    const header: Header = {
      format: 1,
      name,
      version: snapshot.version,
      lsn: snapshot.lsn,
      bytes: body.length,
      crc: crc32(body),
    };
    await writeFileDurable(
      join(this.dir, fileName(name, gen)),
      Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]),
    );
    const stale = gens.slice(0, -1);
    for (const old of stale) await unlink(join(this.dir, fileName(name, old)));
    if (stale.length > 0) await fsyncDir(this.dir);
  }

  /** Generation numbers of `name`, ascending. */
  async #generations(name: string): Promise<number[]> {
    const prefix = `${name}.`;
    const gens: number[] = [];
    for (const f of await readdir(this.dir)) {
      const m = /^(\d{12})\.snap$/.exec(f.startsWith(prefix) ? f.slice(prefix.length) : '');
      if (m) gens.push(Number(m[1]));
    }
    return gens.sort((a, b) => a - b);
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new RangeError(`bad snapshot name ${JSON.stringify(name)}`);
}

function fileName(name: string, gen: number): string {
  return `${name}.${String(gen).padStart(12, '0')}.snap`;
}

/** The header line of a snapshot file, or undefined when it is missing or unreadable. */
async function readHeader(file: string): Promise<Header | undefined> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(file, 'r');
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl < 0) return undefined;
    const h = JSON.parse(buf.subarray(0, nl).toString('utf8')) as Header;
    return h.format === 1 && Number.isSafeInteger(h.lsn) ? h : undefined;
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}

/** The snapshot in `file`, or undefined if it is missing, torn or fails its CRC. */
async function readSnapshot<S>(file: string, name: string): Promise<Snapshot<S> | undefined> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const nl = raw.indexOf(0x0a);
  if (nl < 0) return undefined;
  try {
    const header = JSON.parse(raw.subarray(0, nl).toString('utf8')) as Header;
    const body = raw.subarray(nl + 1);
    if (
      header.format !== 1 ||
      header.name !== name ||
      header.bytes !== body.length ||
      header.crc !== crc32(body)
    ) {
      return undefined;
    }
    return { version: header.version, lsn: header.lsn, state: JSON.parse(body.toString('utf8')) as S };
  } catch {
    return undefined;
  }
}
