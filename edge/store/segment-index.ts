import type { Stream, SyncRecord } from '../../cloud-sync/protocol/record.js';

/** What one journal segment holds: its LSN range, each stream's seq range, the newest record time. */
export interface SegmentSummary {
  firstLsn: number;
  /** The last LSN seen in it (for the active segment: so far). */
  lastLsn: number;
  /** Per stream present: `[minSeq, maxSeq]`. */
  streams: Partial<Record<Stream, [number, number]>>;
  /** The newest record `ts` in it (ISO-8601), '' when empty. */
  lastTs: string;
}

/**
 * A small index of the journal's segments by stream (kept inside the record log's seq checkpoint):
 * where a stream's seq lies, so a reader of one stream (the sync client) starts at the right
 * segment instead of reading the journal from its start, and retention can tell which segments
 * are fully synced. Segments written before the index existed have no summary until
 * {@link SegmentIndex.learn} is given one (a reader scans them once).
 */
export class SegmentIndex {
  /** By first LSN, ascending; the last may be the active segment's partial summary. */
  #summaries: SegmentSummary[];

  constructor(summaries: readonly SegmentSummary[] = []) {
    this.#summaries = summaries
      .filter(isSummary)
      .map(clone)
      .sort((a, b) => a.firstLsn - b.firstLsn);
  }

  /** Notes a durable record at `lsn` in the segment starting at `segmentFirstLsn` (LSN order). */
  observe(segmentFirstLsn: number, lsn: number, record: Pick<SyncRecord, 'stream' | 'seq' | 'ts'>): void {
    let s = this.#summaries[this.#summaries.length - 1];
    if (!s || s.firstLsn < segmentFirstLsn) {
      s = { firstLsn: segmentFirstLsn, lastLsn: lsn, streams: {}, lastTs: '' };
      this.#summaries.push(s);
    } else if (s.firstLsn > segmentFirstLsn) {
      return; // an older segment's record, already summarized
    }
    if (lsn < s.lastLsn) return; // seen
    s.lastLsn = lsn;
    const range = s.streams[record.stream];
    if (range) {
      range[0] = Math.min(range[0], record.seq);
      range[1] = Math.max(range[1], record.seq);
    } else {
      s.streams[record.stream] = [record.seq, record.seq];
    }
    if (record.ts > s.lastTs) s.lastTs = record.ts;
  }

  /** Adds the summary of a segment that a reader scanned whole. */
  learn(summary: SegmentSummary): void {
    if (this.get(summary.firstLsn)) return;
    this.#summaries.push(clone(summary));
    this.#summaries.sort((a, b) => a.firstLsn - b.firstLsn);
  }

  get(firstLsn: number): SegmentSummary | undefined {
    return this.#summaries.find((s) => s.firstLsn === firstLsn);
  }

  /** Forgets the summaries of segments that start before `firstLsn` (deleted). */
  dropBefore(firstLsn: number): void {
    this.#summaries = this.#summaries.filter((s) => s.firstLsn >= firstLsn);
  }

  /**
   * The first LSN to read from to find `stream`'s records with seq > `afterSeq`, given the
   * journal's segment starts (ascending): the first segment whose summary holds a larger seq of
   * the stream, or that has no summary (it must be scanned); `undefined` when no segment can.
   */
  locate(segmentStarts: readonly number[], stream: Stream, afterSeq: number): number | undefined {
    for (const first of segmentStarts) {
      const s = this.get(first);
      if (!s) return first;
      const range = s.streams[stream];
      if (range && range[1] > afterSeq) return first;
    }
    return undefined;
  }

  /** Segment starts (ascending) that have no summary. */
  missing(segmentStarts: readonly number[]): number[] {
    return segmentStarts.filter((f) => !this.get(f));
  }

  toJSON(): SegmentSummary[] {
    return this.#summaries.map(clone);
  }
}

/** The start of the segment holding `lsn`: the last of `starts` (ascending) that is ≤ `lsn`. */
export function segmentStartOf(starts: readonly number[], lsn: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= lsn) lo = mid;
    else hi = mid - 1;
  }
  return starts[lo] ?? 1;
}

function clone(s: SegmentSummary): SegmentSummary {
  const streams: SegmentSummary['streams'] = {};
  for (const [k, v] of Object.entries(s.streams) as [Stream, [number, number]][]) streams[k] = [v[0], v[1]];
  return { firstLsn: s.firstLsn, lastLsn: s.lastLsn, streams, lastTs: s.lastTs };
}

function isSummary(s: unknown): s is SegmentSummary {
  const x = s as SegmentSummary;
  return (
    x !== null &&
    typeof x === 'object' &&
    Number.isSafeInteger(x.firstLsn) &&
    Number.isSafeInteger(x.lastLsn) &&
    typeof x.lastTs === 'string' &&
    typeof x.streams === 'object' &&
    x.streams !== null &&
    Object.values(x.streams).every(
      (r) => Array.isArray(r) && r.length === 2 && r.every((n) => Number.isSafeInteger(n)),
    )
  );
}
