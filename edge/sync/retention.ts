import type { Logger } from 'pino';
import type { Stream } from '../../cloud-sync/protocol/record.js';
import type { RecordLog } from '../store/record-log.js';
import type { SegmentSummary } from '../store/segment-index.js';
import type { DroppedRecord, DroppedRecords } from './dropped-records.js';

/** State derived from records and kept in snapshots (alarms, points): retention waits for them. */
export interface SnapshotHolder {
  /** The journal LSN the saved snapshot covers. */
  snapshotCovers(): Promise<number>;
  /** Takes a snapshot now; resolves with the LSN it covers. */
  checkpoint(): Promise<number>;
}

export interface RetentionOptions {
  records: RecordLog;
  /** Per stream, every seq up to here is held by the cloud; undefined when the edge does not sync. */
  cursors: () => Promise<Readonly<Record<string, number>> | undefined>;
  holders: readonly SnapshotHolder[];
  dropped: DroppedRecords;
  /** Synced segments whose newest record is older than this are deleted. */
  retentionMs: number;
  /** Below this much free disk, the disk-full policy may drop unsynced records of `dropStream`. */
  minFreeBytes: number;
  /** Free bytes on the data directory's file system (null when unknown). */
  diskFree: () => Promise<number | null>;
  /** The lowest-priority stream: the only one whose unsynced records the policy may drop. */
  dropStream?: Stream;
  now?: () => number;
  log: Logger;
}

export interface RetentionResult {
  /** Segments deleted because they were synced and past the retention. */
  deleted: number;
  /** Segments deleted by the disk-full policy, and the unsynced records that went with them. */
  dropped: number;
  droppedRecords: number;
  freeBytes: number | null;
}

/**
 * Journal retention (issue 5, DESIGN.md "The store"): a segment is deleted once every record in it
 * is held by the cloud, its newest record is older than the retention, and the snapshots of the
 * derived state cover it. Unsynced segments are never deleted — except, when the disk is nearly
 * full, by one explicit, logged policy: the oldest segments whose only unsynced records belong to
 * the lowest-priority stream (`service`, the QR scans) go, and those records are kept as
 * `record.dropped` stand-ins for the cloud (dropped-records.ts). Alarm and payment records are
 * never dropped unsynced. Deletion is always a prefix of the journal, never the active segment.
 */
export class Retention {
  readonly #o: Required<Omit<RetentionOptions, 'dropStream' | 'now'>> & {
    dropStream: Stream;
    now: () => number;
  };
  #running: Promise<RetentionResult> | undefined;

  constructor(opts: RetentionOptions) {
    this.#o = { dropStream: 'service', now: Date.now, ...opts };
  }

  /** One pass; passes never overlap. */
  run(): Promise<RetentionResult> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<RetentionResult> {
    const { records, log } = this.#o;
    const result: RetentionResult = { deleted: 0, dropped: 0, droppedRecords: 0, freeBytes: null };
    const cursors = (await this.#o.cursors()) ?? {};
    const closed = records.segments().slice(0, -1);
    if (closed.length === 0) {
      result.freeBytes = await this.#o.diskFree();
      return result;
    }
    const summaries: SegmentSummary[] = [];
    for (const s of closed) summaries.push(s.summary ?? (await records.summarize(s.firstLsn)));
    const synced = (s: SegmentSummary, except?: Stream) =>
      Object.entries(s.streams).every(
        ([stream, range]) => stream === except || (range as [number, number])[1] <= (cursors[stream] ?? 0),
      );

    // 1. Synced and past the retention: a prefix of the journal.
    const before = new Date(this.#o.now() - this.#o.retentionMs).toISOString();
    let n = 0;
    while (n < summaries.length) {
      const s = summaries[n] as SegmentSummary;
      if (!synced(s) || s.lastTs >= before) break;
      n++;
    }
    if (n > 0 && (await this.#covered((summaries[n - 1] as SegmentSummary).lastLsn))) {
      result.deleted = await records.deleteSegmentsBefore((summaries[n - 1] as SegmentSummary).lastLsn + 1);
      if (result.deleted > 0) {
        log.info(
          { segments: result.deleted, beforeLsn: records.firstLsn },
          'retention: synced segments deleted',
        );
      }
    }

    // 2. The disk-full policy.
    result.freeBytes = await this.#o.diskFree();
    let i = result.deleted;
    while (result.freeBytes !== null && result.freeBytes < this.#o.minFreeBytes && i < summaries.length) {
      const s = summaries[i] as SegmentSummary;
      if (!synced(s, this.#o.dropStream) || !(await this.#covered(s.lastLsn))) break;
      const lost = await this.#unsynced(s, cursors[this.#o.dropStream] ?? 0);
      await this.#o.dropped.add(lost);
      const gone = await records.deleteSegmentsBefore(s.lastLsn + 1);
      if (gone === 0) break;
      result.dropped += gone;
      result.droppedRecords += lost.length;
      i++;
      result.freeBytes = await this.#o.diskFree();
      log.warn(
        {
          policy: 'disk-full',
          stream: this.#o.dropStream,
          segmentFirstLsn: s.firstLsn,
          droppedRecords: lost.length,
          freeBytes: result.freeBytes,
          minFreeBytes: this.#o.minFreeBytes,
        },
        'retention: disk nearly full, dropped an unsynced segment of the lowest-priority stream',
      );
    }
    if (result.freeBytes !== null && result.freeBytes < this.#o.minFreeBytes && i < summaries.length) {
      log.error(
        { freeBytes: result.freeBytes, minFreeBytes: this.#o.minFreeBytes },
        'retention: disk nearly full and nothing more may be deleted (unsynced alarm, payment or other records)',
      );
    }
    return result;
  }

  /** Whether every snapshot covers `lsn`; takes fresh snapshots when one does not. */
  async #covered(lsn: number): Promise<boolean> {
    for (const h of this.#o.holders) {
      if ((await h.snapshotCovers()) >= lsn) continue;
      if ((await h.checkpoint()) < lsn) return false;
    }
    return true;
  }

  /** The records of the drop stream in segment `s` that the cloud does not hold (ids and seqs only). */
  async #unsynced(s: SegmentSummary, cursor: number): Promise<DroppedRecord[]> {
    const range = s.streams[this.#o.dropStream];
    if (!range || range[1] <= cursor) return [];
    const out: DroppedRecord[] = [];
    const at = new Date(this.#o.now()).toISOString();
    for await (const { lsn, record } of this.#o.records.read(s.firstLsn, this.#o.dropStream)) {
      if (lsn > s.lastLsn) break;
      if (record.seq <= cursor) continue;
      out.push({
        id: record.id,
        stream: record.stream,
        seq: record.seq,
        type: record.type,
        ts: record.ts,
        clock: record.clock,
        reason: 'disk-full',
        droppedAt: at,
      });
    }
    return out;
  }
}
