import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { v7 } from 'uuid';
import { isStream, STREAMS, type Stream, type SyncRecord } from '../../cloud-sync/protocol/record.js';
import { MAX_RECORD_BYTES } from '../../cloud-sync/protocol/validate.js';
import { DurableFileAdapter } from './durable-file-adapter.js';
import { Journal, type JournalOptions, type JournalStats } from './journal.js';
import { SegmentIndex, type SegmentSummary, segmentStartOf } from './segment-index.js';
import { StoreError, StoreErrorCode } from './store-errors.js';

/** Options of {@link RecordLog.open}. */
export interface RecordLogOptions {
  /** Holds `journal/` (the segments) and `seq-checkpoint.json`. */
  dir: string;
  /** This smart house's id, `[A-Za-z0-9._-]{1,64}`. */
  house: string;
  /** Whether the edge's clock is known to be right when a record is made. */
  clock: () => 'synced' | 'unsynced';
  /** Wall-clock milliseconds for `ts` and the UUIDv7; `Date.now` by default. */
  now?: () => number;
  journal?: JournalOptions;
  /** Told each record once it is durable (the sync client wakes up); exceptions are ignored. */
  onAppend?: (record: SyncRecord) => void;
}

/** How the per-stream counters were recovered at open. */
export interface RecordLogRecovery {
  /** LSN the seq checkpoint was taken at (0: none usable). */
  checkpointLsn: number;
  /** Records read to bring the counters from the checkpoint to the end of the journal. */
  scannedRecords: number;
  /** The checkpoint was ahead of the journal: acknowledged records were lost (seqs skip them). */
  checkpointAhead: boolean;
  openMs: number;
}

interface SeqCheckpoint {
  lsn: number;
  seqs: Partial<Record<Stream, number>>;
  /** What each segment holds, up to `lsn` (segment-index.ts); absent in checkpoints of older builds. */
  segments?: SegmentSummary[];
}

const HOUSE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The records of this house (DESIGN.md, "Records and sync") on top of the journal: each append
 * builds the envelope with the next seq of its stream and resolves once the record is durable.
 * Per-stream counters survive crashes without a replay: a checkpoint of them is written when a
 * segment rolls over (and at close), and open reads only the records after it.
 */
export class RecordLog {
  readonly house: string;
  readonly #journal: Journal;
  readonly #checkpointFile: DurableFileAdapter<SeqCheckpoint>;
  readonly #clock: () => 'synced' | 'unsynced';
  readonly #index: SegmentIndex;
  readonly #onAppend: ((record: SyncRecord) => void) | undefined;
  readonly #now: () => number;
  /** Last seq handed out per stream (acknowledged or in flight). */
  readonly #assigned = new Map<Stream, number>();
  /** Last acknowledged seq per stream, and the LSN up to which all acknowledgements were seen. */
  readonly #acked = new Map<Stream, number>();
  #ackedLsn: number;
  #checkpointLsn: number;
  #checkpointErrors = 0;
  /** Appends not yet settled, and who waits for them to reach 0 (close). */
  #inflight = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #uuidMsecs = Number.NEGATIVE_INFINITY;
  #uuidSeq = 0;
  readonly #randomPool = Buffer.alloc(16 * 256);
  #randomAt = Number.POSITIVE_INFINITY;
  readonly recovery: RecordLogRecovery;

  private constructor(
    opts: RecordLogOptions,
    journal: Journal,
    ckpt: SeqCheckpoint,
    recovery: RecordLogRecovery,
    index: SegmentIndex,
  ) {
    this.house = opts.house;
    this.#journal = journal;
    this.#checkpointFile = new DurableFileAdapter(join(opts.dir, 'seq-checkpoint.json'));
    this.#clock = opts.clock;
    this.#index = index;
    this.#onAppend = opts.onAppend;
    this.#now = opts.now ?? Date.now;
    for (const [stream, seq] of Object.entries(ckpt.seqs) as [Stream, number][]) {
      this.#assigned.set(stream, seq);
      this.#acked.set(stream, seq);
    }
    this.#ackedLsn = journal.lastLsn;
    this.#checkpointLsn = recovery.checkpointAhead ? -1 : ckpt.lsn;
    this.recovery = recovery;
  }

  /**
   * Opens the log in `opts.dir`: recovers the journal (cutting a torn tail), loads the seq
   * checkpoint and reads only the records after it. Rejects with `STORE_CORRUPT` if the
   * counters cannot be trusted (the journal is unreadable after the checkpoint, or the
   * checkpoint is gone while old segments were already deleted).
   */
  static async open(opts: RecordLogOptions): Promise<RecordLog> {
    if (!HOUSE_ID.test(opts.house)) throw new RangeError(`bad house id ${JSON.stringify(opts.house)}`);
    const t0 = performance.now();
    const journal = await Journal.open(join(opts.dir, 'journal'), opts.journal);
    try {
      const ckpt = await loadCheckpoint(join(opts.dir, 'seq-checkpoint.json'));
      if (ckpt.lsn === 0 && journal.firstLsn > 1) {
        throw new StoreError(
          StoreErrorCode.Corrupt,
          `${opts.dir}: no usable seq checkpoint and segments before ${journal.firstLsn} are deleted`,
        );
      }
      const index = new SegmentIndex(ckpt.segments ?? []);
      index.dropBefore(journal.firstLsn);
      const starts = journal.segmentStarts();
      const active = journal.activeSegmentFirstLsn;
      // The counters need the records after the checkpoint; the index needs the whole active
      // segment when it has no summary of it yet (a checkpoint of an older build).
      const countFrom = Math.min(ckpt.lsn, journal.lastLsn) + 1;
      const from = index.get(active) ? countFrom : Math.min(countFrom, active);
      let scanned = 0;
      let last = from - 1;
      for await (const { lsn, record } of readRecords(journal, from)) {
        if (lsn >= countFrom) {
          ckpt.seqs[record.stream] = Math.max(ckpt.seqs[record.stream] ?? 0, record.seq);
          scanned++;
        }
        index.observe(segmentStartOf(starts, lsn), lsn, record);
        last = lsn;
      }
      if (last < journal.lastLsn) {
        throw new StoreError(StoreErrorCode.Corrupt, `${opts.dir}: journal unreadable after LSN ${last}`);
      }
      const recovery = {
        checkpointLsn: ckpt.lsn,
        scannedRecords: scanned,
        checkpointAhead: ckpt.lsn > journal.lastLsn,
        openMs: performance.now() - t0,
      };
      const log = new RecordLog(opts, journal, ckpt, recovery, index);
      // A checkpoint ahead of the journal would hide the records appended from now on.
      if (recovery.checkpointAhead) await log.#checkpoint();
      return log;
    } catch (err) {
      await journal.close();
      throw err;
    }
  }

  /** LSN of the last durable record. */
  get lastLsn(): number {
    return this.#journal.lastLsn;
  }

  /** LSN of the first record still kept. */
  get firstLsn(): number {
    return this.#journal.firstLsn;
  }

  get stats(): { journal: JournalStats; recovery: RecordLogRecovery; checkpointErrors: number } {
    return {
      journal: this.#journal.stats,
      recovery: this.recovery,
      checkpointErrors: this.#checkpointErrors,
    };
  }

  /**
   * The journal's segments (ascending), each with its summary when the index has a whole one
   * (the active segment's is partial by nature).
   */
  segments(): { firstLsn: number; summary: SegmentSummary | undefined }[] {
    const starts = this.#journal.segmentStarts();
    return starts.map((firstLsn, i) => {
      const next = starts[i + 1];
      const whole = next === undefined || this.#index.complete(firstLsn, next);
      return { firstLsn, summary: whole ? this.#index.get(firstLsn) : undefined };
    });
  }

  /**
   * Reads the closed segment starting at `firstLsn` whole and adds what it holds to the index
   * (segments written before the index existed, or whose last records are not noted yet).
   * Resolves with the summary.
   */
  async summarize(firstLsn: number): Promise<SegmentSummary> {
    const starts = this.#journal.segmentStarts();
    const i = starts.indexOf(firstLsn);
    if (i < 0) throw new StoreError(StoreErrorCode.Deleted, `no journal segment starts at ${firstLsn}`);
    const next = starts[i + 1];
    if (next !== undefined && this.#index.complete(firstLsn, next)) {
      return this.#index.get(firstLsn) as SegmentSummary;
    }
    const end = (next ?? Number.POSITIVE_INFINITY) - 1;
    const scratch = new SegmentIndex();
    for await (const { lsn, record } of readRecords(this.#journal, firstLsn)) {
      if (lsn > end) break;
      scratch.observe(firstLsn, lsn, record);
    }
    this.#index.learn(scratch.get(firstLsn) ?? { firstLsn, lastLsn: firstLsn - 1, streams: {}, lastTs: '' });
    return this.#index.get(firstLsn) as SegmentSummary;
  }

  /**
   * Reads `stream`'s durable records with seq > `afterSeq`, in seq order, starting at the first
   * segment the index says can hold one (segments without a summary are read through). Each comes
   * as stored: its seq and its JSON bytes exactly as appended (the sync sends them as they are).
   * `json` is valid only until the next record is asked for: copy it to keep it.
   */
  async *readStream(stream: Stream, afterSeq: number): AsyncGenerator<StoredRecord> {
    if (afterSeq >= this.streamSeq(stream)) return;
    const from = this.#index.locate(this.#journal.segmentStarts(), stream, afterSeq);
    if (from === undefined) return;
    // Most records are in append's shape: their stream and seq are read in place, allocating
    // nothing. Others (older builds, hand-made) are filtered by the stream marker and parsed.
    const prefix = Buffer.from(`","house":${JSON.stringify(this.house)},"stream":"`);
    const envelope = Buffer.from(`${stream}","seq":`);
    const streamAt = ENVELOPE_AT + prefix.length;
    const marker = streamMarker(stream);
    for await (const { lsn, payload } of this.#journal.read(from, { transient: true })) {
      let seq: number | undefined;
      if (startsAt(payload, ENVELOPE_AT, prefix)) {
        if (!startsAt(payload, streamAt, envelope)) continue; // another stream's record
        seq = digitsAt(payload, streamAt + envelope.length) ?? parsedSeq(this.#journal, lsn, payload, stream);
      } else if (mayHoldStream(payload, marker)) {
        seq = parsedSeq(this.#journal, lsn, payload, stream);
      }
      if (seq !== undefined && seq > afterSeq) yield { lsn, seq, json: payload };
    }
  }

  /** Seq of the last acknowledged record of `stream`; 0 if it has none. */
  streamSeq(stream: Stream): number {
    return this.#acked.get(stream) ?? 0;
  }

  /**
   * Appends a record to `stream` with the stream's next seq; resolves with the record once it is
   * on disk. A body that cannot be serialized or is too large throws before a seq is used.
   */
  append<B extends object = Record<string, unknown>>(
    stream: Stream,
    type: string,
    body: B,
  ): Promise<SyncRecord<B>> {
    if (!isStream(stream)) return Promise.reject(new RangeError(`unknown stream ${JSON.stringify(stream)}`));
    if (this.#closing !== undefined) {
      return Promise.reject(new StoreError(StoreErrorCode.Closed, 'record log is closed'));
    }
    const seq = (this.#assigned.get(stream) ?? 0) + 1;
    const msecs = this.#now();
    const record: SyncRecord<B> = {
      id: this.#uuid(msecs),
      house: this.house,
      stream,
      seq,
      type,
      ts: new Date(msecs).toISOString(),
      clock: this.#clock(),
      v: 1,
      body,
    };
    let payload: Buffer;
    try {
      payload = Buffer.from(JSON.stringify(record));
    } catch (err) {
      return Promise.reject(err);
    }
    // The cloud refuses a record over MAX_RECORD_BYTES: such a record would be a dead letter forever.
    if (payload.length > Math.min(MAX_RECORD_BYTES, this.#journal.maxEntryBytes)) {
      return Promise.reject(new RangeError(`record of ${payload.length} bytes is too large`));
    }
    this.#assigned.set(stream, seq);
    this.#inflight++;
    return this.#acknowledge(this.#journal.append(payload), record);
  }

  /**
   * Reads durable records from `fromLsn` on, in LSN order; with `stream`, only that stream's. A
   * record's envelope starts with its stream (see `append`), so the others are passed over without
   * being parsed: a service rebuilding its state at start-up reads a year of other records fast.
   */
  read(fromLsn: number, stream?: Stream): AsyncGenerator<{ lsn: number; record: SyncRecord }> {
    return readRecords(this.#journal, fromLsn, stream);
  }

  /**
   * Retention: deletes whole journal segments whose records all lie below `lsn`, after a seq
   * checkpoint covers them. Resolves with the number of segments deleted.
   */
  async deleteSegmentsBefore(lsn: number): Promise<number> {
    await this.#checkpoint();
    const deleted = await this.#journal.deleteSegmentsBefore(Math.min(lsn, this.#checkpointLsn + 1));
    this.#index.dropBefore(this.#journal.firstLsn);
    return deleted;
  }

  /** Refuses new appends, waits for pending ones, writes a seq checkpoint and closes. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#journal.close();
      if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      await this.#checkpoint();
    })();
    return this.#closing;
  }

  async #acknowledge<B>(appended: Promise<number>, record: SyncRecord<B>): Promise<SyncRecord<B>> {
    try {
      const lsn = await appended;
      // Acknowledgements arrive in LSN order, so these counters describe every record ≤ lsn.
      this.#acked.set(record.stream, record.seq);
      this.#ackedLsn = lsn;
      const active = this.#journal.activeSegmentFirstLsn;
      const segment = lsn >= active ? active : segmentStartOf(this.#journal.segmentStarts(), lsn);
      this.#index.observe(segment, lsn, record);
      try {
        this.#onAppend?.(record as SyncRecord);
      } catch {
        // A listener must not fail an acknowledged append.
      }
      const rolledAt = this.#journal.activeSegmentFirstLsn - 1;
      if (rolledAt > this.#checkpointLsn && lsn >= rolledAt) await this.#checkpoint();
      return record;
    } finally {
      if (--this.#inflight === 0) this.#drained?.();
    }
  }

  /** Writes the acknowledged counters durably; a failure is counted and retried at the next roll. */
  async #checkpoint(): Promise<void> {
    const previous = this.#checkpointLsn;
    const ckpt: SeqCheckpoint = {
      lsn: this.#ackedLsn,
      seqs: Object.fromEntries(this.#acked),
      segments: this.#index.toJSON(),
    };
    if (ckpt.lsn <= previous) return;
    this.#checkpointLsn = ckpt.lsn;
    try {
      await this.#checkpointFile.write(ckpt);
    } catch {
      this.#checkpointErrors++;
      this.#checkpointLsn = previous;
    }
  }

  /** UUIDv7 from the injected clock, monotonic within this log even if the clock steps back. */
  #uuid(msecs: number): string {
    const random = this.#randomBytes();
    if (msecs > this.#uuidMsecs) {
      this.#uuidMsecs = msecs;
      this.#uuidSeq = random.readUInt32BE(6) & 0x7fffffff;
    } else if (++this.#uuidSeq > 0xffffffff) {
      this.#uuidMsecs++;
      this.#uuidSeq = random.readUInt32BE(6) & 0x7fffffff;
    }
    return v7({ msecs: this.#uuidMsecs, seq: this.#uuidSeq, random });
  }

  /** 16 random bytes from a pool refilled 256 ids at a time (one getrandom call per id is slow). */
  #randomBytes(): Buffer {
    if (this.#randomAt >= this.#randomPool.length) {
      randomFillSync(this.#randomPool);
      this.#randomAt = 0;
    }
    this.#randomAt += 16;
    return this.#randomPool.subarray(this.#randomAt - 16, this.#randomAt);
  }
}

/** How far into a payload the stream can be: `{"id":"<uuid>","house":"<≤ 64>","stream":…`. */
const STREAM_WITHIN = 160;

const streamMarker = (stream: Stream) => Buffer.from(`"stream":"${stream}",`);

/** Whether the stream's marker is where a record's stream can be (then parse to be sure). */
function mayHoldStream(payload: Buffer, marker: Buffer): boolean {
  return payload.subarray(0, STREAM_WITHIN).indexOf(marker) >= 0;
}

/** A record as the journal holds it (see {@link RecordLog.readStream}). */
export interface StoredRecord {
  lsn: number;
  seq: number;
  /** The record's JSON as appended; valid until the next record is read. */
  json: Buffer;
}

/** Where the envelope's `","house":…` starts: after `{"id":"` and a 36-character UUID. */
const ENVELOPE_AT = 43;

/** Whether `payload` holds `part` at `at` (compared in place). */
function startsAt(payload: Buffer, at: number, part: Buffer): boolean {
  return (
    payload.length >= at + part.length && payload.compare(part, 0, part.length, at, at + part.length) === 0
  );
}

/** The positive integer written at `from` and ended by a comma (append's seq); else undefined. */
function digitsAt(payload: Buffer, from: number): number | undefined {
  let seq = 0;
  let i = from;
  for (; i < payload.length && i < from + 16; i++) {
    const c = payload[i] as number;
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
  }
  return i > from && payload[i] === 0x2c && seq > 0 ? seq : undefined;
}

/** The seq of a record in another shape, parsed; undefined when it belongs to another stream. */
function parsedSeq(journal: Journal, lsn: number, payload: Buffer, stream: Stream): number | undefined {
  const record = parseRecord(journal, lsn, payload);
  return record.stream === stream ? record.seq : undefined;
}

function parseRecord(journal: Journal, lsn: number, payload: Buffer): SyncRecord {
  try {
    return JSON.parse(payload.toString('utf8')) as SyncRecord;
  } catch (err) {
    throw new StoreError(StoreErrorCode.Corrupt, `journal ${journal.dir}: LSN ${lsn} is not a record`, {
      cause: err,
    });
  }
}

async function* readRecords(
  journal: Journal,
  fromLsn: number,
  stream?: Stream,
): AsyncGenerator<{ lsn: number; record: SyncRecord }> {
  const marker = stream ? streamMarker(stream) : undefined;
  // Transient payloads: each is parsed (or passed over) before the next is read.
  for await (const { lsn, payload } of journal.read(fromLsn, { transient: true })) {
    if (marker && !mayHoldStream(payload, marker)) continue;
    const record = parseRecord(journal, lsn, payload);
    if (stream && record.stream !== stream) continue;
    yield { lsn, record };
  }
}

/** The seq checkpoint, or an empty one when it is missing or unreadable (a full scan follows). */
async function loadCheckpoint(file: string): Promise<SeqCheckpoint> {
  try {
    const ckpt = await new DurableFileAdapter<SeqCheckpoint>(file).read();
    if (ckpt && Number.isSafeInteger(ckpt.lsn) && ckpt.lsn >= 0 && typeof ckpt.seqs === 'object') {
      const seqs: Partial<Record<Stream, number>> = {};
      for (const s of STREAMS) if (Number.isSafeInteger(ckpt.seqs[s])) seqs[s] = ckpt.seqs[s] as number;
      return { lsn: ckpt.lsn, seqs, ...(Array.isArray(ckpt.segments) ? { segments: ckpt.segments } : {}) };
    }
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
  }
  return { lsn: 0, seqs: {} };
}
