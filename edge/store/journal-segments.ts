import { type FileHandle, mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from './durable-fs.js';
import { countTornFrames, FrameReader } from './journal-frame.js';
import { StoreError, StoreErrorCode } from './store-errors.js';

export const DEFAULT_MAX_ENTRY_BYTES = 8 * 1024 * 1024;

/** A segment file: the first LSN it holds (its name) and its durable size. */
export interface Segment {
  firstLsn: number;
  bytes: number;
}

/** The journal's files as found at open, after the torn tail was cut. */
export interface RecoveredSegments {
  segments: Segment[];
  /** The last segment, open for writing. */
  active: FileHandle;
  lastLsn: number;
  torn: { bytes: number; entries: number };
}

/** Segment files are named by the first LSN they hold, zero-padded to 20 digits. */
export function segmentName(firstLsn: number): string {
  return `${String(firstLsn).padStart(20, '0')}.seg`;
}

/** The first LSN of a segment file name, or undefined if the name is not a segment's. */
export function parseSegmentName(name: string): number | undefined {
  const m = /^(\d{20})\.seg$/.exec(name);
  if (!m) return undefined;
  const lsn = Number(m[1]);
  return Number.isSafeInteger(lsn) && lsn >= 1 ? lsn : undefined;
}

/**
 * Lists the segments of `dir` (creating the directory and a first segment if needed) and scans
 * only the last one: its entries are counted up to the last whole frame, and anything after that
 * (a partial frame, a bad length or CRC, and whatever follows) is truncated and counted.
 * Earlier segments are not read; they were fsynced whole before the next one was created.
 */
export async function recoverSegments(dir: string, maxEntryBytes: number): Promise<RecoveredSegments> {
  const created = await mkdir(dir, { recursive: true });
  if (created !== undefined) await fsyncDir(dirname(created));
  const firsts = (await readdir(dir))
    .map(parseSegmentName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  if (firsts.length === 0) {
    await (await createSegment(dir, 1)).close();
    firsts.push(1);
  }
  const segments = await Promise.all(
    firsts.map(async (firstLsn) => ({
      firstLsn,
      bytes: (await stat(join(dir, segmentName(firstLsn)))).size,
    })),
  );
  const last = segments[segments.length - 1] as Segment;
  const active = await open(join(dir, segmentName(last.firstLsn)), 'r+');
  try {
    const reader = new FrameReader(active, 0, maxEntryBytes);
    let entries = 0;
    let stop = await reader.next();
    for (; stop.ok; stop = await reader.next()) entries++;
    const torn = { bytes: 0, entries: 0 };
    if (stop.reason !== 'eof') {
      torn.bytes = last.bytes - stop.offset;
      const tail = Buffer.alloc(torn.bytes);
      await active.read(tail, 0, torn.bytes, stop.offset);
      torn.entries = countTornFrames(tail, maxEntryBytes);
      await active.truncate(stop.offset);
      await active.sync();
      last.bytes = stop.offset;
    }
    return { segments, active, lastLsn: last.firstLsn + entries - 1, torn };
  } catch (err) {
    await active.close();
    throw err;
  }
}

/** Creates an empty segment file; the file and its directory are fsynced. */
export async function createSegment(dir: string, firstLsn: number): Promise<FileHandle> {
  const handle = await open(join(dir, segmentName(firstLsn)), 'wx');
  try {
    await handle.sync();
    await fsyncDir(dir);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/** Opens a segment for reading; a missing file means retention deleted it (`STORE_DELETED`). */
export async function openSegmentForRead(dir: string, firstLsn: number): Promise<FileHandle> {
  const path = join(dir, segmentName(firstLsn));
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new StoreError(StoreErrorCode.Deleted, `journal segment ${firstLsn} was deleted while being read`, {
      file: path,
      cause: err,
    });
  }
}

/** Index of the segment holding `lsn`: the last one whose first LSN is ≤ `lsn`. */
export function findSegment(segments: readonly Segment[], lsn: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((segments[mid] as Segment).firstLsn <= lsn) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
