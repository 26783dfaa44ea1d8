import { type FileHandle, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fsyncDir } from './durable-fs.js';
import { encodeFrames, FRAME_HEADER_BYTES, FrameReader, type FrameStopReason } from './journal-frame.js';
import {
  createSegment,
  DEFAULT_MAX_ENTRY_BYTES,
  findSegment,
  openSegmentForRead,
  type RecoveredSegments,
  recoverSegments,
  type Segment,
  segmentName,
} from './journal-segments.js';
import { type LatencySummary, LatencyWindow } from './latency-window.js';
import { StoreError, StoreErrorCode } from './store-errors.js';

/** Options of {@link Journal.open}. */
export interface JournalOptions {
  /** A segment is closed and a new one started before it would grow past this. Default 16 MiB. */
  segmentMaxBytes?: number;
  /** Largest payload accepted. Default 8 MiB. */
  maxEntryBytes?: number;
  /**
   * Called after each group commit is durable, with the number of entries, the write+fsync time
   * and the bytes written. For metrics; exceptions it throws are ignored.
   */
  onCommit?: (entries: number, latencyMs: number, bytes: number) => void;
  /** Monotonic milliseconds for latency figures; `performance.now` by default. */
  monotonicNow?: () => number;
}

/** One journal entry as read back. */
export interface JournalEntry {
  lsn: number;
  payload: Buffer;
}

/** Damage found while reading; reading stopped there. */
export interface JournalCorruption {
  segment: string;
  offset: number;
  /** The LSN the damaged frame should have held. */
  lsn: number;
  reason: FrameStopReason;
}

/** Figures for metrics and tests. */
export interface JournalStats {
  segments: number;
  bytes: number;
  entries: number;
  firstLsn: number;
  lastLsn: number;
  /** First LSN of the segment being appended to. */
  activeSegmentFirstLsn: number;
  /** Bytes cut off the end of the last segment at open (a torn, never-acknowledged tail). */
  tornTailBytes: number;
  /** Frames (whole or partial, best effort) in that tail. */
  tornEntries: number;
  /** Group commits and fsyncs since open. */
  commits: number;
  fsyncs: number;
  /** From `append` to its acknowledgement (after fsync), over the last 4096 appends. */
  appendLatency: LatencySummary;
  /** Write+fsync of one group commit. */
  commitLatency: LatencySummary;
  /** Damaged frames met by readers (reading stopped there). */
  corruptions: number;
  lastCorruption: JournalCorruption | undefined;
  /** Time `open` took. */
  openMs: number;
}

interface Pending {
  payload: Buffer;
  start: number;
  resolve: (lsn: number) => void;
  reject: (err: unknown) => void;
}

/** Read buffer of a transient journal read (see {@link Journal.read}). */
const TRANSIENT_CHUNK_BYTES = 64 * 1024;

/**
 * An append-only, fsynced, segmented journal of opaque payloads. LSNs number entries from 1
 * without gaps. Appends that arrive while a write+fdatasync is in flight are group-committed in
 * the next one; an append resolves only once its bytes are on disk. After a failed write or fsync
 * the journal refuses appends (`STORE_FAILED`) until reopened, so the disk stays the truth.
 */
export class Journal {
  readonly dir: string;
  readonly #segmentMaxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #onCommit: JournalOptions['onCommit'];
  readonly #now: () => number;
  readonly #segments: Segment[];
  #active: FileHandle;
  #lastLsn: number;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #failure: StoreError | undefined;
  readonly #appendLatency = new LatencyWindow();
  readonly #commitLatency = new LatencyWindow();
  #commits = 0;
  #fsyncs = 0;
  #corruptions = 0;
  #lastCorruption: JournalCorruption | undefined;
  readonly #torn: { bytes: number; entries: number };
  readonly #openMs: number;

  private constructor(dir: string, opts: JournalOptions, state: RecoveredSegments & { openMs: number }) {
    this.dir = dir;
    this.#segmentMaxBytes = opts.segmentMaxBytes ?? 16 * 1024 * 1024;
    this.#maxEntryBytes = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
    this.#onCommit = opts.onCommit;
    this.#now = opts.monotonicNow ?? (() => performance.now());
    this.#segments = state.segments;
    this.#active = state.active;
    this.#lastLsn = state.lastLsn;
    this.#torn = state.torn;
    this.#openMs = state.openMs;
  }

  /**
   * Opens or creates the journal in `dir`. Only the last segment is scanned: a torn tail (a
   * partial or failing frame and anything after it) is truncated and counted in `stats`.
   */
  static async open(dir: string, opts: JournalOptions = {}): Promise<Journal> {
    const t0 = performance.now();
    const state = await recoverSegments(dir, opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES);
    return new Journal(dir, opts, { ...state, openMs: performance.now() - t0 });
  }

  /** LSN of the last durable entry; 0 when the journal has never held one. */
  get lastLsn(): number {
    return this.#lastLsn;
  }

  /** LSN of the first entry still kept (retention deletes whole segments before it). */
  get firstLsn(): number {
    return (this.#segments[0] as Segment).firstLsn;
  }

  /** Largest payload `append` accepts. */
  get maxEntryBytes(): number {
    return this.#maxEntryBytes;
  }

  /** First LSNs of the segments kept, ascending (the last is the active one). */
  segmentStarts(): number[] {
    return this.#segments.map((s) => s.firstLsn);
  }

  /** First LSN of the segment being appended to. */
  get activeSegmentFirstLsn(): number {
    return (this.#segments[this.#segments.length - 1] as Segment).firstLsn;
  }

  get stats(): JournalStats {
    let bytes = 0;
    for (const s of this.#segments) bytes += s.bytes;
    return {
      segments: this.#segments.length,
      bytes,
      entries: this.#lastLsn - this.firstLsn + 1,
      firstLsn: this.firstLsn,
      lastLsn: this.#lastLsn,
      activeSegmentFirstLsn: this.activeSegmentFirstLsn,
      tornTailBytes: this.#torn.bytes,
      tornEntries: this.#torn.entries,
      commits: this.#commits,
      fsyncs: this.#fsyncs,
      appendLatency: this.#appendLatency.summary(),
      commitLatency: this.#commitLatency.summary(),
      corruptions: this.#corruptions,
      lastCorruption: this.#lastCorruption,
      openMs: this.#openMs,
    };
  }

  /** Appends `payload` (1 byte to `maxEntryBytes`); resolves with its LSN once it is fsynced. */
  append(payload: Buffer): Promise<number> {
    if (this.#closing !== undefined) {
      return Promise.reject(new StoreError(StoreErrorCode.Closed, `journal ${this.dir} is closed`));
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (!Buffer.isBuffer(payload) || payload.length === 0 || payload.length > this.#maxEntryBytes) {
      return Promise.reject(new RangeError(`journal payload must be 1..${this.#maxEntryBytes} bytes`));
    }
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ payload, start: this.#now(), resolve, reject });
      this.#flushing ??= this.#flushLoop();
    });
  }

  /**
   * Reads durable entries from `fromLsn` up to the last LSN at the time of the call. The segment
   * is found by its file name. Damage stops the reading; it is counted in `stats`. With
   * `transient`, a payload is valid only until the next entry is asked for: one small read buffer
   * (64 KiB, grown only for a larger entry) serves the whole read, across segments, instead of a
   * new 1 MiB one per MiB read. The kernel's read-ahead keeps small reads sequential-fast, and a
   * status view that wants one record no longer costs a MiB of memory per call.
   */
  async *read(fromLsn: number, opts: { transient?: boolean } = {}): AsyncGenerator<JournalEntry> {
    if (!Number.isSafeInteger(fromLsn) || fromLsn < 1) throw new RangeError('fromLsn must be an integer ≥ 1');
    const end = this.#lastLsn;
    const segments = this.#segments.slice();
    if (fromLsn > end) return;
    if (fromLsn < (segments[0] as Segment).firstLsn) {
      throw new StoreError(StoreErrorCode.Deleted, `journal entries before ${this.firstLsn} were deleted`);
    }
    let i = findSegment(segments, fromLsn);
    let store: Buffer | undefined;
    for (let lsn = fromLsn; lsn <= end; i++) {
      const seg = segments[i] as Segment;
      const next = segments[i + 1]?.firstLsn ?? Number.POSITIVE_INFINITY;
      const name = segmentName(seg.firstLsn);
      const handle = await openSegmentForRead(this.dir, seg.firstLsn);
      try {
        const reader = opts.transient
          ? new FrameReader(handle, 0, this.#maxEntryBytes, TRANSIENT_CHUNK_BYTES, true, store)
          : new FrameReader(handle, 0, this.#maxEntryBytes);
        try {
          for (let at = seg.firstLsn; at < next && at <= end; at++) {
            const frame = await reader.next();
            if (!frame.ok) {
              this.#corruptions++;
              this.#lastCorruption = { segment: name, offset: frame.offset, lsn: at, reason: frame.reason };
              return;
            }
            if (at >= lsn) yield { lsn: at, payload: frame.payload };
          }
        } finally {
          store = reader.store;
        }
      } finally {
        await handle.close();
      }
      lsn = next;
    }
  }

  /**
   * Deletes whole segments whose entries all have LSNs below `lsn`; never the segment being
   * appended to. Resolves with the number of segments deleted.
   */
  async deleteSegmentsBefore(lsn: number): Promise<number> {
    const victims: Segment[] = [];
    while (this.#segments.length > 1 && (this.#segments[1] as Segment).firstLsn <= lsn) {
      victims.push(this.#segments.shift() as Segment);
    }
    for (const v of victims) await unlink(join(this.dir, segmentName(v.firstLsn)));
    if (victims.length > 0) await fsyncDir(this.dir);
    return victims.length;
  }

  /** Refuses new appends, waits until the pending ones are durable, and closes the files. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#flushing;
      await this.#active.close();
    })();
    return this.#closing;
  }

  async #flushLoop(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        await nextTurn(); // appends made in this turn of the event loop join the batch
        const batch = this.#pending.splice(0);
        try {
          if (this.#failure) throw this.#failure;
          await this.#commit(batch);
        } catch (err) {
          this.#failure ??= new StoreError(StoreErrorCode.Failed, `journal ${this.dir} write failed`, {
            cause: err,
          });
          for (const p of batch) p.reject(this.#failure);
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    const t0 = this.#now();
    let written = 0;
    for (let i = 0; i < batch.length; ) {
      let seg = this.#segments[this.#segments.length - 1] as Segment;
      if (seg.bytes > 0 && seg.bytes + frameBytes(batch[i]) > this.#segmentMaxBytes) seg = await this.#roll();
      let j = i;
      let size = 0;
      do size += frameBytes(batch[j++]);
      while (j < batch.length && seg.bytes + size + frameBytes(batch[j]) <= this.#segmentMaxBytes);
      const buf = encodeFrames(batch.slice(i, j).map((p) => p.payload));
      for (let off = 0; off < buf.length; ) {
        off += (await this.#active.write(buf, off, buf.length - off, seg.bytes + off)).bytesWritten;
      }
      await this.#active.datasync();
      this.#fsyncs++;
      seg.bytes += buf.length;
      this.#lastLsn += j - i;
      written += buf.length;
      i = j;
    }
    const t1 = this.#now();
    this.#commits++;
    this.#commitLatency.record(t1 - t0);
    let lsn = this.#lastLsn - batch.length;
    for (const p of batch) {
      this.#appendLatency.record(t1 - p.start);
      p.resolve(++lsn);
    }
    try {
      this.#onCommit?.(batch.length, t1 - t0, written);
    } catch {
      // A metrics hook must not break durability; its errors are deliberately ignored.
    }
  }

  /** Starts a new segment after the last durable entry; file and directory are fsynced. */
  async #roll(): Promise<Segment> {
    const seg = { firstLsn: this.#lastLsn + 1, bytes: 0 };
    const handle = await createSegment(this.dir, seg.firstLsn);
    const old = this.#active;
    this.#active = handle;
    this.#segments.push(seg);
    await old.close();
    return seg;
  }
}

function frameBytes(p: Pending | undefined): number {
  return FRAME_HEADER_BYTES + (p?.payload.length ?? 0);
}
